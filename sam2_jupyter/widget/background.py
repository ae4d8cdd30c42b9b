"""One low-priority thread for work nobody waits for (the feature precompute).

A task is a callable that gets ``pause``: it calls it between pieces of work
(and hands it to the encoder's pause points), and ``pause`` returns at once while
the user is idle, blocks while they act (see :mod:`.activity`), and raises
:class:`~.activity.Stopped` once closed. So a click never queues behind a task: it
runs on the user's worker at once, and the task stops within one encoder layer and
goes on after the quiet period. Tasks are keyed; scheduling a key again replaces
the queued task (the latest request wins).
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from .._threads import close_at_exit, lower_priority
from .activity import Activity, Stopped

log = logging.getLogger(__name__)
Task = Callable[[Callable[[], None]], Any]


class Background:
    def __init__(
        self,
        activity: Activity,
        on_error: Callable[[BaseException], None] | None = None,
        name: str = "sam2j-background",
    ) -> None:
        self.activity = activity
        self._on_error = on_error
        self._tasks: OrderedDict[str, Task] = OrderedDict()
        self._cv = threading.Condition()
        self._closed = False
        self.running: str | None = None
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()
        close_at_exit(self)

    def schedule(self, key: str, task: Task) -> None:
        """Run ``task(pause)`` when the user is idle; replaces a queued ``key``."""
        with self._cv:
            if self._closed:
                return
            self._tasks.pop(key, None)
            self._tasks[key] = task
            self._cv.notify()

    def pause(self) -> None:
        """Return when the user has been idle for the quiet period; raise
        :class:`Stopped` once closed."""
        self.activity.wait_quiet(lambda: self._closed)

    def idle(self, timeout: float | None = None) -> bool:
        """Wait until no task is queued or running (tests, scripts)."""
        with self._cv:
            return self._cv.wait_for(lambda: not self._tasks and self.running is None, timeout)

    def _run(self) -> None:
        lower_priority()
        while True:
            with self._cv:
                while not self._tasks and not self._closed:
                    self._cv.wait()
                if self._closed:
                    return
                key, task = self._tasks.popitem(last=False)
                self.running = key
            try:
                self.pause()
                task(self.pause)
            except Stopped:
                return
            except BaseException as exc:  # a failing task must not stop the thread
                if self._on_error is None:
                    log.exception("background task %s failed", key)
                else:
                    self._on_error(exc)
            finally:
                with self._cv:
                    self.running = None
                    self._cv.notify_all()

    def close(self, timeout: float | None = 30.0) -> None:
        """Drop queued tasks; the running one stops at its next pause point.

        Waiting matters: a thread killed inside a PyTorch call at interpreter exit
        aborts the whole process."""
        with self._cv:
            if self._closed:
                return
            self._closed = True
            self._tasks.clear()
            self._cv.notify_all()
        self.activity.wake()
        if threading.current_thread() is not self._thread:
            self._thread.join(timeout)
