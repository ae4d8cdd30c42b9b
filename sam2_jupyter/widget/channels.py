"""Choosing the channels of multichannel data from the panel: one channel or a
composite of up to three, each with its colour and contrast.

SAM2 sees exactly what is shown, so a new composite means new image features: Apply
opens the sessions again on the new view of the data (as another model does). The
autosave resumes each one (same data), so prompts and labels stay; without autosave
the prompts are sent again.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from ..io import Stack
from .context import Context
from .panels.channels import ChannelsPanel


def views_of(panel: ChannelsPanel) -> list[tuple[int, str, tuple[float, float]]]:
    """The rows with a channel chosen, as ``channels=`` takes them."""
    return [
        (int(r.channel.value), str(r.color.value), tuple(r.limits.value))
        for r in panel.rows
        if r.channel.value >= 0
    ]


def show_views(
    panel: ChannelsPanel, stack: Stack, write: Callable[[Any, str, Any], None] = setattr
) -> None:
    """Set the rows from a Stack's composite (or its single channel), through
    ``write`` (the view's, from the worker)."""
    views = list(stack.views)
    for k, r in enumerate(panel.rows):
        if k < len(views):
            write(r.channel, "value", views[k].channel)
            write(r.color, "value", views[k].color)
            lo, hi = views[k].limits
            write(r.limits, "max", max(r.limits.max, hi))
            write(r.limits, "value", (lo, hi))
        elif not views and k == 0:
            write(r.channel, "value", stack.channel)
        else:
            write(r.channel, "value", -1)


class Channels:
    def __init__(self, ctx: Context, panel: ChannelsPanel) -> None:
        self.ctx = ctx
        self.panel = panel
        show_views(panel, ctx.data)
        panel.apply.on_click(ctx.safe(self.apply))

    def apply(self) -> Future[Any]:
        return self.set(views_of(self.panel))

    def set(self, channels: Any) -> Future[Any]:
        """Show ``channels`` (as :func:`~sam2_jupyter.open_stack` takes them)."""
        ctx = self.ctx

        def job() -> None:
            stack = ctx.data.with_channels(channels or None)
            ctx.set_stack(stack)
            show_views(self.panel, stack, ctx.view.set)
            ctx.view.show(ctx.view.frame)  # the new image, with its labels and markers
            ctx.refresh()
            picked = ", ".join(f"{v.channel} {v.color}" for v in stack.views) or "one channel"
            self.ctx.status(f"Showing {picked}; SAM2 segments what is shown.", "ok")

        return self.ctx.submit(job)
