"""View and prompting group: frame, 4D index, label, opacity, segmentation mode,
undo / redo."""

from __future__ import annotations

from dataclasses import dataclass

import ipywidgets as w

from .widgets import button, row


@dataclass
class ViewPanel:
    frame: w.IntSlider
    other: w.IntSlider
    label: w.BoundedIntText
    label_swatch: w.HTML
    opacity: w.FloatSlider
    auto_segment: w.Checkbox
    segment: w.Button
    undo: w.Button
    redo: w.Button
    box: w.VBox


def view_panel(n_frames: int, n_other: int, other_axis: str | None) -> ViewPanel:
    frame = w.IntSlider(0, 0, max(0, n_frames - 1), description="Frame", continuous_update=True)
    other = w.IntSlider(
        0,
        0,
        max(0, n_other - 1),
        description=other_axis or "",
        layout=w.Layout(display="flex" if n_other > 1 else "none"),
    )
    label = w.BoundedIntText(1, min=1, max=65535, description="Label")
    swatch = w.HTML()
    opacity = w.FloatSlider(0.5, min=0.0, max=1.0, step=0.05, description="Opacity")
    auto = w.Checkbox(True, description="Auto-segment each click", indent=False)
    segment = button("Trigger segmentation", "Segment the pending prompts")
    undo = button("Undo", "Undo the last edit (Ctrl+Z)")
    redo = button("Redo", "Redo (Ctrl+Shift+Z)")
    box = w.VBox([frame, other, row([label, swatch]), opacity, auto, row([segment, undo, redo])])
    return ViewPanel(frame, other, label, swatch, opacity, auto, segment, undo, redo, box)
