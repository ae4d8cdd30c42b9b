"""The per-frame quality records themselves: what one frame's record holds, how it is
measured as the frame is produced, and the immutable mapping of frame → record that
remembers which frames each replacement changed.

That memory is what lets a reader follow a propagation at the cost of the frames it
produced: the session's record is replaced once per frame, and comparing every
frame's record after each would make a run's bookkeeping quadratic in its length.
Each :class:`QualityRecords` made by :meth:`~QualityRecords.replaced` points back at
a small note of the frames it changed (never at the older mapping: old records are
not kept alive), so :func:`changed_frames` walks those notes back to the mapping a
reader saw last. A mapping built afresh (a resume, a label volume loaded whole) or
one that is not a descendant (undo went back past it) has no path: the reader
compares every frame once.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import numpy as np

RECORD = np.dtype(
    [
        ("label", "<u2"),
        ("present", "<f4"),  # sigmoid of SAM2's object score logit; NaN: no score
        ("area", "<u4"),  # pixels in the label volume
        ("cy", "<f4"),  # centroid (NaN when empty)
        ("cx", "<f4"),
        ("claimed", "<f4"),  # share of its own SAM2 mask given to other labels
    ]
)

# How many notes a chain keeps before it starts anew: a reader that far behind
# compares every frame once instead (bounded walk, bounded memory).
CHAIN = 1024


class _Note:
    """The frames one replacement changed, and the note of the mapping before it."""

    __slots__ = ("before", "depth", "frames")

    def __init__(self, frames: tuple[int, ...], before: _Note | None) -> None:
        if before is not None and before.depth >= CHAIN:
            before = None
        self.frames = frames
        self.before = before
        self.depth = 0 if before is None else before.depth + 1


class QualityRecords(Mapping[int, np.ndarray]):
    """Frame → record (:data:`RECORD` rows), immutable; see the module docstring."""

    __slots__ = ("_data", "_note")

    def __init__(self, data: Mapping[int, np.ndarray] | None = None) -> None:
        self._data: dict[int, np.ndarray] = dict(data or {})
        self._note = _Note((), None)

    @classmethod
    def of(cls, quality: Mapping[int, np.ndarray]) -> QualityRecords:
        """``quality`` itself when it is one, else a new one holding its records."""
        return quality if isinstance(quality, QualityRecords) else cls(quality)

    def replaced(self, changes: Mapping[int, np.ndarray | None]) -> QualityRecords:
        """These records with ``changes``' frames replaced (None: dropped)."""
        data = dict(self._data)
        for t, rec in changes.items():
            if rec is None:
                data.pop(t, None)
            else:
                data[t] = rec
        out = QualityRecords.__new__(QualityRecords)
        out._data = data
        out._note = _Note(tuple(changes), self._note)
        return out

    def __getitem__(self, t: int) -> np.ndarray:
        return self._data[t]

    def __iter__(self) -> Iterator[int]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __contains__(self, t: object) -> bool:
        return t in self._data

    def get(self, t: int, default: Any = None) -> Any:
        return self._data.get(t, default)

    def items(self) -> Any:
        return self._data.items()

    def keys(self) -> Any:
        return self._data.keys()

    def values(self) -> Any:
        return self._data.values()

    def __repr__(self) -> str:
        return f"QualityRecords({len(self._data)} frames)"


def changed_frames(before: Mapping[int, np.ndarray], now: Mapping[int, np.ndarray]) -> set[int]:
    """The frames whose record differs (by identity: records are immutable) between
    ``before`` and ``now``: from the notes when ``now`` descends from ``before``,
    else by comparing every frame."""
    if now is before:
        return set()
    if isinstance(now, QualityRecords) and isinstance(before, QualityRecords):
        out: set[int] = set()
        note: _Note | None = now._note
        while note is not None:
            if note is before._note:
                return out
            out.update(note.frames)
            note = note.before
    out = {t for t, rec in now.items() if before.get(t) is not rec}
    return out | {t for t in before if t not in now}


def measure(
    labels: np.ndarray, obj_ids: Sequence[int], scores: Sequence[float], own: Sequence[int]
) -> np.ndarray:
    """One frame's record: a row per object SAM2 answered for, and per other label
    with pixels on the frame (``present`` NaN there).

    ``scores`` are SAM2's object score logits (NaN where it holds none), ``own`` the
    pixels each object's own mask covers (logit above 0). One pass over the labelled
    pixels gives every label's area and centroid."""
    w = labels.shape[1]
    flat = labels.reshape(-1)
    where = np.flatnonzero(flat != 0)  # a boolean scan: 10× faster than on uint16
    values = flat[where]
    counts = np.bincount(values)
    found = np.flatnonzero(counts[1:]) + 1
    area = counts[found]
    with np.errstate(invalid="ignore", divide="ignore"):
        rows, cols = np.divmod(where, w)
        cy = np.bincount(values, weights=rows)[found] / area
        cx = np.bincount(values, weights=cols)[found] / area
    ids = list(dict.fromkeys([*map(int, obj_ids), *map(int, found)]))
    out = np.zeros(len(ids), RECORD)
    out["label"] = ids
    out["present"] = np.nan
    out["cy"] = out["cx"] = np.nan
    pos = {label: i for i, label in enumerate(ids)}
    for i, label in enumerate(obj_ids):
        score = scores[i]
        out["present"][pos[int(label)]] = 1 / (1 + math.exp(-score)) if score == score else np.nan
    for j, label in enumerate(found):
        row = pos[int(label)]
        out["area"][row] = area[j]
        out["cy"][row] = cy[j]
        out["cx"][row] = cx[j]
    for i, label in enumerate(obj_ids):
        row = pos[int(label)]
        if own[i] > 0:
            out["claimed"][row] = max(0.0, 1.0 - out["area"][row] / own[i])
    out.setflags(write=False)
    return out


def with_frame(quality: Mapping[int, np.ndarray], frame: int, rec: np.ndarray) -> QualityRecords:
    """The records with ``frame``'s replaced (dropped when it has no rows)."""
    return QualityRecords.of(quality).replaced({frame: rec if rec.size else None})


def without_label(quality: Mapping[int, np.ndarray], label: int) -> QualityRecords:
    """The records with one label's rows gone (the label was removed)."""
    changes: dict[int, np.ndarray | None] = {}
    for t, rec in quality.items():
        if (rec["label"] == label).any():
            rec = rec[rec["label"] != label]
            rec.setflags(write=False)
            changes[t] = rec if rec.size else None
        elif not rec.size:
            changes[t] = None
    return QualityRecords.of(quality).replaced(changes)
