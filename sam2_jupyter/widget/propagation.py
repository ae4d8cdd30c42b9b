"""The panel's propagation: from the earliest prompt or the frame in view, in a
direction; progress (frames, fps, time left) from the engine's plan; Cancel.

A second press while one is queued or running is refused with a sentence:
impatient clicking must not stack up runs.
"""

from __future__ import annotations

import time
from concurrent.futures import Future
from typing import Any

from .._threads import TimedLock
from .._words import plural
from .context import Context
from .panels.find import FindPanel, params
from .panels.propagate import PropagatePanel


class Propagator:
    def __init__(self, ctx: Context, panel: PropagatePanel, find: FindPanel) -> None:
        self.ctx = ctx
        self.panel = panel
        self.find = find  # "Find new every N frames" uses the Find objects group's parameters
        # Taken by the button's handler on the kernel thread: a wait that never ends
        # must be an error, not a hung kernel.
        self._lock = TimedLock("the propagation queue")
        self._queued = False
        panel.propagate.on_click(ctx.safe(self.clicked))
        panel.cancel.on_click(ctx.safe(self.cancel))

    def clicked(self) -> Future[Any] | None:
        """The Propagate button: the panel's start, stop, direction and stop-when-lost."""
        p = self.panel
        start = {"current": self.ctx.view.frame, "frame": p.start_frame.value}.get(
            p.propagate_from.value
        )
        direction = p.direction.value
        to_frame = p.propagate_to.value == "frame" and direction != "both"
        stop = p.stop_frame.value if to_frame else None
        lost = p.lost_frames.value if p.stop_lost.value else None
        every = int(p.discover_every.value)
        method, found = params(self.find, str(p.discover_method.value))
        discover = {"discover_every": every, "discover_method": method, "discover": found}
        return self.propagate(
            direction, start, stop=stop, stop_when_lost=lost, **(discover if every > 0 else {})
        )

    def cancel(self) -> None:
        """Stop a running propagation now (not queued behind it)."""
        self.ctx.cancel()

    def propagate(
        self,
        direction: str = "forward",
        start: int | None = None,
        *,
        stop: int | None = None,
        stop_when_lost: int | None = None,
        **discover: Any,
    ) -> Future[Any] | None:
        """Queue a propagation (refused with a sentence while one is queued);
        ``discover``: ``discover_every`` / ``discover_method`` / ``discover`` (the
        method's parameters), passed on when given."""
        options = {"direction": direction, "start": start, "stop": stop}
        options["stop_when_lost"] = stop_when_lost
        options |= discover
        with self._lock:
            if self._queued:
                self.ctx.status("A propagation is already running: Cancel it first.")
                return None
            self._queued = True

        def job() -> None:
            try:
                self._run(options)
            finally:
                with self._lock:
                    self._queued = False

        self.ctx.status("Propagating…")
        future = self.ctx.submit(job)
        if future.cancelled():  # the annotator was closed
            with self._lock:
                self._queued = False
        return future

    def _run(self, options: dict[str, Any]) -> None:
        ctx, view = self.ctx, self.ctx.view
        session = ctx.session()
        total = run = None
        done = 0
        t0 = time.perf_counter()
        with view.busy(hold=True):
            run = session.propagate(**options, progress=False)  # the panel shows progress
            total = run.planned
            view.progress(0, total)
            text = None
            for t, labels in run:
                done += 1
                elapsed = time.perf_counter() - t0
                fps = done / elapsed if elapsed > 0 else 0.0
                left = (total - done) / fps if fps > 0 else 0.0
                text = f"{done}/{plural(total, 'frame')}, {fps:.1f} fps, {left:.0f} s left"
                view.progress(done, total, text)
                if self.panel.follow.value and t != view.frame:
                    view.show(t, labels)  # the frame with the labels the engine gave
                elif t == view.frame:
                    view.labels(t, labels)
                view.summary()
            view.progress(done, total, text, last=True)
        added = getattr(run, "added", None) or {}  # found by discover_every
        n = sum(len(ids) for ids in added.values())
        found = f"; {plural(n, 'new object')} found (frame {', '.join(map(str, added))})"
        found = found if n else ""
        if run is not None and run.lost_at:
            where = ", ".join(str(t) for t in run.lost_at)
            ctx.status(
                f"Propagation stopped where every label was lost (frame {where}): "
                f"{plural(done, 'frame')}{found}.",
                "ok",
            )
        else:
            word = "cancelled after" if total is not None and done < total else "done:"
            ctx.status(f"Propagation {word} {plural(done, 'frame')}{found}.", "ok")
        ctx.refresh()
