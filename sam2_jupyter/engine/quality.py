"""How good each tracked mask looks: SAM2's own presence score and cheap measures,
recorded as frames are produced, and the flags that point a user at likely errors.

SAM2 computes, for every frame and object, an object score logit: whether it
believes the object is visible there. Its sigmoid is ``present`` (0–1). With the
label volume's area, centroid and the share of the object's own SAM2 mask that the
composite gave to other labels, that is all the flags need, so they cost no second
pass over the video. One record per frame (:data:`RECORD` rows, one per label) lives
in the session's record; :class:`QualityMatrix` lays them out as labels × frames
and computes the flags, for :meth:`Session.quality` and for the widget's timeline
(which updates a few columns per propagated frame).

Flags (all thresholds are :class:`QualityRules` fields), in frame order:

* ``lost``: SAM2 says absent (``present`` below ``rules.present``) on a frame after
  one where it said present;
* ``empty``: SAM2 says present but the label has no pixels (another object took
  them all);
* ``area-jump``: the area is more than ``rules.area_jump`` times, or less than
  1 / ``rules.area_jump`` of, the median area over the ``rules.window`` frames
  before it (frames where it has pixels);
* ``moved``: the centroid moved from the frame before by more than ``rules.moved``
  times the object's size (the square root of that median area);
* ``overlap``: other labels took more than ``rules.overlap`` of the pixels SAM2's
  mask for this object covers.

A frame the user prompted for a label is the user's own answer: it is never flagged.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..errors import PromptError
from .quality_records import RECORD, changed_frames, measure, with_frame, without_label

__all__ = [
    "FLAGS",
    "RECORD",
    "QualityMatrix",
    "QualityRules",
    "flag_names",
    "measure",
    "quality_table",
    "with_frame",
    "without_label",
]

# Flag bits, in the order their names are listed.
FLAGS = ("lost", "empty", "area-jump", "moved", "overlap")
LOST, EMPTY, AREA_JUMP, MOVED, OVERLAP = (1 << i for i in range(len(FLAGS)))


@dataclass(frozen=True)
class QualityRules:
    """Thresholds of the quality flags (see the module docstring).

    Parameters
    ----------
    present
        SAM2 says the object is there when ``present`` is at least this (0.5: a
        positive object score logit, sam2's own rule).
    area_jump
        Flag an area this many times larger (or smaller) than the recent median.
    window
        How many earlier frames with pixels the median area is taken over.
    moved
        Flag a centroid step larger than this fraction of the object's size.
    overlap
        Flag when other labels take more than this share of the object's SAM2 mask.
    """

    present: float = 0.5
    area_jump: float = 2.0
    window: int = 3
    moved: float = 0.5
    overlap: float = 0.3

    def __post_init__(self) -> None:
        checks = {
            "present": 0 < self.present < 1,
            "area_jump": self.area_jump > 1,
            "window": isinstance(self.window, int) and self.window >= 1,
            "moved": self.moved > 0,
            "overlap": 0 < self.overlap <= 1,
        }
        bad = [name for name, ok in checks.items() if not ok]
        if bad:
            raise PromptError(
                f"quality rules out of range: {', '.join(f'{n}={getattr(self, n)!r}' for n in bad)}"
                " (present and overlap in (0, 1], area_jump > 1, window >= 1, moved > 0)"
            )

    @property
    def reach(self) -> int:
        """How many frames after a changed one its change can move a flag: each flag
        reads its own frame and at most this many before it (the median area over
        ``window`` frames; the centroid step from the frame before). The one wider
        dependence, "lost" on the label's first present frame, is
        :meth:`QualityMatrix.affected`'s own case."""
        return max(self.window, 1)


class QualityMatrix:
    """Records laid out as labels × frames, and their flags.

    ``present``, ``area``, ``cy``, ``cx``, ``claimed`` are float arrays of shape
    (labels, frames), NaN where the label has no record; ``prompted`` is boolean.
    :meth:`update` follows a session's record as it changes, touching only the
    frames that changed, and says which frames' flags may differ since.
    """

    def __init__(
        self,
        quality: Mapping[int, np.ndarray],
        labels: Sequence[int],
        n_frames: int,
        prompted: Iterable[tuple[int, int]] = (),
        rules: QualityRules | None = None,
    ) -> None:
        self.labels = [int(label) for label in labels]
        self.n_frames = n_frames
        self.rules = rules or QualityRules()
        self.row = {label: i for i, label in enumerate(self.labels)}
        shape = (len(self.labels), n_frames)
        self.fields = {name: np.full(shape, np.nan, np.float32) for name in RECORD.names[1:]}
        self.prompted = np.zeros(shape, bool)
        self._lookup = np.full(1 << 16, -1, np.int64)  # label -> row (-1: none)
        self._lookup[self.labels] = np.arange(len(self.labels))
        if quality:  # all frames at once: one assignment per field
            recs = np.concatenate(list(quality.values()))
            frames = np.repeat(list(quality.keys()), [r.size for r in quality.values()])
            rows = self._lookup[recs["label"]]
            ok = rows >= 0
            for name, values in self.fields.items():
                values[rows[ok], frames[ok]] = recs[name][ok]
        self._quality = quality  # what update() compares the next record with
        self._prompts: Any = None  # the record's prompts, once update() has seen them
        self._first: np.ndarray | None = None  # per label: see first_present()
        self.set_prompted(prompted)

    @classmethod
    def of(
        cls, record: Any, labels: Sequence[int], n_frames: int, rules: QualityRules | None = None
    ) -> QualityMatrix:
        """From a session's record (its quality and its prompts)."""
        prompted = {(p.frame, p.label) for p in record.prompts}
        m = cls(record.quality, labels, n_frames, prompted, rules)
        m._prompts = record.prompts
        return m

    def update(self, record: Any) -> np.ndarray:
        """Follow a session's record (its quality and its prompts) from the one this
        matrix holds; returns the frames whose flags or cells may differ now (sorted),
        by :meth:`affected`. It costs the frames that changed, not the video's length
        (see :func:`~.quality_records.changed_frames`)."""
        first = self.first_present().copy()
        changed = changed_frames(self._quality, record.quality)
        for t in changed:
            if 0 <= t < self.n_frames:
                self.set_frame(t, record.quality.get(t))
        self._quality = record.quality
        if record.prompts is not self._prompts:
            keys = frozenset((p.frame, p.label) for p in record.prompts)
            for t, label in keys ^ self._keys:
                if label in self.row and 0 <= t < self.n_frames:
                    self.prompted[self.row[label], t] = (t, label) in keys
                    changed.add(t)
            self._prompts, self._keys = record.prompts, keys
        return self.affected(changed, first)

    def affected(self, changed: Iterable[int], first_before: np.ndarray) -> np.ndarray:
        """The locality rule of :meth:`flags`: the frames whose flags can differ once
        the frames ``changed`` did (their cells, and ``rules.reach`` frames after
        each), plus, for a label whose first present frame moved from
        ``first_before``, every frame between the two (the "lost" flags there)."""
        parts = [np.fromiter(changed, np.int64)]
        parts[0] = (parts[0][:, None] + np.arange(self.rules.reach + 1)).ravel()
        first = self.first_present()
        for r in np.flatnonzero(first != first_before):
            lo, hi = sorted((int(first[r]), int(first_before[r])))
            parts.append(np.arange(lo + 1, hi + 1))
        out = np.unique(np.concatenate(parts))
        return out[(out >= 0) & (out < self.n_frames)]

    def first_present(self) -> np.ndarray:
        """Per label, the first frame SAM2 said it is present (``n_frames`` when
        never), kept up to date by :meth:`set_frame`."""
        if self._first is None:
            seen = self.fields["present"] >= self.rules.present
            self._first = np.where(seen.any(axis=1), seen.argmax(axis=1), self.n_frames)
        return self._first

    def set_frame(self, t: int, rec: np.ndarray | None) -> None:
        """Replace frame ``t``'s column with ``rec`` (None: no record there)."""
        for values in self.fields.values():
            values[:, t] = np.nan
        if rec is not None and rec.size:
            rows = self._lookup[rec["label"]]
            ok = rows >= 0
            for name, values in self.fields.items():
                values[rows[ok], t] = rec[name][ok]
        if self._first is not None:
            first, present = self._first, self.fields["present"]
            here = present[:, t] >= self.rules.present
            first[here & (t < first)] = t
            gone = np.flatnonzero(~here & (first == t))
            if gone.size:  # it was the first present frame: look further on
                seen = present[gone] >= self.rules.present
                first[gone] = np.where(seen.any(axis=1), seen.argmax(axis=1), self.n_frames)

    def set_prompted(self, keys: Iterable[tuple[int, int]]) -> None:
        """Mark these (frame, label) cells prompted, and no others."""
        self._keys = frozenset(keys)
        self.prompted[:] = False
        for t, label in self._keys:
            if label in self.row and 0 <= t < self.n_frames:
                self.prompted[self.row[label], t] = True

    def tracked(self) -> np.ndarray:
        """(labels, frames) bool: a record exists."""
        return ~np.isnan(self.fields["area"])

    def flags(self, start: int = 0, stop: int | None = None) -> np.ndarray:
        """Flag bits (uint8, labels × frames ``start:stop``) from these records."""
        stop = self.n_frames if stop is None else stop
        r = self.rules
        cols = slice(start, stop)
        present, area = self.fields["present"], self.fields["area"]
        tracked = ~np.isnan(area[:, cols])
        # "After it was present": the label's first present frame is earlier.
        first = self.first_present()
        frames = np.arange(start, stop)
        out = np.zeros(tracked.shape, np.uint8)
        here = present[:, cols]
        out[(here < r.present) & (frames[None, :] > first[:, None])] |= LOST
        a = area[:, cols]
        out[tracked & (a == 0) & ~(here < r.present)] |= EMPTY
        median = self._median_before(start, stop)
        with np.errstate(invalid="ignore", divide="ignore"):
            ratio = a / median
            jump = (a > 0) & ((ratio > r.area_jump) | (ratio < 1.0 / r.area_jump))
            out[jump] |= AREA_JUMP
            lo = max(start - 1, 0)
            cy, cx = self.fields["cy"][:, lo:stop], self.fields["cx"][:, lo:stop]
            step = np.hypot(np.diff(cy, axis=1), np.diff(cx, axis=1))
            if start == 0:
                step = np.concatenate([np.full((len(self.labels), 1), np.nan), step], axis=1)
            out[step > r.moved * np.sqrt(median)] |= MOVED
        out[self.fields["claimed"][:, cols] > r.overlap] |= OVERLAP
        out[~tracked | self.prompted[:, cols]] = 0
        return out

    def _median_before(self, start: int, stop: int) -> np.ndarray:
        """Median area over the ``window`` frames before each frame, among frames
        where the label has pixels (NaN where there are none)."""
        k = self.rules.window
        lo = max(start - k, 0)
        area = self.fields["area"][:, lo:stop]
        area = np.where(area > 0, area, np.nan)
        pad = np.full((area.shape[0], k - (start - lo)), np.nan, np.float32)
        padded = np.concatenate([pad, area], axis=1)
        windows = np.lib.stride_tricks.sliding_window_view(padded, k, axis=1)[:, : stop - start]
        # np.nanmedian, without its per-slice cost: sorting puts NaNs last, and the
        # median of the c values before them is the mean of its two middle ones.
        ordered = np.sort(windows, axis=2)
        c = np.count_nonzero(~np.isnan(ordered), axis=2)
        lower = np.take_along_axis(ordered, np.maximum(c - 1, 0)[..., None] // 2, axis=2)[..., 0]
        upper = np.take_along_axis(ordered, (c // 2)[..., None], axis=2)[..., 0]
        return np.where(c > 0, (lower + upper) / 2, np.nan)


def flag_names(bits: int) -> str:
    """Flag bits as the comma-separated names :meth:`Session.quality` shows."""
    return ",".join(name for i, name in enumerate(FLAGS) if bits & (1 << i))


def quality_table(matrix: QualityMatrix) -> pd.DataFrame:
    """One row per (frame, label) with a record, sorted by frame then label."""
    rows, cols = np.nonzero(matrix.tracked())
    order = np.lexsort((rows, cols))
    rows, cols = rows[order], cols[order]
    flags = matrix.flags()[rows, cols]
    f = matrix.fields
    names = {b: flag_names(b) for b in np.unique(flags).tolist()}
    return pd.DataFrame(
        {
            "frame": cols.astype(np.int64),
            "label": np.asarray(matrix.labels, np.int64)[rows] if len(rows) else [],
            "present": f["present"][rows, cols],
            "area": f["area"][rows, cols].astype(np.int64),
            "prompted": matrix.prompted[rows, cols],
            "flags": [names[b] for b in flags.tolist()],
            "centroid_y": f["cy"][rows, cols],
            "centroid_x": f["cx"][rows, cols],
            "claimed": f["claimed"][rows, cols],
        }
    )
