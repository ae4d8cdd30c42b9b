"""A second tracker model in one module: a test double of the engine's tracker
interface (:class:`sam2_jupyter.engine.tracking.TrackerModel`).

It segments a disc of :data:`RADIUS` pixels around each positive click (a box: its
rectangle; a mask: itself) and tracks each object by moving its mask :data:`SHIFT`
pixels to the right per frame forward (to the left backward). Prompted frames are
kept as given. It knows nothing of sam2, and its model object has no
``predictor``: a Session that reached around the interface would fail on it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

RADIUS = 6
SHIFT = 3


def disc(shape: tuple[int, int], y: float, x: float, r: float = RADIUS) -> np.ndarray:
    yy, xx = np.mgrid[0 : shape[0], 0 : shape[1]]
    return (yy - y) ** 2 + (xx - x) ** 2 <= r**2


def shifted(mask: np.ndarray, dx: int) -> np.ndarray:
    out = np.zeros_like(mask)
    if dx >= 0:
        out[:, dx:] = mask[:, : mask.shape[1] - dx]
    else:
        out[:, :dx] = mask[:, -dx:]
    return out


@dataclass
class FakeState:
    """Per object: its mask per frame, and the frames it was prompted on."""

    shape: tuple[int, int]
    masks: dict[int, dict[int, np.ndarray]] = field(default_factory=dict)
    prompted: dict[int, set[int]] = field(default_factory=dict)

    @property
    def object_ids(self) -> list[int]:
        return list(self.masks)

    def snapshot(self) -> Any:
        return (
            {o: dict(m) for o, m in self.masks.items()},
            {o: set(p) for o, p in self.prompted.items()},
        )

    def restore(self, snap: Any) -> None:
        masks, prompted = snap
        self.masks = {o: dict(m) for o, m in masks.items()}
        self.prompted = {o: set(p) for o, p in prompted.items()}


class FakeTracker:
    name = "fake"
    caches_features = False

    def __init__(self) -> None:
        self.calls: list[str] = []

    def new_state(
        self, frames, height, width, *, device, offload_video, offload_state, features=None
    ):
        self.calls.append("new_state")
        return FakeState((height, width))

    def _logits(self, state: FakeState, frame: int, ids: list[int]) -> torch.Tensor:
        empty = np.zeros(state.shape, bool)
        masks = [state.masks[o].get(frame, empty) for o in ids]
        stack = np.stack(masks) if masks else np.zeros((0, *state.shape), bool)
        return torch.from_numpy(np.where(stack, 10.0, -10.0)[:, None].astype(np.float32))

    def _set(
        self, state: FakeState, frame: int, obj_id: int, mask: np.ndarray
    ) -> tuple[list[int], torch.Tensor]:
        state.masks.setdefault(obj_id, {})[frame] = mask
        state.prompted.setdefault(obj_id, set()).add(frame)
        return [obj_id], self._logits(state, frame, [obj_id])

    def add_points(
        self, state, frame, obj_id, *, points=None, labels=None, box=None, clear_old=True
    ):
        self.calls.append("add_points")
        previous = state.masks.get(obj_id, {}).get(frame)
        mask = np.zeros(state.shape, bool)
        if not clear_old and previous is not None and frame in state.prompted.get(obj_id, ()):
            mask = previous.copy()
        if box is not None:
            x0, y0, x1, y1 = box
            mask[int(y0) : int(y1) + 1, int(x0) : int(x1) + 1] = True
        for (x, y), positive in zip(points or [], labels or [], strict=True):
            d = disc(state.shape, y, x)
            mask = mask | d if positive else mask & ~d
        return self._set(state, frame, obj_id, mask)

    def add_mask(self, state, frame, obj_id, mask):
        self.calls.append("add_mask")
        return self._set(state, frame, obj_id, np.asarray(mask, bool).copy())

    def propagate(
        self, state, start, count, reverse
    ) -> Iterator[tuple[int, list[int], torch.Tensor]]:
        self.calls.append("propagate")
        step = -1 if reverse else 1
        n_frames = count + 1
        for i in range(n_frames):
            t = start + step * i
            if t < 0:
                return
            for o, frames in state.masks.items():
                if t not in state.prompted[o] and (t - step) in frames:
                    frames[t] = shifted(frames[t - step], SHIFT * step)
            ids = [o for o in state.masks if t in state.masks[o]]
            yield t, ids, self._logits(state, t, ids)

    def quiet(self):
        return contextlib.nullcontext()

    def frame_masks(self, state, frame):
        return self._logits(state, frame, state.object_ids)

    def has_output(self, state, obj_id, frame):
        return frame in state.masks.get(obj_id, {})

    def object_score(self, state, obj_id, frame):
        return 10.0 if self.has_output(state, obj_id, frame) else float("nan")

    def base(self, state, frame, obj_id):
        held = state.masks.get(obj_id, {}).get(frame)
        return (None if frame in state.prompted.get(obj_id, ()) else held), None

    def restart_frame(self, state, frame, obj_id, output, tracked):
        self.calls.append("restart_frame")
        state.prompted.get(obj_id, set()).discard(frame)
        state.masks.get(obj_id, {}).pop(frame, None)
        if output is not None:
            state.masks[obj_id][frame] = output

    def remove_object(self, state, obj_id):
        self.calls.append("remove_object")
        state.masks.pop(obj_id, None)
        state.prompted.pop(obj_id, None)

    def memory_reach(self, num_frames=None):
        return 1

    def release(self, state, current, window):
        self.calls.append("release")
        dropped = 0
        for o, frames in state.masks.items():
            for t in [
                t for t in frames if t not in state.prompted[o] and abs(t - current) > window
            ]:
                del frames[t]
                dropped += 1
        return dropped


class FakeModel:
    """What a Session needs of a model besides its tracker: where it runs and at
    what input size its frames are prepared, and the numeric context of its calls."""

    device = torch.device("cpu")
    image_size = 64
    compiled = False
    precision = "fp32"

    def __init__(self) -> None:
        self.tracker = FakeTracker()

    def autocast(self):
        return contextlib.nullcontext()

    def __repr__(self) -> str:
        return "FakeModel()"
