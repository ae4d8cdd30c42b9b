"""A session's image features: the in-memory cache, the disk store, and the
background precompute that fills them (see :mod:`.cache`, :mod:`.store`)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import torch

from ..._sam2 import install
from ..._sam2.patches import pausing
from ...models import Model, inference
from ..prompts import check_frame
from .budget import feature_budget, parse_budget
from .cache import FeatureCache
from .keys import default_feature_dir, model_key
from .store import FeatureStore

if TYPE_CHECKING:
    from ..frames import SamFrames


class Locked(Protocol):
    """What the precompute needs of the session's core: its lock, and whether a
    propagation runs (then it waits)."""

    lock: Any
    busy: bool


def feature_store(
    model: Model, frames: SamFrames, feature_dir: str | Path | bool | None
) -> FeatureStore | None:
    """The disk store for this model and these frames (None: no ``feature_dir``)."""
    if feature_dir is None or feature_dir is False:
        return None
    root = default_feature_dir() if feature_dir is True else Path(feature_dir)
    numerics = "bfloat16" if model.precision == "bf16" else "float32"
    if model.compiled:
        numerics += "+compiled"  # other kernels round differently
    key = model_key(model.predictor, model.image_size, model.device, numerics)

    def image(t: int) -> torch.Tensor:  # as sam2's _get_image_feature builds it
        return frames[t].to(model.device).float().unsqueeze(0)

    return FeatureStore(root, key, frames.uint8, image, model.device)


def feature_cache(
    budget: int | str | None, low: bool, model: Model, store: FeatureStore | None
) -> FeatureCache | None:
    """``budget`` bytes ("auto": a quarter of the free memory in normal mode, sam2's
    one frame in the low modes); None when neither memory nor disk keeps features."""
    budget = parse_budget(budget, "feature_cache")
    if budget == "auto":
        budget = None if low else feature_budget(model.device)
    return FeatureCache(budget or 0, store) if budget or store else None


class FeaturePrecompute:
    """Computes image features ahead of the user, exactly as sam2 does on a first
    visit, into the session's cache (and disk store). Owns which frames it found or
    wrote on disk. The encode runs outside the session's lock, with pause points
    between the encoder's layers (:mod:`.pausing`), so the user's edits never wait
    for it; the lock is held only to check and to insert."""

    def __init__(
        self,
        core: Locked,
        model: Model,
        frames: SamFrames,
        cache: FeatureCache | None,
        encode: Callable[[torch.Tensor], Any] | None = None,
    ) -> None:
        self.core = core
        self.model = model
        self.frames = frames
        self.cache = cache
        # Another tracker's encoder (EdgeTAM's): what it keeps for a (1, 3, S, S) image.
        # It has no pause points: a background encode finishes its frame first.
        self.encode = encode
        self.on_disk: set[int] = set()
        if cache is not None and encode is None:  # SAM2's: its adapter puts pause points in
            install(model.predictor)

    def order(self, center: int = 0) -> list[int]:
        """Frames whose features are not ready yet, nearest to ``center`` first."""
        if self.cache is None:
            return []
        with self.core.lock:
            todo = [
                t for t in range(len(self.frames)) if t not in self.cache and t not in self.on_disk
            ]
        return sorted(todo, key=lambda t: (abs(t - center), t))

    def ready(self) -> int:
        """Frames whose features are in memory or on disk (as far as checked)."""
        if self.cache is None:
            return 0
        with self.core.lock:
            return len(self.on_disk.union(t for t, _ in self.cache.items()))

    def frame(self, t: int, pause: Callable[[], None] | None = None) -> bool:
        """Make frame ``t``'s features ready: loaded from the disk store when there,
        else computed. Memory holds frames up to its budget; beyond it, with a disk
        store, frames are computed to disk only, so nothing nearer to where the user
        works is evicted. False (nothing done): no cache, busy propagating, or the
        budget is reached and there is no disk store.

        ``pause`` is called between the encoder's layers on this thread; it may
        block while the user works, or raise to abandon the frame (nothing is kept)."""
        t = check_frame(t, len(self.frames))
        cache = self.cache
        with self.core.lock:
            if not self._wanted(t):
                return False
            assert cache is not None
            if cache.store is not None and t in cache.store:
                if not cache.full:
                    cache.get(t)
                self.on_disk.add(t)
                return True
        with pausing(pause), inference(self.model):
            image = self.frames[t].to(self.model.device).float().unsqueeze(0)
            if self.encode is not None:
                value = self.encode(image)
            else:
                value = (image, self.model.predictor.forward_image(image))
        with self.core.lock:
            if t in cache:  # the user's own click encoded it meanwhile
                return True
            if not self._wanted(t):
                return False
            cache.put(t, value, keep=not cache.full)
            if cache.store is not None:
                self.on_disk.add(t)
            return True

    def _wanted(self, t: int) -> bool:
        """Whether frame ``t`` should be made ready now (the caller holds the lock)."""
        cache = self.cache
        if cache is None or self.core.busy or t in cache:
            return False
        return not cache.full or cache.store is not None

    def flush(self) -> None:
        """Wait until computed features are written to the disk store (if any)."""
        if self.cache is not None and self.cache.store is not None:
            self.cache.store.flush()
