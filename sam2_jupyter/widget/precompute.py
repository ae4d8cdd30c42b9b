"""Image features computed in the background, nearest to the frame in view first.

One frame per job, so a click waits for at most one frame's encoding; when the
user's jobs are waiting, the next step goes behind them.
"""

from __future__ import annotations

from .context import Context
from .panels.propagate import PropagatePanel


class Precompute:
    def __init__(self, ctx: Context, panel: PropagatePanel) -> None:
        self.ctx = ctx
        self.panel = panel
        self.closed = False

    def start(self) -> None:
        self.ctx.submit(self.step)

    def step(self) -> None:
        ctx = self.ctx
        if self.closed:
            return
        session = ctx.session()
        if session.features is None:
            return
        order = session.precompute_order(center=ctx.canvas.frame)
        line = self.panel.embeddings
        if not order:
            line.value = f"Embeddings: all {session.features_ready()} frames ready"
            return
        if ctx.pending():  # the user is waiting for something: go after it
            ctx.submit(self.step)
            return
        if session.precompute_frame(order[0]):
            line.value = f"Embeddings: {session.features_ready()}/{session.n_frames} frames ready"
            ctx.submit(self.step)
        else:
            line.value = (
                f"Embeddings: {session.features_ready()}/{session.n_frames} frames "
                "(memory budget reached)"
            )
