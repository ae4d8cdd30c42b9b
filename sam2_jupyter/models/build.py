"""Building SAM2's video predictor from a checkpoint (or untrained) on a device."""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from .._sam2 import install as _patch_sam2
from .._words import plural
from ..errors import ModelError
from .download import Progress, weights_path
from .registry import ModelSpec, get_spec


class UntrainedModelWarning(UserWarning):
    """Masks from an untrained model are noise: for tests and UI trials only."""


class NoHoleFillingWarning(UserWarning):
    """sam2's CUDA extension cannot run here, so small holes in masks stay unfilled."""


# Said once per process: the note is about the installation, not about one model.
_said_no_hole_filling = False


# sam2 1.1.0 stores a click (or mask) on a frame that propagation already tracked as
# an ordinary tracking output, which the next propagation recomputes: the user's
# correction is silently replaced by the uncorrected mask (sam2 issues 719, 731).
# With this switch such a frame becomes a conditioning frame for that object, as a
# first prompt is: propagation keeps its mask exactly and tracks from it. sam2's own
# web demo behaves this way; the parity tests compare with sam2 built the same way.
CORRECTIONS_AS_CONDITIONING = "++model.add_all_frames_to_correct_as_cond=true"

PRECISIONS = ("auto", "fp32", "bf16")


def pick_device(device: str | torch.device = "auto") -> torch.device:
    """cuda > mps > cpu for "auto"; an explicit device must be usable."""
    if str(device) == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        mps = getattr(torch.backends, "mps", None)
        if mps is not None and mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    dev = torch.device(device)
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ModelError(f"device {device!r} asked for but CUDA is not available")
    return dev


@dataclass
class Model:
    """A loaded SAM2 video predictor and where it came from.

    ``predictor`` is sam2's own ``SAM2VideoPredictor``: anything sam2 documents works
    on it directly. It is built with sam2's ``add_all_frames_to_correct_as_cond``
    switched on (see :data:`CORRECTIONS_AS_CONDITIONING`). ``autocast()`` is the
    numeric context every call runs in: ``precision`` "bf16" (the default on CUDA,
    as sam2's own examples run) or "fp32" (the default elsewhere).
    """

    predictor: Any
    spec: ModelSpec
    device: torch.device
    checkpoint: Path | None
    untrained: bool
    compiled: bool = False
    precision: str = "fp32"

    @property
    def image_size(self) -> int:
        return int(self.predictor.image_size)

    def autocast(self) -> contextlib.AbstractContextManager[Any]:
        if self.precision == "bf16":
            return torch.autocast(self.device.type, dtype=torch.bfloat16)
        return contextlib.nullcontext()

    def __repr__(self) -> str:
        src = "untrained" if self.untrained else str(self.checkpoint)
        return f"Model({self.spec.label}, {self.image_size}px, {self.device}, {src})"


def _build(
    spec: ModelSpec,
    device: torch.device,
    image_size: int | None,
    compiled: bool = False,
    max_conditioning_frames: int | None = None,
) -> Any:
    from sam2.build_sam import build_sam2_video_predictor

    extra = [CORRECTIONS_AS_CONDITIONING]
    if image_size:
        extra.append(f"++model.image_size={int(image_size)}")
    if max_conditioning_frames is not None:
        extra.append(f"++model.max_cond_frames_in_attn={int(max_conditioning_frames)}")
    return build_sam2_video_predictor(
        spec.config,
        ckpt_path=None,
        device="cpu",
        hydra_overrides_extra=extra,
        vos_optimized=compiled,
    )


