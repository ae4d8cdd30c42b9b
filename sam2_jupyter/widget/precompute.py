"""Image features computed in the background, nearest to the frame in view first.

The precompute runs on the background thread (:mod:`.background`), never on the
user's worker: a click runs at once, and the encode in progress stops within one
encoder layer and goes on once the user has been idle for the quiet period. Idle,
frames are encoded back to back, as fast as before.

It never builds a Session: building one (opening the save, perhaps resuming by
replaying prompts through SAM2) takes the session pool's lock, and a first click
would wait for it behind the lowest-priority thread. The controller opens the
session on the user's worker (at once when there is a model), and its opening
starts the precompute; until then the precompute does nothing.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from .._words import plural
from .context import Context
from .panels.propagate import PropagatePanel

BUSY_POLL_S = 0.1  # a propagation from a script (not the worker) holds the session


class Precompute:
    def __init__(self, ctx: Context, panel: PropagatePanel) -> None:
        self.ctx = ctx
        self.panel = panel
        self.closed = False

    def start(self) -> None:
        self.ctx.later("precompute", self.run)

    def close(self) -> None:
        """Stop at the next frame (the annotator is closing)."""
        self.closed = True

    def _say(self, text: str) -> None:
        self.ctx.view.set(self.panel.embeddings, "value", text)

    def run(self, pause: Callable[[], None]) -> None:
        """Encode frames until all are ready (or the memory budget is reached)."""
        ctx = self.ctx
        while not self.closed:
            session = ctx.peek()
            if session is None or session.features is None:
                return  # opening the session starts this again
            work = session.precompute
            order = work.order(center=ctx.view.frame)
            if not order:
                self._say(f"Embeddings: all {plural(work.ready(), 'frame')} ready")
                return
            if work.frame(order[0], pause):
                ready = work.ready()
                self._say(f"Embeddings: {ready}/{plural(session.n_frames, 'frame')} ready")
            elif session.busy:
                time.sleep(BUSY_POLL_S)
            else:
                self._say(
                    f"Embeddings: {work.ready()}/"
                    f"{plural(session.n_frames, 'frame')} (memory budget reached)"
                )
                return
            pause()
