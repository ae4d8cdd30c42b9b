"""A Session's verbs for objects nobody clicked: candidates on a frame, the ones
that are new, and new objects found during a propagation.

:class:`SessionDiscovery` gives a Session these methods. Candidates are a label
image the session does not keep (nothing changes until
:meth:`~.drawing.SessionDrawing.seed_from_labels` makes them objects, in one undo
step), so a person can look at them, drop some and add the rest.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ...errors import PromptError
from ...models import Model
from .. import editing
from ..core import SessionCore
from ..labels import LabelStore
from ..prompts import check_frame, check_label
from ..tracker import Tracker
from .automatic import frame_features, sam2_candidates
from .candidates import new_objects
from .divisions import DivisionRules, parts, propose
from .during import Discovery, check_every
from .threshold import threshold_candidates

METHODS = ("sam2", "threshold")


class SessionDiscovery:
    """Discovery members of :class:`~.session.Session` (before the read-only views
    in its bases, so that :meth:`quality` can add the ``split`` flag)."""

    _core: SessionCore
    _guard: Any
    _tracker: Tracker
    _frames: Any
    stack: Any
    model: Model
    features: Any
    n_frames: int
    label_ids: list[int]

    def segment_everything(self, frame: int, *, method: str = "sam2", **params: Any) -> np.ndarray:
        """Candidate objects on ``frame``: an int32 (Y, X) label image, 0 background,
        ids 1..n by descending score. The session does not change. :meth:`cancel`
        (from another thread) stops the sam2 method between batches of points
        (:class:`~sam2_jupyter.errors.CancelledError`).

        ``method="sam2"``: SAM2's own ``SAM2AutomaticMaskGenerator`` with its
        parameters under its names (``points_per_side``, ``points_per_batch``,
        ``pred_iou_thresh``, ``stability_score_thresh``, ``box_nms_thresh``,
        ``min_mask_region_area``, ``crop_n_layers``, ...); the whole frame uses the
        session's image features (no second encode of a cached frame), and the
        masks are painted by descending predicted IoU, each keeping only pixels no
        better one took. ``method="threshold"``: bright objects on a dark
        background, no model (:func:`~.threshold.threshold_candidates`: smoothing,
        Otsu / Li / triangle / local threshold, watershed split of touching objects)
        on the frame as stored. Both take ``min_area`` / ``max_area`` (pixels) and a
        region, ``box=(y0, x0, y1, x1)`` or a boolean ``mask=``.

        Raises
        ------
        PromptError
            A frame out of range, an unknown method, or a parameter it does not
            take or a bad value, named.
        """
        return self._candidates(check_frame(frame, self.n_frames), method, params)

    def find_new_objects(
        self, frame: int, *, method: str = "sam2", min_overlap: float = 0.2, **params: Any
    ) -> np.ndarray:
        """The candidates of :meth:`segment_everything` on ``frame`` that no label
        claims: a candidate goes when at least ``min_overlap`` of its pixels are on
        existing labels; the rest lose any pixel on one and get ids no label has
        (above every id of the session). Nothing changes until they are seeded."""
        t = check_frame(frame, self.n_frames)
        empty = np.zeros((1, 1), np.int32)
        new_objects(empty, empty, min_overlap=min_overlap, first_id=1)  # check it first
        found = self._candidates(t, method, params)
        with self._core.lock:
            existing = self._core.labels.get(t)
            first = max(self._core.label_ids(), default=0) + 1
        return new_objects(found, existing, min_overlap=min_overlap, first_id=first)

    def _candidates(self, t: int, method: str, params: dict[str, Any]) -> np.ndarray:
        if method == "threshold":
            return threshold_candidates(self.stack.data_frame(t), **params)
        if method == "sam2":
            features = frame_features(self.model, self._frames, self.features, t)
            image, stop = self.stack.display_frame(t), self._core.cancelled.is_set
            if not self._core.busy:  # a propagation's own discovery stops with it
                self._core.cancelled.clear()
            return sam2_candidates(self.model, image, features, stop=stop, **params)
        raise PromptError(f"method must be one of {', '.join(METHODS)}, got {method!r}")

    def _discovery(
        self, every: object, method: str, params: dict[str, Any] | None
    ) -> Discovery | None:
        """What ``propagate(discover_every=..., discover_method=..., discover=...)``
        asks for, checked before the run starts (None: no discovery)."""
        n = check_every(every)
        if n is None:
            return None
        if method not in METHODS:
            raise PromptError(
                f"discover_method must be one of {', '.join(METHODS)}, got {method!r}"
            )
        options = dict(params or {})

        def find(t: int) -> np.ndarray:
            return self.find_new_objects(t, method=method, **options)

        return Discovery(n, find, self._tracker)

    # -- divisions ----------------------------------------------------------------------
    def proposed_divisions(self, **rules: Any) -> pd.DataFrame:
        """Where a label looks as if it divided (see :mod:`.divisions`): one row per
        proposal, ``frame``, ``mother``, ``daughters`` (the new ids; empty for a
        label that became two parts), ``kind`` ("parts" or "newcomer"). Accept with
        :meth:`accept_division` (or ``set_parent``), drop with
        :meth:`dismiss_division`; a proposal changes nothing by itself. ``rules``:
        :class:`~.divisions.DivisionRules` fields by name."""
        rule = DivisionRules(**rules)
        with self._core.lock:  # a copy of the compressed frames: the scan holds no lock
            core = self._core
            frames = LabelStore(self.n_frames, core.labels.shape)
            frames.restore(core.labels.snapshot())
            parents, dismissed = dict(core.record.parents), core.record.dismissed
        return propose(frames.get, self.n_frames, parents, dismissed, rule)

    def quality(self, rules: Any = None, **thresholds: Any) -> pd.DataFrame:
        table = super().quality(rules, **thresholds)  # type: ignore[misc]
        for row in self.proposed_divisions().itertuples():
            at = (table["frame"] == row.frame) & (table["label"] == row.mother)
            table.loc[at, "flags"] = [f"{f},split" if f else "split" for f in table["flags"][at]]
        return table

    quality.__doc__ = "As the views' ``quality``, and ``split`` where a division is proposed."

    def accept_division(self, frame: int, mother: int) -> list[int]:
        """Make the proposal on ``frame`` for ``mother`` lineage, in one undo step:
        a newcomer becomes the mother's daughter; a label of two parts gives its
        smaller part a new id there (both parts mask prompts, tracked from there)
        and that id is the daughter. Returns the daughters."""
        t, mother = check_frame(frame, self.n_frames), check_label(mother)
        table = self.proposed_divisions()
        found = list(table[(table.frame == t) & (table.mother == mother)].itertuples())
        if not found:
            raise PromptError(f"no division of label {mother} is proposed on frame {t}")
        proposal = found[0]
        with self._guard.edit():
            daughters = list(proposal.daughters)
            if proposal.kind == "parts":
                big, small, *_ = parts(self._core.labels.get(t) == mother, DivisionRules().min_area)
                daughter = max(self._core.label_ids(), default=0) + 1
                editing.add_mask(self._tracker, t, mother, big)
                editing.add_mask(self._tracker, t, daughter, small)
                daughters = [daughter]
            for d in daughters:
                editing.set_parent(self._core, d, mother, sorted(self._core.label_ids()))
        return daughters

    def dismiss_division(self, frame: int, mother: int) -> None:
        """Not a division: the proposal on ``frame`` for ``mother`` is not made again
        (kept in the record, so undo, save and resume keep the choice)."""
        t, mother = check_frame(frame, self.n_frames), check_label(mother)
        with self._guard.edit():
            core = self._core
            core.update(dismissed=core.record.dismissed | {(t, mother)})
