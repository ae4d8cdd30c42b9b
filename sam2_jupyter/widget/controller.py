"""The kernel side of one annotator: composes the features and dispatches messages.

Each feature module (prompting, propagation, precompute, files, model loading)
gets a :class:`~.context.Context` and its panel group; message handlers come as a
table by message type, merged here and looked up per message. All SAM2 work runs
on one worker thread (:mod:`.jobs`); frames go out through :mod:`.stream`. Not
public API: :class:`~sam2_jupyter.Annotator` is.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

import numpy as np

from ..engine import Session
from ..engine.autosave import SaveLockedError
from ..exports import label_color
from ..io import Stack
from ..models import Model
from . import editing, prompting
from .canvas import AnnotatorCanvas
from .channels import Channels
from .discovery import Discovery
from .divisions import Divisions
from .files import FileActions
from .jobs import Jobs
from .labels import NextLabel
from .loading import ModelLoader
from .messages import Ack, Active, MessageError, Ready, ShownAhead, parse_message
from .panels import Controls
from .precompute import Precompute
from .propagation import Propagator
from .seeding import Seeding
from .sessions import SessionOptions, SessionPool
from .stream import FrameStream
from .timeline import Timeline
from .view import View


class Controller:
    """Connects one canvas and its controls to Sessions over one stack."""

    def __init__(
        self,
        canvas: AnnotatorCanvas,
        controls: Controls,
        stack: Stack,
        model: Model | None,
        options: SessionOptions,
        where: str = "notebook",
    ) -> None:
        self.canvas = canvas
        self.controls = controls
        p = controls.propagate
        self.view = View(canvas, controls.status.status, p.progress, p.progress_text)
        self.jobs = Jobs(self.view.status, lambda: self.pool.options.memory_mode, where)
        self.pool = SessionPool(stack, model, options, self._opened)
        self.view.session = self.pool.peek
        self.view.stream = FrameStream(
            canvas,
            lambda: self.pool.view_stack,
            self._labels,
            self.view.markers,
            lambda: self.pool.index,
            self.jobs.activity.idle_for,
        )
        self.timeline = self.view.timeline = Timeline(canvas, self.pool.peek)
        self.next_label = NextLabel(canvas, self.pool.peek, self.view.set)
        self.propagator = Propagator(self, p, controls.find)
        self.precompute = Precompute(self, p)
        self.files = FileActions(controls.files, self)
        self.seeding = Seeding(self, controls.seed)
        self.discovery = Discovery(self, controls.find)
        self.divisions = Divisions(self)
        self.channels = Channels(self, controls.channels)
        self.loader = ModelLoader(self, controls.model, self.set_model)
        self._heard: dict[str, Any] | None = None  # the shown_ahead value acted on last
        self._handlers: dict[type, Callable[[Any], Any]] = {
            Ack: lambda m: self.stream.acked(*m.seqs),
            ShownAhead: self.stream.shown_ahead,
            Active: lambda _m: None,  # receive() has noted the user's activity
            Ready: self._ready,
            **prompting.handlers(self),
            **editing.handlers(self),
            **self.discovery.handlers(),
            **self.divisions.handlers(),
        }
        self._wire()
        self.view.show(canvas.frame)
        if model is not None:
            self.submit(self.session)  # its opening starts the precompute

    @property
    def stream(self) -> FrameStream:
        return self.view.stream

    # -- the Context the features use ----------------------------------------------
    def session(self) -> Session:
        return self.pool.current()

    def peek(self) -> Session | None:
        return self.pool.peek()

    @property
    def model(self) -> Model | None:
        return self.pool.model

    @property
    def memory_mode(self) -> str:
        return self.pool.options.memory_mode

    @property
    def data(self) -> Stack:
        return self.pool.stack

    def set_stack(self, stack: Stack) -> None:
        self.pool.set_stack(stack)
        self.stream.forget()

    def cancel(self) -> None:
        self.pool.cancel()

    def submit(self, job: Callable[[], Any]) -> Future[Any]:
        return self.jobs.submit(job)

    def later(self, key: str, task: Callable[[Callable[[], None]], Any]) -> None:
        self.jobs.later(key, task)

    def status(self, text: str, level: str = "info") -> None:
        self.view.status(text, level)

    def safe(self, fn: Callable[[], Any]) -> Callable[..., None]:
        return self.jobs.safe(fn)

    def refresh(self, frame: int | None = None, labels: np.ndarray | None = None) -> float:
        """Labels and markers of the frame in view (an edit's own labels when they are
        of that frame); the timeline, object list and divisions; the view's save."""
        shown = self.view.frame
        encode = self.view.labels(shown, labels if frame == shown else None)
        self.stream.revalidate()  # copies laid up in the browser whose labels changed
        self.discovery.landed()  # an edit on the candidates' frame drops those it claims
        self._show_session(markers=False)
        self._save_view()
        standing = self._standing()
        if standing:
            self.status(standing, "error")
        return encode

    def clear_status(self) -> None:
        """The status line after a successful edit: empty, unless the save is
        failing or read-only, which stays said until it is not so any more."""
        standing = self._standing()
        self.status(standing, "error" if standing else "info")

    def _standing(self) -> str:
        session = self.pool.peek()
        if session is None:
            return ""
        error = session.autosave.error if session.autosave else None
        if error:
            return f"{error}. Your work is kept in memory: free space or export it."
        locked = self.pool.locked.get(self.pool.index)
        return "" if locked is None else self._read_only(locked)

    def _read_only(self, exc: SaveLockedError) -> str:
        return f"Read-only: {exc.sentence(self.jobs.where)} Edits made here are not saved."

    def _show_session(self, markers: bool = True) -> None:
        """What the browser draws from the session besides the frame's labels: the
        markers of the frame in view (unless its labels just went with them), the
        timeline and object list, divisions, M's label."""
        session = self.pool.peek()
        if markers:
            self.view.labels(self.view.frame)
        self.timeline.sync()
        self.divisions.changed()  # on the worker, after what is queued
        self.next_label.publish()
        parents = {str(d): m for d, m in session.parents.items()} if session else {}
        self.view.set(self.canvas, "parents", parents)

    def _ready(self, _msg: Ready) -> None:
        """A view (re)rendered: everything again."""
        self.stream.reset()
        self.view.show(self.view.frame)
        self.timeline.reset()
        self.discovery.resend()
        self.divisions.resend()

    # -- messages from the browser --------------------------------------------------
    def receive(self, content: Any, buffers: list[Any] | None = None) -> None:
        """One message as the browser sends it; never raises (the status line says
        what was wrong)."""
        try:
            msg = parse_message(content, buffers or [])
            if not isinstance(msg, Ack):  # acks flow while the user does nothing
                self.jobs.activity.touch()
            self.handle(msg)
        except Exception as exc:
            self.jobs.report(exc)

    def handle(self, msg: Any) -> Any:
        """Act on one parsed message."""
        handler = self._handlers.get(type(msg))
        if handler is None:
            raise MessageError(f"no handler for {type(msg).__name__}")
        return self.next_label.track(msg, lambda: handler(msg))

    # -- sessions -------------------------------------------------------------------
    def _labels(self, t: int) -> Any:
        session = self.pool.peek()
        return session.label_frame(t) if session is not None else None

    def _opened(self, session: Session, index: int) -> None:
        """Tell the user what happened to saved work, bring back the view, and show the
        session: a resumed one's object list, timeline and markers at once, not at
        the next edit."""
        if session.autosave is not None and session.resumed is None:
            session.autosave.set_view(self.view.frame, self.canvas.label)
        if session.notes:
            self.status(" ".join(n[:1].upper() + n[1:] + "." for n in session.notes), "ok")
        if index in self.pool.locked:
            self.status(self._read_only(self.pool.locked[index]), "error")
        shown = False  # whether the resumed labels and markers went with a frame
        if session.resumed is not None:
            if index not in self.pool.locked:  # a read-only save has nothing to set aside
                self.view.set(self.controls.status.fresh.layout, "display", "inline-flex")
            view = session.resumed.view
            if index == self.pool.index and view:
                label = max(1, int(view.get("label", self.canvas.label)))
                self.view.set(self.canvas, "label", label)
                frame = int(view.get("frame", self.view.frame))
                if 0 <= frame < session.n_frames and frame != self.view.frame:
                    self.view.show(frame)  # its labels and markers go with it
                    shown = True
        if index == self.pool.index:
            # A new save has nothing to draw yet; saved work is drawn at once.
            self._show_session(markers=session.resumed is not None and not shown)
            self.precompute.start()  # it waits for a session: one exists now

    def set_model(self, model: Model, memory_mode: str | None = None) -> None:
        """Use another model (or memory mode) for every sequence (see SessionPool)."""
        self.pool.set_model(model, memory_mode)
        self.loader.label(model)
        self.refresh()
        self.submit(self.session)  # opened, if it was not, on the worker
        self.precompute.start()

    def start_fresh(self) -> Future[Any]:
        """Set the saved session aside (kept on disk) and clear prompts and labels."""

        def job() -> None:
            moved = self.session().discard_autosave()
            self.view.set(self.controls.status.fresh.layout, "display", "none")
            self.view.set(self.canvas, "label", 1)  # a fresh start begins at the first label
            self.refresh()
            self.status(f"Started fresh; the earlier session is kept in {moved}", "ok")

        return self.submit(job)

    def _select(self, index: int) -> None:
        def job() -> None:
            self.pool.index = index
            self.stream.forget()
            self.view.show(self.view.frame)
            self.timeline.sync()
            self.divisions.changed()
            self.next_label.publish()
            if self.pool.model is not None:
                self.session()  # opened here, not by the precompute (which waits for it)
                self.precompute.start()

        self.submit(job)

    # -- observers and controls -------------------------------------------------------
    def _wire(self) -> None:
        import ipywidgets as w

        c, m, canvas, safe = self.controls.view, self.controls.model, self.canvas, self.safe
        canvas.on_msg(lambda _w, content, buffers: self.receive(content, buffers))
        canvas.observe(self._moved, names="frame")
        canvas.observe(self._shown_ahead, names="shown_ahead")
        canvas.observe(lambda _ch: (self._swatch(), self._save_view()), names="label")
        # Playback started: the next frames go ahead; ended: the frame in view gets
        # its lossless upgrade.
        canvas.observe(
            lambda ch: self.stream.lay_up() if ch["new"] else self.view.show(self.view.frame),
            names="playing",
        )
        # Kernel-side link: the kernel also moves the frame (follow propagation,
        # scripts), and a browser-side link can bounce a stale slider value back.
        w.link((c.frame, "value"), (canvas, "frame"))
        w.jslink((c.opacity, "value"), (canvas, "opacity"))
        w.link((c.label, "value"), (canvas, "label"))
        c.frame.max = max(0, self.pool.stack.n_frames - 1)
        m.memory_mode.value = self.pool.options.memory_mode
        c.auto_segment.value = self.pool.options.auto_segment
        c.auto_segment.observe(lambda ch: self.pool.set_auto(bool(ch["new"])), names="value")
        c.other.value = self.pool.index
        c.other.observe(lambda ch: self._select(int(ch["new"])), names="value")
        c.segment.on_click(safe(lambda: prompting.submit_edit(self, lambda s: s.segment())))
        c.undo.on_click(safe(lambda: prompting.submit_edit(self, lambda s: s.undo())))
        c.redo.on_click(safe(lambda: prompting.submit_edit(self, lambda s: s.redo())))
        self.controls.status.fresh.on_click(safe(self.start_fresh))
        self._swatch()

    def _moved(self, change: dict[str, Any]) -> None:
        """The browser (or a script) moved the frame; the view's own moves are sent
        already."""
        if self.view.writing:
            return
        self._shown_ahead()  # saved with the move: its claims first, whichever fires first
        self.jobs.activity.touch()
        self.stream.show(int(change["new"]), moved=True)
        self._save_view()

    def _shown_ahead(self, _change: Any = None) -> None:
        """The browser's claims (``shown_ahead``), checked as any message, once each."""
        value = self.canvas.shown_ahead
        if value and value is not self._heard:
            self._heard = value
            self.receive(dict(value))

    def _save_view(self) -> None:
        """The frame and label in view, for the save (the autosave keeps them in memory
        and writes them with the next edit and on close: not a disk write per frame)."""
        session = self.pool.peek()
        if session is not None and session.autosave is not None:
            session.autosave.set_view(self.view.frame, self.canvas.label)

    def _swatch(self) -> None:
        r, g, b = label_color(int(self.canvas.label))
        self.view.set(
            self.controls.view.label_swatch,
            "value",
            (
                f'<span style="display:inline-block;width:1.2em;height:1.2em;'
                f'background:rgb({r},{g},{b});border:1px solid #444;vertical-align:middle">'
                "</span>"
            ),
        )

    def close(self) -> None:
        self.pool.cancel()
        self.precompute.close()
        self.stream.close()
        self.jobs.close()
        self.pool.close()  # another annotator or notebook may now write the saves
