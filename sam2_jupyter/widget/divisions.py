"""Proposed divisions in the widget: the engine's ``session.proposed_divisions()`` sent
to the browser (a mark on the mother's timeline row, a badge on her object-list row),
and the browser's accept / dismiss of one.

The rules:

- Proposals are computed on the annotator's worker after an edit, an undo or redo,
  the end of a propagation and the opening of a session (the controller calls
  :meth:`Divisions.changed` where it refreshes the session's view), never per
  propagated frame: the scan reads every frame's labels (about 2 s for 300 labels ×
  100 frames at 512² on one core; ``benchmarks/bench_divisions.py``). Requests
  coalesce: of several queued behind other jobs only the last one scans.
- The browser gets the whole table each time it changes (:class:`DivisionsMsg`; a
  re-rendered view gets it again), nothing when it did not.
- Accept and dismiss are edits like any other (``session.accept_division`` /
  ``dismiss_division``: one undo step each), run on the worker; the marks follow.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

import pandas as pd

from .._words import plural
from .context import Context
from .messages import AcceptDivision, DismissDivision
from .outbound import DivisionsMsg


def message(table: pd.DataFrame) -> DivisionsMsg:
    """The browser's copy of a proposals table (``session.proposed_divisions()``)."""
    daughters = [int(d[0]) if len(d) else 0 for d in table["daughters"]]
    frames = [int(t) for t in table["frame"]]
    return DivisionsMsg(frames, [int(m) for m in table["mother"]], daughters)


class Divisions:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self._lock = threading.Lock()
        self._asked = 0  # requests made; a queued scan that is not the latest skips
        self._sent: DivisionsMsg | None = None
        self.table: pd.DataFrame | None = None  # the latest proposals (tests, scripts)

    def handlers(self) -> dict[type, Any]:
        """The messages this feature answers (the controller merges them)."""
        return {AcceptDivision: self.accept, DismissDivision: self.dismiss}

    # -- proposals --------------------------------------------------------------------
    def changed(self) -> Future[Any]:
        """The session's labels or lineage may have changed: scan again on the worker
        after what is queued (only the latest of several queued requests scans)."""
        with self._lock:
            self._asked += 1
            ask = self._asked
        return self.ctx.submit(lambda: self._scan(ask))

    def _scan(self, ask: int) -> None:
        with self._lock:
            if ask != self._asked:
                return  # a newer request is queued: it scans
        session = self.ctx.peek()
        if session is None:
            table = pd.DataFrame({"frame": [], "mother": [], "daughters": []})
        else:
            table = session.proposed_divisions()
        msg = message(table)
        with self._lock:
            self.table = table
            if msg == self._sent:
                return
            self._sent = msg
        self.ctx.view.canvas.send(msg.content(), [])

    def resend(self) -> None:
        """A view rendered: it gets the proposals again."""
        with self._lock:
            msg = self._sent
        if msg is not None:
            self.ctx.view.canvas.send(msg.content(), [])

    # -- the browser's answers ----------------------------------------------------------
    def accept(self, m: AcceptDivision) -> Future[Any]:
        """Make the proposal lineage (one undo step); the status line says what."""

        def edit(session: Any) -> str:
            daughters = session.accept_division(m.frame, m.mother)
            return (
                f"Division accepted on frame {m.frame}: label {m.mother}'s "
                f"{plural(len(daughters), 'daughter')} {', '.join(map(str, daughters))}."
            )

        return self._edit(edit)

    def dismiss(self, m: DismissDivision) -> Future[Any]:
        """Not a division: the proposal goes and is not made again (undoable)."""

        def edit(session: Any) -> str:
            session.dismiss_division(m.frame, m.mother)
            return f"Not a division: label {m.mother} on frame {m.frame}."

        return self._edit(edit)

    def _edit(self, edit: Callable[[Any], str]) -> Future[Any]:
        """Run ``edit`` on the worker like any edit; its sentence goes to the status
        line (a failing or read-only save's warning stays instead)."""
        ctx = self.ctx

        def job() -> None:
            with ctx.view.busy():
                said = edit(ctx.session())
            ctx.refresh()  # labels, timeline, object list, and a new scan
            ctx.clear_status()
            if not ctx.view.status_text:
                ctx.status(said + " Ctrl+Z undoes it.", "ok")

        return ctx.submit(job)
