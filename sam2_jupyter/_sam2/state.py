"""sam2's inference state, built around our frame sequence, and what we read of it.

The dict mirrors what ``SAM2VideoPredictor.init_state`` builds (sam2 1.1.0) with our
lazily decoded frames in place of a tensor of every frame. Every key of it that
this project reads or writes is named in this module (``tests/test_sam2_surface.py``
checks them against sam2's ``init_state``).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable
from typing import Any, Protocol

import torch

# Everything a prompt edit or a propagation changes; the rest (frames, feature
# cache, constants) is derived and left alone by undo.
EDITABLE_KEYS = (
    "obj_id_to_idx",
    "obj_idx_to_id",
    "obj_ids",
    "point_inputs_per_obj",
    "mask_inputs_per_obj",
    "output_dict_per_obj",
    "temp_output_dict_per_obj",
    "frames_tracked_per_obj",
)
STATE_KEYS = (
    "images",
    "num_frames",
    "offload_video_to_cpu",
    "offload_state_to_cpu",
    "video_height",
    "video_width",
    "device",
    "storage_device",
    "cached_features",
    "constants",
    *EDITABLE_KEYS,
)
OUTPUT_KINDS = ("cond_frame_outputs", "non_cond_frame_outputs")


class FeatureSink(Protocol):
    """Where sam2's image features go instead of its one-frame dict."""

    def put(self, frame: int, value: Any) -> None: ...


class SamState(dict):
    """sam2's inference-state dict, except that sam2 replacing its one-frame feature
    cache (``state["cached_features"] = {frame: features}``) adds to ours instead.

    It is also the engine's view of the tracker state (:class:`~sam2_jupyter.engine.
    tracking.TrackerState`): the object ids, and snapshots for undo."""

    sink: FeatureSink | None = None

    def __setitem__(self, key: Any, value: Any) -> None:
        sink = self.sink
        if key == "cached_features" and sink is not None and value is not sink:
            for frame, features in value.items():
                sink.put(frame, features)
            return
        super().__setitem__(key, value)

    @property
    def object_ids(self) -> list[int]:
        return list(self["obj_ids"])

    def snapshot(self) -> dict[str, Any]:
        """The editable part: dicts copied, tensors shared (sam2 replaces tensors
        rather than writing into them, so a snapshot costs only the structure)."""
        return {k: _copy_tree(self[k]) for k in EDITABLE_KEYS}

    def restore(self, snap: dict[str, Any]) -> None:
        for k in EDITABLE_KEYS:
            self[k] = _copy_tree(snap[k])

    def empty(self) -> None:
        """No object at all (before a saved state is put back)."""
        for k in EDITABLE_KEYS:
            self[k] = type(self[k])()
        self["obj_ids"] = []


def new_inference_state(
    images: Any,
    height: int,
    width: int,
    device: torch.device,
    offload_video: bool,
    offload_state: bool,
    features: FeatureSink | None = None,
) -> SamState:
    """``features``: keep the image features of many frames (else sam2's one frame)."""
    state = SamState(
        {
            "images": images,
            "num_frames": len(images),
            "offload_video_to_cpu": offload_video,
            "offload_state_to_cpu": offload_state,
            "video_height": height,
            "video_width": width,
            "device": device,
            "storage_device": torch.device("cpu") if offload_state else device,
            "point_inputs_per_obj": {},
            "mask_inputs_per_obj": {},
            "cached_features": features if features is not None else {},
            "constants": {},
            "obj_id_to_idx": OrderedDict(),
            "obj_idx_to_id": OrderedDict(),
            "obj_ids": [],
            "output_dict_per_obj": {},
            "temp_output_dict_per_obj": {},
            "frames_tracked_per_obj": {},
        }
    )
    state.sink = features
    return state


def _copy_tree(value: Any) -> Any:
    """Copy dicts and lists down to the tensors, which are shared."""
    if isinstance(value, dict):
        return type(value)((k, _copy_tree(v)) for k, v in value.items())
    if isinstance(value, list):
        return [_copy_tree(v) for v in value]
    return value


def snapshot_state(state: dict[str, Any]) -> dict[str, Any]:
    return {k: _copy_tree(state[k]) for k in EDITABLE_KEYS}


def restore_state(state: dict[str, Any], snap: dict[str, Any]) -> None:
    for k in EDITABLE_KEYS:
        state[k] = _copy_tree(snap[k])


