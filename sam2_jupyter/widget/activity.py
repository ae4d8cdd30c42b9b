"""When the user last acted and whether their work is running: what background
work waits on.

The user's jobs (clicks, keys, strokes, propagations) count from the moment they
are queued until they have run; browser messages and frame changes count as the
user acting. Background work runs only after ``quiet`` seconds without either, so
it never takes the CPU from a burst of clicks or a run of frame switches.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable

QUIET_S = 0.25  # after the user's last action, before background work goes on


class Stopped(Exception):
    """Background work was asked to stop (the annotator closed)."""


class Activity:
    def __init__(self, quiet: float = QUIET_S, clock: Callable[[], float] = time.monotonic) -> None:
        self.quiet = quiet
        self._clock = clock
        self._cv = threading.Condition()
        self._working = 0
        self._last = -math.inf

    def touch(self) -> None:
        """The user acted (a message from the browser, a frame change). No lock: the
        kernel's thread must never wait here for a background thread that holds it
        (a low-priority thread can be kept off the CPU for a long time)."""
        self._last = self._clock()

    def begin(self) -> None:
        """A user job was queued."""
        with self._cv:
            self._working += 1
            self._last = self._clock()

    def end(self) -> None:
        """A user job has run (or was dropped)."""
        with self._cv:
            self._working = max(0, self._working - 1)
            self._last = self._clock()
            self._cv.notify_all()

    @property
    def working(self) -> int:
        """User jobs queued or running."""
        return self._working

    def idle_for(self) -> float:
        """Seconds since the user last acted or their last job ended (0 while one
        is queued or running)."""
        with self._cv:
            return 0.0 if self._working else max(0.0, self._clock() - self._last)

    def wake(self) -> None:
        """Wake every waiter to look at its stop condition again."""
        with self._cv:
            self._cv.notify_all()

    def quiet_now(self) -> bool:
        """Whether background work may go on now (read without the lock)."""
        return not self._working and self._clock() - self._last >= self.quiet

    def wait_quiet(self, stopped: Callable[[], bool] = lambda: False) -> None:
        """Block until no user job is queued or running and ``quiet`` seconds have
        passed since the user's last action; :class:`Stopped` once ``stopped()``.

        The common case (the user idle) takes no lock: this runs between every two
        encoder layers, and a low-priority thread preempted while holding the lock
        would make the user's next action wait for it."""
        if self.quiet_now() and not stopped():
            return
        with self._cv:
            while True:
                if stopped():
                    raise Stopped
                if self._working:
                    self._cv.wait()
                    continue
                left = self.quiet - (self._clock() - self._last)
                if left <= 0:
                    return
                self._cv.wait(left)
