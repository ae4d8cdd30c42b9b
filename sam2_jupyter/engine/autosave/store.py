"""The session store: one SQLite file, ``session.sqlite``, written one transaction
per edit.

Why SQLite. An edit changes several kinds of state at once (a seed of 50 objects:
50 prompts, their mask inputs and SAM2 outputs, the frame's labels and quality).
Written as one file per kind, a kill between two files reopened half an edit:
labels whose prompts were never written. SQLite (in the standard library) commits
any number of rows atomically, survives a kill at any instant by design (its
write-ahead log carries checksums; a torn commit is ignored on the next open), and
lets each row be read and checked alone, so one damaged row does not hide the
rest. Files committed by content hash before an index row would give the same
atomicity with more code of our own and an orphan sweep; SQLite does it in one
place that is tested far beyond what we could.

Durability. ``journal_mode=WAL``: a commit appends to the log instead of rewriting
pages, and readers (a read-only look from another kernel) never block the writer.
``synchronous=FULL`` flushes the log to the disk at every commit, so an edit the
user saw survives a power cut too, not only a killed process (``NORMAL`` survives
kills but may lose the last commits on power loss). The cost is measured in
``benchmarks/bench_store.py``; file systems without shared memory (some network
mounts) fall back to SQLite's rollback journal, still atomic.

Every row is ``(kind, key) -> data``: one kind per part of the session (see
:mod:`.codecs`), and :class:`Table` writes only the rows that changed.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

STORE_NAME = "session.sqlite"
FORMAT = 2  # 1 was a folder of files, one per kind (see .legacy)
APPLICATION_ID = 0x53414D32  # "SAM2": `file` and sqlite tools can tell what it is
SYNCHRONOUS = "FULL"
SCHEMA = """
CREATE TABLE IF NOT EXISTS items (
    kind TEXT NOT NULL,
    key TEXT NOT NULL,
    data BLOB NOT NULL,
    PRIMARY KEY (kind, key)
)
"""
# Errors SQLite raises for a damaged or foreign file (and a full disk).
DB_ERRORS = (sqlite3.DatabaseError, OSError)


class Store:
    """One open ``session.sqlite``. Not thread-safe by itself: the
    :class:`~.folder.Autosave` that owns it serialises its calls."""

    def __init__(self, path: Path, read_only: bool = False) -> None:
        self.path = path
        self.read_only = read_only
        if not read_only and not path.exists():
            # Created by us so that its mode (and its log's, which SQLite copies)
            # follows the umask like every file we write.
            os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o666))
        uri = f"file:{path}?mode=ro" if read_only else f"file:{path}"
        self.conn = sqlite3.connect(
            uri, uri=True, isolation_level=None, check_same_thread=False, timeout=5
        )
        try:
            if not read_only:
                self.conn.execute("PRAGMA journal_mode=WAL")
                self.conn.execute(f"PRAGMA synchronous={SYNCHRONOUS}")
                self.conn.execute(SCHEMA)
                if self.pragma("application_id") == 0:
                    self.conn.execute(f"PRAGMA application_id={APPLICATION_ID}")
                    self.conn.execute(f"PRAGMA user_version={FORMAT}")
            self.check()
        except BaseException:
            self.conn.close()
            raise

    def pragma(self, name: str) -> Any:
        return self.conn.execute(f"PRAGMA {name}").fetchone()[0]

    def check(self) -> None:
        """Raise :class:`sqlite3.DatabaseError` unless this is one of our stores of a
        format we read."""
        app, version = self.pragma("application_id"), self.pragma("user_version")
        if app != APPLICATION_ID:
            raise sqlite3.DatabaseError(f"not a sam2_jupyter session store (id {app:#x})")
        if version > FORMAT:
            raise sqlite3.DatabaseError(
                f"written by a newer sam2_jupyter (format {version}; this one reads {FORMAT})"
            )

    # -- writing --------------------------------------------------------------------
    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """All the writes in the block are committed together, or none is."""
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self.conn
            self.conn.execute("COMMIT")
        except BaseException:
            if self.conn.in_transaction:
                with contextlib.suppress(sqlite3.Error):
                    self.conn.execute("ROLLBACK")
            raise

    @staticmethod
    def put(tx: sqlite3.Connection, kind: str, key: str, data: bytes) -> None:
        tx.execute(
            "INSERT INTO items (kind, key, data) VALUES (?, ?, ?) "
            "ON CONFLICT (kind, key) DO UPDATE SET data = excluded.data",
            (kind, key, data),
        )

    @staticmethod
    def delete(tx: sqlite3.Connection, kind: str, key: str | None = None) -> None:
        """One row, or with ``key`` None every row of ``kind``."""
        if key is None:
            tx.execute("DELETE FROM items WHERE kind = ?", (kind,))
        else:
            tx.execute("DELETE FROM items WHERE kind = ? AND key = ?", (kind, key))

    # -- reading --------------------------------------------------------------------
    def keys(self, kind: str) -> list[str]:
        rows = self.conn.execute("SELECT key FROM items WHERE kind = ? ORDER BY key", (kind,))
        return [k for (k,) in rows]

    def get(self, kind: str, key: str) -> bytes | None:
        row = self.conn.execute(
            "SELECT data FROM items WHERE kind = ? AND key = ?", (kind, key)
        ).fetchone()
        if row is None:
            return None
        data = row[0]  # a damaged or hand-edited row may hold another type
        return data if isinstance(data, bytes) else str(data).encode("utf-8", "replace")

    def rows(self, kind: str, problems: list[str]) -> Iterator[tuple[str, bytes]]:
        """Every readable row of ``kind``, each read alone: a damaged page loses its
        rows (named in ``problems``), not the kind."""
        try:
            keys = self.keys(kind)
        except sqlite3.DatabaseError as exc:
            problems.append(f"{kind}: unreadable ({exc})")
            return
        for key in keys:
            try:
                data = self.get(kind, key)
            except sqlite3.DatabaseError as exc:
                problems.append(f"{kind} {key}: unreadable ({exc})")
                continue
            if data is not None:
                yield key, data

    def copy_to(self, target: Path) -> None:
        """A consistent copy of the store (SQLite's backup: the log included)."""
        dst = sqlite3.connect(target)
        try:
            self.conn.backup(dst)
        finally:
            dst.close()

    def close(self) -> None:
        with contextlib.suppress(sqlite3.Error):
            self.conn.close()


def set_aside_file(path: Path, why: str) -> Path:
    """Move a store that cannot be opened (with its log) to ``<name>.<why>-<n>``: kept
    for recovery by hand, out of the way of a new one."""
    n = 1
    while (target := path.with_name(f"{path.name}.{why}-{n}")).exists():
        n += 1
    for suffix in ("", "-wal", "-shm"):
        src = path.with_name(path.name + suffix)
        if src.exists():
            shutil.move(str(src), str(target.with_name(target.name + suffix)))
    return target


def same(a: Any, b: Any) -> bool:
    """Whether a row's value is unchanged: the same objects (the record's values are
    immutable and replaced, never changed in place), or equal bytes."""
    if isinstance(a, tuple) and isinstance(b, tuple):
        return len(a) == len(b) and all(x is y for x, y in zip(a, b, strict=True))
    if isinstance(a, bytes) and isinstance(b, bytes):
        return a == b
    return a is b


Encode = Callable[[], bytes]


class Table:
    """The rows of one kind, written by difference with what was last committed.

    ``written`` maps each key to the value (a token: the object, or its bytes) last
    committed; None means unknown, so the next write replaces the whole kind. What a
    transaction writes is staged and becomes ``written`` only once it commits: a
    failed commit (a full disk) leaves ``written`` as the disk has it, so the next
    write tries again."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.written: dict[str, Any] | None = None
        self._staged: dict[str, Any] | None = None

    def write(self, tx: sqlite3.Connection, rows: dict[str, tuple[Any, Encode]]) -> None:
        """Make the kind hold exactly ``rows`` (key -> (token, encode))."""
        old = self.written
        if old is None:
            Store.delete(tx, self.kind)
            old = {}
        for key in old.keys() - rows.keys():
            Store.delete(tx, self.kind, key)
        for key, (token, encode) in rows.items():
            if key not in old or not same(old[key], token):
                Store.put(tx, self.kind, key, encode())
        self._staged = {key: token for key, (token, _) in rows.items()}

    def write_one(self, tx: sqlite3.Connection, key: str, token: Any, encode: Encode) -> None:
        """One row (a propagated frame); ``token`` None deletes it."""
        base = dict(self.written or {}) if self._staged is None else self._staged
        if token is None:
            Store.delete(tx, self.kind, key)
            base.pop(key, None)
        elif key not in base or not same(base[key], token):
            Store.put(tx, self.kind, key, encode())
            base[key] = token
        self._staged = base if self.written is not None else None

    def committed(self) -> None:
        if self._staged is not None:
            self.written = self._staged
        self._staged = None

    def failed(self) -> None:
        self._staged = None
