"""One writer per session folder: the session that holds ``owner.lock`` writes it.

Two notebooks on the same file, or two browser tabs of the app (two kernels), would
otherwise write one save turn about, each over the other's work. The lock is an
advisory ``flock`` on ``owner.lock``, held for the session's life: the operating
system drops it when the holder's process ends, however it ends (a kill, an
out-of-memory kill, a closed laptop's dead kernel), so a stale owner never blocks
anyone and is taken over without guessing from process ids. The file also says who
holds it (process, machine, user, since when) for the refusal's sentence; it is
rewritten by each new holder.

Within one kernel the lock is not the arbiter: re-running a notebook cell makes a
new session while the old one still exists, and must not lock the user out of
their own work. :class:`~.folder.Autosave` hands the folder over instead (the
earlier session is told it no longer saves).

On file systems without ``flock`` (some network mounts), the lock cannot be taken
and the folder is refused with a sentence saying so, rather than shared unsafely.
"""

from __future__ import annotations

import datetime as _dt
import getpass
import json
import os
import socket
import weakref
from pathlib import Path
from typing import Any

from ...errors import AutosaveError

try:
    import fcntl
except ImportError:  # Windows: no advisory locks here; msvcrt locks are mandatory
    fcntl = None  # type: ignore[assignment]

LOCK_NAME = "owner.lock"


class SaveLockedError(AutosaveError):
    """Another live session writes this save. ``holder`` says who (from the lock
    file; empty when it could not be read)."""

    def __init__(self, folder: Path, holder: dict[str, Any]) -> None:
        self.folder = folder
        self.holder = holder
        super().__init__(f"{folder} is open in {describe(holder)}")

    def sentence(self, where: str = "notebook") -> str:
        fix = (
            "close the other page (or stop its sam2-jupyter) to work on it here"
            if where == "app"
            else "close it there first (session.close(), or shut that kernel down), or "
            "open this one read-only (read_only=True) to look without saving"
        )
        return f"{self}: {fix}."


def describe(holder: dict[str, Any]) -> str:
    """ "another session (process 1234 on gpu-node, user ana, since 2026-12-02 10:03)"."""
    if not holder:
        return "another session"
    parts = [f"process {holder.get('pid', '?')}"]
    if holder.get("host") and holder.get("host") != socket.gethostname():
        parts[0] += f" on {holder['host']}"
    if holder.get("user"):
        parts.append(f"user {holder['user']}")
    if holder.get("since"):
        parts.append(f"since {str(holder['since']).replace('T', ' ')}")
    same = holder.get("pid") == os.getpid() and holder.get("host") == socket.gethostname()
    where = "another session of this kernel" if same else "another session"
    return f"{where} ({', '.join(parts)})"


def read_holder(folder: Path) -> dict[str, Any]:
    """Who last took the lock (whether or not it still holds it)."""
    try:
        value = json.loads((folder / LOCK_NAME).read_text() or "{}")
    except (OSError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


class Owner:
    """The held lock of one folder; :meth:`release` (or the process's end) frees it."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.previous: dict[str, Any] = {}
        self._fd: int | None = None
        self._me: dict[str, Any] = {}
        self._finalizer: Any = None

    @classmethod
    def take(cls, folder: Path) -> Owner:
        """Hold ``folder``'s lock, or raise :class:`SaveLockedError` naming its holder.

        ``previous`` is who held it last, when that was another process that has
        ended without releasing it (the caller says it was taken over)."""
        owner = cls(folder)
        path = folder / LOCK_NAME
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
        except OSError as exc:
            raise AutosaveError(f"{folder}: cannot create {LOCK_NAME} ({exc})") from exc
        if fcntl is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                raise SaveLockedError(folder, read_holder(folder)) from None
            except OSError as exc:
                os.close(fd)
                raise AutosaveError(
                    f"{folder}: this file system cannot lock the save against a second "
                    f"writer ({exc}); choose another folder with autosave=..."
                ) from exc
        previous = read_holder(folder)
        if previous.get("open") and previous.get("pid") != os.getpid():
            owner.previous = previous  # it ended while holding the save
        me = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "user": _user(),
            "since": _dt.datetime.now().isoformat(timespec="seconds"),
            "open": True,
        }
        try:
            os.ftruncate(fd, 0)
            os.pwrite(fd, json.dumps(me).encode(), 0)
        except OSError:
            pass  # who holds it is news for a refusal's sentence, not needed to hold it
        owner._fd, owner._me = fd, me
        # A session dropped without close() must not hold the folder until exit.
        owner._finalizer = weakref.finalize(owner, os.close, fd)
        return owner

    def release(self) -> None:
        """Say the folder is closed and free the lock (idempotent). Written through
        the held descriptor: the folder may have been moved aside meanwhile."""
        fd, self._fd = self._fd, None
        if fd is None:
            return
        self._finalizer.detach()
        try:
            os.ftruncate(fd, 0)
            os.pwrite(fd, json.dumps(self._me | {"open": False}).encode(), 0)
        except OSError:
            pass
        finally:
            os.close(fd)  # closing the descriptor drops the flock

    @property
    def held(self) -> bool:
        return self._fd is not None


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return ""
