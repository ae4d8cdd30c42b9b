"""Status group: the status line and Start fresh (shown after a resume)."""

from __future__ import annotations

from dataclasses import dataclass

import ipywidgets as w

from .widgets import button, row


@dataclass
class StatusPanel:
    status: w.HTML
    fresh: w.Button
    box: w.HBox


def status_panel() -> StatusPanel:
    status = w.HTML("")
    fresh = button(
        "Start fresh",
        "Set the saved session aside (it is kept) and start with no prompts or labels",
    )
    fresh.layout.display = "none"  # shown after a resume
    return StatusPanel(status, fresh, row([status, fresh]))
