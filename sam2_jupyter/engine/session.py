"""The Session: prompts, SAM2 state, propagation and labels for one frame sequence.

It drives sam2's own ``SAM2VideoPredictor`` with exactly the calls a script would
make (so its masks equal sam2's, which the parity tests check), and adds what an
annotation tool needs around it: validated input, a label volume, exact undo/redo,
cancellable streaming propagation, corrections that stick, bounded-memory modes,
autosave and exports. This class validates, opens a transaction on the
:class:`~.core.SessionCore` (the one owner of the state, whose docstring states the
lock rule) and delegates; :meth:`cancel` is the one call meant for another thread.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import torch

from .._words import plural
from ..errors import PromptError
from ..io import Stack, open_stack
from ..models import Model
from . import editing
from ._compat import direction_from, positional_flags
from .autosave import Resumer, SavedSession
from .core import SessionCore
from .features import FeaturePrecompute, feature_store, install
from .features import feature_cache as make_feature_cache
from .features.conditioned import correction_cache_for
from .files import SessionFiles
from .frames import SamFrames
from .guard import Guard
from .labels import LabelStore
from .masks import check_label_image, check_mask, read_label_volume
from .memory import MemoryMode, memory_window, release_outside_window
from .prompts import (
    BoxPrompt,
    PointPrompt,
    Prompt,
    check_box,
    check_frame,
    check_label,
    check_point,
    check_prompt,
)
from .propagation import Propagation, make_plan, run
from .quality import QualityMatrix, QualityRules, quality_table
from .replay import batch_by_key
from .saving import SessionSaving
from .state import new_inference_state
from .tracker import Tracker


class Session(SessionFiles, SessionSaving):
    """Interactive SAM2 segmentation and tracking of one sequence of frames.

    Parameters
    ----------
    stack
        A :class:`~sam2_jupyter.io.Stack` or anything :func:`open_stack` accepts.
    model
        From :func:`~sam2_jupyter.load_model`.
    memory_mode
        "normal", "low" or "super-low" (see :class:`MemoryMode`). Low modes give the
        same propagation masks with memory that does not grow with the video length.
    auto_segment
        True: each point or box is segmented at once, conditioned on the masks of the
        previous clicks (SAM2's interactive refinement). False: prompts wait until
        :meth:`segment`, which sends each label's prompts on a frame together.
    history
        How many edits :meth:`undo` can take back.
    feature_cache
        Bytes of image-encoder outputs to keep, so that clicks on visited frames and
        re-propagation skip the image encoder (masks are identical). "auto": a
        quarter of the free memory where the model runs (at most 8 GiB) in normal
        mode; in the low modes only the last frame, as sam2 does. None: off.
    feature_dir
        Also keep image features on disk (Zarr), keyed by the model and each
        frame's pixels, so that reopening the data, or another session on it,
        skips the image encoder. True: a per-user cache folder
        (``$SAM2_JUPYTER_FEATURE_DIR`` overrides). About 17 MB per frame at
        1024 px, for every model size; trimmed to 50 GiB per model.
    correction_cache
        Bytes of memory-conditioned features to keep from propagation, so that a
        click on a tracked frame (a correction) skips SAM2's memory attention; masks
        are identical. "auto": an eighth of the free memory where SAM2 keeps its
        state (at most 2 GiB) in normal mode, 16 MiB in the low modes. With
        ``feature_dir``, what does not fit in memory goes to a temporary folder
        there (removed with the session). None: off.
    autosave
        A session folder (or True for the default: ``<data file>.sam2`` beside the
        data when writable, else a per-user folder) that always holds the prompts
        and labels shown, written incrementally and atomically after every edit and
        every propagated frame. None: off (the Annotator turns it on).
    resume
        When the folder holds a session saved for the same data: True restores it
        (see :attr:`resumed`); False moves it aside (kept as ``<folder>.old-<time>``)
        and starts empty. A save made for other data is always moved aside, never
        overwritten. What happened is in :attr:`notes`.
    read_only
        Show the folder's save without taking it or writing it (another session
        holds it: opening it to write raises :class:`~.autosave.SaveLockedError`).
    """

    def __init__(
        self,
        stack: Any,
        model: Model,
        memory_mode: str | MemoryMode = "normal",
        *,
        auto_segment: bool = True,
        history: int = 100,
        feature_cache: int | Literal["auto"] | None = "auto",
        feature_dir: str | Path | bool | None = None,
        correction_cache: int | Literal["auto"] | None = "auto",
        autosave: str | Path | bool | None = None,
        resume: bool = True,
        read_only: bool = False,
        _carry: SavedSession | None = None,  # work handed over by reopen()
    ) -> None:
        self.stack: Stack = open_stack(stack)
        self.model = model
        self.memory_mode = MemoryMode.parse(memory_mode)
        self.auto_segment = bool(auto_segment)
        low = self.memory_mode.frame_cache is not None
        cache_device = torch.device("cpu") if low else model.device
        self._frames = SamFrames(
            self.stack, model.image_size, model.device, self.memory_mode.frame_cache, cache_device
        )
        if feature_cache == -1:  # the sentinel of earlier releases
            warnings.warn("feature_cache=-1 is now 'auto'", DeprecationWarning, stacklevel=2)
            feature_cache = "auto"
        store = feature_store(model, self._frames, feature_dir)
        self.features = make_feature_cache(feature_cache, low, model, store)
        h, w = self.stack.frame_shape
        self._core = SessionCore(LabelStore(self.stack.n_frames, (h, w)), history)
        self._core.sam = new_inference_state(
            self._frames, h, w, model.device, low, self.memory_mode.offload_state, self.features
        )
        self._tracker = Tracker(self._core, model.predictor, (h, w))
        self._precompute = FeaturePrecompute(self._core, model, self._frames, self.features)
        install(model.predictor)
        self.corrections = correction_cache_for(
            correction_cache, self._core.sam, model.predictor, low, store
        )
        self._guard = Guard(self._core, model, self.memory_mode.name, self.corrections)
        self._window = memory_window(model.predictor)
        self._options = dict(
            auto_segment=auto_segment, history=history, feature_cache=feature_cache
        ) | dict(feature_dir=feature_dir, correction_cache=correction_cache)
        self._saving = Resumer(self._core, model, self.stack, self._tracker.send)
        self._core.on_change.append(self._saving.sync)
        if autosave or _carry:
            self._saving.open(autosave or None, resume, read_only, _carry)

    # -- read-only views ----------------------------------------------------------
    predictor = property(lambda self: self.model.predictor)
    n_frames = property(lambda self: self.stack.n_frames)
    frame_shape = property(lambda self: self.stack.frame_shape)
    frame_axis = property(lambda self: self.stack.prop_axis or "T")
    busy = property(lambda self: self._core.busy)
    _state = property(lambda self: self._core.sam)  # sam2's inference state (tests)
    record = property(lambda self: self._core.record)  # the immutable SessionState

    @property
    def prompts(self) -> tuple[Prompt, ...]:
        """Prompts sent to SAM2, in the order they were given."""
        return self._core.record.prompts

    @property
    def pending(self) -> tuple[Prompt, ...]:
        """Prompts waiting for :meth:`segment` (auto_segment=False)."""
        return self._core.record.pending

    @property
    def label_ids(self) -> list[int]:
        """Labels (object ids) that have prompts or are in SAM2's state."""
        return sorted(self._core.record.label_ids | set(self._core.sam["obj_ids"]))

    def next_unused_label(self) -> int:
        """One more than the largest label in use (napari's M key convention)."""
        ids = self.label_ids
        return (max(ids) + 1) if ids else 1

    @property
    def labels(self) -> np.ndarray:
        """(frames, Y, X) uint16 label volume; 0 is background.

        Where objects overlap, a pixel goes to the label with the highest mask logit
        (see :func:`~sam2_jupyter.engine.labels.composite`). This builds a new array;
        :meth:`label_frame` reads one frame.
        """
        with self._core.lock:
            return self._core.labels.to_array()

    def label_frame(self, t: int) -> np.ndarray:
        """Frame ``t``'s (Y, X) uint16 labels (a new array)."""
        return self._core.labels.get(check_frame(t, self.n_frames))

    def reading(self) -> contextlib.AbstractContextManager[Any]:
        """Hold while reading many frames (exports): no propagation step changes a
        frame meanwhile."""
        return self._core.lock

    def image_frame(self, t: int) -> np.ndarray:
        """Frame ``t`` as the uint8 RGB image SAM2 sees (before resizing)."""
        return self.stack.display_frame(check_frame(t, self.n_frames))

    def data_frame(self, t: int) -> np.ndarray:
        """Frame ``t`` as stored, every channel: image exports write it, not the display."""
        return self.stack.data_frame(check_frame(t, self.n_frames))

    # -- edits --------------------------------------------------------------------
    @positional_flags("positive")
    def add_point(
        self, frame: int, y: float, x: float, label: int, *, positive: bool = True
    ) -> np.ndarray | None:
        """A positive (or negative) click at pixel (y, x) of ``frame`` for ``label``.

        Returns
        -------
        numpy.ndarray or None
            The frame's new (Y, X) labels in auto-segment mode, else None (pending).

        Raises
        ------
        PromptError
            A frame, label or point out of range.
        SessionBusyError
            A propagation is running.
        """
        frame = check_frame(frame, self.n_frames)
        label = check_label(label)
        y, x = check_point(y, x, self.frame_shape)
        with self._guard.edit():
            p = PointPrompt(frame, label, y, x, bool(positive), group=self._core.new_group())
            return self._add(p)

    def add_box(
        self, frame: int, y0: float, x0: float, y1: float, x1: float, label: int
    ) -> np.ndarray | None:
        """A box with corners (y0, x0) and (y1, x1) on ``frame`` for ``label``. It
        replaces the label's earlier box on the frame and is sent with its points.

        Returns
        -------
        numpy.ndarray or None
            As :meth:`add_point`.

        Raises
        ------
        PromptError
            A frame, label or corner out of range, or a box narrower than a pixel.
        SessionBusyError
            A propagation is running.
        """
        frame = check_frame(frame, self.n_frames)
        label = check_label(label)
        top, left, bottom, right = check_box(y0, x0, y1, x1, self.frame_shape)
        with self._guard.edit():
            return self._add(BoxPrompt(frame, label, top, left, bottom, right))

    def _add(self, p: Prompt) -> np.ndarray | None:
        core = self._core
        if not self.auto_segment:
            core.update(pending=[*core.record.pending, p])
            return None
        if isinstance(p, PointPrompt):
            return self._tracker.click(p)
        return self._tracker.batch(p.frame, p.label, [p])

    def segment(self) -> list[int]:
        """Send the pending prompts, each label's prompts on a frame as one batch.

        Returns
        -------
        list of int
            The frames whose labels changed.
        """
        if not self._core.record.pending:
            return []
        with self._guard.edit():
            return self._tracker.segment_pending()

    def add_prompts(self, prompts: list[Prompt], replace_all: bool = False) -> None:
        """Send many prompts at once, batched per label and frame, as one undoable
        step (what :meth:`load_prompts` does after reading the file).

        Raises
        ------
        PromptError
            Any prompt out of range (nothing is sent).
        """
        checked = [check_prompt(p, self.n_frames, self.frame_shape) for p in prompts]
        with self._guard.edit():
            if replace_all:
                for label in self.label_ids:
                    self._tracker.drop_object(label)
            for (frame, label), new in batch_by_key(checked).items():
                self._tracker.batch(frame, label, new)

    def remove_prompt(
        self, frame: int, y: float, x: float, label: int | None = None, tolerance: float = 10.0
    ) -> Prompt:
        """Remove the prompt (point, box corner, or mask under the pointer) nearest to
        (y, x) on ``frame``. The label's other prompts on that frame are resent from
        what it had there before its first prompt, so the mask is as if the removed
        prompt had never been given; removing a label's last prompt removes it.

        Returns
        -------
        Prompt
            The removed prompt.

        Raises
        ------
        PromptError
            No prompt within ``tolerance`` pixels.
        """
        frame = check_frame(frame, self.n_frames)
        y, x = check_point(y, x, self.frame_shape)
        with self._guard.edit():
            return self._tracker.remove_nearest(frame, y, x, label, tolerance)

    def remove_point(self, *args: Any, **kwargs: Any) -> Prompt:
        """Deprecated name of :meth:`remove_prompt`."""
        warnings.warn("remove_point is now remove_prompt", DeprecationWarning, stacklevel=2)
        return self.remove_prompt(*args, **kwargs)

    def clear_label(self, label: int) -> None:
        """Remove a label: its prompts, its SAM2 memory and its pixels on every frame.

        Raises
        ------
        PromptError
            The label is not in use.
        """
        label = check_label(label)
        with self._guard.edit():
            if label not in self.label_ids:
                raise PromptError(f"label {label} is not in use (labels: {self.label_ids})")
            self._tracker.drop_object(label)

    # -- masks drawn by hand (see engine/masks.py for the rules) ---------------------
    def add_mask(self, frame: int, mask: np.ndarray, label: int) -> np.ndarray:
        """``mask`` (boolean (Y, X)) as the label's mask prompt on ``frame``, sent
        through sam2's ``add_new_mask``; it replaces the label's earlier prompts there.
        The frame's labels are the mask exactly; SAM2 tracks from its own copy.

        Returns
        -------
        numpy.ndarray
            The frame's new labels.

        Raises
        ------
        PromptError
            A frame or label out of range, or a mask of the wrong shape, not binary,
            or empty.
        """
        frame, label = check_frame(frame, self.n_frames), check_label(label)
        mask = check_mask(mask, self.frame_shape)
        with self._guard.edit():
            return editing.add_mask(self._tracker, frame, label, mask)

    def paint(
        self,
        frame: int,
        label: int,
        mask: np.ndarray,
        *,
        erase: bool = False,
        track: bool = True,
    ) -> np.ndarray:
        """Add (``erase``: remove) ``mask``'s pixels to ``label`` on ``frame``.

        ``track=True``: the label's resulting mask there becomes its mask prompt, so the
        fix propagates. ``track=False``: only the labels change (a manual fix SAM2 does
        not see), and no later propagation overwrites it. One undoable step.

        Returns
        -------
        numpy.ndarray
            The frame's new labels.

        Raises
        ------
        PromptError
            As :meth:`add_mask` (an empty ``mask`` too).
        """
        frame, label = check_frame(frame, self.n_frames), check_label(label)
        mask = check_mask(mask, self.frame_shape)
        with self._guard.edit():
            return editing.paint(self._tracker, frame, label, mask, bool(erase), bool(track))

    def fill(self, frame: int, y: float, x: float, label: int, *, track: bool = True) -> np.ndarray:
        """Flood-fill the 4-connected region under (y, x) with ``label`` (as
        :meth:`paint`). Returns the frame's new labels."""
        frame, label = check_frame(frame, self.n_frames), check_label(label)
        y, x = check_point(y, x, self.frame_shape)
        with self._guard.edit():
            return editing.fill(self._tracker, frame, y, x, label, bool(track))

    def seed_from_labels(self, labels: np.ndarray, frame: int) -> list[int]:
        """Every non-zero id of an integer (Y, X) label image (Cellpose, StarDist, an
        export) becomes a label with that id, its pixels the mask prompt on ``frame``.
        One undoable step.

        Returns
        -------
        list of int
            The ids seeded.

        Raises
        ------
        PromptError
            Not an integer image of the frame's shape, negative ids, or no objects.
        """
        frame = check_frame(frame, self.n_frames)
        image = check_label_image(labels, self.frame_shape)
        with self._guard.edit():
            return editing.seed(self._tracker, frame, image)

    def load_labels(self, volume: Any) -> list[int]:
        """Show a whole (frames, Y, X) label volume (a TIFF path or an array: our
        export or another tool's) for review and correction; SAM2's state is kept.
        Labels SAM2 does not track keep their pixels through later propagations.
        One undoable step. Returns the label ids found."""
        vol = read_label_volume(volume, self.n_frames, self.frame_shape)
        with self._guard.edit():
            return editing.load_volume(self._core, vol)

    def set_parent(self, daughter: int, mother: int | None) -> None:
        """Mark ``daughter`` as divided from ``mother`` (None clears it); written by the
        Cell Tracking Challenge and tracks exports. Undoable."""
        daughter = check_label(daughter)
        mother = None if mother is None else check_label(mother)
        with self._guard.edit():
            editing.set_parent(self._core, daughter, mother, self.label_ids)

    parents = property(lambda self: dict(self._core.record.parents))  # daughter -> mother

    def undo(self) -> bool:
        """Take back the last edit or propagation exactly; False if nothing to undo."""
        return self._core.step_back()

    def redo(self) -> bool:
        """Re-apply what :meth:`undo` took back; False if nothing to redo."""
        return self._core.step_back(redo=True)

    # -- propagation ----------------------------------------------------------------
    def propagate(
        self,
        reverse: bool | None = None,
        both: bool | None = None,
        start: int | None = None,
        stop: int | None = None,
        *,
        direction: Literal["forward", "reverse", "both"] | None = None,
        stop_when_lost: int | None = None,
        progress: bool = True,
    ) -> Propagation:
        """Track every label from ``start`` (default: the earliest prompted frame).

        ``direction`` "forward" (default) runs to ``stop`` (default the last frame),
        "reverse" backwards to ``stop`` (default 0), "both" forward then backward
        from ``start`` (``reverse=`` and ``both=`` are the deprecated spelling).
        ``stop_when_lost=N`` ends a direction once every label has been absent
        (SAM2's ``present`` below 0.5) for N consecutive frames, keeping them.
        ``progress``: our bar over the planned frames (False: the caller shows its own).
        Pending prompts are segmented first. Prompted frames are SAM2 conditioning
        frames: kept exactly and tracked from (corrections too). :meth:`cancel` (from
        any thread) stops it before the next frame; every completed frame is kept.
        A propagation is one undoable step.

        Returns
        -------
        Propagation
            Iterate it for ``(frame, labels)`` as frames are computed; ``.plan``
            lists the frames it will compute.

        Raises
        ------
        PromptError
            No prompts yet, or a start, stop or direction that does not fit.
        SessionBusyError
            Another propagation is running.
        """
        direction = direction_from(reverse, both, direction)
        with self._core.lock:
            self._core.check_idle()
            if self._core.record.pending:
                self.segment()
            if not self._core.record.prompts:
                raise PromptError("no prompts yet: add a point or a box before propagating")
            first = min(p.frame for p in self._core.record.prompts)
            plan = make_plan(self.n_frames, first, direction, start, stop, stop_when_lost)
            self._core.cancelled.clear()

        def after(frame: int) -> None:
            self._saving.write_frame(frame)
            if self.memory_mode.release_outputs:
                release_outside_window(self._core.sam, frame, self._window)

        lost: list[int] = []
        guard = self._guard
        frames = run(
            self._core,
            self._tracker,
            plan,
            guard.sam2,
            after,
            guard.out_of_memory,
            lost.append,
            progress,
        )
        return Propagation(plan, frames, lost)

    def run_propagation(self, *args: Any, **kwargs: Any) -> list[int]:
        """:meth:`propagate` to completion (or cancel).

        Returns
        -------
        list of int
            The frames computed, in order.
        """
        return [t for t, _ in self.propagate(*args, **kwargs)]

    def cancel(self) -> None:
        """Stop a running propagation before its next frame (safe from any thread)."""
        self._core.cancelled.set()

    def quality(self, rules: QualityRules | None = None, **thresholds: Any) -> pd.DataFrame:
        """How each produced mask looks, to find the frames that went wrong.

        Parameters
        ----------
        rules, **thresholds
            A :class:`QualityRules`, or its fields by name (``area_jump=3``); see
            :mod:`sam2_jupyter.engine.quality` for the flags and defaults.

        Returns
        -------
        pandas.DataFrame
            One row per (frame, label) SAM2 produced: ``frame``, ``label``,
            ``present`` (sigmoid of SAM2's object score logit, 0–1; NaN: none),
            ``area`` (pixels in the label volume), ``prompted``, ``flags``
            (comma-separated, empty when fine), ``centroid_y`` / ``_x``, ``claimed``
            (share of its SAM2 mask other labels took). Recorded as frames are
            produced; undo, autosave and resume keep it. A threshold out of range
            raises :class:`PromptError`.
        """
        rec = self._core.record
        rules = rules or QualityRules(**thresholds)
        return quality_table(QualityMatrix.of(rec, self.label_ids, self.n_frames, rules))

    # -- image features -------------------------------------------------------------
    def precompute_order(self, center: int = 0) -> list[int]:
        """Frames whose image features are not ready yet, nearest to ``center`` first."""
        return self._precompute.order(center)

    def precompute_frame(self, t: int, pause: Callable[[], None] | None = None) -> bool:
        """Make frame ``t``'s image features ready (see :class:`FeaturePrecompute`).

        The encode holds no lock: edits from other threads go on meanwhile.
        ``pause`` is called between the encoder's layers (it may block while the
        user works, or raise to abandon the frame)."""
        return self._precompute.frame(t, pause)

    def features_ready(self) -> int:
        """Frames whose image features are in memory or on disk."""
        return self._precompute.ready()

    def flush_features(self) -> None:
        """Wait until computed features are written to the disk store (if any)."""
        self._precompute.flush()

    def _clear_all(self) -> None:
        with self._guard.edit():
            self._tracker.clear_all()

    def __repr__(self) -> str:
        return (
            f"Session({self.stack.name}, {plural(self.n_frames, 'frame')}, {self.model!r}, "
            f"memory={self.memory_mode.name}, labels={self.label_ids})"
        )
