"""Image features computed in the background, nearest to the frame in view first.

The precompute runs on the background thread (:mod:`.background`), never on the
user's worker: a click runs at once, and the encode in progress stops within one
encoder layer and goes on once the user has been idle for the quiet period. Idle,
frames are encoded back to back, as fast as before.
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

    def run(self, pause: Callable[[], None]) -> None:
        """Encode frames until all are ready (or the memory budget is reached)."""
        ctx = self.ctx
        line = self.panel.embeddings
        while not self.closed:
            session = ctx.session()
            if session.features is None:
                return
            order = session.precompute_order(center=ctx.canvas.frame)
            if not order:
                line.value = f"Embeddings: all {plural(session.features_ready(), 'frame')} ready"
                return
            if session.precompute_frame(order[0], pause):
                ready = session.features_ready()
                line.value = f"Embeddings: {ready}/{plural(session.n_frames, 'frame')} ready"
            elif session.busy:
                time.sleep(BUSY_POLL_S)
            else:
                line.value = (
                    f"Embeddings: {session.features_ready()}/"
                    f"{plural(session.n_frames, 'frame')} (memory budget reached)"
                )
                return
            pause()
