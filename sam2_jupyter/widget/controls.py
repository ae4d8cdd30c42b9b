"""The ipywidgets panel beside the canvas. Layout only: the controller wires it."""

from __future__ import annotations

from dataclasses import dataclass, fields

import ipywidgets as w

from ..engine.memory import MODES
from ..models import MODEL_NAMES

MODEL_LABELS = {"tiny": "Tiny", "small": "Small", "base_plus": "Base Plus", "large": "Large"}


@dataclass
class Controls:
    model_name: w.Dropdown
    model_dir: w.Text
    memory_mode: w.Dropdown
    load_model: w.Button
    download: w.IntProgress
    frame: w.IntSlider
    other: w.IntSlider
    label: w.BoundedIntText
    label_swatch: w.HTML
    opacity: w.FloatSlider
    auto_segment: w.Checkbox
    segment: w.Button
    undo: w.Button
    redo: w.Button
    propagate_from: w.Dropdown
    direction: w.ToggleButtons
    propagate: w.Button
    cancel: w.Button
    follow: w.Checkbox
    progress: w.IntProgress
    progress_text: w.Label
    embeddings: w.Label
    fresh: w.Button
    prompts_path: w.Text
    store_prompts: w.Button
    load_prompts: w.Button
    export_path: w.Text
    fps: w.BoundedFloatText
    export_masks: w.Button
    export_overlay: w.Button
    export_tracks: w.Button
    export_ctc: w.Button
    export_coco: w.Button
    export_ome_zarr: w.Button
    confirm_text: w.HTML
    replace: w.Button
    keep: w.Button
    confirm: w.HBox
    status: w.HTML
    box: w.VBox

    def buttons(self) -> list[w.Button]:
        return [
            getattr(self, f.name)
            for f in fields(self)
            if isinstance(getattr(self, f.name), w.Button)
        ]


def build_controls(n_frames: int, n_other: int, other_axis: str | None) -> Controls:

    def button(text: str, tip: str, style: str = "") -> w.Button:
        # Each its own Layout: hiding one button must not hide them all.
        return w.Button(
            description=text, tooltip=tip, button_style=style, layout=w.Layout(width="auto")
        )

    model_name = w.Dropdown(
        options=[(MODEL_LABELS[n], n) for n in MODEL_NAMES], value="tiny", description="Model"
    )
    model_dir = w.Text(placeholder="default cache folder", description="Folder")
    memory_mode = w.Dropdown(options=list(MODES), value="normal", description="Memory")
    load_model = button("Load model", "Load (and download on first use) the model", "primary")
    download = w.IntProgress(
        value=0, min=0, max=100, description="Download", layout=w.Layout(visibility="hidden")
    )
    frame = w.IntSlider(0, 0, max(0, n_frames - 1), description="Frame", continuous_update=True)
    other = w.IntSlider(
        0,
        0,
        max(0, n_other - 1),
        description=other_axis or "",
        layout=w.Layout(display="flex" if n_other > 1 else "none"),
    )
    label = w.BoundedIntText(1, min=1, max=65535, description="Label")
    label_swatch = w.HTML()
    opacity = w.FloatSlider(0.5, min=0.0, max=1.0, step=0.05, description="Opacity")
    auto_segment = w.Checkbox(True, description="Auto-segment each click", indent=False)
    segment = button("Trigger segmentation", "Segment the pending prompts")
    undo = button("Undo", "Undo the last edit (Ctrl+Z)")
    redo = button("Redo", "Redo (Ctrl+Shift+Z)")
    propagate_from = w.Dropdown(
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
    progress_text = w.Label("")
    embeddings = w.Label("", tooltip="Image features computed in the background")
    prompts_path = w.Text("prompts.csv", description="Prompts")
    store_prompts = button("Store", "Save prompts as CSV")
    load_prompts = button("Load", "Load prompts from CSV (batched per object)")
    export_path = w.Text("labels", description="Export to", tooltip="file name without extension")
    fps = w.BoundedFloatText(10, min=0.1, max=240, description="fps")
    export_masks = button("Masks (TIFF)", "Label TIFF, ImageJ axes")
    export_overlay = button("Overlay (mp4)", "Frames with labels at the chosen opacity")
    export_tracks = button("Tracks (CSV)", "Centroid per object and frame")
    export_ctc = button("CTC", "Cell Tracking Challenge folder: maskTTT.tif + res_track.txt")
    export_coco = button("COCO", "COCO JSON with RLE masks, object id as track_id")
    export_ome_zarr = button("OME-Zarr", "Frames and labels as OME-Zarr (napari, Fiji)")
    # Asked when a file would be replaced; hidden otherwise.
    confirm_text = w.HTML("")
    replace = button("Replace", "Replace the existing file", "danger")
    keep = button("Keep", "Keep the existing file; write nothing")
    confirm = w.HBox([confirm_text, replace, keep], layout=w.Layout(display="none"))
    fresh = button(
        "Start fresh",
        "Set the saved session aside (it is kept) and start with no prompts or labels",
    )
    fresh.layout.display = "none"  # shown after a resume
    status = w.HTML("")

    row = w.HBox
    box = w.VBox(
        [
            model_name,
            model_dir,
            memory_mode,
            row([load_model, download]),
            frame,
            other,
            row([label, label_swatch]),
            opacity,
            auto_segment,
            row([segment, undo, redo]),
            propagate_from,
            direction,
            row([propagate, cancel]),
            follow,
            row([progress, progress_text]),
            embeddings,
            row([prompts_path, store_prompts, load_prompts]),
            export_path,
            fps,
            row([export_masks, export_overlay, export_tracks]),
            row([export_ctc, export_coco, export_ome_zarr]),
            confirm,
            row([status, fresh]),
        ],
        layout=w.Layout(min_width="340px"),
    )
    return Controls(
        model_name,
        model_dir,
        memory_mode,
        load_model,
        download,
        frame,
        other,
        label,
        label_swatch,
        opacity,
        auto_segment,
        segment,
        undo,
        redo,
        propagate_from,
        direction,
        propagate,
        cancel,
        follow,
        progress,
        progress_text,
        embeddings,
        fresh,
        prompts_path,
        store_prompts,
        load_prompts,
        export_path,
        fps,
        export_masks,
        export_overlay,
        export_tracks,
        export_ctc,
        export_coco,
        export_ome_zarr,
        confirm_text,
        replace,
        keep,
        confirm,
        status,
        box,
    )
