"""SAM2 inference state built around our frame sequence, and snapshots of it.

The dict mirrors what ``SAM2VideoPredictor.init_state`` builds (sam2 1.1.0) with our
lazily decoded frames in place of a tensor of every frame.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from .features import FeatureCache, SamState
from .labels import pack_mask, unpack_mask

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


def new_inference_state(
    images: Any,
    height: int,
    width: int,
    device: torch.device,
    offload_video: bool,
    offload_state: bool,
    features: FeatureCache | None = None,
) -> dict[str, Any]:
    """``features``: keep the image features of many frames (else sam2's one frame)."""
    return SamState(
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


def _copy_tree(value: Any) -> Any:
    """Copy dicts and lists down to the tensors, which are shared.

    sam2 replaces tensors rather than writing into them, so sharing them is safe
    and a snapshot costs only the dict structure.
    """
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


@dataclass(frozen=True)
class Base:
    """What an object had on a frame before its first prompt there.

    Removing prompts replays the remaining ones from here, so they correct the
    tracked mask as they did when given; removing the last one brings the frame back
    to it. ``output`` is SAM2's tracking output (shared, never copied), ``tracked``
    sam2's ``frames_tracked_per_obj`` entry; ``pixels`` (packed bits, zlib) keeps the
    object's labels where SAM2 held no output (a frame released in a low mode).
    """

    output: dict[str, Any] | None = None
    tracked: dict[str, Any] | None = None
    pixels: bytes | None = None


def capture_base(state: dict[str, Any], frame: int, label: int, labels: np.ndarray) -> Base:
    idx = state["obj_id_to_idx"].get(label)
    output = tracked = None
    if idx is not None:
        output = state["output_dict_per_obj"][idx]["non_cond_frame_outputs"].get(frame)
        tracked = state["frames_tracked_per_obj"][idx].get(frame)
    pixels = None
    if output is None:
        mine = labels == label
        if mine.any():
            pixels = pack_mask(mine)
    return Base(output, None if tracked is None else dict(tracked), pixels)


def reset_to_base(state: dict[str, Any], frame: int, label: int, base: Base | None) -> None:
    """After sam2's ``clear_all_prompts_in_frame``: the object's output and tracked
    mark on ``frame`` as they were before its first prompt there (none if never
    tracked). sam2 itself keeps the corrected mask as a tracking output instead."""
    idx = state["obj_id_to_idx"][label]
    non_cond = state["output_dict_per_obj"][idx]["non_cond_frame_outputs"]
    tracked = state["frames_tracked_per_obj"][idx]
    non_cond.pop(frame, None)
    tracked.pop(frame, None)
    if base is not None and base.output is not None:
        non_cond[frame] = base.output
    if base is not None and base.tracked is not None:
        tracked[frame] = dict(base.tracked)


def base_pixels(base: Base, shape: tuple[int, int]) -> np.ndarray:
    """The object's saved pixels on the frame as a boolean (Y, X) mask."""
    if base.pixels is None:
        return np.zeros(shape, bool)
    return unpack_mask(base.pixels, shape)
