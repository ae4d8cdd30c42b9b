"""The tracker interface: what the engine needs of a promptable video tracker.

The engine (prompts, labels, undo, propagation, memory modes) talks only to this
interface; SAM2 implements it behind the adapter
(:class:`sam2_jupyter._sam2.Sam2Tracker`), and another model is one more module
that implements it (``tests/fake_tracker.py`` is such a module, driving a real
Session). A model object brings its tracker as ``model.tracker``; a SAM2
:class:`~sam2_jupyter.models.Model` gets SAM2's.

Masks travel as mask logits, a ``(objects, 1, Y, X)`` tensor at the frame's size
(positive: inside), in the order of the object ids returned with them.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any, Protocol, runtime_checkable

import numpy as np
import torch


@runtime_checkable
class TrackerState(Protocol):
    """One video's tracking state, owned by the session's core (opaque to it)."""

    @property
    def object_ids(self) -> list[int]:
        """The objects the tracker tracks, in its order."""
        ...

    def snapshot(self) -> Any:
        """What :meth:`restore` needs to put back every prompt and output (undo)."""
        ...

    def restore(self, snap: Any) -> None: ...


@runtime_checkable
class TrackerModel(Protocol):
    """A promptable video tracker: clicks, boxes and masks in; masks per frame out."""

    name: str
    # Whether the session's image-feature caches (memory, disk, precompute) and
    # correction cache serve this model: SAM2's image encoder and memory attention.
    caches_features: bool

    def new_state(
        self,
        frames: Any,
        height: int,
        width: int,
        *,
        device: torch.device,
        offload_video: bool,
        offload_state: bool,
        features: Any = None,
    ) -> TrackerState:
        """A state over ``frames`` (a sequence of model-ready (3, S, S) tensors).
        ``features``: a cache the model may keep image features in (or ignore)."""
        ...

    def add_points(
        self,
        state: Any,
        frame: int,
        obj_id: int,
        *,
        points: list[list[float]] | None = None,
        labels: list[int] | None = None,
        box: list[float] | None = None,
        clear_old: bool = True,
    ) -> tuple[list[int], torch.Tensor]:
        """Clicks ((x, y), label 1 positive / 0 negative) and a box (x0, y0, x1, y1)
        for one object on one frame. ``clear_old``: replace its earlier inputs there
        (a batch); else refine the previous mask (one more click). Returns the
        object ids and their mask logits on the frame."""
        ...

    def add_mask(
        self, state: Any, frame: int, obj_id: int, mask: np.ndarray
    ) -> tuple[list[int], torch.Tensor]:
        """A boolean (Y, X) mask as the object's one input on ``frame``."""
        ...

    def propagate(
        self, state: Any, start: int, count: int, reverse: bool
    ) -> Iterator[tuple[int, list[int], torch.Tensor]]:
        """One pass from ``start`` over ``count`` more frames: ``(frame, ids,
        logits)`` per frame, the prompted frames kept as given."""
        ...

    def quiet(self) -> contextlib.AbstractContextManager[None]:
        """Around each propagation step: the model's own progress output off."""
        ...

    def frame_masks(self, state: Any, frame: int) -> torch.Tensor:
        """Every tracked object's logits on ``frame`` (after a removal)."""
        ...

    def has_output(self, state: Any, obj_id: int, frame: int) -> bool:
        """Whether the model holds a mask for the object on the frame."""
        ...

    def object_score(self, state: Any, obj_id: int, frame: int) -> float:
        """The model's presence logit for the object on the frame (NaN: none)."""
        ...

    def base(self, state: Any, frame: int, obj_id: int) -> tuple[Any, Any]:
        """What the object had on ``frame`` before its first prompt there (the
        tracking output, a tracked mark; None each when nothing): kept by the engine
        and handed back to :meth:`restart_frame` when its prompts are removed."""
        ...

    def restart_frame(self, state: Any, frame: int, obj_id: int, output: Any, tracked: Any) -> None:
        """Forget the object's prompts on ``frame``; put back what :meth:`base` said."""
        ...

    def remove_object(self, state: Any, obj_id: int) -> None:
        """The object gone: prompts, memory and outputs (a no-op when unknown)."""
        ...

    def memory_reach(self, num_frames: int | None = None) -> int:
        """How many frames back the model's memory reads while tracking."""
        ...

    def release(self, state: Any, current: int, window: int) -> int:
        """Drop tracking outputs no later frame reads (low memory modes); how many."""
        ...


def tracker_of(model: Any) -> TrackerModel:
    """The model's tracker: its own ``tracker`` when it brings one, else SAM2's on
    its ``predictor`` (patched once, shared by the sessions on it)."""
    own = getattr(model, "tracker", None)
    if own is not None:
        return own
    from .._sam2 import tracker_for

    return tracker_for(model.predictor)
