"""One background thread that runs SAM2 jobs in order.

SAM2 calls take from milliseconds (a click on a cached frame) to minutes (a
propagation). Running them on the kernel's main thread would freeze the notebook,
so the widget submits them here: the kernel stays free for other cells, jobs run in
the order the user gave them (a click made during a propagation runs after it,
never lost), and a failing job reports its error instead of killing the thread.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

log = logging.getLogger(__name__)


class Worker:
    """A FIFO job queue served by one daemon thread."""

    def __init__(
        self,
        name: str = "sam2-jupyter-worker",
        on_error: Callable[[BaseException], None] | None = None,
    ) -> None:
        self._queue: queue.Queue[tuple[Callable[[], Any], Future[Any]] | None] = queue.Queue()
        self._on_error = on_error
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._closed = False
        self._thread.start()

    def submit(self, job: Callable[[], Any]) -> Future[Any]:
        """Queue ``job``; its result or exception lands in the returned Future."""
        if self._closed:
            raise RuntimeError("worker is closed")
        future: Future[Any] = Future()
        self._queue.put((job, future))
        return future

    @property
    def pending(self) -> int:
        return self._queue.qsize()

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            job, future = item
            if not future.set_running_or_notify_cancel():
                continue
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
        """Wait until every job queued so far has run (tests, scripts)."""
        done = threading.Event()
        self._queue.put((done.set, Future()))
        done.wait(timeout)

    def close(self) -> None:
        """Finish queued jobs, then stop the thread."""
        if not self._closed:
            self._closed = True
            self._queue.put(None)
