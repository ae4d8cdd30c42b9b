"""A call made once after a delay, a newer request replacing the older one.

Two things wait like this: the frame stream's lossless upgrade (the PNG sent once
the view settles) and the autosave's write of the view. Both run their call on the
kernel's event loop when they are made there (``loop.call_later``, as jupyter_rfb
schedules its lossless redraw), else on one timer thread each, named
``sam2j-later``, started at the first request.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable


class Later:
    """Run a callable once after a delay; a newer request replaces the older one.

    On the kernel's event loop when there is one (``loop.call_later``, as
    jupyter_rfb schedules its lossless redraw), else on one timer thread shared by
    all requests. The callable should be quick: it hands work to a worker."""

    def __init__(self) -> None:
        try:
            self._loop: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            self._loop = None
        self._lock = threading.Condition()
        self._due: tuple[float, Callable[[], None]] | None = None
        self._handle: asyncio.TimerHandle | None = None
        self._thread: threading.Thread | None = None
        self._closed = False

    def schedule(self, delay: float, fn: Callable[[], None]) -> None:
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self._arm, delay, fn)
            return
        with self._lock:
            self._due = (time.monotonic() + delay, fn)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="sam2j-later", daemon=True)
                self._thread.start()
            self._lock.notify()

    def _arm(self, delay: float, fn: Callable[[], None]) -> None:  # on the loop
        if self._handle is not None:
            self._handle.cancel()
        self._handle = None if self._closed else self._loop.call_later(delay, fn)  # type: ignore[union-attr]

    def _run(self) -> None:
        with self._lock:
            while not self._closed:
                if self._due is None:
                    self._lock.wait()
                    continue
                when, fn = self._due
                wait = when - time.monotonic()
                if wait > 0:
                    self._lock.wait(wait)
                    continue
                self._due = None
                self._lock.release()
                try:
                    fn()
                finally:
                    self._lock.acquire()

    def close(self) -> None:
        with self._lock:
            self._closed = True
            self._due = None
            self._lock.notify()
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._arm, 0.0, lambda: None)
