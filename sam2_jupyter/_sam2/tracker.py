"""SAM2 behind the engine's tracker interface (:class:`~sam2_jupyter.engine.tracking.
TrackerModel`): the one place the engine's calls become sam2's.

A second model (EdgeTAM, say) is one more module like this one: the engine never
names sam2.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import numpy as np
import torch

from . import state as sam
from .calls import frame_masks
from .patches import install, quiet
from .state import SamState, new_inference_state


class Sam2Tracker:
    """sam2's ``SAM2VideoPredictor`` (patched once by :func:`~.patches.install`)."""

    name = "sam2"
    caches_features = True  # image features and memory-conditioned features

    def __init__(self, predictor: Any) -> None:
        self.predictor = install(predictor)

    # -- state ----------------------------------------------------------------------
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
    ) -> SamState:
        return new_inference_state(
            frames, height, width, device, offload_video, offload_state, features
        )

    # -- prompts --------------------------------------------------------------------
    def add_points(
        self,
        state: SamState,
        frame: int,
        obj_id: int,
        *,
        points: list[list[float]] | None = None,
        labels: list[int] | None = None,
        box: list[float] | None = None,
        clear_old: bool = True,
    ) -> tuple[list[int], torch.Tensor]:
        given: dict[str, Any] = {}
        if points:
            given["points"], given["labels"] = points, labels
        if box is not None:
            given["box"] = box
        _, obj_ids, logits = self.predictor.add_new_points_or_box(
            state, frame_idx=frame, obj_id=obj_id, clear_old_points=clear_old, **given
        )
        return list(obj_ids), logits

    def add_mask(
        self, state: SamState, frame: int, obj_id: int, mask: np.ndarray
    ) -> tuple[list[int], torch.Tensor]:
        _, obj_ids, logits = self.predictor.add_new_mask(
            state, frame_idx=frame, obj_id=obj_id, mask=mask
        )
        return list(obj_ids), logits

    def propagate(
        self, state: SamState, start: int, count: int, reverse: bool
    ) -> Iterator[tuple[int, list[int], torch.Tensor]]:
        return self.predictor.propagate_in_video(
            state, start_frame_idx=start, max_frame_num_to_track=count, reverse=reverse
        )

    def quiet(self) -> contextlib.AbstractContextManager[None]:
        return quiet()

    # -- what it holds ----------------------------------------------------------------
    def frame_masks(self, state: SamState, frame: int) -> torch.Tensor:
        return frame_masks(self.predictor, state, frame)

    def has_output(self, state: SamState, obj_id: int, frame: int) -> bool:
        return sam.has_output(state, state["obj_id_to_idx"][obj_id], frame)

    def object_score(self, state: SamState, obj_id: int, frame: int) -> float:
        return sam.object_score(state, state["obj_id_to_idx"][obj_id], frame)

    def base(self, state: SamState, frame: int, obj_id: int) -> tuple[Any, Any]:
        return sam.base_of(state, frame, obj_id)

    # -- removing ---------------------------------------------------------------------
    def restart_frame(
        self, state: SamState, frame: int, obj_id: int, output: Any, tracked: Any
    ) -> None:
        self.predictor.clear_all_prompts_in_frame(state, frame, obj_id, need_output=False)
        sam.reset_to_base(state, frame, obj_id, output, tracked)

    def remove_object(self, state: SamState, obj_id: int) -> None:
        if obj_id in state["obj_id_to_idx"]:
            self.predictor.remove_object(state, obj_id, need_output=False)

    # -- memory -----------------------------------------------------------------------
    def memory_reach(self, num_frames: int | None = None) -> int:
        return sam.memory_reach(self.predictor, num_frames)

    def release(self, state: SamState, current: int, window: int) -> int:
        return sam.release_outside_window(state, current, window)


def tracker_for(predictor: Any) -> Sam2Tracker:
    """The predictor's tracker (one per predictor: sessions on a model share it)."""
    known = getattr(predictor, "_sam2_jupyter_tracker", None)
    if known is None:
        known = Sam2Tracker(predictor)
        predictor._sam2_jupyter_tracker = known
    return known
