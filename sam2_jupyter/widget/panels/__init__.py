"""The ipywidgets panel beside the canvas, one small layout module per group.

Layout only: each feature module wires its own group. :class:`Controls` composes
the groups, each named for what it holds; a control is reached through its group
(``controls.propagate.follow``), so that a type checker knows what it is.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import ipywidgets as w

from .channels import ChannelsPanel, channels_panel
from .files import FilesPanel, files_panel
from .find import FindPanel, find_panel
from .model import ModelPanel, model_panel
from .propagate import PropagatePanel, propagate_panel
from .seed import SeedPanel, seed_panel
from .status import StatusPanel, status_panel
from .view import ViewPanel, view_panel


@dataclass
class Controls:
    model: ModelPanel
    view: ViewPanel
    channels: ChannelsPanel
    find: FindPanel
    propagate: PropagatePanel
    files: FilesPanel
    seed: SeedPanel
    status: StatusPanel
    box: w.VBox

    def groups(self) -> tuple[object, ...]:
        return (
            self.model,
            self.view,
            self.channels,
            self.find,
            self.propagate,
            self.files,
            self.seed,
            self.status,
        )

    def buttons(self) -> list[w.Button]:
        return [
            getattr(group, f.name)
            for group in self.groups()
            for f in fields(group)  # type: ignore[arg-type]
            if isinstance(getattr(group, f.name), w.Button)
        ]


def build_controls(
    n_frames: int, n_other: int, other_axis: str | None, n_channels: int = 1, high: float = 255.0
) -> Controls:
    groups = (
        model_panel(),
        view_panel(n_frames, n_other, other_axis),
        channels_panel(n_channels, high),
        find_panel(),
        propagate_panel(n_frames),
        files_panel(),
        seed_panel(),
        status_panel(),
    )
    box = w.VBox(
        [g.box for g in groups], layout=w.Layout(flex="0 0 auto", width="360px", min_width="360px")
    )
    return Controls(*groups, box)


__all__ = ["Controls", "build_controls"]