def _check_hole_filling(predictor: Any, device: torch.device) -> None:
    """Switch off sam2's hole filling where its kernel cannot run, and say so once.

    sam2's video predictor fills holes of up to ``fill_hole_area`` pixels in each
    mask with a connected-components kernel from its compiled extension
    (``sam2._C``, CUDA only). Without it sam2 tries anyway on every frame, fails,
    warns with the exception's text and keeps the mask as it was. Switching the step
    off gives exactly those masks, without the failing call and the warning on every
    frame; one sentence of ours says what it changes.
    """
    global _said_no_hole_filling
    area = int(getattr(predictor, "fill_hole_area", 0) or 0)
    if area <= 0:
        return
    from sam2.utils.misc import get_connected_components

    try:
        get_connected_components(torch.zeros((1, 1, 8, 8), dtype=torch.bool, device=device))
        return
    except ImportError:
        why = "sam2 is installed without its compiled CUDA extension (sam2._C)"
    except Exception:
        why = f"sam2's CUDA extension (sam2._C) does not run on {device.type}"
    predictor.fill_hole_area = 0
    if not _said_no_hole_filling:
        _said_no_hole_filling = True
        warnings.warn(
            f"{why}, so holes of up to {plural(area, 'pixel')} inside masks are left unfilled, "
            "as sam2 itself does without it; nothing else about the masks changes.",
            NoHoleFillingWarning,
            stacklevel=3,
        )


def _load_weights(predictor: Any, path: Path) -> None:
    """Load with ``weights_only`` (no code runs from the file) and strictly: a file
    whose tensors do not fit the architecture is reported, never half-loaded."""
    try:
        ckpt = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise ModelError(
            f"{path}: not a readable checkpoint ({exc}); delete it and load again to re-download"
        ) from exc
    state = ckpt.get("model", ckpt) if isinstance(ckpt, dict) else None
    if not isinstance(state, dict):
        raise ModelError(f"{path}: checkpoint holds no state dict")
    try:
        predictor.load_state_dict(state, strict=True)
    except RuntimeError as exc:
        raise ModelError(
            f"{path}: weights do not match this model's architecture: {str(exc)[:500]}"
        ) from exc


