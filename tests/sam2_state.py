"""The helpers that know sam2's inference-state keys (so tests do not), and sam2's
predictor driven directly, as a script would, to compare with a Session."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from sam2_jupyter.engine import composite


def reference_state(model: Any, jpeg_folder: Any) -> dict[str, Any]:
    """sam2's own init_state on a JPEG folder (sam2's loader and preprocessing)."""
    return model.predictor.init_state(video_path=str(jpeg_folder))


def ref_labels(obj_ids: list[int], masks: torch.Tensor) -> np.ndarray:
    """sam2's returned logits turned into labels by the documented overlap rule."""
    return composite(masks[:, 0].float().cpu().numpy(), list(obj_ids))


def ref_click(
    model: Any,
    state: dict[str, Any],
    frame: int,
    y: float,
    x: float,
    obj: int,
    positive: bool = True,
) -> np.ndarray:
    _, ids, masks = model.predictor.add_new_points_or_box(
        state,
        frame_idx=frame,
        obj_id=obj,
        points=[[x, y]],
        labels=[int(positive)],
        clear_old_points=False,
    )
    return ref_labels(ids, masks)


def ref_batch(
    model: Any,
    state: dict[str, Any],
    frame: int,
    obj: int,
    points: list[tuple[float, float, bool]],
    box: tuple[float, ...] | None = None,
) -> np.ndarray:
    """points as (y, x, positive); box as (y0, x0, y1, x1)."""
    _, ids, masks = model.predictor.add_new_points_or_box(
        state,
        frame_idx=frame,
        obj_id=obj,
        points=[[x, y] for y, x, _ in points] or None,
        labels=[int(p) for _, _, p in points] or None,
        clear_old_points=True,
        box=None if box is None else [box[1], box[0], box[3], box[2]],
    )
    return ref_labels(ids, masks)


def ref_propagate(model: Any, state: dict[str, Any], **kwargs: Any) -> dict[int, np.ndarray]:
    out = {}
    for t, ids, masks in model.predictor.propagate_in_video(state, **kwargs):
        out[t] = ref_labels(ids, masks)
    return out


def assert_same_outputs(ours: dict[str, Any], ref: dict[str, Any]) -> int:
    """Every mask logit SAM2 holds, per object and frame, is bit-identical.

    Returns how many outputs were compared (so a test can insist there were some).
    """
    assert list(ours["obj_ids"]) == list(ref["obj_ids"])
    n = 0
    for key in ("output_dict_per_obj", "temp_output_dict_per_obj"):
        for idx in ref[key]:
            for kind in ("cond_frame_outputs", "non_cond_frame_outputs"):
                a, b = ours[key][idx][kind], ref[key][idx][kind]
                common = set(a) & set(b)
                for t in common:
                    assert torch.equal(a[t]["pred_masks"], b[t]["pred_masks"]), (key, idx, kind, t)
                    assert torch.equal(a[t]["obj_ptr"], b[t]["obj_ptr"]), (key, idx, kind, t)
                    n += 1
    return n


def cond_frames(state: dict[str, Any]) -> dict[int, set[int]]:
    """Per object id, the frames SAM2 holds a conditioning output for (tracked or
    not yet consolidated): the frames propagation keeps and tracks from."""
    out = {}
    for idx, obj_id in state["obj_idx_to_id"].items():
        frames = set(state["output_dict_per_obj"][idx]["cond_frame_outputs"])
        frames |= set(state["temp_output_dict_per_obj"][idx]["cond_frame_outputs"])
        out[int(obj_id)] = frames
    return out


def tracked(state: dict[str, Any], label: int) -> dict[int, bool]:
    """Frames sam2 marks as tracked for ``label`` (frame -> tracked in reverse)."""
    idx = state["obj_id_to_idx"][label]
    return {t: v["reverse"] for t, v in state["frames_tracked_per_obj"][idx].items()}


def held_outputs(state: dict[str, Any], label: int) -> int:
    """How many non-conditioning (tracking) outputs sam2 holds for ``label``."""
    idx = state["obj_id_to_idx"][label]
    return len(state["output_dict_per_obj"][idx]["non_cond_frame_outputs"])


def frame_tensor(state: dict[str, Any], t: int) -> torch.Tensor:
    """The model-ready frame ``t`` sam2 reads."""
    return state["images"][t]


def object_ids(state: dict[str, Any]) -> list[int]:
    return list(state["obj_ids"])


def storage_device(state: dict[str, Any]) -> torch.device:
    return state["storage_device"]


def presence(state: dict[str, Any]) -> dict[tuple[int, int], float]:
    """(frame, label) → sigmoid of the object score logit sam2 holds for it."""
    out = {}
    for idx, obj_id in state["obj_idx_to_id"].items():
        for kind in ("cond_frame_outputs", "non_cond_frame_outputs"):
            for t, o in state["output_dict_per_obj"][idx][kind].items():
                out[(t, int(obj_id))] = float(torch.sigmoid(o["object_score_logits"]).item())
    return out


def ref_mask(
    model: Any, state: dict[str, Any], frame: int, obj: int, mask: np.ndarray
) -> np.ndarray:
    """sam2's add_new_mask driven directly; the labels from its returned logits."""
    _, ids, masks = model.predictor.add_new_mask(state, frame_idx=frame, obj_id=obj, mask=mask)
    return ref_labels(ids, masks)


def state_of(session: Any) -> dict[str, Any]:
    """sam2's inference state of a Session: the tracker state its core owns (the
    tests' one reach into it, beside the helpers that read its keys)."""
    return session._core.sam
