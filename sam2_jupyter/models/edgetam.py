"""EdgeTAM (Meta, Apache-2.0): SAM2 with a RepViT image encoder and a 2D spatial
perceiver that compresses each remembered frame to 512 tokens, run through Hugging
Face ``transformers``. The same Session drives it (:mod:`sam2_jupyter._edgetam`).

On a CPU it tracks about 4× faster per frame than SAM2.1 Tiny at 1024 px
(``benchmarks/RESULTS.md``).
"""

from __future__ import annotations

import contextlib
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from .. import _edgetam
from ..errors import ModelError
from .download import Progress, weights_path
from .registry import EDGETAM, ModelSpec

SIZE = 1024  # the published model's input size
SPEC = EDGETAM


@dataclass
class EdgeTamModel:
    """A loaded EdgeTAM: ``net`` is transformers' ``EdgeTamVideoModel`` (anything
    transformers documents works on it), ``tracker`` what a Session drives."""

    tracker: _edgetam.EdgeTamTracker
    spec: ModelSpec
    device: torch.device
    checkpoint: Path | None
    untrained: bool
    compiled: bool = False
    precision: str = "fp32"

    @property
    def net(self) -> Any:
        return self.tracker.net

    @property
    def image_size(self) -> int:
        return int(self.net.config.image_size)

    def autocast(self) -> contextlib.AbstractContextManager[Any]:
        if self.precision == "bf16":
            return torch.autocast(self.device.type, dtype=torch.bfloat16)
        return contextlib.nullcontext()

    def __repr__(self) -> str:
        src = "untrained" if self.untrained else str(self.checkpoint)
        return f"Model({self.spec.label}, {self.image_size}px, {self.device}, {src})"


def _load_weights(net: Any, path: Path) -> None:
    from safetensors.torch import load_file

    try:
        state = load_file(str(path))
    except Exception as exc:
        raise ModelError(
            f"{path}: not a readable safetensors file ({exc}); delete it and load again"
        ) from exc
    try:
        net.load_state_dict(state, strict=True)
    except RuntimeError as exc:
        raise ModelError(
            f"{path}: weights do not match EdgeTAM's architecture: {str(exc)[:500]}"
        ) from exc


def load_edgetam(
    device: torch.device,
    *,
    checkpoint: str | Path | None,
    model_dir: str | Path | None,
    image_size: int | None,
    untrained: bool,
    seed: int,
    url: str | None,
    progress: Progress,
    precision: str,
    untrained_warning: type[Warning],
) -> EdgeTamModel:
    """``load_model("edgetam", ...)``: see :func:`sam2_jupyter.models.load_model`."""
    _edgetam.require()
    size = int(image_size or SIZE)
    if not untrained and size != SIZE:
        raise ModelError(
            f"EdgeTAM's weights are for {SIZE} px input; image_size={size} is for "
            "untrained=True only"
        )
    path = weights_path(
        SPEC, checkpoint, model_dir, untrained=untrained, url=url, progress=progress
    )
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        net = _edgetam.network(size)
    if path is not None:
        _load_weights(net, path)
    else:
        warnings.warn(
            "EdgeTAM built with RANDOM weights (untrained=True): masks are noise. "
            "Use it only for tests and trying the interface.",
            untrained_warning,
            stacklevel=3,
        )
    net = net.to(device).eval()
    if precision == "auto":
        precision = "bf16" if device.type == "cuda" else "fp32"
    tracker = _edgetam.EdgeTamTracker(net, _edgetam.processor(size))
    return EdgeTamModel(tracker, SPEC, device, path, untrained, False, precision)
