"""A per-frame cache of SAM2 image-encoder outputs within a byte budget.

sam2's video predictor keeps the image features of only the last frame it visited,
so a click on another frame and every frame of every propagation pay a full
image-encoder pass. Users prompt, propagate, re-prompt and re-propagate the same
frames many times; keeping features lets those passes be skipped. The features are
exactly what sam2 computes (the same call on the same input), so masks do not
change.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

import torch

from .store import FeatureStore


def _nbytes(value: Any) -> int:
    if isinstance(value, torch.Tensor):
        return value.numel() * value.element_size()
    if isinstance(value, dict):
        return sum(_nbytes(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return sum(_nbytes(v) for v in value)
    return 0


# Where a frame's position encodings are: sam2's (image, backbone_out) entries, or
# another tracker's dict of features (EdgeTAM's, as transformers caches them).
_SAM2_KEY, _DICT_KEY = "vision_pos_enc", "vision_pos_embeds"


def _encodings(value: Any) -> list[torch.Tensor] | None:
    """A cached value's position encodings (None: it has none we know of)."""
    if isinstance(value, dict):
        found = value.get(_DICT_KEY)
    elif isinstance(value, tuple) and len(value) == 2 and isinstance(value[1], dict):
        found = value[1].get(_SAM2_KEY)
    else:
        return None
    return list(found) if isinstance(found, (list, tuple)) else None


def _with_encodings(value: Any, shared: list[torch.Tensor]) -> Any:
    if isinstance(value, dict):
        return {**value, _DICT_KEY: shared}
    image, backbone_out = value
    return image, {**backbone_out, _SAM2_KEY: shared}


def _holds(value: Any, tensor: torch.Tensor) -> bool:
    """Whether ``tensor`` (the very object) is among the position encodings."""
    return any(p is tensor for p in _encodings(value) or ())


class FeatureCache:
    """LRU of ``frame -> (image, backbone_out)`` entries, as sam2 stores them.

    It answers ``get(frame, default)`` like the dict sam2 keeps in its inference
    state; the adapter's ``SamState`` routes sam2's writes into :meth:`put`.
    """

    def __init__(self, budget_bytes: int, store: FeatureStore | None = None) -> None:
        self.budget_bytes = int(budget_bytes)
        self.store = store
        self._entries: OrderedDict[int, tuple[Any, int]] = OrderedDict()
        self._lock = threading.Lock()
        self._positions: dict[Any, torch.Tensor] = {}
        self.nbytes = 0
        self.hits = 0
        self.misses = 0

    def get(self, frame: int, default: Any = None) -> Any:
        with self._lock:
            entry = self._entries.get(frame)
            if entry is not None:
                self._entries.move_to_end(frame)
                self.hits += 1
                return entry[0]
        value = self.store.load(frame) if self.store is not None else None
        if value is None:
            with self._lock:
                self.misses += 1
            return default
        self._keep(frame, value)
        with self._lock:
            self.hits += 1
        return value

    def known(self, frame: int) -> bool:
        """In memory or on disk."""
        return frame in self or (self.store is not None and frame in self.store)

    def _share_positions(self, value: Any) -> Any:
        """Position encodings depend only on the feature-map size, yet sam2 builds
        a copy for every frame (half of the bytes; EdgeTAM's are 84 of 100 MiB at
        1024 px). Equal ones are replaced by one shared tensor, so each frame stores
        only its own features."""
        encodings = _encodings(value)
        if encodings is None:
            return value
        shared = []
        for pos in encodings:
            key = (tuple(pos.shape), pos.dtype, pos.device)
            known = self._positions.get(key)
            if known is not None and torch.equal(known, pos):
                shared.append(known)
            else:
                self._positions.setdefault(key, pos)
                shared.append(pos)
        return _with_encodings(value, shared)

    def put(self, frame: int, value: Any, keep: bool = True) -> None:
        """Keep freshly computed features (and queue them for disk, if any).
        ``keep=False``: to disk only, for frames that would not fit in memory."""
        if self.store is not None:
            self.store.save(frame, value)
        if keep:
            self._keep(frame, value)

    @property
    def full(self) -> bool:
        """One more frame (of the average size so far) would exceed the budget."""
        if not self._entries:
            return self.budget_bytes <= 0
        per_frame = self.nbytes / len(self._entries)
        return self.nbytes + per_frame > self.budget_bytes

    def _keep(self, frame: int, value: Any) -> None:
        value = self._share_positions(value)
        # Shared position encodings are not this frame's bytes.
        size = _nbytes(value) - sum(
            _nbytes(p) for p in self._positions.values() if _holds(value, p)
        )
        with self._lock:
            old = self._entries.pop(frame, None)
            if old is not None:
                self.nbytes -= old[1]
            self._entries[frame] = (value, size)
            self.nbytes += size
            # Evict least recently used frames, but always keep the newest one:
            # sam2 reads it right after writing it.
            while self.nbytes > self.budget_bytes and len(self._entries) > 1:
                _, (_, freed) = self._entries.popitem(last=False)
                self.nbytes -= freed

    def __contains__(self, frame: object) -> bool:
        return frame in self._entries

    def __len__(self) -> int:
        return len(self._entries)

    def items(self) -> list[tuple[int, Any]]:
        with self._lock:
            return [(k, v[0]) for k, v in self._entries.items()]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self.nbytes = 0
