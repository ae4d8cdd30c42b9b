"""Continuous, transactional saving of a Session's work, and reading it back.

Annotation is hours of human work; a kernel can die at any moment (out of memory,
a restart, a closed laptop). The session folder therefore always holds the last
state that was shown, in one store (:mod:`.store`, ``session.sqlite``), one
transaction per edit and per propagated frame:

* ``labels``: each labelled frame, exactly the compressed bytes the Session keeps
  in memory, so a click or a propagated frame rewrites one small row, never the
  volume;
* ``prompts``: every prompt with its grouping, so SAM2's prompt state can be
  rebuilt exactly as it was sent;
* ``quality``: what SAM2 said of each label on each produced frame (its presence
  score, area, centroid), written with the frame's labels;
* ``hand``: pixels painted or erased by hand that SAM2 does not see, labels that
  exist as pixels only, and divisions;
* ``sam2``: SAM2's own prompt state (see :mod:`.sam2_state`);
* ``meta``: what the data was (to refuse resuming onto other data), which model
  made the labels, the frame and label in view, and when it was saved.

A kill at any instant reopens to the state before an edit or after it, never
between; a killed propagation loses at most the frame being computed. One session
writes a folder at a time (:mod:`.owner`). A damaged part is skipped and named, the
rest recovered, and the store as it was kept beside the new one.
"""

from __future__ import annotations

import datetime as _dt
import json
import shutil
import sqlite3
import weakref
from pathlib import Path
from typing import Any

from ..._later import Later
from ..._threads import TimedLock
from ...errors import AutosaveError
from ..core import Snapshot
from ..rows import FrameRows
from . import legacy
from .codecs import Geometry, MetaCodec, Rows, codecs
from .owner import Owner
from .saved import SAM2, SavedSession, read_store
from .store import DB_ERRORS, STORE_NAME, Store, Table, set_aside_file

# The open writer of each folder in this process (see .owner: a new session here
# takes the folder over from an earlier one).
_OPEN: weakref.WeakValueDictionary[str, Autosave] = weakref.WeakValueDictionary()


