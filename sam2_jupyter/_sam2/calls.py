"""The private sam2 methods this project calls, each in one place.

sam2's public calls return masks only for the object just prompted (or the frame
just tracked); after a removal, the frame's labels need every object's mask as sam2
would consolidate it, and a resume must register objects as sam2 does. These are
sam2 1.1.0's private methods for that (pinned by ``tests/test_sam2_surface.py``).
"""

from __future__ import annotations

from typing import Any

import torch


def frame_masks(predictor: Any, state: dict[str, Any], frame: int) -> torch.Tensor:
    """Every object's mask logits on ``frame`` at the video's resolution, as sam2
    consolidates them for its own outputs: (objects, 1, H, W)."""
    is_cond = any(
        frame in d["cond_frame_outputs"] for d in state["temp_output_dict_per_obj"].values()
    )
    out = predictor._consolidate_temp_output_across_obj(
        state, frame, is_cond=is_cond, consolidate_at_video_res=True
    )
    _, masks = predictor._get_orig_video_res_output(state, out["pred_masks_video_res"])
    return masks


def object_index(predictor: Any, state: dict[str, Any], obj_id: int) -> int:
    """sam2's index of object ``obj_id``, registering it as sam2 does when new."""
    return int(predictor._obj_id_to_idx(state, obj_id))
