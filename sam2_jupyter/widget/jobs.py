"""The annotator's threads (the user's worker, the background), the status line,
and how a failed job becomes a sentence in it.

Every error a job raises reaches :meth:`Jobs.report`: expected ones (ours, bad
values, files, memory) show as their sentence, anything else also goes to the log
with its traceback. The sentence itself comes from :func:`sam2_jupyter.errors.describe`.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

import ipywidgets as w

from ..errors import describe, expected
from .activity import Activity
from .background import Background, Task
from .canvas import AnnotatorCanvas
from .worker import Worker

log = logging.getLogger(__name__)
COLOURS = {"info": "inherit", "error": "#b00020", "ok": "#1b5e20"}


class Jobs:
    """The user's worker thread and the background thread that yields to it, with
    their errors shown in the status line, worded for ``where`` the user gives
    options (:data:`sam2_jupyter.errors.WHERE`)."""

    def __init__(
        self,
        canvas: AnnotatorCanvas,
        line: w.HTML,
        memory_mode: Callable[[], str],
        where: str = "notebook",
    ) -> None:
        self.canvas = canvas
        self.line = line
        self.memory_mode = memory_mode
        self.where = where
        self.activity = Activity()
        self.worker = Worker(on_error=self.report, activity=self.activity)
        self.background = Background(self.activity, on_error=self.report)

    def submit(self, job: Callable[[], Any]) -> Future[Any]:
        return self.worker.submit(job)

    def later(self, key: str, task: Task) -> None:
        self.background.schedule(key, task)

    def status(self, text: str, level: str = "info") -> None:
        self.canvas.status = text
        self.line.value = f'<span style="color:{COLOURS[level]}">{html.escape(text)}</span>'

    def report(self, exc: BaseException) -> None:
        if not expected(exc):
            log.exception("sam2_jupyter job failed", exc_info=exc)
        self.status(describe(exc, self.memory_mode(), self.where), "error")

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
