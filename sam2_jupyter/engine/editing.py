"""Editing masks by hand: mask prompts, paint / erase / fill, seeding objects from a
label image, loading a label volume for review, and divisions.

Each function runs inside one undoable edit of the core (the Session opens it) and
changes only what :class:`~.core.SessionCore` owns; :mod:`.masks` holds the pixel
work and the rule that keeps drawn pixels through later propagations.
"""

from __future__ import annotations

import numpy as np

from ..errors import PromptError
from .core import SessionCore
from .masks import ManualEdit, fill_region
from .prompts import MaskPrompt
from .quality import RECORD, measure, with_frame
from .tracker import Tracker


def add_mask(
    tracker: Tracker, frame: int, label: int, mask: np.ndarray, store: bool = True
) -> np.ndarray:
    """``mask`` becomes the label's one input on ``frame`` (a mask replaces the
    prompts before it, as sam2 does; a manual edit there is folded into it)."""
    core = tracker.core
    rec = core.record
    key = (frame, label)
    core.update(
        prompts=[p for p in rec.prompts if p.key != key],
        manual={k: e for k, e in rec.manual.items() if k != key},
        drawn=rec.drawn - {label},
    )
    return tracker.batch(frame, label, [MaskPrompt.from_array(frame, label, mask)], store)


def paint(
    tracker: Tracker, frame: int, label: int, mask: np.ndarray, erase: bool, track: bool
) -> np.ndarray:
    """Add (or remove) ``mask``'s pixels to the label on ``frame``.

    ``track``: the label's resulting mask there becomes its mask prompt, so SAM2
    tracks the fix. Otherwise the pixels are a manual edit SAM2 never sees, kept
    through every later propagation."""
    core = tracker.core
    labels = core.labels.get(frame)
    mine = labels == label
    if track:
        return add_mask(tracker, frame, label, mine & ~mask if erase else mine | mask)
    rec = core.record
    key = (frame, label)
    edit = rec.manual.get(key) or ManualEdit.of(np.zeros_like(mask), np.zeros_like(mask))
    core.update(
        manual={**rec.manual, key: edit.then(mask, erase)},
        drawn=rec.drawn | ({label} if label not in core.tracked_labels() else set()),
    )
    if erase:
        labels[mask & mine] = 0
    else:
        labels[mask] = label
    return remeasure(core, frame, labels)


def fill(tracker: Tracker, frame: int, y: float, x: float, label: int, track: bool) -> np.ndarray:
    """Flood-fill the 4-connected region under (y, x) with ``label``."""
    labels = tracker.core.labels.get(frame)
    region = fill_region(labels, y, x)
    if (labels[region] == label).all():
        return labels  # already that label: nothing to fill
    return paint(tracker, frame, label, region, erase=False, track=track)


def seed(tracker: Tracker, frame: int, image: np.ndarray) -> list[int]:
    """Every non-zero id of ``image`` becomes an object with that id, its pixels the
    mask prompt on ``frame``."""
    ids = [int(i) for i in np.unique(image) if i]
    if not ids:
        raise PromptError("the label image has no objects (every pixel is 0)")
    for label in ids:
        add_mask(tracker, frame, label, image == label, store=False)
    tracker.refresh(frame)  # one composite of every object, not one per object
    return ids


def load_volume(core: SessionCore, volume: np.ndarray) -> list[int]:
    """Show a whole label volume (another tool's, or an export) for review: every
    frame's labels become the volume's; SAM2's state is untouched. Labels SAM2 does
    not track keep their pixels through later propagations (see :mod:`.masks`)."""
    quality: dict[int, np.ndarray] = dict(core.record.quality)
    found: set[int] = set()
    for t in range(volume.shape[0]):
        frame = np.ascontiguousarray(volume[t])
        core.labels.set(t, frame)
        measured = measure(frame, [], [], [])
        found.update(measured["label"].tolist())
        rec = _keep_scores(measured, quality.get(t))
        if rec.size:  # in place: with_frame would copy the mapping once per frame
            quality[t] = rec
        else:
            quality.pop(t, None)
    core.update(quality=quality, drawn=core.record.drawn | (found - core.tracked_labels()))
    return sorted(found)


def set_parent(core: SessionCore, daughter: int, mother: int | None, known: list[int]) -> None:
    """Record (or with ``mother`` None, clear) that ``daughter`` divided from ``mother``.

    The walk up from ``mother`` stops at any label seen twice. Parents that already
    form a cycle (a damaged save can hold one; this function never makes one) are
    refused with a :class:`PromptError` naming the labels rather than ignored: a
    division added above a loop would be lineage no export can trust, and the user
    can break the loop by clearing one of its parents (``mother`` None needs no
    walk). The walk runs under the session lock, so it must end either way."""
    parents = dict(core.record.parents)
    if mother is None:
        parents.pop(daughter, None)
    else:
        for label in (daughter, mother):
            if label not in known:
                raise PromptError(f"label {label} is not in use (labels: {known})")
        if daughter == mother:
            raise PromptError(f"label {daughter} cannot be its own parent")
        path = [mother]
        while path[-1] in parents:  # no cycles: the mother must not descend from the daughter
            up = parents[path[-1]]
            if up == daughter:
                raise PromptError(f"label {mother} descends from {daughter}: no cycles")
            if up in path:
                loop = " -> ".join(str(label) for label in [*path[path.index(up) :], up])
                raise PromptError(
                    f"the parents of labels {loop} form a cycle (a damaged save?): "
                    "clear one of them with set_parent(label, None) first"
                )
            path.append(up)
        parents[daughter] = mother
    core.update(parents=parents)


def remeasure(core: SessionCore, frame: int, labels: np.ndarray) -> np.ndarray:
    """Store hand-changed labels of a frame and update its quality record (areas and
    centroids anew; SAM2's presence scores as they were)."""
    core.labels.set(frame, labels)
    quality = core.record.quality
    rec = _keep_scores(measure(labels, [], [], []), quality.get(frame))
    core.update(quality=with_frame(quality, frame, rec))
    return labels


def _keep_scores(new: np.ndarray, old: np.ndarray | None) -> np.ndarray:
    """``new`` rows with the presence scores (and rows of labels now without pixels)
    of ``old``: SAM2 said those, the pixels did not."""
    if old is None or not old.size:
        return new
    rows = {int(r["label"]): r for r in new}
    out = []
    for r in old:
        label = int(r["label"])
        if label in rows:
            row = rows.pop(label).copy()
            row["present"], row["claimed"] = r["present"], r["claimed"]
            out.append(row)
        elif r["present"] == r["present"]:  # SAM2 answered for it: keep, now empty
            row = r.copy()
            row["area"], row["cy"], row["cx"] = 0, np.nan, np.nan
            out.append(row)
    out.extend(rows.values())
    result = np.array(out, RECORD) if out else np.zeros(0, RECORD)
    result.setflags(write=False)
    return result
