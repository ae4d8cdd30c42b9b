"""Our threads: background ones give the CPU to the user's work first, and all are
closed before the interpreter exits.

Work nobody waits for (feature precompute, prefetched and lossless frame encodes,
feature writes to disk) runs on threads at the lowest CPU priority, so a click's
model work, running at the same moment on a 2-core laptop or Binder, gets nearly
all of the CPU instead of half. On Linux the nice value is per thread and the
threads a thread creates inherit it: the OpenMP / MKL threads PyTorch starts for a
background thread's first operation are low priority too. Elsewhere this is a no-op
(pausing between layers, :mod:`sam2_jupyter.engine.features.pausing`, still holds).

Locks the widget can reach are :class:`TimedLock`: a wait that would never end
becomes an error that says who holds the lock.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import sys
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from types import TracebackType
from typing import Any, Protocol

from .errors import SessionBusyError

LOWEST = 19
# How long ``with lock:`` waits for a TimedLock before it raises (seconds).
LOCK_TIMEOUT_S = 60.0


def lower_priority() -> bool:
    """Give the calling thread (and the threads it starts later) the lowest CPU
    priority; False where the platform has no per-thread priority."""
    if not sys.platform.startswith("linux") or not hasattr(os, "setpriority"):
        return False
    with contextlib.suppress(OSError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), LOWEST)
        return True
    return False


@contextlib.contextmanager
def thread_value(local: threading.local, name: str, value: Any) -> Iterator[None]:
    """``local.<name>`` is ``value`` within the block on this thread, and what it was
    before afterwards (nesting keeps working)."""
    before = getattr(local, name, None)
    setattr(local, name, value)
    try:
        yield
    finally:
        setattr(local, name, before)


def priority() -> int | None:
    """The calling thread's nice value (None where not per thread)."""
    if not sys.platform.startswith("linux"):
        return None
    return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())


class TimedLock:
    """A re-entrant lock whose ``with`` block waits at most ``timeout`` seconds, then
    raises :class:`~sam2_jupyter.errors.SessionBusyError` naming the holder.

    Why: a bug elsewhere that keeps a lock (a loop that never ends, a thread stuck
    in a call) must become an error the user reads, not a Jupyter kernel that hangs
    without a word. The lock records which thread holds it and since when, so the
    message says who to wait for. The holder taking it again never waits, as with
    :class:`threading.RLock`; :meth:`acquire` keeps RLock's signature (it waits as
    told and returns False rather than raising).

    Parameters
    ----------
    name
        What the lock guards, as the message names it ("the session").
    timeout
        Seconds ``with`` waits; :data:`LOCK_TIMEOUT_S` when None.
    """

    def __init__(self, name: str, timeout: float | None = None) -> None:
        self.name = name
        self.timeout = LOCK_TIMEOUT_S if timeout is None else float(timeout)
        self._lock = threading.RLock()
        self._count = 0
        self._owner: int | None = None  # thread ident, set on the first acquisition
        self.owner_name: str | None = None
        self.since: float | None = None  # time.monotonic() of the first acquisition

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        """As :meth:`threading.RLock.acquire`: True once held, False if not in time."""
        if self._owner == threading.get_ident():
            self._lock.acquire()  # ours already: returns at once
            self._count += 1
            return True
        if not self._lock.acquire(blocking, timeout):
            return False
        self._owner = threading.get_ident()
        self.owner_name = threading.current_thread().name
        self.since = time.monotonic()
        self._count = 1
        return True

    def release(self) -> None:
        """Release once; the last release clears who held it."""
        if self._owner != threading.get_ident():
            raise RuntimeError(f"cannot release {self.name}'s lock: this thread does not hold it")
        self._count -= 1
        if self._count == 0:
            self._owner = self.owner_name = self.since = None
        self._lock.release()

    def busy_message(self) -> str:
        """The sentence for a wait that ran out (read without the lock: a best effort
        while the holder may just be releasing it)."""
        holder, since = self.owner_name, self.since
        held = f" for {time.monotonic() - since:.0f} s" if since is not None else ""
        who = f"thread {holder!r}" if holder is not None else "another thread"
        return (
            f"{self.name[:1].upper()}{self.name[1:]} is busy: {who} has held it{held} "
            f"(waited {self.timeout:g} s). Wait for it to finish or press Cancel / "
            "call session.cancel(), then try again."
        )

    def __enter__(self) -> TimedLock:
        if not self.acquire(timeout=self.timeout):
            raise SessionBusyError(self.busy_message())
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()

    def __repr__(self) -> str:
        state = f"held by {self.owner_name!r}" if self._count else "free"
        return f"<TimedLock {self.name!r} {state}>"


class Closable(Protocol):
    def close(self, timeout: float | None = ...) -> None: ...


# Owner -> what to run on it at exit; weakly held, so closed sessions get freed.
_AT_EXIT: weakref.WeakKeyDictionary[Any, Callable[[Any], None]] = weakref.WeakKeyDictionary()


def at_exit(owner: Any, finish: Callable[[Any], None]) -> None:
    """Run ``finish(owner)`` at interpreter exit if ``owner`` is still alive then
    (``finish`` must not hold ``owner`` itself): the one exit registry of the
    package's threads and writers."""
    _AT_EXIT[owner] = finish


def _close(owner: Closable) -> None:
    owner.close(timeout=10.0)


def close_at_exit(owner: Closable) -> None:
    """Close ``owner``'s thread at interpreter exit if it is still open: a thread
    killed inside a PyTorch call at exit aborts the whole process."""
    at_exit(owner, _close)


@atexit.register
def _finish_all() -> None:
    for owner, finish in list(_AT_EXIT.items()):
        finish(owner)
