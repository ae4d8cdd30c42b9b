"""One background thread that runs SAM2 jobs in order.

SAM2 calls take from milliseconds (a click on a cached frame) to minutes (a
propagation). Running them on the kernel's main thread would freeze the notebook,
so the widget submits them here: the kernel stays free for other cells, jobs run in
the order the user gave them (a click made during a propagation runs after it,
never lost), and a failing job reports its error instead of killing the thread.
Each job counts as the user's activity from queued to done (:mod:`.activity`), so
background work (:mod:`.background`) steps aside while any is waiting.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from .._threads import close_at_exit
from .activity import Activity

log = logging.getLogger(__name__)


class Worker:
    """A FIFO job queue served by one daemon thread."""

    def __init__(
        self,
        name: str = "sam2-jupyter-worker",
        on_error: Callable[[BaseException], None] | None = None,
        activity: Activity | None = None,
    ) -> None:
        self.activity = activity or Activity()
        # (job, its future, whether it is the user's work); None stops the thread.
        self._queue: queue.Queue[tuple[Callable[[], Any], Future[Any], bool] | None] = queue.Queue()
        self._on_error = on_error
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._closed = False
        self._submitted = 0  # jobs queued so far (join_idle waits for those they queue)
        self._thread.start()
        close_at_exit(self)

    def submit(self, job: Callable[[], Any]) -> Future[Any]:
        """Queue ``job``; its result or exception lands in the returned Future.

        After :meth:`close` nothing runs: the Future comes back cancelled (a widget
        closed mid-job still gets clicks and timers from the browser)."""
        future: Future[Any] = Future()
        if self._closed:
            future.cancel()
            return future
        self.activity.begin()
        self._submitted += 1
        self._queue.put((job, future, True))
        return future

    @property
    def pending(self) -> int:
        return self._queue.qsize()

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            job, future, counted = item
            try:
                self._call(job, future)
            finally:
                if counted:
                    self.activity.end()

    def _call(self, job: Callable[[], Any], future: Future[Any]) -> None:
        if not future.set_running_or_notify_cancel():
            return
        try:
            future.set_result(job())
        except BaseException as exc:  # a job failing must not stop the worker
            future.set_exception(exc)
            if self._on_error is not None:
                try:
                    self._on_error(exc)
                except Exception:  # pragma: no cover - reporting must not kill us
                    log.exception("error handler failed")

    def join_idle(self, timeout: float | None = None) -> None:
        """Wait until every job queued so far has run, and the jobs those queued (an
        edit queues its division scan, see ``divisions.py``): tests and scripts then
        see everything an action led to. ``timeout`` bounds the whole wait."""
        end = None if timeout is None else time.monotonic() + timeout
        while not self._closed:
            seen = self._submitted
            done = threading.Event()
            self._queue.put((done.set, Future(), False))
            left = None if end is None else max(0.0, end - time.monotonic())
            if not done.wait(left) or self._submitted == seen:
                return

    @property
    def closed(self) -> bool:
        return self._closed

    def close(self, timeout: float | None = 30.0) -> None:
        """Drop queued jobs, let the running one finish, and stop the thread.

        Waiting matters: a thread killed inside a PyTorch call at interpreter exit
        aborts the whole process.
        """
        if self._closed:
            return
        self._closed = True
        while True:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
            if item is not None:
                item[1].cancel()
                if item[2]:
                    self.activity.end()
        self._queue.put(None)
        if threading.current_thread() is not self._thread:
            self._thread.join(timeout)
