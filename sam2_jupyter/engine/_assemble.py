"""A Session's collaborators, built in the one order that works.

The order matters, and this is the one place it is written down:

1. the frames (the tracker's input) exist before the disk feature store, which
   keys entries by their pixels;
2. the feature cache (memory and disk) before the tracker state, which routes the
   model's image features into it;
3. the core (lock, labels, record) before everything that changes it;
4. the tracker state, then the correction cache over it, before the guard, which
   opens that cache around every model call;
5. the engine tracker before the autosave, which resends prompts through it;
6. the autosave listens to the core last, and opens (and perhaps resumes) only
   once everything else is in place.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from ..io import Stack
from .autosave import Resumer, SavedSession
from .core import SessionCore
from .features import (
    CorrectionCache,
    FeatureCache,
    FeaturePrecompute,
    correction_cache_for,
    feature_store,
)
from .features import feature_cache as make_feature_cache
from .frames import SamFrames
from .guard import Guard
from .labels import LabelStore
from .memory import MemoryMode, window_for
from .propagation import Propagator
from .tracker import Tracker
from .tracking import tracker_of


@dataclass(frozen=True)
class Parts:
    """What a Session is made of (each part documented in its module)."""

    frames: SamFrames
    features: FeatureCache | None
    core: SessionCore
    tracker: Tracker
    precompute: FeaturePrecompute
    corrections: CorrectionCache
    guard: Guard
    propagator: Propagator
    saving: Resumer


def assemble(
    stack: Stack,
    model: Any,
    mode: MemoryMode,
    *,
    history: int,
    feature_cache: int | str | None,
    feature_dir: str | Path | bool | None,
    correction_cache: int | str | None,
) -> Parts:
    """Build a Session's parts for ``stack`` on ``model`` (see the module docstring
    for why in this order). The autosave is built, not opened (:func:`open_saving`)."""
    low = mode.frame_cache is not None
    model_tracker = tracker_of(model)
    cache_device = torch.device("cpu") if low else model.device
    frames = SamFrames(stack, model.image_size, model.device, mode.frame_cache, cache_device)
    caches = model_tracker.caches_features  # SAM2's encoder and memory attention
    # Another tracker may keep its own image features in the in-memory cache (an
    # ``encode`` of its own); the disk store and correction cache hold SAM2's only.
    keeps = caches or getattr(model_tracker, "encode", None) is not None
    if feature_dir and not caches:
        raise ValueError(
            f"feature_dir= stores SAM2's image features on disk; {model_tracker.name} keeps "
            "its features in memory only (feature_cache=): leave feature_dir out"
        )
    store = feature_store(model, frames, feature_dir) if caches else None
    features = make_feature_cache(feature_cache if keeps else None, low, model, store)
    h, w = stack.frame_shape
    core = SessionCore(LabelStore(stack.n_frames, (h, w)), history)
    core.sam = model_tracker.new_state(
        frames,
        h,
        w,
        device=model.device,
        offload_video=low,
        offload_state=mode.offload_state,
        features=features,
    )
    tracker = Tracker(core, model_tracker, (h, w))
    encode = None if caches else getattr(model_tracker, "encode", None)
    precompute = FeaturePrecompute(core, model, frames, features, encode)
    storage = torch.device("cpu") if mode.offload_state else model.device
    depth = model_tracker.memory_reach(stack.n_frames)
    budget = correction_cache if caches else None
    corrections = correction_cache_for(budget, core.sam, depth, storage, low, store)
    guard = Guard(core, model, mode.name, corrections)
    saving = Resumer(core, model, stack, tracker.send)
    window = window_for(model_tracker.memory_reach()) if mode.release_outputs else None
    propagator = Propagator(core, tracker, guard, saving, window)
    core.on_change.append(saving.sync)
    return Parts(
        frames, features, core, tracker, precompute, corrections, guard, propagator, saving
    )


def open_saving(
    parts: Parts,
    autosave: str | Path | bool | None,
    resume: bool,
    read_only: bool,
    carry: SavedSession | None,
) -> None:
    """Open the session folder (or take over ``carry``), once every part exists."""
    if autosave or carry:
        parts.saving.open(autosave or None, resume, read_only, carry)