def load_model(
    name: str = "tiny",
    version: str = "2.1",
    checkpoint: str | Path | None = None,
    model_dir: str | Path | None = None,
    device: str | torch.device = "auto",
    image_size: int | None = None,
    untrained: bool = False,
    *,
    seed: int = 0,
    url: str | None = None,
    progress: Progress = True,
    compile: bool = False,
    precision: str = "auto",
    max_conditioning_frames: int | None = None,
) -> Model:
    """Load a SAM2 video predictor.

    Parameters
    ----------
    name, version
        tiny < small < base_plus < large; SAM "2.1" (default) or "2.0".
    checkpoint
        A local ``.pt`` file; skips the download.
    model_dir
        Where official weights are downloaded on first use (default: a per-user
        cache folder, or ``$SAM2_JUPYTER_MODEL_DIR``).
    device
        "auto" picks cuda, then mps, then cpu.
    image_size
        Model input size; default the config's 1024. Smaller is faster and coarser.
    untrained
        Random weights (seeded by ``seed``) in the real architecture: no download,
        for tests and trying the interface offline. Warns, because masks are noise.
    url
        Download from here instead of the official address (mirrors, tests).
    progress
        True for a progress bar, False for none, or a callable taking
        (bytes done, total bytes or None), e.g. to drive a widget.
    compile
        CUDA only: sam2's ``vos_optimized`` predictor, whose image encoder, memory
        attention/encoder and heads go through ``torch.compile``. The first frames
        are slow (minutes of compilation), later ones faster; masks agree with the
        plain model to rounding, not bit for bit.
    precision
        "auto": bf16 autocast on CUDA (as sam2's own scripts run), fp32 elsewhere.
        "bf16" on a CPU with native bf16 (AVX-512 BF16, AMX) runs matrix work about
        twice as fast; masks are then close to fp32's, not identical
        (``benchmarks/RESULTS.md`` gives the measured agreement). "fp32": full
        precision everywhere.
    max_conditioning_frames
        SAM2 attends, on every frame, to every prompted (conditioning) frame of the
        object, so each correction makes propagation slower (measured at 1024 px on
        a CPU: 8 prompted frames cost 2.1× one). A number N >= 2 attends only to the
        N nearest (sam2's ``max_cond_frames_in_attn``: the nearest before, the
        nearest after, then the closest others); masks then differ from sam2's
        default. None (default): all, as sam2 does.

    Raises
    ------
    ModelError
        Unknown name or version, a device that is not there, an unusable checkpoint,
        a failed download, or options that do not fit together.
    """
    if max_conditioning_frames is not None and (
        isinstance(max_conditioning_frames, bool)
        or not isinstance(max_conditioning_frames, int)
        or max_conditioning_frames < 2
    ):
        raise ModelError(
            f"max_conditioning_frames must be an integer of at least 2 (sam2 keeps the "
            f"nearest before and after), or None; got {max_conditioning_frames!r}"
        )
    if precision not in PRECISIONS:
        raise ModelError(f"precision must be one of {', '.join(PRECISIONS)}, got {precision!r}")
    if str(name).lower().strip() == "edgetam":
        return _load_edgetam(
            name, compile, max_conditioning_frames, device, checkpoint, model_dir,
            image_size, untrained, seed, url, progress, precision,
        )  # fmt: skip
    spec = get_spec(name, version)
    dev = pick_device(device)
    if compile and dev.type != "cuda":
        raise ModelError(
            f"compile=True needs a CUDA GPU (sam2's compiled predictor is built for CUDA "
            f"kernels); the model would run on {dev.type}: use compile=False there"
        )
    if image_size is not None and (int(image_size) < 64 or int(image_size) % 32):
        raise ModelError(f"image_size must be a multiple of 32 and at least 64, got {image_size}")
    path = weights_path(
        spec, checkpoint, model_dir, untrained=untrained, url=url, progress=progress
    )
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        predictor = _build(spec, dev, image_size, bool(compile), max_conditioning_frames)
    if path is not None:
        _load_weights(predictor, path)
    else:
        warnings.warn(
            f"{spec.label} built with RANDOM weights (untrained=True): masks are noise. "
            "Use it only for tests and trying the interface.",
            UntrainedModelWarning,
            stacklevel=2,
        )
    predictor = predictor.to(dev).eval()
    _check_hole_filling(predictor, dev)
    # Every patch of sam2, once, after the move to the device (the memory dtype fix
    # is for devices without autocast): see sam2_jupyter._sam2.
    _patch_sam2(predictor)
    if precision == "auto":
        precision = "bf16" if dev.type == "cuda" else "fp32"
    return Model(predictor, spec, dev, path, untrained, bool(compile), precision)


def _load_edgetam(name, compile, max_conditioning_frames, device, checkpoint, model_dir,
                  image_size, untrained, seed, url, progress, precision):  # fmt: skip
    """EdgeTAM (``models/edgetam.py``); the options that are SAM2's are refused."""
    from .edgetam import load_edgetam

    if compile:
        raise ModelError("compile=True is for SAM2's compiled predictor; EdgeTAM runs without it")
    if max_conditioning_frames is not None:
        raise ModelError(
            "max_conditioning_frames is SAM2's option; EdgeTAM attends to every prompted frame"
        )
    if image_size is not None and (int(image_size) < 256 or int(image_size) % 256):
        raise ModelError(
            f"EdgeTAM's image_size must be a multiple of 256 (its perceiver pools the memory "
            f"of each frame in 16 × 16 windows of S/16 features), got {image_size}"
        )
    return load_edgetam(
        pick_device(device), checkpoint=checkpoint, model_dir=model_dir, image_size=image_size,
        untrained=untrained, seed=seed, url=url, progress=progress, precision=precision,
        untrained_warning=UntrainedModelWarning,
    )  # fmt: skip


@contextlib.contextmanager
def inference(model: Model) -> Iterator[None]:
    """No autograd, and the model's autocast: the context of every SAM2 call."""
    with torch.inference_mode(), model.autocast():
        yield
