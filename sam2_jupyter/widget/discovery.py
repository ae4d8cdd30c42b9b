"""Finding objects on a frame, from the *Find objects* group or from Python
(``annotator.controller.discovery``): *Segment everything* (every object) and *Find
new* (the ones no label claims), whose candidates the browser outlines until the
user adds them.

The rules:

- A search runs on the annotator's worker like any edit, with the group's progress
  and Cancel. Cancel asks the session to stop (``session.cancel``) and discards what
  the search returns: nothing changes. One search at a time; a second press is
  refused with a sentence.
- Candidates belong to the frame in view when the search was pressed. They vanish
  when the view moves to another frame or sequence (also when it moved while the
  search ran), when they are added, and on Clear. An edit on their frame drops the
  candidates its new labels claim (:data:`CLAIMED` of their pixels or more) and keeps
  the others: a person may click a missed object and still add the rest.
- A click on a candidate in the canvas drops it; Shift+click selects it (again:
  unselects). *Add all* (or *Add selected*) makes the candidates objects through
  ``session.seed_from_labels``: one undo step, which takes them all back (the
  candidates do not come back; search again). They keep their ids when none is in use
  yet (``find_new_objects`` gives such ids), else they are numbered from the
  session's next unused label, in the order of their ids.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .._words import plural
from .codec import encode_labels
from .context import Context
from .messages import Candidate
from .outbound import CandidatesMsg
from .panels.find import FindPanel, params

CLAIMED = 0.5  # the share of a candidate's pixels an edit must label to drop it
VERBS = {"segment_everything": "Segmenting", "find_new_objects": "Looking for new objects on"}


@dataclass
class Candidates:
    """What one search found and what is left of it."""

    session: Any
    frame: int
    image: np.ndarray  # int32 (Y, X): candidate ids, 0 elsewhere
    labels: np.ndarray  # the frame's labels as the candidates last saw them
    kept: set[int] = field(default_factory=set)
    selected: set[int] = field(default_factory=set)


class Discovery:
    def __init__(self, ctx: Context, panel: FindPanel) -> None:
        self.ctx = ctx
        self.panel = panel
        self._lock = threading.Lock()
        self._shown: Candidates | None = None
        self._run = 0  # a cancel or a newer search makes an older search's result stale
        self._running = False
        safe = ctx.safe
        panel.segment.on_click(safe(self.segment_everything))
        panel.find_new.on_click(safe(self.find_new_objects))
        panel.add_all.on_click(safe(self.add))
        panel.add_selected.on_click(safe(lambda: self.add(selected=True)))
        panel.clear.on_click(safe(self.clear))
        panel.cancel.on_click(safe(self.cancel))
        ctx.view.canvas.observe(self._moved, names="frame")

    def handlers(self) -> dict[type, Any]:
        """The messages this feature answers (the controller merges them)."""
        return {Candidate: self.pick}

    # -- what is shown ----------------------------------------------------------------
    @property
    def frame(self) -> int | None:
        """The frame the candidates are of (None: no candidates)."""
        c = self._shown
        return None if c is None else c.frame

    @property
    def candidates(self) -> np.ndarray | None:
        """The candidates still shown, as a label image (None when there are none)."""
        with self._lock:
            c = self._shown
            if c is None:
                return None
            return np.where(np.isin(c.image, sorted(c.kept)), c.image, 0)

    @property
    def selected(self) -> list[int]:
        c = self._shown
        return [] if c is None else sorted(c.selected)

    # -- searching --------------------------------------------------------------------
    def segment_everything(
        self, frame: int | None = None, method: str | None = None, **options: Any
    ) -> Future[Any] | None:
        """Every object of ``frame`` (default: the frame in view) as candidates, by
        ``method`` with ``options`` (default: the group's)."""
        return self._search("segment_everything", frame, method, options)

    def find_new_objects(
        self, frame: int | None = None, method: str | None = None, **options: Any
    ) -> Future[Any] | None:
        """The candidates of ``frame`` that no label claims yet."""
        return self._search("find_new_objects", frame, method, options)

    def _search(
        self, verb: str, frame: int | None, method: str | None, options: dict[str, Any]
    ) -> Future[Any] | None:
        if method is None:
            method, defaults = params(self.panel)
            options = defaults | options
        t = self.ctx.view.frame if frame is None else int(frame)
        with self._lock:
            if self._running:
                self.ctx.status("A search is already running: Cancel it first.")
                return None
            self._running = True
            self._run += 1
            run = self._run
        self._progress(f"{VERBS[verb]} frame {t}…")

        def job() -> None:
            try:
                self._find(verb, t, method, options, run)
            finally:
                with self._lock:
                    self._running = False
                self._progress(None)

        future = self.ctx.submit(job)
        if future.cancelled():  # the annotator was closed
            with self._lock:
                self._running = False
        return future

    def _find(self, verb: str, t: int, method: str, options: dict[str, Any], run: int) -> None:
        ctx = self.ctx
        session = ctx.session()
        t0 = time.perf_counter()
        try:
            with ctx.view.busy():
                image = getattr(session, verb)(t, method=method, **options)
        except Exception:
            if run == self._run:
                raise
            image = None  # it stopped because it was cancelled
        seconds = time.perf_counter() - t0
        if run != self._run:
            ctx.status("Search cancelled: nothing changed.", "ok")
            return
        if ctx.view.frame != t or ctx.peek() is not session:
            ctx.status(
                f"The view moved during the search: the candidates of frame {t} are dropped."
            )
            return
        image = np.asarray(image)
        if image.max(initial=0) > np.iinfo(np.uint16).max:  # the wire's ids are 16-bit
            from skimage.segmentation import relabel_sequential

            image = relabel_sequential(image)[0]
        ids = set(np.unique(image[image > 0]).tolist())
        shown = Candidates(session, t, image.astype(np.int32), session.label_frame(t), ids)
        with self._lock:
            self._shown = shown if ids else None
        self._send(image=True)
        if not ids:
            ctx.status(f"No candidates on frame {t} ({seconds:.1f} s).", "ok")
            return
        ctx.status(
            f"{plural(len(ids), 'candidate')} on frame {t} ({seconds:.1f} s): click one to "
            "drop it, Shift+click to select; Add all makes them objects.",
            "ok",
        )

    def cancel(self) -> None:
        """Stop the running search; what it finds is discarded."""
        with self._lock:
            if not self._running:
                return
            self._run += 1
        self.ctx.cancel()
        self._progress("Cancelling…")

    # -- the candidates ---------------------------------------------------------------
    def pick(self, msg: Candidate) -> None:
        """A click on a candidate: drop it, or (``select``) select or unselect it.
        A click on candidates no longer shown (the kernel moved on) does nothing."""
        with self._lock:
            c = self._shown
            if c is None or c.frame != msg.frame or msg.id not in c.kept:
                return
            if msg.select:
                c.selected ^= {msg.id}
            else:
                c.kept.discard(msg.id)
                c.selected.discard(msg.id)
            if not c.kept:
                self._shown = None
        self._send(image=False)

    def drop(self, *ids: int) -> None:
        """Drop candidates by id (as clicks on them do)."""
        frame = self.frame
        for i in ids:
            if frame is not None:
                self.pick(Candidate(frame, int(i), False))

    def clear(self) -> None:
        """Drop every candidate."""
        with self._lock:
            had, self._shown = self._shown is not None, None
        if had:
            self._send(image=False)

    def add(self, selected: bool = False) -> Future[Any]:
        """The candidates (or the selected ones) become objects on their frame, one
        undo step; the others stay candidates."""

        def job() -> None:
            with self._lock:
                c = self._shown
                ids = sorted((c.selected if selected else c.kept) if c is not None else ())
            if c is None or not ids:
                what = (
                    "No candidate selected: Shift+click some" if selected and c else "No candidates"
                )
                self.ctx.status(f"{what}.")
                return
            session = c.session
            if self.ctx.peek() is not session:
                self.clear()
                self.ctx.status("The candidates were of another sequence: dropped.")
                return
            image = numbered(c.image, ids, session.next_unused_label())
            self.ctx.status(f"Adding {plural(len(ids), 'object')}…")
            with self.ctx.view.busy():
                added = session.seed_from_labels(c.frame, image)
            with self._lock:
                c.kept -= set(ids)
                c.selected.clear()
                c.labels = session.label_frame(c.frame)
                if not c.kept or self._shown is not c:
                    self._shown = None
            self._send(image=False)
            self.ctx.refresh()
            self.ctx.status(
                f"Added {plural(len(added), 'object')} on frame {c.frame}: propagate to "
                "track them (Undo takes them all back).",
                "ok",
            )

        return self.ctx.submit(job)

    def landed(self) -> None:
        """An edit may have changed the candidates' frame (the controller calls this
        with every refresh): drop the candidates its new labels claim."""
        with self._lock:
            c = self._shown
        if c is None:
            return
        session = self.ctx.peek()
        if session is not c.session:
            self.clear()
            return
        now = session.label_frame(c.frame)
        if np.array_equal(now, c.labels):
            return
        claimed = (now != c.labels) & (now != 0)
        size = np.bincount(c.image.ravel())
        hits = np.bincount(c.image[claimed], minlength=size.size)
        gone = {i for i in c.kept if hits[i] >= CLAIMED * size[i]}
        with self._lock:
            c.labels = now
            c.kept -= gone
            c.selected -= gone
            if not c.kept and self._shown is c:
                self._shown = None
        if gone:
            self._send(image=False)

    def resend(self) -> None:
        """A view (re)rendered: the candidates again, image included."""
        self._send(image=True)

    # -- to the browser -------------------------------------------------------------
    def _moved(self, change: dict[str, Any]) -> None:
        c = self._shown
        if c is not None and int(change["new"]) != c.frame:
            self.clear()

    def _send(self, image: bool) -> None:
        """The candidates as the browser draws them, and the group's count."""
        view = self.ctx.view
        with self._lock:
            c = self._shown
            if c is None:
                msg, data = CandidatesMsg(view.frame, 0, 0, [], [], False), []
            else:
                h, w = c.image.shape
                ids, chosen = sorted(c.kept), sorted(c.selected)
                msg = CandidatesMsg(c.frame, w, h, ids, chosen, image)
                data = [encode_labels(c.image)] if image else []
        view.canvas.send(msg.content(), data)
        n, k = len(msg.ids), len(msg.selected)
        words = plural(n, "candidate") + (f", {k} selected" if k else "")
        view.set(self.panel.found, "value", words)
        view.set(self.panel.candidates_row.layout, "display", "flex" if n else "none")

    def _progress(self, text: str | None) -> None:
        """The group's progress row while a search runs (``text``), hidden after."""
        view, p = self.ctx.view, self.panel
        view.set(p.progress, "description", text or "")
        view.set(p.progress, "value", 0 if text else 1)
        view.set(p.progress_row.layout, "display", "flex" if text else "none")


def numbered(image: np.ndarray, ids: list[int], free: int) -> np.ndarray:
    """The candidates ``ids`` of ``image`` as a label image to seed: their own ids
    when all are ``free`` or above (unused), else ``free``, ``free + 1``, ... in order."""
    lut = np.zeros(int(image.max()) + 1, np.int32)
    lut[ids] = ids if min(ids) >= free else np.arange(free, free + len(ids))
    return lut[image]
