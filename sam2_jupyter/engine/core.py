"""The one owner of a session's mutable state, and the record undo and autosave keep.

Everything an edit can change lives here: sam2's inference state, the label
frames, and a :class:`SessionState` record of what is ours (prompts, pending
prompts, each prompted frame's base, the quality of every produced frame). The
record is immutable: an edit replaces it, so undo keeps a reference and autosave
compares its values by identity. Its fields are the table :data:`~.fields.FIELDS`,
which update, label removal, undo, the autosave and resume all iterate: a new kind
of state (review marks, object names) is one entry there and its codec
(:meth:`~.fields.Fields.register`), and nothing else changes.

The lock rule, as the code does it: every mutation (an edit, each propagated
frame, undo, redo, resume) holds :attr:`SessionCore.lock`; readers get immutable
values (the record, a frame's compressed labels) and need no lock, except those
that read many frames at once (the whole label volume, exports), which take it so
that a propagation does not change frames under them.

The lock is a :class:`~sam2_jupyter._threads.TimedLock`: a wait longer than its
timeout raises :class:`~sam2_jupyter.errors.SessionBusyError` naming the thread that
holds it, so a bug that keeps the lock is an error, not a hung kernel.
"""

from __future__ import annotations

import contextlib
import threading
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from .._threads import TimedLock
from ..errors import SessionBusyError
from .fields import FIELDS, SessionState
from .labels import LabelStore

__all__ = ["FIELDS", "History", "SessionCore", "SessionState", "Snapshot"]


@dataclass(frozen=True)
class Snapshot:
    """Everything needed to put a session back exactly: sam2's editable state (dicts
    copied, tensors shared), the compressed label frames, and the record."""

    sam: dict[str, Any]
    labels: dict[int, bytes]
    record: SessionState


class History:
    """Undo and redo of snapshots; one edit or one propagation is one item."""

    def __init__(self, size: int) -> None:
        self._undo: deque[Snapshot] = deque(maxlen=max(1, size))
        self._redo: list[Snapshot] = []

    def push(self, before: Snapshot) -> None:
        self._undo.append(before)
        self._redo.clear()

    def undo(self, now: Snapshot) -> Snapshot | None:
        if not self._undo:
            return None
        self._redo.append(now)
        return self._undo.pop()

    def redo(self, now: Snapshot) -> Snapshot | None:
        if not self._redo:
            return None
        self._undo.append(now)
        return self._redo.pop()


class SessionCore:
    """The lock, sam2's state, the labels, the record, busy / cancel and history."""

    def __init__(self, labels: LabelStore, history: int) -> None:
        self.lock = TimedLock("the session")
        # The tracker's state (a TrackerState: sam2's inference state), set by the Session.
        self.sam: Any = {}
        self.labels = labels
        self.record = SessionState()
        self.busy = False
        self.cancelled = threading.Event()
        self.history = History(history)
        # Called (under the lock) after each committed change: the autosave.
        self.on_change: list[Callable[[], None]] = []

    # -- the record ---------------------------------------------------------------
    def update(self, **changes: Any) -> None:
        """Replace fields of the record, each normalised by its entry in
        :data:`~.fields.FIELDS` (the caller holds the lock)."""
        self.record = self.record.replace(**changes)

    def drop_label(self, label: int) -> None:
        """The record without ``label``: every field drops it (its prompts, bases,
        quality rows, hand edits, divisions...; the caller removes its pixels and
        the tracker's object)."""
        self.record = self.record.without_label(label)

    def label_ids(self) -> set[int]:
        """Every label in use: those the record makes exist and those tracked."""
        return self.record.label_ids | set(self.tracked())

    def tracked_labels(self) -> set[int]:
        """The labels the tracker follows, or will once prompted (their pixels are
        the tracker's: a label painted beside them is one drawn by hand)."""
        return set(self.tracked()) | {p.label for p in self.record.prompts}

    def tracked(self) -> list[int]:
        """The objects the tracker's state holds (none before the Session sets it)."""
        return list(getattr(self.sam, "object_ids", ()))

    def new_group(self) -> int:
        self.update(group=self.record.group + 1)
        return self.record.group

    # -- snapshots ----------------------------------------------------------------
    def snapshot(self) -> Snapshot:
        return Snapshot(self.sam.snapshot(), self.labels.snapshot(), self.record)

    def restore(self, snap: Snapshot) -> None:
        self.sam.restore(snap.sam)
        self.labels.restore(snap.labels)
        self.record = snap.record

    def changed(self) -> None:
        for listener in self.on_change:
            listener()

    # -- transactions -------------------------------------------------------------
    def check_idle(self) -> None:
        if self.busy:
            raise SessionBusyError(
                "propagation is running; cancel it or wait before editing prompts"
            )

    @contextlib.contextmanager
    def edit(
        self,
        context: Callable[[], contextlib.AbstractContextManager[Any]],
        on_error: Callable[[BaseException], BaseException | None] = lambda exc: None,
    ) -> Iterator[None]:
        """One undoable step: all of it happens, or none of it (state restored).

        ``context`` opens sam2's numeric context; ``on_error`` may turn the failure
        into another exception (e.g. out of memory into advice)."""
        with self.lock:
            self.check_idle()
            before = self.snapshot()
            try:
                with context():
                    yield
            except BaseException as exc:
                self.restore(before)
                better = on_error(exc)
                if better is not None:
                    raise better from exc
                raise
            self.history.push(before)
            self.changed()

    def step_back(self, redo: bool = False) -> bool:
        """Undo (or redo) one step exactly; False when there is none."""
        with self.lock:
            self.check_idle()
            now = self.snapshot()
            target = self.history.redo(now) if redo else self.history.undo(now)
            if target is None:
                return False
            self.restore(target)
            self.changed()
            return True
