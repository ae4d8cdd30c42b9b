"""Find objects group: every object of the frame in view as candidates (SAM2's
automatic masks, or a threshold for bright objects on a dark background), or only
the ones no label claims yet; then Add all / Add selected / Clear.

Folded by default under its title, like the Model group: one row of method and the
two actions, the method's few parameters on a second row, the candidates' actions
on a third (shown while there are candidates), and the run's progress with Cancel
(shown while one runs). The parameters keep sam2's and the engine's names."""

from __future__ import annotations

from dataclasses import dataclass

import ipywidgets as w

from .widgets import button, row

THRESHOLDS = ("otsu", "li", "triangle", "local")


@dataclass
class FindPanel:
    method: w.Dropdown
    points_per_side: w.BoundedIntText
    pred_iou_thresh: w.BoundedFloatText
    stability_score_thresh: w.BoundedFloatText
    threshold: w.Dropdown
    sigma: w.BoundedFloatText
    min_area: w.BoundedIntText
    max_area: w.BoundedIntText
    segment: w.Button
    find_new: w.Button
    add_all: w.Button
    add_selected: w.Button
    clear: w.Button
    cancel: w.Button
    progress: w.IntProgress
    found: w.Label
    sam2_row: w.HBox
    threshold_row: w.HBox
    candidates_row: w.HBox
    progress_row: w.HBox
    group: w.Accordion
    box: w.VBox


def _number(kind: type, value: float, lo: float, hi: float, text: str, tip: str) -> w.Widget:
    return kind(
        value,
        min=lo,
        max=hi,
        description=text,
        tooltip=tip,
        style={"description_width": "initial"},
        layout=w.Layout(width="auto", max_width="165px"),
    )


def find_panel() -> FindPanel:
    method = w.Dropdown(
        options=[("SAM2 (every object)", "sam2"), ("threshold (bright on dark)", "threshold")],
        value="sam2",
        tooltip="SAM2's automatic masks, or a threshold and watershed (no model; nuclei, bacteria)",
        layout=w.Layout(width="215px"),
    )
    per_side = _number(
        w.BoundedIntText, 32, 1, 256, "points/side", "A grid of points_per_side² prompts"
    )
    iou = _number(w.BoundedFloatText, 0.8, 0.0, 1.0, "IoU ≥", "pred_iou_thresh")
    stability = _number(w.BoundedFloatText, 0.95, 0.0, 1.0, "stable ≥", "stability_score_thresh")
    per_side.step, iou.step, stability.step = 1, 0.05, 0.05
    threshold = w.Dropdown(
        options=list(THRESHOLDS),
        value="otsu",
        description="threshold",
        tooltip="The automatic threshold (local: per neighbourhood, for uneven background)",
        style={"description_width": "initial"},
        layout=w.Layout(width="165px"),
    )
    sigma = _number(
        w.BoundedFloatText, 1.0, 0.0, 50.0, "σ", "sigma: smoothing before the threshold"
    )
    sigma.step = 0.5
    min_area = _number(w.BoundedIntText, 16, 0, 10**8, "area ≥", "min_area in pixels (0: any size)")
    max_area = _number(w.BoundedIntText, 0, 0, 10**8, "≤", "max_area in pixels (0: no limit)")
    segment = button(
        "Segment everything",
        "Every object of this frame as candidates (outlined; not objects until added)",
        "primary",
    )
    find_new = button(
        "Find new", "Candidates on this frame that no label claims yet (entering, divided)"
    )
    add_all = button("Add all", "Every candidate becomes an object (one undo step)", "success")
    add_selected = button("Add selected", "The Shift+clicked candidates become objects")
    clear = button("Clear", "Drop every candidate")
    cancel = button("Cancel", "Stop the search (nothing changes)", "warning")
    progress = w.IntProgress(value=0, min=0, max=1, layout=w.Layout(width="120px"))
    found = w.Label("", tooltip="Click a candidate to drop it, Shift+click to select it")
    sam2_row = row([per_side, iou, stability])
    threshold_row = row([threshold, sigma], display="none")
    candidates_row = row([found, add_all, add_selected, clear], display="none")
    progress_row = row([progress, cancel], display="none")

    def show_fields(_change: object = None) -> None:
        sam2 = method.value == "sam2"
        sam2_row.layout.display = "flex" if sam2 else "none"
        threshold_row.layout.display = "none" if sam2 else "flex"

    method.observe(show_fields, names="value")
    body = w.VBox(
        [
            row([method, segment, find_new]),
            sam2_row,
            threshold_row,
            row([min_area, max_area]),
            candidates_row,
            progress_row,
        ]
    )
    group = w.Accordion(children=[body], titles=("Find objects",), selected_index=None)
    return FindPanel(
        method,
        per_side,
        iou,
        stability,
        threshold,
        sigma,
        min_area,
        max_area,
        segment,
        find_new,
        add_all,
        add_selected,
        clear,
        cancel,
        progress,
        found,
        sam2_row,
        threshold_row,
        candidates_row,
        progress_row,
        group,
        w.VBox([group]),
    )


def params(panel: FindPanel, method: str | None = None) -> tuple[str, dict[str, object]]:
    """The method (default: the group's) and its parameters as the engine takes them
    (``max_area`` only when set: 0 means no limit)."""
    method = str(panel.method.value) if method is None else method
    if method == "sam2":
        out: dict[str, object] = {
            "points_per_side": int(panel.points_per_side.value),
            "pred_iou_thresh": float(panel.pred_iou_thresh.value),
            "stability_score_thresh": float(panel.stability_score_thresh.value),
        }
    else:
        out = {"threshold": str(panel.threshold.value), "sigma": float(panel.sigma.value)}
    out["min_area"] = int(panel.min_area.value)
    if panel.max_area.value:
        out["max_area"] = int(panel.max_area.value)
    return method, out
