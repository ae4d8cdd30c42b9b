"""The kernel-side controller: browser intents in, Session jobs out, frames streamed.

All SAM2 work goes through one :class:`Worker` so the notebook stays responsive and
jobs keep their order. Frames go to the browser as binary buffers with flow
control: at most ``MAX_IN_FLIGHT`` messages wait for the browser's acknowledgement;
newer content for the same slot replaces what is still queued, so a slow browser
sees the latest frame instead of a backlog. A frame is first sent as JPEG, then as
PNG once the view has been idle for ``LOSSLESS_AFTER`` seconds.
"""

from __future__ import annotations

import html
import logging
import threading
import time
from collections import OrderedDict
from typing import Any

from ..engine import Session
from ..errors import Sam2JupyterError
from ..exports import label_color
from ..io import Stack
from ..models import Model, load_model
from .canvas import AnnotatorCanvas
from .codec import encode_image, encode_labels
from .controls import Controls
from .files import FileActions
from .messages import (
    Ack,
    Box,
    MessageError,
    NextLabel,
    Point,
    Ready,
    Redo,
    Remove,
    Undo,
    parse_message,
)
from .prefetch import EncodedFrames
from .worker import Worker

log = logging.getLogger(__name__)

MAX_IN_FLIGHT = 2
LOSSLESS_AFTER = 0.3
MAX_BUFFERS_BYTES = 1 << 20  # inbound messages carry no buffers; refuse large ones


def describe(exc: BaseException) -> str:
    """An error as a sentence for the status line."""
    if isinstance(
        exc,
        (
            Sam2JupyterError,
            MessageError,
            FileExistsError,
            FileNotFoundError,
            IsADirectoryError,
            ValueError,
        ),
    ):
        return str(exc)
    if isinstance(exc, MemoryError) or "out of memory" in str(exc).lower():
        return "Out of memory: switch the memory mode to low or super-low and try again."
    return f"Unexpected error ({type(exc).__name__}): {exc}"


def markers(session: Session, frame: int) -> list[dict[str, Any]]:
    """The prompts on ``frame`` as the browser draws them (NaN fields dropped)."""
    out = []
    for pending, group in ((False, session.prompts), (True, session.pending)):
        for p in group:
            if p.frame == frame:
                out.append(p.to_json() | {"pending": pending})
    return out


