"""Proposed divisions: where a label looks as if it divided, for a person to accept or
dismiss. A proposal never changes the lineage by itself.

Two signs, read off the labels the session shows:

* **parts** — a label whose mask on a frame is two separate parts of similar size
  (the smaller at least ``balance`` of the larger, each at least ``min_area``
  pixels), where on the frame before it was one: the daughters are still one id.
  Accepting gives the smaller part a new id on that frame (both parts become mask
  prompts there, so SAM2 tracks each from it) and records it as the mother's
  daughter.
* **newcomer** — a label that first appears on a frame within ``near`` pixels of a
  label whose area shrank by at least ``shrink`` from the frame before (discovery
  found the second daughter; the mother's id goes on as the first). Accepting
  records the newcomer as the mother's daughter (``set_parent``).

Both conventions keep the mother's id on one daughter, as ``set_parent`` does
elsewhere. A dismissed proposal is kept in the session record (the ``dismissed``
field: undone, saved and resumed like the rest) and not proposed again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import ndimage as ndi
from skimage import measure

from ...errors import PromptError
from ..fields import FIELDS, Field
from ..rows import Codec, Reading, Rows

COLUMNS = ["frame", "mother", "daughters", "kind"]


@dataclass(frozen=True)
class DivisionRules:
    """The thresholds of the two signs (see the module docstring)."""

    balance: float = 0.4
    min_area: int = 10
    shrink: float = 0.25
    near: int = 2

    def __post_init__(self) -> None:
        for name, low, high in (("balance", 0, 1), ("shrink", 0, 1)):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or not low < value <= high:
                raise PromptError(f"{name} must be in ({low}, {high}], got {value!r}")
        for name in ("min_area", "near"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise PromptError(f"{name} must be a whole number of pixels (1 or more)")


def parts(mask: np.ndarray, min_area: int) -> list[np.ndarray]:
    """The 8-connected parts of ``mask`` with at least ``min_area`` pixels, largest
    first."""
    labelled, n = ndi.label(mask, structure=np.ones((3, 3), bool))
    if n < 2:
        return [mask] if n and mask.sum() >= min_area else []
    areas = np.bincount(labelled.ravel())[1:]
    order = [i + 1 for i in np.argsort(-areas, kind="stable") if areas[i] >= min_area]
    return [labelled == i for i in order]


def divided(labels: np.ndarray, rules: DivisionRules) -> set[int]:
    """The labels of a frame whose mask is two parts or more of similar size: one
    labelling of the frame's same-valued 8-connected regions, not one per label."""
    regions = measure.label(labels, connectivity=2, background=0)
    flat = regions.ravel()
    areas = np.bincount(flat)
    owner = np.zeros(len(areas), labels.dtype)
    owner[flat] = labels.ravel()
    by_label: dict[int, list[int]] = {}
    for region in np.flatnonzero(areas >= rules.min_area).tolist():
        if region:
            by_label.setdefault(int(owner[region]), []).append(int(areas[region]))
    out = set()
    for label, sizes in by_label.items():
        if len(sizes) >= 2:
            big, second = sorted(sizes, reverse=True)[:2]
            if second >= rules.balance * big:
                out.add(label)
    return out


def propose(
    label_frame: Callable[[int], np.ndarray],
    n_frames: int,
    parents: dict[int, int],
    dismissed: Iterable[tuple[int, int]],
    rules: DivisionRules,
) -> pd.DataFrame:
    """Every proposal on the session's labels (one row each, by frame), without the
    dismissed ones and without daughters that already have a mother."""
    rows: list[tuple[int, int, tuple[int, ...], str]] = []
    before: np.ndarray | None = None
    split_before: set[int] = set()
    seen: set[int] = set()
    present_before: set[int] = set()
    for t in range(n_frames):
        labels = label_frame(t)
        present = set(np.unique(labels).tolist()) - {0}
        split_now = divided(labels, rules) if present else set()
        for label in sorted(split_now - split_before):
            if label in present_before:
                rows.append((t, label, (), "parts"))
        if before is not None:
            for label in sorted(present - seen):
                if label in parents:
                    continue
                mother = _shrunk_beside(labels, before, label, rules)
                if mother is not None:
                    rows.append((t, mother, (label,), "newcomer"))
        seen.update(present)
        before, split_before, present_before = labels, split_now, present
    gone = set(dismissed)
    table = pd.DataFrame([r for r in rows if (r[0], r[1]) not in gone], columns=COLUMNS)
    return table.astype({"frame": np.int64, "mother": np.int64})


def _shrunk_beside(
    labels: np.ndarray, before: np.ndarray, label: int, rules: DivisionRules
) -> int | None:
    """The label beside ``label`` (within ``near`` pixels) that shrank the most by at
    least ``shrink`` since the frame before, if any."""
    ring = ndi.binary_dilation(labels == label, iterations=rules.near)
    best, most = None, 0.0
    for other in np.unique(labels[ring]).tolist():
        if other in (0, label):
            continue
        was = int(np.count_nonzero(before == other))
        now = int(np.count_nonzero(labels == other))
        drop = 1 - now / was if was else 0.0
        if drop >= rules.shrink and drop > most:
            best, most = other, drop
    return best


class DismissedRows(Codec):
    """Dismissed proposals: one row per (frame, mother), keyed ``frame:mother``."""

    kind = "dismissed"

    def write(self, snap: Any) -> Rows:
        return {f"{t}:{m}": ((t, m), lambda: b"") for t, m in snap.record.dismissed}

    def read(self, rows: Iterable[tuple[str, bytes]], reading: Reading) -> dict[str, Any]:
        out = set()
        for key, _ in rows:
            try:
                t, m = (int(v) for v in key.split(":"))
                out.add((t, m))
            except ValueError as exc:
                reading.problems.append(f"dismissed division {key}: {exc}")
        return {"dismissed": frozenset(out)}


DISMISSED = Field(
    "dismissed",
    frozenset(),
    frozenset,
    drop=lambda v, label: frozenset(k for k in v if k[1] != label),
    frames=lambda v, n: frozenset(k for k in v if k[0] < n),
    codec=DismissedRows(),
)
if "dismissed" not in FIELDS:
    FIELDS.register(DISMISSED)
