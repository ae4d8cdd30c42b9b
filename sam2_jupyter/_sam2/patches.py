"""Every change this project makes to sam2's objects, applied by one :func:`install`.

sam2 is driven through its public video-predictor calls; four behaviours are added
around them, each leaving sam2's numbers unchanged:

* **memory-conditioned features** (``_prepare_memory_conditioned_features``): the
  session whose correction cache is :func:`serving` on this thread may answer the
  call from its cache (see :mod:`sam2_jupyter.engine.features.conditioned`); with
  none serving, sam2's own method runs;
* **encoder pause points**: hooks around every leaf layer of the image encoder call
  the pause function of the thread running the encode (:func:`pausing`), so a
  background encode gives way to the user within one layer;
* **a quiet progress bar**: sam2 wraps each ``propagate_in_video`` call in its own
  tqdm bar; within :func:`quiet` our propagations on this thread get none (every
  other caller still gets sam2's);
* **memory dtype on devices without autocast**: sam2 stores memory features in
  bfloat16 and relies on CUDA autocast to mix them with float32 weights.

The version gate: sam2 :data:`PINNED` is what these patches and the calls of
:mod:`.calls` are written against (``tests/test_sam2_surface.py`` lists every name
and signature relied on). Another version warns once (:class:`Sam2VersionWarning`)
and goes on, because a patch release rarely moves them; a missing name or a changed
signature fails at once with :class:`Sam2SurfaceError` naming it, instead of a
wrong mask later.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import sys
import threading
import warnings
import weakref
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from typing import Any, Protocol

import torch

from .._threads import thread_value

PINNED = "1.1.0"
_INSTALLED = "_sam2_jupyter_installed"


class Sam2VersionWarning(UserWarning):
    """sam2 is not the version the adapter is written against."""


class Sam2SurfaceError(RuntimeError):
    """A name or signature of sam2 that this project relies on is missing or changed."""


class Conditioned(Protocol):
    """What answers sam2's memory-conditioned features (a correction cache)."""

    def conditioned(
        self,
        compute: Callable[[], torch.Tensor],
        frame: int,
        output_dict: dict[str, Any],
        num_frames: int,
        reverse: bool,
        batch: int,
    ) -> torch.Tensor: ...


# The cache that serves the sam2 calls running in this context (sessions share one
# predictor; sam2 driven directly runs with none).
_SERVING: ContextVar[Conditioned | None] = ContextVar("sam2_jupyter_corrections", default=None)
_local = threading.local()  # .pause: this thread's pause function; .quiet: no sam2 bar
_hooked: weakref.WeakSet[torch.nn.Module] = weakref.WeakSet()
_installing = threading.Lock()
_checked: list[str] = []  # the sam2 version already gated in this process


def install(predictor: Any) -> Any:
    """Apply every patch to ``predictor`` (a ``SAM2VideoPredictor``) once; a second
    call does nothing. Returns the predictor.

    Raises
    ------
    Sam2SurfaceError
        sam2 lacks a name or signature the project relies on.
    """
    with _installing:
        if getattr(predictor, _INSTALLED, False):
            return predictor
        check_version()
        _condition_memory(predictor)
        if not _compiled(predictor):  # dynamo would trace the hooks
            pause_points(predictor.image_encoder)
        _quiet_module(sys.modules[type(predictor).propagate_in_video.__module__])
        if _device(predictor).type != "cuda":
            _memory_dtype(predictor)
        setattr(predictor, _INSTALLED, True)
    return predictor


def check_version() -> None:
    """Warn once per process when sam2 is not :data:`PINNED`; raise when a name
    or signature relied on is missing (see :mod:`.surface`)."""
    if _checked:
        return
    from .surface import problems

    found = problems()
    if found:
        raise Sam2SurfaceError(
            "this sam2 lacks what sam2_jupyter relies on (written for sam2 "
            f"{PINNED}): " + "; ".join(found)
        )
    version = importlib.metadata.version("sam2")
    if version != PINNED:
        warnings.warn(
            f"sam2 {version} is installed; sam2_jupyter is tested with sam2 {PINNED}. "
            "Every name it uses is present; if masks look wrong, install sam2 "
            f"{PINNED}.",
            Sam2VersionWarning,
            stacklevel=3,
        )
    _checked.append(version)


def _compiled(predictor: Any) -> bool:
    from sam2.sam2_video_predictor import SAM2VideoPredictorVOS

    return isinstance(predictor, SAM2VideoPredictorVOS)


