"""The one writer of what the browser shows of the kernel: the canvas' traits, the
status line and the propagation's progress, and (through the frame stream) the
frames and labels.

Why one writer: the worker, the encoder and the background threads all have
something to show, and ipywidgets are not thread-safe. Every write goes through a
:class:`View`, which applies it on the kernel's event loop, as jupyter_rfb does its
sends: from another thread it is queued (a newer value for the same trait replaces
a queued one) and the loop applies the queue with ``call_soon_threadsafe``. On the
loop's own thread, and where no loop runs (scripts, tests), it writes at once.
:meth:`View.flush` applies what is queued now (``Annotator.wait`` does, so a
notebook cell that waits sees the values it waited for).

A trait the view writes is the kernel's own change: the canvas' frame observer asks
:attr:`View.writing` and acts only on changes from the browser (or a script).
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from .canvas import AnnotatorCanvas
from .outbound import Marker

COLOURS = {"info": "inherit", "error": "#b00020", "ok": "#1b5e20"}
PROGRESS_EVERY_S = 0.1  # the progress bar's text at most this often (the last always)


def markers(session: Any, frame: int) -> list[Marker]:
    """The prompts on ``frame`` as the browser draws them (none before a session)."""
    if session is None:
        return []
    return [
        Marker.of(p, pending)
        for pending, group in ((False, session.prompts), (True, session.pending))
        for p in group
        if p.frame == frame
    ]


class View:
    """Writes the canvas traits, the status line and the progress widgets on the
    kernel's loop; sends frames and labels through ``stream`` (set by the controller)."""

    def __init__(self, canvas: AnnotatorCanvas, line: Any, progress: Any, text: Any) -> None:
        self.canvas = canvas
        self._line, self._bar, self._text = line, progress, text
        try:
            self._loop: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            self._loop = None
        self._thread = threading.get_ident()  # the loop's thread, where there is one
        self._lock = threading.Lock()
        self._queued: OrderedDict[tuple[int, str], tuple[Any, Any]] = OrderedDict()
        self._scheduled = False
        self._writer = threading.local()  # .depth: the view's writes under way here
        self._busy = 0
        self._shown = 0.0  # when the progress text was last written
        self.stream: Any = None  # the FrameStream (the controller sets it)
        self.timeline: Any = None  # the Timeline (likewise)
        self.session: Callable[[], Any] = lambda: None  # the session in view, if any

    # -- writes, on the loop -----------------------------------------------------------
    @property
    def writing(self) -> bool:
        """Whether the change being observed now is the view's own write."""
        return getattr(self._writer, "depth", 0) > 0

    def get(self, widget: Any, name: str) -> Any:
        """``widget.name`` as the view last set it (a queued write included)."""
        with self._lock:
            queued = self._queued.get((id(widget), name))
        return queued[1] if queued is not None else getattr(widget, name)

    def set(self, widget: Any, name: str, value: Any) -> None:
        """``widget.name = value`` on the kernel's loop (queued from other threads)."""
        loop = self._loop
        if loop is None or loop.is_closed() or threading.get_ident() == self._thread:
            self._apply(widget, name, value)
            return
        with self._lock:
            key = (id(widget), name)
            self._queued.pop(key, None)
            self._queued[key] = (widget, value)
            if self._scheduled:
                return
            self._scheduled = True
        try:
            loop.call_soon_threadsafe(self.flush)
        except RuntimeError:  # the loop closed meanwhile
            self.flush()

    def flush(self) -> None:
        """Apply the queued writes now, oldest first."""
        with self._lock:
            queued, self._queued = self._queued, OrderedDict()
            self._scheduled = False
        for (_, name), (widget, value) in queued.items():
            self._apply(widget, name, value)

    def _apply(self, widget: Any, name: str, value: Any) -> None:
        if getattr(widget, name) == value:
            return
        self._writer.depth = getattr(self._writer, "depth", 0) + 1
        try:
            setattr(widget, name, value)
        finally:
            self._writer.depth -= 1

    # -- what the features say --------------------------------------------------------
    @contextlib.contextmanager
    def busy(self, hold: bool = False) -> Iterator[None]:
        """The status bar says "working…" meanwhile; ``hold``: frames fly by (a
        propagation follows them), so no lossless upgrade until the end."""
        with self._lock:
            self._busy += 1
        self.set(self.canvas, "busy", True)
        if hold:
            self.stream.holding = True
        try:
            yield
        finally:
            if hold:
                self.stream.holding = False
            with self._lock:
                self._busy -= 1
                done = self._busy == 0
            if done:
                self.set(self.canvas, "busy", False)

    def status(self, text: str, level: str = "info") -> None:
        """The status line ("info", "ok" or "error")."""
        self.set(self.canvas, "status", text)
        line = f'<span style="color:{COLOURS[level]}">{html.escape(text)}</span>'
        self.set(self._line, "value", line)

    @property
    def status_text(self) -> str:
        """What the status line says (a queued write included)."""
        return str(self.get(self.canvas, "status"))

    def progress(self, done: int, total: int, text: str | None = None, last: bool = False) -> None:
        """The propagation's progress bar and its text (the text at most every
        :data:`PROGRESS_EVERY_S`; always at the ``last`` call and at the end)."""
        self.set(self._bar, "max", max(1, total))
        self.set(self._bar, "value", done)
        now = time.monotonic()
        if text is not None and (last or done >= total or now - self._shown >= PROGRESS_EVERY_S):
            self._shown = now
            self.set(self._text, "value", text)

    def summary(self) -> None:
        """The timeline and object list: what changed since the last call."""
        self.timeline.sync()

    @property
    def frame(self) -> int:
        """The frame in view (a queued move included)."""
        return int(self.get(self.canvas, "frame"))

    def markers(self, frame: int | None = None) -> list[Marker]:
        """The markers of ``frame`` (default: the frame in view); the canvas'
        ``prompts`` (the kernel's copy of what the browser draws) follow them."""
        t = self.frame if frame is None else frame
        out = markers(self.session(), t)
        if t == self.frame:
            self.set(self.canvas, "prompts", [m.to_json() for m in out])
        return out

    def show(self, t: int, labels: np.ndarray | None = None) -> None:
        """Move the view to frame ``t`` and send its image, ``labels`` (read from the
        session when None) and markers."""
        self.set(self.canvas, "frame", int(t))
        self.stream.show(int(t), labels=labels, markers=self.markers(t))

    def labels(self, t: int, labels: np.ndarray | None = None) -> float:
        """Frame ``t``'s labels and markers, if it is in view (an edit's answer: the
        labels it returned, else read from the session). Returns the encode's seconds."""
        if t != self.frame:
            return 0.0
        return self.stream.send_labels(t, labels, self.markers(t))
