"""Prompting from the canvas: clicks, boxes, removals, undo / redo and the object
list's delete (the M key's next label is the browser's: see :mod:`.labels`).

Each edit runs on the worker; the labels it returns are what the browser gets (no
read back), in one message with the frame's markers. Its timings (waiting in the
queue, in the model, encoding the labels, sending) go to the stream's statistics.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

import numpy as np

from ..engine import Session
from .context import Context
from .messages import Box, DeleteLabel, Point, Redo, Remove, Undo


def submit_edit(
    ctx: Context, edit: Callable[[Session], Any], frame: int | None = None
) -> Future[Any]:
    """Queue an edit of the session in view, then send what it changed: the labels it
    returned (an array for ``frame``; else read from the session) with the markers of
    the frame in view, as one message."""
    queued = time.perf_counter()

    def job() -> None:
        session = ctx.session()
        t0 = time.perf_counter()
        with ctx.view.busy():  # the status bar says "working…"
            result = edit(session)
        t1 = time.perf_counter()
        labels = result if isinstance(result, np.ndarray) and frame is not None else None
        encode = ctx.refresh(frame, labels)
        ctx.view.stream.sent.timed(
            queued_s=t0 - queued,
            model_s=t1 - t0,
            encode_s=encode,
            send_s=time.perf_counter() - t1 - encode,
        )
        if ctx.view.status_text:
            ctx.clear_status()

    return ctx.submit(job)


def handlers(ctx: Context) -> dict[type, Callable[[Any], Any]]:
    def point(m: Point) -> Future[Any]:
        return submit_edit(
            ctx, lambda s: s.add_point(m.frame, m.y, m.x, m.label, positive=m.positive), m.frame
        )

    def box(m: Box) -> Future[Any]:
        return submit_edit(
            ctx, lambda s: s.add_box(m.frame, m.y0, m.x0, m.y1, m.x1, m.label), m.frame
        )

    def remove(m: Remove) -> Future[Any]:
        return submit_edit(ctx, lambda s: s.remove_prompt(m.frame, m.y, m.x, tolerance=m.tolerance))

    return {
        Point: point,
        Box: box,
        Remove: remove,
        Undo: lambda _m: submit_edit(ctx, lambda s: s.undo()),
        Redo: lambda _m: submit_edit(ctx, lambda s: s.redo()),
        DeleteLabel: lambda m: submit_edit(ctx, lambda s: s.clear_label(m.label)),
    }
