"""The annotator's threads (the user's worker, the background), the status line,
and how a failed job becomes a sentence in it.

Every error a job raises reaches :meth:`Jobs.report`: expected ones (ours, bad
values, files, memory) show as their sentence, anything else also goes to the log
with its traceback. The sentence itself comes from :func:`sam2_jupyter.errors.describe`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from ..errors import describe, expected
from .activity import Activity
from .background import Background, Task
from .worker import Worker

log = logging.getLogger(__name__)


class Jobs:
    """The user's worker thread and the background thread that yields to it, with
    their errors said in the status line (``say(text, level)``, the view's), worded
    for ``where`` the user gives options (:data:`sam2_jupyter.errors.WHERE`)."""

    def __init__(
        self,
        say: Callable[[str, str], None],
        memory_mode: Callable[[], str],
        where: str = "notebook",
    ) -> None:
        self.say = say
        self.memory_mode = memory_mode
        self.where = where
        self.activity = Activity()
        self.worker = Worker(on_error=self.report, activity=self.activity)
        self.background = Background(self.activity, on_error=self.report)

    def submit(self, job: Callable[[], Any]) -> Future[Any]:
        return self.worker.submit(job)

    def later(self, key: str, task: Task) -> None:
        self.background.schedule(key, task)

    def join_idle(self, timeout: float | None = None) -> None:
        """Block until the user's queued jobs have run (tests, scripts)."""
        self.worker.join_idle(timeout)

    def report(self, exc: BaseException) -> None:
        if not expected(exc):
            log.exception("sam2_jupyter job failed", exc_info=exc)
        self.say(describe(exc, self.memory_mode(), self.where), "error")

    def safe(self, fn: Callable[[], Any]) -> Callable[..., None]:
        def handler(*_args: Any) -> None:
            try:
                fn()
            except Exception as exc:
                self.report(exc)

        return handler

    def close(self) -> None:
        self.background.close()
        self.worker.close()