def output_of(state: dict[str, Any], obj_idx: int, frame: int) -> dict[str, Any] | None:
    """SAM2's latest output for this object on this frame, looked up in the order
    sam2 itself uses (the temporary outputs of clicks first), or None."""
    temp = state["temp_output_dict_per_obj"][obj_idx]
    out = state["output_dict_per_obj"][obj_idx]
    for d in (
        temp["cond_frame_outputs"],
        temp["non_cond_frame_outputs"],
        out["cond_frame_outputs"],
        out["non_cond_frame_outputs"],
    ):
        if frame in d:
            return d[frame]
    return None


def has_output(state: dict[str, Any], obj_idx: int, frame: int) -> bool:
    """Whether SAM2 holds any mask for this object on this frame."""
    return output_of(state, obj_idx, frame) is not None


def object_score(state: dict[str, Any], obj_idx: int, frame: int) -> float:
    """SAM2's object score logit for this object on this frame (NaN: none held)."""
    out = output_of(state, obj_idx, frame)
    score = None if out is None else out.get("object_score_logits")
    return float("nan") if score is None else float(score.reshape(-1)[0])


def base_of(state: dict[str, Any], frame: int, label: int) -> tuple[Any, Any]:
    """The object's tracking output and sam2's tracked mark on ``frame`` (each None
    when there is none): what it had there before its first prompt."""
    idx = state["obj_id_to_idx"].get(label)
    if idx is None:
        return None, None
    output = state["output_dict_per_obj"][idx]["non_cond_frame_outputs"].get(frame)
    tracked = state["frames_tracked_per_obj"][idx].get(frame)
    return output, None if tracked is None else dict(tracked)


def reset_to_base(state: dict[str, Any], frame: int, label: int, output: Any, tracked: Any) -> None:
    """After sam2's ``clear_all_prompts_in_frame``: the object's output and tracked
    mark on ``frame`` as they were before its first prompt there (none if never
    tracked). sam2 itself keeps the corrected mask as a tracking output instead."""
    idx = state["obj_id_to_idx"][label]
    non_cond = state["output_dict_per_obj"][idx]["non_cond_frame_outputs"]
    marks = state["frames_tracked_per_obj"][idx]
    non_cond.pop(frame, None)
    marks.pop(frame, None)
    if output is not None:
        non_cond[frame] = output
    if tracked is not None:
        marks[frame] = dict(tracked)


def release_outside_window(state: dict[str, Any], current: int, window: int) -> int:
    """Drop non-conditioning outputs not within ``window`` of the current frame or of
    any conditioning (prompted) frame; returns how many were dropped.

    Frames near a prompted frame are kept because a later pass in the other direction
    (propagate both ways, or reverse after forward) starts there and reads them.
    """
    return release_outputs(state["output_dict_per_obj"].values(), current, window)


def release_outputs(outputs: Iterable[dict[str, Any]], current: int, window: int) -> int:
    """:func:`release_outside_window` over the objects' output dicts (the layout
    sam2 and transformers' EdgeTAM share: ``cond_frame_outputs`` and
    ``non_cond_frame_outputs`` by frame)."""
    outputs = list(outputs)
    anchors = {current}
    for obj in outputs:
        anchors.update(obj["cond_frame_outputs"])
    dropped = 0
    for obj in outputs:
        non_cond = obj["non_cond_frame_outputs"]
        stale = [t for t in non_cond if all(abs(t - a) > window for a in anchors)]
        for t in stale:
            del non_cond[t]
        dropped += len(stale)
    return dropped


def memory_reach(predictor: Any, num_frames: int | None = None) -> int:
    """How many frames back (in the tracking direction) SAM2's memory attention
    reads: mask memories of the last ``num_maskmem - 1`` frames at the evaluation
    stride, and object pointers of up to ``max_obj_ptrs_in_encoder - 1`` frames
    (fewer in a shorter video). The one formula for the correction cache's
    fingerprints and the low modes' release window."""
    stride = int(getattr(predictor, "memory_temporal_stride_for_eval", 1))
    masks = 1 + max(0, int(predictor.num_maskmem) - 2) * stride
    pointers = 0
    if getattr(predictor, "use_obj_ptrs_in_encoder", False):
        most = int(predictor.max_obj_ptrs_in_encoder)
        pointers = (most if num_frames is None else min(num_frames, most)) - 1
    return max(masks, pointers)
