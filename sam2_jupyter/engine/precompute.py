"""The Session's image features: the in-memory cache, the disk store, and the
background precompute that fills them (see :mod:`.features`, :mod:`.feature_store`).

A mixin of :class:`~sam2_jupyter.Session`, kept apart so that module stays about
SAM2 and editing.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch

from ..models import inference
from .feature_store import FeatureStore, default_feature_dir, model_key
from .prompts import check_frame

if TYPE_CHECKING:
    import threading

    from ..models import Model
    from .features import FeatureCache
    from .frames import SamFrames


class SessionFeatures:
    """Mixed into :class:`~sam2_jupyter.Session`."""

    features: FeatureCache | None
    model: Model
    n_frames: int
    predictor: Any
    _frames: SamFrames
    _state: dict[str, Any]
    _lock: threading.RLock
    _busy: bool
    _on_disk: set[int]

    def _feature_store(self, feature_dir: str | Path | bool | None) -> FeatureStore | None:
        if feature_dir is None or feature_dir is False:
            return None
        root = default_feature_dir() if feature_dir is True else Path(feature_dir)
        m = self.model
        numerics = "bfloat16" if m.precision == "bf16" else "float32"
        if m.compiled:
            numerics += "+compiled"  # other kernels round differently
        key = model_key(m.predictor, m.image_size, m.device, numerics)
        return FeatureStore(root, key, self._frames.uint8, self._model_image, m.device)

    def precompute_order(self, center: int = 0) -> list[int]:
        """Frames whose features are not ready yet, nearest to ``center`` first."""
        if self.features is None:
            return []
        ready = self._on_disk
        todo = [t for t in range(self.n_frames) if t not in self.features and t not in ready]
        return sorted(todo, key=lambda t: (abs(t - center), t))

    def features_ready(self) -> int:
        """Frames whose features are in memory or on disk (as far as checked)."""
        if self.features is None:
            return 0
        return len(self._on_disk.union(t for t, _ in self.features.items()))

    def precompute_frame(self, t: int) -> bool:
        """Make frame ``t``'s image features ready, exactly as sam2 computes them on
        its first visit: loaded from the disk store when there, else computed.

        Memory holds frames up to its budget; beyond it, with a disk store, frames
        are computed to disk only, so nothing nearer to where the user works is
        evicted. Returns False (and does nothing) when there is no cache, it is busy
        propagating, or the memory budget is reached and there is no disk store.
        """
        t = check_frame(t, self.n_frames)
        with self._lock:
            cache = self.features
            if cache is None or self._busy or t in cache:
                return False
            room = not cache.full
            if cache.store is not None and t in cache.store:
                if room:
                    cache.get(t)
                self._on_disk.add(t)
                return True
            if not room and cache.store is None:
                return False
            with inference(self.model):
                image = self._model_image(t)
                backbone_out = self.predictor.forward_image(image)
            cache.put(t, (image, backbone_out), keep=room)
            if cache.store is not None:
                self._on_disk.add(t)
            return True

    def _model_image(self, t: int) -> torch.Tensor:
        # As sam2's _get_image_feature builds it.
        return self._state["images"][t].to(self.model.device).float().unsqueeze(0)

    def flush_features(self) -> None:
        """Wait until computed features are written to the disk store (if any)."""
        if self.features is not None and self.features.store is not None:
            self.features.store.flush()
