"""The per-(label, frame) summary a review view draws (a timeline strip, an object
list, flag navigation), kept in step with a session's record as it changes.

Each cell is a set of bits: :data:`MASK` (the label has pixels there),
:data:`PROMPTED`, :data:`FLAGGED` (a quality flag, see :mod:`.quality`) and
:data:`TRACKED` (a quality record exists). :class:`QualitySummary` holds the whole
table and, after each change of the record, recomputes only the cells the change
can reach (the flag rules' own locality rule, :meth:`.QualityMatrix.affected`), so
a propagation costs per frame what that frame changed, not the video's length. A
view sends what :meth:`QualitySummary.changes` returns; it needs no knowledge of
the flags.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from .quality import QualityMatrix, QualityRules

MASK, PROMPTED, FLAGGED, TRACKED = 1, 2, 4, 8


def summary_bits(matrix: QualityMatrix, start: int = 0, stop: int | None = None) -> np.ndarray:
    """(labels, frames ``start:stop``) uint8 bit sets."""
    stop = matrix.n_frames if stop is None else stop
    cols = slice(start, stop)
    area = matrix.fields["area"][:, cols]
    out = np.where(area > 0, MASK, 0).astype(np.uint8)
    out[~np.isnan(area)] |= TRACKED
    out[matrix.prompted[:, cols]] |= PROMPTED
    out[matrix.flags(start, stop) != 0] |= FLAGGED
    return out


def _runs(frames: np.ndarray) -> list[tuple[int, int]]:
    """Sorted frames as (start, stop) runs of consecutive ones."""
    cuts = np.flatnonzero(np.diff(frames) > 1) + 1
    return [(int(run[0]), int(run[-1]) + 1) for run in np.split(frames, cuts)]


@dataclass(frozen=True)
class SummaryChange:
    """What changed since the last look: the whole table (``full``: the label set
    changed, or this is the first look) or the columns ``frames`` of it.

    ``bits`` is (labels, len(frames)) uint8, label-major like the table."""

    full: bool
    labels: list[int]
    n_frames: int
    frames: np.ndarray
    bits: np.ndarray


class QualitySummary:
    """One session's summary table, followed from its record.

    Parameters
    ----------
    read
        Returns the session's record (:class:`~.core.SessionState`) and its labels,
        in order (the table's rows), as they are now.
    n_frames
        The table's columns.
    rules
        The flag thresholds (defaults: :class:`QualityRules`).
    """

    def __init__(
        self,
        read: Callable[[], tuple[Any, list[int]]],
        n_frames: int,
        rules: QualityRules | None = None,
    ) -> None:
        self._read = read
        self.n_frames = n_frames
        self.rules = rules
        self._matrix: QualityMatrix | None = None
        self.bits = np.zeros((0, n_frames), np.uint8)  # the whole table, as last seen

    @property
    def labels(self) -> list[int]:
        return [] if self._matrix is None else self._matrix.labels

    def reset(self) -> None:
        """The next :meth:`changes` is the whole table again."""
        self._matrix = None

    def changes(self) -> SummaryChange | None:
        """What changed in the table since the last call (None: nothing)."""
        record, labels = self._read()
        m = self._matrix
        if m is None or m.labels != list(labels):
            m = self._matrix = QualityMatrix.of(record, labels, self.n_frames, self.rules)
            self.bits = summary_bits(m)
            return SummaryChange(True, m.labels, self.n_frames, np.arange(self.n_frames), self.bits)
        frames = m.update(record)
        if not frames.size:
            return None
        cols = np.concatenate([summary_bits(m, a, b) for a, b in _runs(frames)], axis=1)
        self.bits[:, frames] = cols
        return SummaryChange(False, m.labels, self.n_frames, frames, cols)
