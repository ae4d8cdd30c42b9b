"""Our threads: background ones give the CPU to the user's work first, and all are
closed before the interpreter exits.

Work nobody waits for (feature precompute, prefetched and lossless frame encodes,
feature writes to disk) runs on threads at the lowest CPU priority, so a click's
model work, running at the same moment on a 2-core laptop or Binder, gets nearly
all of the CPU instead of half. On Linux the nice value is per thread and the
threads a thread creates inherit it: the OpenMP / MKL threads PyTorch starts for a
background thread's first operation are low priority too. Elsewhere this is a no-op
(pausing between layers, :mod:`sam2_jupyter.engine.features.pausing`, still holds).
"""

from __future__ import annotations

import atexit
import contextlib
import os
import sys
import threading
import weakref
from collections.abc import Iterator
from typing import Any, Protocol

LOWEST = 19


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


class Closable(Protocol):
    def close(self, timeout: float | None = ...) -> None: ...


_OPEN: weakref.WeakSet[Closable] = weakref.WeakSet()


def close_at_exit(owner: Closable) -> None:
    """Close ``owner``'s thread at interpreter exit if it is still open: a thread
    killed inside a PyTorch call at exit aborts the whole process."""
    _OPEN.add(owner)


@atexit.register
def _close_all() -> None:
    for owner in list(_OPEN):
        owner.close(timeout=10.0)
