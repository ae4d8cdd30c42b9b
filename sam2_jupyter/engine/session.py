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

from pathlib import Path
from typing import Any, Literal

import numpy as np

from .._words import plural
from ..errors import PromptError
from ..io import Stack, open_stack
from ..models import Model
from ._assemble import assemble, open_saving
from ._compat import auto_from_minus_one, direction_from, positional_flags, renamed
from .autosave import SavedSession
from .discovery.verbs import SessionDiscovery
from .drawing import SessionDrawing
from .files import SessionFiles
from .memory import MemoryMode
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
from .propagation import Propagation, make_plan
from .replay import batch_by_key
from .saving import SessionSaving
from .views import SessionViews


class Session(SessionDiscovery, SessionViews, SessionDrawing, SessionFiles, SessionSaving):
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
        feature_cache = auto_from_minus_one(feature_cache)
        options = dict(history=history, feature_cache=feature_cache, feature_dir=feature_dir)
        options["correction_cache"] = correction_cache
        self._options = {"auto_segment": auto_segment, **options}  # what reopen() passes on
        parts = assemble(self.stack, model, self.memory_mode, **options)
        self._frames, self._core, self._tracker = parts.frames, parts.core, parts.tracker
        self._guard, self._propagator, self._saving = parts.guard, parts.propagator, parts.saving
        self.features, self.corrections = parts.features, parts.corrections
        self.precompute = parts.precompute  # image features ahead of the user
        open_saving(parts, autosave, resume, read_only, _carry)

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
            return self._tracker.add(p, self.auto_segment)

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
            box = BoxPrompt(frame, label, top, left, bottom, right)
            return self._tracker.add(box, self.auto_segment)

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

    remove_point = renamed("remove_point", "remove_prompt")

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
        discover_every: int | None = None,
        discover_method: str = "sam2",
        discover: dict[str, Any] | None = None,
    ) -> Propagation:
        """Track every label from ``start`` (default: the earliest prompted frame).

        ``direction`` "forward" (default) runs to ``stop`` (default the last frame),
        "reverse" backwards to ``stop`` (default 0), "both" forward then backward
        from ``start`` (``reverse=`` and ``both=`` are the deprecated spelling).
        ``stop_when_lost=N`` ends a direction once every label has been absent
        (SAM2's ``present`` below 0.5) for N consecutive frames, keeping them.
        ``progress``: our bar over the planned frames (False: the caller shows its own).
        ``discover_every=N``: every N-th frame yielded, :meth:`find_new_objects`
        with ``discover_method`` and the options in ``discover`` (its parameters,
        ``min_overlap`` too) runs on it and what it finds is tracked from there on
        (the run's ``added`` says what was added where; all one undo step).
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
            found = self._discovery(discover_every, discover_method, discover)
            self._core.cancelled.clear()
        return self._propagator.start(plan, progress, found)

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

    # -- the widget's names for :attr:`precompute` (a :class:`FeaturePrecompute`) ------
    precompute_order = property(lambda self: self.precompute.order, doc="precompute.order")
    precompute_frame = property(lambda self: self.precompute.frame, doc="precompute.frame")
    features_ready = property(lambda self: self.precompute.ready, doc="precompute.ready")
    flush_features = property(lambda self: self.precompute.flush, doc="precompute.flush")

    def _clear_all(self) -> None:
        with self._guard.edit():
            self._tracker.clear_all()

    def __repr__(self) -> str:
        return (
            f"Session({self.stack.name}, {plural(self.n_frames, 'frame')}, {self.model!r}, "
            f"memory={self.memory_mode.name}, labels={self.label_ids})"
        )
