"""What a Session shows, read without editing: its frames, labels, prompts and record,
and the quality of what SAM2 produced.

:class:`SessionViews` gives a Session these members; readers get immutable values
or new arrays (see the lock rule in :mod:`.core`).
"""

from __future__ import annotations

import contextlib
from typing import Any

import numpy as np
import pandas as pd

from ..io import Stack
from .core import SessionCore
from .prompts import Prompt, check_frame
from .quality import QualityMatrix, QualityRules, quality_table
from .summary import QualitySummary
from .tracker import Tracker


class SessionViews:
    """Read-only members of :class:`~.session.Session`."""

    _core: SessionCore
    _tracker: Tracker
    stack: Stack
    model: Any

    predictor = property(lambda self: self.model.predictor)
    n_frames = property(lambda self: self.stack.n_frames)
    frame_shape = property(lambda self: self.stack.frame_shape)
    frame_axis = property(lambda self: self.stack.prop_axis or "T")
    busy = property(lambda self: self._core.busy)
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
        """Labels (object ids) that have prompts or that the tracker tracks."""
        return sorted(self._core.record.label_ids | set(self._tracker.tracked()))

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

    # -- quality ----------------------------------------------------------------------
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

    def quality_summary(self, rules: QualityRules | None = None) -> QualitySummary:
        """The review summary (a bit set per label and frame, see :mod:`.summary`)
        followed from this session's record: after each edit or propagated frame,
        its ``changes()`` says which cells changed, at the cost of that change."""
        return QualitySummary(lambda: (self._core.record, self.label_ids), self.n_frames, rules)
