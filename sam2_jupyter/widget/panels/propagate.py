"""Propagation group: from where, which direction, Propagate / Cancel, progress,
and the image-feature precompute line."""

from __future__ import annotations

from dataclasses import dataclass

import ipywidgets as w

from .widgets import button


@dataclass
class PropagatePanel:
    propagate_from: w.Dropdown
    direction: w.ToggleButtons
    propagate: w.Button
    cancel: w.Button
    follow: w.Checkbox
    progress: w.IntProgress
    progress_text: w.Label
    embeddings: w.Label
    box: w.VBox


def propagate_panel() -> PropagatePanel:
    start = w.Dropdown(
        options=[("earliest prompt", "first"), ("this frame", "current")],
        value="first",
        description="From",
        tooltip="Where tracking starts: the earliest prompted frame, or the frame in view",
        layout=w.Layout(width="230px"),
    )
    direction = w.ToggleButtons(
        options=[("Forward", "forward"), ("Backward", "reverse"), ("Both", "both")],
        value="forward",
        tooltips=[
            "Track to the last frame",
            "Track to the first frame",
            "Track forward, then backward, from the start frame",
        ],
        style={"button_width": "88px"},
    )
    propagate = button(
        "Propagate",
        "Track every object; prompted frames (corrections too) are kept and tracked from",
        "success",
    )
    cancel = button("Cancel", "Stop the propagation (finished frames are kept)", "warning")
    follow = w.Checkbox(True, description="Follow propagation", indent=False)
    progress = w.IntProgress(value=0, min=0, max=1, description="Progress")
    text = w.Label("")
    embeddings = w.Label("", tooltip="Image features computed in the background")
    box = w.VBox(
        [
            start,
            direction,
            w.HBox([propagate, cancel]),
            follow,
            w.HBox([progress, text]),
            embeddings,
        ]
    )
    return PropagatePanel(
        start, direction, propagate, cancel, follow, progress, text, embeddings, box
    )
