"""SAM2 inference state built around our frame sequence, and snapshots of it.

The dict mirrors what ``SAM2VideoPredictor.init_state`` builds (sam2 1.1.0) with our
lazily decoded frames in place of a tensor of every frame.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

import torch

from .features import FeatureCache, SamState

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


def has_output(state: dict[str, Any], obj_idx: int, frame: int) -> bool:
    """Whether SAM2 holds any mask for this object on this frame."""
    temp = state["temp_output_dict_per_obj"][obj_idx]
    out = state["output_dict_per_obj"][obj_idx]
    return any(
        frame in d
        for d in (
            temp["cond_frame_outputs"],
            temp["non_cond_frame_outputs"],
            out["cond_frame_outputs"],
            out["non_cond_frame_outputs"],
        )
    )