class Controller:
    """Connects one canvas and its controls to Sessions over one stack."""

    def __init__(
        self,
        canvas: AnnotatorCanvas,
        controls: Controls,
        stack: Stack,
        model: Model | None,
        memory_mode: str,
        auto_segment: bool,
        session_options: dict[str, Any] | None = None,
    ) -> None:
        self.canvas = canvas
        self.session_options = dict(session_options or {})
        self.controls = controls
        self.stack = stack
        self.model = model
        self.memory_mode = memory_mode
        self.auto_segment = auto_segment
        self.sessions: dict[int, Session] = {}
        self.other_index = stack.other_index
        self.worker = Worker(on_error=self.report)
        self._lock = threading.Lock()
        self._seq = 0
        self._in_flight: dict[int, float] = {}
        self._propagation_queued = False
        self._queued: OrderedDict[str, tuple[dict[str, Any], list[bytes]]] = OrderedDict()
        self._idle_timer: threading.Timer | None = None
        self._encoded = EncodedFrames()
        self.sent_bytes: list[tuple[str, int]] = []  # (kind, bytes) of each message sent
        self.last_model_seconds = 0.0  # time the last edit spent in the Session
        self.last_edit_timing: dict[str, float] = {}
        canvas.on_msg(self._on_msg)
        canvas.observe(self._on_frame, names="frame")
        canvas.observe(self._on_label, names="label")
        self._wire_controls()
        self._update_swatch()
        self.show_frame(canvas.frame)
        if model is not None:
            self.start_precompute()

    # -- state ----------------------------------------------------------------------
    @property
    def view_stack(self) -> Stack:
        if self.stack.other_axis is None:
            return self.stack
        return self.stack.select(self.other_index)

    @property
    def session(self) -> Session:
        """The Session of the sequence in view (built on first use)."""
        return self._session_for(self.other_index)

    def _session_for(self, index: int) -> Session:
        session = self.sessions.get(index)
        if session is None:
            if self.model is None:
                raise Sam2JupyterError("Load a model first (Load model button).")
            stack = self.stack if self.stack.other_axis is None else self.stack.select(index)
            session = Session(
                stack,
                self.model,
                self.memory_mode,
                auto_segment=self.auto_segment,
                **self.session_options,
            )
            self.sessions[index] = session
            self._after_open(session, index)
        return session

    def _after_open(self, session: Session, index: int) -> None:
        """Tell the user what happened to saved work, and bring back the view."""
        if session.autosave is not None and session.resumed is None:
            session.autosave.set_view(self.canvas.frame, self.canvas.label)
        if session.notes:
            self.status(" ".join(n[:1].upper() + n[1:] + "." for n in session.notes), "ok")
        if session.resumed is not None:
            self.controls.fresh.layout.display = "inline-flex"
            view = session.resumed.view
            if index == self.other_index and view:
                self.canvas.label = max(1, int(view.get("label", self.canvas.label)))
                frame = int(view.get("frame", self.canvas.frame))
                if 0 <= frame < session.n_frames:
                    self.canvas.frame = frame

    def _check_autosave(self, session: Session) -> None:
        error = session.autosave.error if session.autosave is not None else None
        if error:
            self.status(f"{error}. Your work is kept in memory: free space or export it.", "error")

    def start_fresh(self) -> Any:
        """Set the saved session aside (kept on disk) and clear prompts and labels."""

        def job() -> None:
            moved = self.session.discard_autosave()
            self.controls.fresh.layout.display = "none"
            self.refresh_overlay()
            self.status(f"Started fresh; the earlier session is kept in {moved}", "ok")

        return self.worker.submit(job)

    def status(self, text: str, level: str = "info") -> None:
        colour = {"info": "inherit", "error": "#b00020", "ok": "#1b5e20"}[level]
        self.canvas.status = text
        self.controls.status.value = f'<span style="color:{colour}">{html.escape(text)}</span>'

    def report(self, exc: BaseException) -> None:
        if not isinstance(exc, (Sam2JupyterError, MessageError, ValueError, OSError)):
            log.exception("sam2_jupyter job failed", exc_info=exc)
        self.status(describe(exc), "error")

    # -- messages from the browser --------------------------------------------------
    def _on_msg(self, _widget: Any, content: Any, buffers: list[Any]) -> None:
        try:
            if sum(len(b) for b in buffers or []) > MAX_BUFFERS_BYTES:
                raise MessageError("message too large")
            msg = parse_message(content)
            self.handle(msg)
        except Exception as exc:  # never a traceback in the comm handler
            self.report(exc)

    def handle(self, msg: Any) -> None:
        """Act on one parsed message (public so tests can drive it directly)."""
        if isinstance(msg, Ack):
            self._acked(msg.seq)
        elif isinstance(msg, Ready):
            with self._lock:
                self._in_flight.clear()
                self._queued.clear()
            self.show_frame(self.canvas.frame)
        elif isinstance(msg, Point):
            self.submit_edit(
                msg.frame,
                lambda s: s.add_point(msg.frame, msg.y, msg.x, msg.label, positive=msg.positive),
            )
        elif isinstance(msg, Box):
            self.submit_edit(
                msg.frame, lambda s: s.add_box(msg.frame, msg.y0, msg.x0, msg.y1, msg.x1, msg.label)
            )
        elif isinstance(msg, Remove):
            self.submit_edit(
                msg.frame,
                lambda s: s.remove_prompt(msg.frame, msg.y, msg.x, tolerance=msg.tolerance),
            )
        elif isinstance(msg, Undo):
            self.submit_edit(None, lambda s: s.undo())
        elif isinstance(msg, Redo):
            self.submit_edit(None, lambda s: s.redo())
        elif isinstance(msg, NextLabel):
            session = self.sessions.get(self.other_index)
            self.canvas.label = session.next_unused_label() if session else 1

    # -- jobs -----------------------------------------------------------------------
    def submit_edit(self, frame: int | None, edit: Any) -> Any:
        """Queue a prompt edit; afterwards redraw the frame in view."""

        queued = time.perf_counter()

        def job() -> None:
            session = self.session
            t0 = time.perf_counter()
            edit(session)
            t1 = time.perf_counter()
            self.refresh_overlay()
            self.last_model_seconds = t1 - t0
            self.last_edit_timing = {
                "queued_s": t0 - queued,
                "model_s": t1 - t0,
                "send_s": time.perf_counter() - t1,
            }
            if self.canvas.status:
                self.status("")
            self._save_view()
            self._check_autosave(session)

        return self.worker.submit(job)

    def refresh_overlay(self) -> None:
        """Send the labels and markers of the frame in view."""
        t = self.canvas.frame
        session = self.sessions.get(self.other_index)
        if session is None:
            self.canvas.prompts = []
            return
        self.canvas.prompts = markers(session, t)
        self._post(
            "labels",
            {"type": "labels", "frame": t, **self._shape()},
            [encode_labels(session.label_frame(t))],
        )

    def propagate(self, direction: str = "forward", start: int | None = None) -> Any:
        """Queue a propagation in ``direction`` from ``start`` (default: the earliest
        prompted frame). A second press while one is queued or running is refused
        with a sentence (impatient clicking must not stack up runs)."""
        with self._lock:
            if self._propagation_queued:
                self.status("A propagation is already running: Cancel it first.")
                return None
            self._propagation_queued = True

        def job() -> None:
            try:
                run()
            finally:
                with self._lock:
                    self._propagation_queued = False

        def run() -> None:
            session = self.session
            total = None
            done = 0
            t0 = time.perf_counter()
            self.canvas.busy = True
            try:
                gen = session.propagate(direction=direction, start=start)
                total = gen.planned
                self.controls.progress.max = max(1, total)
                self.controls.progress.value = 0
                for t, labels in gen:
                    done += 1
                    elapsed = time.perf_counter() - t0
                    fps = done / elapsed if elapsed > 0 else 0.0
                    left = (total - done) / fps if fps > 0 else 0.0
                    self.controls.progress.value = done
                    self.controls.progress_text.value = (
                        f"{done}/{total} frames, {fps:.1f} fps, {left:.0f} s left"
                    )
                    if self.controls.follow.value and t != self.canvas.frame:
                        self.canvas.frame = t  # observer sends image and labels
                    elif t == self.canvas.frame:
                        self._post(
                            "labels",
                            {"type": "labels", "frame": t, **self._shape()},
                            [encode_labels(labels)],
                        )
            finally:
                self.canvas.busy = False
                self._check_autosave(session)
            word = "cancelled after" if total is not None and done < total else "done:"
            self.status(f"Propagation {word} {done} frames.", "ok")
            self.refresh_overlay()

        self.status("Propagating…")
        future = self.worker.submit(job)
        if future.cancelled():  # the annotator was closed
            with self._lock:
                self._propagation_queued = False
        return future

    def start_precompute(self) -> None:
        """Compute image features in the background, nearest to the frame in view
        first, one frame per job so that a click waits for at most one frame."""
        self.worker.submit(self._precompute_step)

    def _precompute_step(self) -> None:
        if self.worker.closed:
            return
        session = self._session_for(self.other_index)
        if session.features is None:
            return
        order = session.precompute_order(center=self.canvas.frame)
        if not order:
            ready = session.features_ready()
            self.controls.embeddings.value = f"Embeddings: all {ready} frames ready"
            return
        if self.worker.pending:  # the user is waiting for something: go after it
            self.worker.submit(self._precompute_step)
            return
        if session.precompute_frame(order[0]):
            ready = session.features_ready()
            self.controls.embeddings.value = f"Embeddings: {ready}/{session.n_frames} frames ready"
            self.worker.submit(self._precompute_step)
        else:
            ready = session.features_ready()
            self.controls.embeddings.value = (
                f"Embeddings: {ready}/{session.n_frames} frames (memory budget reached)"
            )

    def cancel(self) -> None:
        """Stop a running propagation now (not queued behind it)."""
        for session in self.sessions.values():
            session.cancel()

    # -- streaming --------------------------------------------------------------------
    def _shape(self) -> dict[str, int]:
        h, w = self.stack.frame_shape
        return {"height": h, "width": w}

    def show_frame(self, t: int, lossless: bool = False) -> None:
        """Send frame ``t``'s image and labels (JPEG now, PNG when idle)."""
        if not 0 <= t < self.stack.n_frames:
            return
        if lossless:
            image, mime = encode_image(self.view_stack.display_frame(t), True)
        else:
            k = self._preview_factor()
            image, mime = self._encoded.get((self.other_index, t, k), self._jpeg(t, k))
            for near in (t + 1, t - 1):
                if 0 <= near < self.stack.n_frames:
                    self._encoded.prefetch((self.other_index, near, k), self._jpeg(near, k))
        session = self.sessions.get(self.other_index)
        labels = session.label_frame(t) if session is not None else None
        content = {
            "type": "frame",
            "frame": t,
            "mime": mime,
            "lossless": lossless,
            "has_labels": labels is not None,
            **self._shape(),
        }
        buffers = [image] + ([encode_labels(labels)] if labels is not None else [])
        self._post("frame", content, buffers)
        self.canvas.prompts = markers(session, t) if session is not None else []
        if not lossless:
            self._schedule_lossless(t)

    def _preview_factor(self) -> float:
        """Scale of frames sent while moving: no finer than the screen shows them
        (1.0 when the screen shows every pixel; the idle PNG is always full size)."""
        shown = self.canvas.view_pixels
        longest = max(self.stack.frame_shape)
        if shown <= 0 or shown >= 0.8 * longest:
            return 1.0
        return round(shown / longest, 3)

    def _jpeg(self, t: int, scale: float) -> Any:
        stack = self.view_stack
        return lambda: encode_image(stack.display_frame(t), False, scale=scale)

    def _schedule_lossless(self, t: int) -> None:
        if self._idle_timer is not None:
            self._idle_timer.cancel()

        def upgrade() -> None:
            if self.canvas.frame == t and not self.canvas.busy:
                self.show_frame(t, lossless=True)

        self._idle_timer = threading.Timer(LOSSLESS_AFTER, upgrade)
        self._idle_timer.daemon = True
        self._idle_timer.start()

    def _post(self, slot: str, content: dict[str, Any], buffers: list[bytes]) -> None:
        with self._lock:
            self._queued.pop(slot, None)
            self._queued[slot] = (content, buffers)
            self._drain()

    def _drain(self) -> None:
        # Messages in flight for too long (a closed view never acks) stop blocking.
        now = time.monotonic()
        for seq, sent in list(self._in_flight.items()):
            if now - sent > 5.0:
                del self._in_flight[seq]
        while self._queued and len(self._in_flight) < MAX_IN_FLIGHT:
            _, (content, buffers) = self._queued.popitem(last=False)
            self._seq += 1
            content = {**content, "seq": self._seq}
            self._in_flight[self._seq] = now
            kind = content.get("mime", content["type"])
            self.sent_bytes.append((kind, sum(len(b) for b in buffers)))
            self.canvas.send(content, buffers)

    def _acked(self, seq: int) -> None:
        with self._lock:
            self._in_flight.pop(seq, None)
            self._drain()

    # -- observers and controls -------------------------------------------------------
    def _on_frame(self, change: dict[str, Any]) -> None:
        self.show_frame(int(change["new"]))
        self._save_view()

    def _on_label(self, _change: dict[str, Any]) -> None:
        self._update_swatch()
        self._save_view()

    def _save_view(self) -> None:
        session = self.sessions.get(self.other_index)
        if session is not None and session.autosave is not None:
            session.autosave.set_view(self.canvas.frame, self.canvas.label)

    def _update_swatch(self) -> None:
        r, g, b = label_color(int(self.canvas.label))
        self.controls.label_swatch.value = (
            f'<span style="display:inline-block;width:1.2em;height:1.2em;'
            f'background:rgb({r},{g},{b});border:1px solid #444;vertical-align:middle">'
            "</span>"
        )

    def _safe(self, fn: Any) -> Any:
        def handler(*_args: Any) -> None:
            try:
                fn()
            except Exception as exc:
                self.report(exc)

        return handler

    def _wire_controls(self) -> None:
        c = self.controls
        import ipywidgets as w

        # Kernel-side link: the kernel also moves the frame (follow propagation,
        # scripts), and a browser-side link can bounce a stale slider value back.
        w.link((c.frame, "value"), (self.canvas, "frame"))
        w.jslink((c.opacity, "value"), (self.canvas, "opacity"))
        w.link((c.label, "value"), (self.canvas, "label"))
        c.frame.max = max(0, self.stack.n_frames - 1)
        c.memory_mode.value = self.memory_mode
        c.auto_segment.value = self.auto_segment
        c.auto_segment.observe(lambda ch: self._set_auto(bool(ch["new"])), names="value")
        c.other.value = self.other_index
        c.other.observe(lambda ch: self._set_other(int(ch["new"])), names="value")
        c.load_model.on_click(self._safe(self.load_model_clicked))
        c.segment.on_click(self._safe(lambda: self.submit_edit(None, lambda s: s.segment())))
        c.undo.on_click(self._safe(lambda: self.handle(Undo())))
        c.redo.on_click(self._safe(lambda: self.handle(Redo())))
        c.propagate.on_click(self._safe(self.propagate_clicked))
        c.cancel.on_click(self._safe(self.cancel))
        c.fresh.on_click(self._safe(self.start_fresh))
        self.files = FileActions(self)

    def propagate_clicked(self) -> Any:
        """The Propagate button: the panel's start and direction."""
        c = self.controls
        start = self.canvas.frame if c.propagate_from.value == "current" else None
        return self.propagate(c.direction.value, start)

    def _set_auto(self, value: bool) -> None:
        self.auto_segment = value
        for session in self.sessions.values():
            session.auto_segment = value

    def _set_other(self, index: int) -> None:
        def job() -> None:
            self.other_index = index
            self.show_frame(self.canvas.frame)
            if self.model is not None:
                self.start_precompute()

        self.worker.submit(job)

    def load_model_clicked(self) -> Any:
        c = self.controls
        name, folder, mode = c.model_name.value, c.model_dir.value or None, c.memory_mode.value

        def progress(done: int, total: int | None) -> None:
            c.download.layout.visibility = "visible"
            c.download.max = max(1, total or 1)
            c.download.value = min(done, c.download.max)

        def job() -> None:
            self.status(f"Loading {name}…")
            model = load_model(name, model_dir=folder, progress=progress)
            self.set_model(model, mode)
            self.status(f"Loaded {model.spec.label} on {model.device}.", "ok")
            self.start_precompute()

        return self.worker.submit(job)

    def set_model(self, model: Model, memory_mode: str | None = None) -> None:
        """Use another model (or memory mode). With autosave the new session resumes
        the saved one (prompts replayed in their original grouping, propagated
        labels kept); without, prompts are re-applied, batched."""
        old = self.sessions
        self.model = model
        self.memory_mode = memory_mode or self.memory_mode
        self.sessions = {}
        for index, session in old.items():
            if session.prompts or session.pending:
                new = self._session_for(index)
                if new.resumed is None:
                    new.add_prompts([*session.prompts, *session.pending])
        self.refresh_overlay()

    def close(self) -> None:
        self.cancel()
        if self._idle_timer is not None:
            self._idle_timer.cancel()
        self._encoded.close()
        self.worker.close()
