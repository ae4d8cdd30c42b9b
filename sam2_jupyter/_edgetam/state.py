"""What the EdgeTAM adapter keeps per video: transformers' inference session with
lazily prepared frames, the Session's feature cache in place of transformers' own,
and undo snapshots of the session's tables."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch


class LazyFrames:
    """The session's frames as transformers' session reads them (``len`` and
    ``[t]``): prepared one at a time when asked, never all in memory."""

    def __init__(self, frames: Sequence[torch.Tensor]) -> None:
        self.frames = frames

    def __len__(self) -> int:
        return len(self.frames)

    def __getitem__(self, t: int) -> torch.Tensor:
        # Contiguous, as transformers' processor hands frames over: the Session's are a
        # channels-last view of the decoded image, which would send every convolution
        # of EdgeTAM's RepViT encoder down the slower channels-last path.
        return self.frames[t].contiguous()


def _copy_tree(value: Any) -> Any:
    """Dicts and lists copied down to the tensors, which are shared (never changed
    in place: outputs are replaced, not edited)."""
    if isinstance(value, dict):
        return type(value)((k, _copy_tree(v)) for k, v in value.items())
    if isinstance(value, list):
        return [_copy_tree(v) for v in value]
    return value


_TRACKING = (
    "_obj_id_to_idx",
    "_obj_idx_to_id",
    "obj_ids",
    "point_inputs_per_obj",
    "mask_inputs_per_obj",
    "output_dict_per_obj",
    "frames_tracked_per_obj",
    "obj_with_new_inputs",
)


class SessionFeatures:
    """transformers' per-session feature cache (``get_vision_features`` /
    ``cache_vision_features``) answered by the Session's image-feature cache, so the
    frames a propagation or the background precompute encoded are not encoded again
    for a click (transformers alone keeps the last frame)."""

    def __init__(self, cache: Any) -> None:
        self.cache = cache

    def get_vision_features(self, frame_idx: int) -> dict[str, Any] | None:
        return self.cache.get(int(frame_idx))

    def cache_vision_features(self, frame_idx: int, features: dict[str, Any]) -> None:
        self.cache.put(int(frame_idx), features)

    def clear_all(self) -> None:
        self.cache.clear()


class EdgeTamState:
    """One video's transformers inference session (``session``)."""

    def __init__(self, session: Any) -> None:
        self.session = session

    @property
    def object_ids(self) -> list[int]:
        return list(self.session.obj_ids)

    def snapshot(self) -> Any:
        return {name: _copy_tree(getattr(self.session, name)) for name in _TRACKING}

    def restore(self, snap: Any) -> None:
        for name in _TRACKING:
            setattr(self.session, name, _copy_tree(snap[name]))
