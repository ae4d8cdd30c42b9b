"""A session folder's store read back: what it holds, checked row by row.

The record's fields are read by the codecs :data:`~..fields.FIELDS` names, the
label frames and the tracker's state by theirs (:func:`~.codecs.codecs`): this
module knows none of them by name.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..._words import plural
from ..core import SessionState, Snapshot
from ..fields import FIELDS
from .codecs import Geometry, MetaCodec, Reading, codecs
from .sam2_state import Sam2Codec, SavedTracker
from .store import Store

# The parts of a save beside the record that the codecs read.
PARTS = ("labels", "tracker", "tracker_problem")


@dataclass
class SavedSession:
    """What a session folder holds, read back: a record (:class:`~..core.SessionState`)
    and the label frames, and what the save is (where, for which data, made by which
    model, when; what was damaged). The record's fields read as the save's own
    (``saved.prompts``)."""

    folder: Path
    source: dict[str, Any]
    record: SessionState
    labels: dict[int, bytes]
    view: dict[str, int] = field(default_factory=dict)
    saved_at: str = ""
    problems: list[str] = field(default_factory=list)
    model: str = ""  # which model made the labels
    tracker: SavedTracker | None = None  # SAM2's prompt state, when it matches
    tracker_problem: str | None = None  # why SAM2's state exists but cannot be used
    kept: Path | None = None  # the store as it was, when parts of it were damaged

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_") or name not in FIELDS:
            raise AttributeError(name)
        return getattr(self.record, name)

    @property
    def holds_work(self) -> bool:
        """Whether it names a label or holds a labelled frame (else there is nothing
        to resume)."""
        return bool(self.labels or self.record.label_ids)

    def snapshot(self) -> Snapshot:
        """The save as the codecs write one (no tracker state: its codec adopts from
        what the resume restored)."""
        return Snapshot({}, self.labels, self.record)

    def summary(self) -> str:
        when = self.saved_at.replace("T", " ")[:19] or "unknown time"
        prompts = len(self.record.prompts) + len(self.record.pending)
        return (
            f"{plural(prompts, 'prompt')}, "
            f"{plural(len(self.labels), 'labelled frame')}, saved {when}"
        )


SAM2 = Sam2Codec()  # the tracker's codec


def read_store(store: Store, folder: Path, geo: Geometry) -> SavedSession | None:
    """What ``store`` holds, every row checked (see :mod:`..rows`); None when it
    holds nothing. Damaged rows are left out and named in ``problems``."""
    reading = Reading(geo)
    meta = MetaCodec.read(store, reading.problems)
    for codec in codecs(SAM2):
        reading.values |= codec.read(store.rows(codec.kind, reading.problems), reading)
    values = reading.values
    record = SessionState(**{k: v for k, v in values.items() if k in FIELDS})
    parts = {k: values[k] for k in PARTS if k in values}
    saved = SavedSession(folder, record=record, problems=reading.problems, **meta, **parts)
    if not (meta["source"] or saved.holds_work or saved.problems):
        return None  # nothing at all; with problems, the damage is kept and told
    return saved
