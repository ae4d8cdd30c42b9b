"""The panel's propagation: from the earliest prompt or the frame in view, in a
direction; progress (frames, fps, time left) from the engine's plan; Cancel.

A second press while one is queued or running is refused with a sentence:
impatient clicking must not stack up runs.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import Future
from typing import Any

from .context import Context
from .panels.propagate import PropagatePanel


class Propagator:
    def __init__(self, ctx: Context, panel: PropagatePanel) -> None:
        self.ctx = ctx
        self.panel = panel
        self._lock = threading.Lock()
        self._queued = False
        panel.propagate.on_click(ctx.safe(self.clicked))
        panel.cancel.on_click(ctx.safe(self.cancel))

    def clicked(self) -> Future[Any] | None:
        """The Propagate button: the panel's start and direction."""
        start = self.ctx.canvas.frame if self.panel.propagate_from.value == "current" else None
        return self.propagate(self.panel.direction.value, start)

    def cancel(self) -> None:
        """Stop a running propagation now (not queued behind it)."""
        self.ctx.pool.cancel()

    def propagate(self, direction: str = "forward", start: int | None = None) -> Future[Any] | None:
        with self._lock:
            if self._queued:
                self.ctx.status("A propagation is already running: Cancel it first.")
                return None
            self._queued = True

        def job() -> None:
            try:
                self._run(direction, start)
            finally:
                with self._lock:
                    self._queued = False

        self.ctx.status("Propagating…")
        future = self.ctx.submit(job)
        if future.cancelled():  # the annotator was closed
            with self._lock:
                self._queued = False
        return future

    def _run(self, direction: str, start: int | None) -> None:
        ctx, panel = self.ctx, self.panel
        session = ctx.session()
        total = None
        done = 0
        t0 = time.perf_counter()
        ctx.canvas.busy = True
        try:
            run = session.propagate(direction=direction, start=start)
            total = run.planned
            panel.progress.max = max(1, total)
            panel.progress.value = 0
            for t, labels in run:
                done += 1
                elapsed = time.perf_counter() - t0
                fps = done / elapsed if elapsed > 0 else 0.0
                left = (total - done) / fps if fps > 0 else 0.0
                panel.progress.value = done
                panel.progress_text.value = (
                    f"{done}/{total} frames, {fps:.1f} fps, {left:.0f} s left"
                )
                if panel.follow.value and t != ctx.canvas.frame:
                    ctx.canvas.frame = t  # the frame observer sends image and labels
                elif t == ctx.canvas.frame:
                    ctx.stream.send_labels(t, labels)
        finally:
            ctx.canvas.busy = False
        word = "cancelled after" if total is not None and done < total else "done:"
        ctx.status(f"Propagation {word} {done} frames.", "ok")
        ctx.refresh()
