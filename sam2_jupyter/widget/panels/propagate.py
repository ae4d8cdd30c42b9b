"""Propagation group: from where, to where, which direction, stopping when every
label is lost, finding new objects every N frames (0: never), Propagate / Cancel,
progress, and the image-feature precompute line.

Frame numbers are the frame slider's (0-based)."""

from __future__ import annotations

from dataclasses import dataclass

import ipywidgets as w

from .widgets import button, row


@dataclass
class PropagatePanel:
    propagate_from: w.Dropdown
    start_frame: w.BoundedIntText
    propagate_to: w.Dropdown
    stop_frame: w.BoundedIntText
    direction: w.ToggleButtons
    stop_lost: w.Checkbox
    lost_frames: w.BoundedIntText
    discover_every: w.BoundedIntText
    discover_method: w.Dropdown
    propagate: w.Button
    cancel: w.Button
    follow: w.Checkbox
    progress: w.IntProgress
    progress_text: w.Label
    embeddings: w.Label
    box: w.VBox


def _frame_field(n_frames: int, value: int) -> w.BoundedIntText:
    return w.BoundedIntText(
        value, min=0, max=max(0, n_frames - 1), layout=w.Layout(width="80px", display="none")
    )


def propagate_panel(n_frames: int = 1) -> PropagatePanel:
    start = w.Dropdown(
        options=[("earliest prompt", "first"), ("this frame", "current"), ("frame", "frame")],
        value="first",
        description="From",
        tooltip="Where tracking starts: the earliest prompted frame, the frame in view, or a frame",
        layout=w.Layout(width="230px"),
    )
    start_frame = _frame_field(n_frames, 0)
    to = w.Dropdown(
        options=[("the end", "end"), ("frame", "frame")],
        value="end",
        description="To",
        tooltip="Where a forward or backward run stops: the last (first) frame, or a frame",
        layout=w.Layout(width="230px"),
    )
    stop_frame = _frame_field(n_frames, max(0, n_frames - 1))
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
    stop_lost = w.Checkbox(
        False,
        description="Stop when all lost for",
        indent=False,
        tooltip="End a direction once SAM2 says every label is absent for this many frames",
        layout=w.Layout(width="auto"),
    )
    lost_frames = w.BoundedIntText(5, min=1, max=100000, layout=w.Layout(width="70px"))
    every = w.BoundedIntText(
        0,
        min=0,
        max=100000,
        description="Find new every",
        tooltip="Every N propagated frames, objects no label claims become labels (0: off)",
        style={"description_width": "initial"},
        layout=w.Layout(width="150px"),
    )
    method = w.Dropdown(
        options=["threshold", "sam2"], value="threshold", layout=w.Layout(width="100px")
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

    def show_fields(_change: object = None) -> None:
        start_frame.layout.display = "flex" if start.value == "frame" else "none"
        stop_frame.layout.display = "flex" if to.value == "frame" else "none"
        to.disabled = direction.value == "both"  # both runs to each end

    for control in (start, to, direction):
        control.observe(show_fields, names="value")
    box = w.VBox(
        [
            row([start, start_frame]),
            row([to, stop_frame]),
            direction,
            row([stop_lost, lost_frames, w.Label("frames")]),
            row([every, w.Label("frames by"), method]),
            row([propagate, cancel]),
            follow,
            row([progress, text]),
            embeddings,
        ]
    )
    return PropagatePanel(
        start,
        start_frame,
        to,
        stop_frame,
        direction,
        stop_lost,
        lost_frames,
        every,
        method,
        propagate,
        cancel,
        follow,
        progress,
        text,
        embeddings,
        box,
    )
