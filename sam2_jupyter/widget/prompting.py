"""Prompting from the canvas: clicks, boxes, removals, undo / redo and the object
list's delete (the M key's next label is the browser's: see :mod:`.labels`).

Each edit runs on the worker, then the frame in view is redrawn; its timings
(waiting in the queue, in the model, encoding the labels, sending) go to the
stream's statistics.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from ..engine import Session
from .context import Context
from .messages import Box, DeleteLabel, Point, Redo, Remove, Undo


def markers(session: Session | None, frame: int) -> list[dict[str, Any]]:
    """The prompts on ``frame`` as the browser draws them."""
    if session is None:
        return []
    return [
        _marker(p) | {"pending": pending}
        for pending, group in ((False, session.prompts), (True, session.pending))
        for p in group
        if p.frame == frame
    ]


def _marker(p: Any) -> dict[str, Any]:
    """What the browser draws of a prompt: a mask's pixels are on the canvas already
    (the labels), so its bits stay in the kernel."""
    out = p.to_json()
    out.pop("bits", None)
    return out


def submit_edit(ctx: Context, edit: Callable[[Session], Any]) -> Future[Any]:
    """Queue an edit of the session in view; afterwards redraw the frame in view."""
    queued = time.perf_counter()

    def job() -> None:
        session = ctx.session()
        t0 = time.perf_counter()
        ctx.canvas.busy = True  # the status bar says "working…"
        try:
            edit(session)
        finally:
            ctx.canvas.busy = False
        t1 = time.perf_counter()
        ctx.stream.encode_s = 0.0
        ctx.refresh()
        encode = ctx.stream.encode_s
        ctx.stream.timed(
            queued_s=t0 - queued,
            model_s=t1 - t0,
            encode_s=encode,
            send_s=time.perf_counter() - t1 - encode,
        )
        if ctx.canvas.status:
            ctx.clear_status()

    return ctx.submit(job)


def handlers(ctx: Context) -> dict[type, Callable[[Any], Any]]:
    def point(m: Point) -> Future[Any]:
        return submit_edit(
            ctx, lambda s: s.add_point(m.frame, m.y, m.x, m.label, positive=m.positive)
        )

    def box(m: Box) -> Future[Any]:
        return submit_edit(ctx, lambda s: s.add_box(m.frame, m.y0, m.x0, m.y1, m.x1, m.label))

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