class Autosave:
    """Keeps one session folder's store in step with a Session.

    The Session calls :meth:`sync` after every committed change and
    :meth:`write_frame` for every propagated frame; each is one transaction that
    writes only the rows that changed. Failures (a full disk, a revoked permission)
    are kept in :attr:`error` until a save succeeds again, and never interrupt the
    user's work, which stays in memory (the next save writes all that is missing).
    """

    def __init__(self, folder: Path, source: dict[str, Any], model: str, owner: Owner) -> None:
        self.folder = folder
        self.source = source
        self.model = model
        self.owner = owner
        self.error: str | None = None
        self._behind = False  # a write failed: the store lacks some of memory
        self._view: dict[str, int] = {}
        self._view_later = Later()  # the view's write, view_delay after it changed
        self._view_due = False
        self.store: Store | None = None
        self.codecs = codecs(SAM2)
        self.tables = {codec.kind: Table(codec.kind) for codec in self.codecs}
        self.meta = Table("meta")
        # The worker saves edits while the notebook thread saves the view.
        self._lock = TimedLock("the autosave")

    # -- opening ----------------------------------------------------------------------
    @classmethod
    def open(
        cls, folder: Path, source: dict[str, Any], model: str, geo: Geometry, read: bool = True
    ) -> tuple[Autosave, SavedSession | None, list[str]]:
        """Take ``folder`` (raises :class:`~.owner.SaveLockedError` while another
        session holds it), open its store (moving a format-1 save into it first) and
        read what it holds. Returns the writer, the save and notes of what was done
        to it (a damaged store set aside, a lock taken over). ``read`` False: the
        caller brings the work (nothing is read back)."""
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise AutosaveError(f"{folder}: cannot create the session folder ({exc})") from exc
        notes: list[str] = []
        key = str(folder.resolve())
        earlier = _OPEN.get(key)
        if earlier is not None and earlier.store is not None:
            earlier.detach(
                f"{folder} was opened again in this kernel (a re-run cell, another "
                "annotator), which saves it now; this session no longer does (its work "
                "stays in memory: export it, or work in the newer one)"
            )
            notes.append(f"took over {folder} from an earlier session in this kernel")
        owner = Owner.take(folder)
        if owner.previous:
            notes.append(
                f"took over {folder} from process {owner.previous.get('pid')}, which ended "
                "without closing it; its last saved edit is kept"
            )
        self = cls(folder, source, model, owner)
        try:
            saved = self._open_store(geo, notes, read)
        except BaseException:
            self.close()
            raise
        _OPEN[key] = self
        return self, saved, notes

    def _open_store(self, geo: Geometry, notes: list[str], read: bool) -> SavedSession | None:
        path = self.folder / STORE_NAME
        try:
            self.store = Store(path)
        except sqlite3.OperationalError as exc:  # locked, I/O: not damage, never set aside
            raise AutosaveError(f"{path}: cannot open the save ({exc})") from exc
        except sqlite3.DatabaseError as exc:
            if "newer sam2_jupyter" in str(exc):
                raise AutosaveError(f"{path}: {exc}; upgrade sam2_jupyter to open it") from exc
            moved = set_aside_file(path, "damaged")
            notes.append(f"{path} is unreadable ({exc}); kept as {moved}, a new save begun")
            self.store = Store(path)
        problems: list[str] = []
        if legacy.present(self.folder):
            if not legacy.holds_work(self.store):
                legacy.migrate(self.folder, self.store, problems)
                notes.append(
                    f"moved the save in {self.folder} to one store ({STORE_NAME}); the "
                    f"original files are kept in {self.folder / legacy.ORIGINAL}"
                )
            else:  # migrated already: a kill came before the files were moved
                legacy.keep_original(self.folder)
        if not read:
            return None
        saved = read_store(self.store, self.folder, geo)
        if saved is not None:
            saved.problems[:0] = problems
            if saved.problems:
                saved.kept = self._keep_damaged(path)
        return saved

    def _keep_damaged(self, path: Path) -> Path:
        """A copy of the store as it was before anything readable is written back."""
        n = 1
        while (target := path.with_name(f"{path.name}.damaged-{n}")).exists():
            n += 1
        assert self.store is not None
        try:
            self.store.copy_to(target)
        except DB_ERRORS:
            for suffix in ("", "-wal"):
                src = path.with_name(path.name + suffix)
                if src.exists():
                    shutil.copyfile(src, target.with_name(target.name + suffix))
        return target

    def adopt(self, saved: SavedSession, live: dict[str, Any] | None) -> None:
        """After a resume: the rows on disk are what memory now holds, so the next
        save writes only what changes (SAM2's entries can be hundreds of MB for a
        field of nuclei). ``live``: SAM2's restored entries by name. Not after
        damage: the next save then rewrites every kind, so that no damaged row is
        left behind (the store as it was is kept)."""
        self._view = dict(saved.view)
        if saved.problems:
            return
        for codec in self.codecs:
            written = codec.adopt(saved, live)
            if written is not None:
                self.tables[codec.kind].written = written

    def detach(self, why: str) -> None:
        """Closed because another session of this kernel took the folder: ``why``
        stays in :attr:`error` (the annotator keeps saying it)."""
        self.close()
        self.error = why

    def close(self) -> None:
        """Stop writing and let another session have the folder (idempotent)."""
        with self._lock:
            self._view_later.close()
            if self.store is not None:
                if self._view_unsaved():
                    self._write_meta()
                self.store.close()
                self.store = None
            self.owner.release()

    # -- reading ----------------------------------------------------------------------
    @staticmethod
    def read(folder: str | Path, geo: Geometry) -> SavedSession | None:
        """What the folder's store holds, read-only (no lock taken, nothing written);
        None without a store."""
        path = Path(folder).expanduser() / STORE_NAME
        if not path.is_file():
            return None
        try:
            store = Store(path, read_only=True)
        except sqlite3.DatabaseError as exc:
            raise AutosaveError(f"{path}: unreadable ({exc})") from exc
        try:
            return read_store(store, path.parent, geo)
        finally:
            store.close()

    @staticmethod
    def set_aside(folder: str | Path) -> Path:
        """Move a session folder out of the way (never deleted): ``name.old-<time>``."""
        folder = Path(folder).expanduser()
        stamp = _dt.datetime.now().strftime("%Y%m%d-%H%M%S-%f")
        target = folder.with_name(f"{folder.name}.old-{stamp}")
        shutil.move(str(folder), str(target))
        return target

    # -- writing ----------------------------------------------------------------------
    def _commit(self, write: Any, tables: list[Table]) -> bool:
        """Run ``write(tx)`` as one transaction; on failure keep the reason in
        :attr:`error` and forget what was staged (the next save writes it)."""
        with self._lock:
            if self.store is None:
                return False
            try:
                with self.store.transaction() as tx:
                    write(tx)
            except BaseException as exc:
                for table in tables:
                    table.failed()
                self._behind = True
                if not isinstance(exc, DB_ERRORS):
                    raise  # an encode failed: the edit itself reports it
                self.error = f"autosave to {self.folder} failed: {exc}"
                return False
            for table in tables:
                table.committed()
            return True

    def write_frame(self, t: int, snap: Snapshot) -> None:
        """One propagated frame: its row of every per-frame kind (the labels, the
        quality record; none where the frame has no value now)."""
        frames = [c for c in self.codecs if isinstance(c, FrameRows)]
        tables = [self.tables[c.kind] for c in frames]

        def write(tx: sqlite3.Connection) -> None:
            for codec, table in zip(frames, tables, strict=True):
                table.write_one(tx, str(t), *codec.at(snap, t))

        if self._commit(write, tables) and not self._behind:
            self.error = None

    def sync(self, snap: Snapshot) -> None:
        """Write every row that differs from the store, in one transaction."""
        tables = [*self.tables.values(), self.meta]

        def write(tx: sqlite3.Connection) -> None:
            for codec in self.codecs:
                self.tables[codec.kind].write(tx, codec.write(snap))
            self.meta.write(tx, self._meta_rows())

        if self._commit(write, tables):
            self._behind = False
            self.error = None

    #: Seconds from a change of view to its write: a kill loses at most this much
    #: of where you looked, and stepping or playing writes once per period at most.
    view_delay = 2.0

    def set_view(self, frame: int, label: int) -> None:
        """Remember the frame and label in view (restored on resume).

        Not written now: stepping through frames must never wait for the disk. A
        :class:`~sam2_jupyter._later.Later` writes the latest view
        :attr:`view_delay` seconds after the first change since the last write (one
        small transaction, off the caller's thread unless that runs the kernel's
        loop); the next edit and :meth:`close` write it too, whichever is first.
        """
        self._view = {"frame": int(frame), "label": int(label)}
        if self.store is not None and not self._view_due:
            self._view_due = True
            self._view_later.schedule(self.view_delay, self._flush_view)

    def _flush_view(self) -> None:
        """The delayed write. It never waits for the store: while an edit or a frame
        is being saved, it tries again a period later (that save writes the view
        too)."""
        self._view_due = False
        if not self._lock.acquire(blocking=False):
            self._view_due = True
            self._view_later.schedule(self.view_delay, self._flush_view)
            return
        try:
            if self.store is not None and self._view_unsaved():
                self._write_meta()
        finally:
            self._lock.release()

    def _view_unsaved(self) -> bool:
        return (self.meta.written or {}).get("view") != json.dumps(self._view).encode()

    def _write_meta(self) -> None:
        self._commit(lambda tx: self.meta.write(tx, self._meta_rows()), [self.meta])

    def _meta_rows(self) -> Rows:
        return MetaCodec.rows(
            {
                "source": self.source,
                "model": self.model,
                "view": self._view,
                "saved_at": _dt.datetime.now().isoformat(timespec="seconds"),
            }
        )