def _device(predictor: Any) -> torch.device:
    return next(iter(predictor.parameters())).device


# -- memory-conditioned features --------------------------------------------------
@contextlib.contextmanager
def serving(cache: Conditioned) -> Iterator[None]:
    """sam2 calls inside this block read and fill ``cache``."""
    token = _SERVING.set(cache)
    try:
        yield
    finally:
        _SERVING.reset(token)


def _condition_memory(predictor: Any) -> None:
    """Route sam2's memory attention through the serving cache. With none serving
    (sam2 driven directly) nothing changes."""
    original = predictor._prepare_memory_conditioned_features

    def prepare(
        frame_idx: int,
        is_init_cond_frame: bool,
        current_vision_feats: list[torch.Tensor],
        current_vision_pos_embeds: list[torch.Tensor],
        feat_sizes: list[tuple[int, int]],
        output_dict: dict[str, Any],
        num_frames: int,
        track_in_reverse: bool = False,
    ) -> torch.Tensor:
        def compute() -> torch.Tensor:
            return original(
                frame_idx=frame_idx,
                is_init_cond_frame=is_init_cond_frame,
                current_vision_feats=current_vision_feats,
                current_vision_pos_embeds=current_vision_pos_embeds,
                feat_sizes=feat_sizes,
                output_dict=output_dict,
                num_frames=num_frames,
                track_in_reverse=track_in_reverse,
            )

        cache = _SERVING.get()
        if cache is None or is_init_cond_frame or predictor.num_maskmem == 0:
            return compute()
        batch = int(current_vision_feats[-1].size(1))
        return cache.conditioned(
            compute, frame_idx, output_dict, num_frames, track_in_reverse, batch
        )

    predictor._prepare_memory_conditioned_features = prepare


# -- encoder pause points ----------------------------------------------------------
def _point(*_args: Any) -> None:
    pause = getattr(_local, "pause", None)
    if pause is not None:
        pause()


def pause_points(encoder: torch.nn.Module) -> None:
    """Put pause points around every leaf layer of ``encoder`` (once per module).
    The hooks return nothing, so the numbers are sam2's own."""
    if encoder in _hooked:
        return
    for layer in encoder.modules():
        if next(layer.children(), None) is None:
            layer.register_forward_pre_hook(_point)
            layer.register_forward_hook(_point)
    _hooked.add(encoder)


def points(encoder: torch.nn.Module) -> bool:
    """Whether ``encoder`` has pause points."""
    return encoder in _hooked


@contextlib.contextmanager
def pausing(pause: Callable[[], None] | None) -> Iterator[None]:
    """Within the block, encodes on this thread call ``pause`` at every pause point
    (it may block, or raise to abandon the encode)."""
    with thread_value(_local, "pause", pause):
        yield


# -- sam2's progress bar -------------------------------------------------------------
def _quiet_module(module: Any) -> None:
    """Wrap the module's ``tqdm`` once: calls on a thread inside :func:`quiet` get
    no bar, every other caller gets sam2's."""
    real = module.tqdm
    if getattr(real, "_sam2j_quiet", False):
        return

    def tqdm(iterable: Any = None, *args: Any, **kwargs: Any) -> Any:
        if getattr(_local, "quiet", False):
            return iterable
        return real(iterable, *args, **kwargs)

    tqdm._sam2j_quiet = True  # type: ignore[attr-defined]
    module.tqdm = tqdm


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    """sam2's own progress bar off for calls on this thread (ours is shown)."""
    with thread_value(_local, "quiet", True):
        yield


# -- memory dtype without autocast ---------------------------------------------------
def _memory_dtype(predictor: Any) -> None:
    """Let sam2 track on devices without autocast.

    When every memory of a frame is bfloat16 (an object first prompted on a later
    frame, so no object pointer joins them) the memory attention fails on the CPU
    with a dtype error. Upcasting the memory to the query's dtype is what
    ``torch.cat`` type promotion already does whenever a float32 pointer is present,
    so results elsewhere are unchanged, bit for bit.
    """
    attention = predictor.memory_attention
    forward = attention.forward

    def forward_same_dtype(curr: Any, memory: Any, *args: Any, **kwargs: Any) -> Any:
        query = curr[0] if isinstance(curr, list) else curr
        if memory.dtype != query.dtype and not torch.is_autocast_enabled(query.device.type):
            memory = memory.to(query.dtype)
        return forward(curr, memory, *args, **kwargs)

    attention.forward = forward_same_dtype
