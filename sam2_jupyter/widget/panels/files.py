"""Files group: prompts file (Store / Load), export name, fps, the export buttons,
and the Replace / Keep question."""

from __future__ import annotations

from dataclasses import dataclass

import ipywidgets as w

from .widgets import button, row


@dataclass
class FilesPanel:
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
    box: w.VBox


def files_panel() -> FilesPanel:
    prompts_path = w.Text("prompts.csv", description="Prompts")
    store = button("Store", "Save prompts as CSV")
    load = button("Load", "Load prompts from CSV (batched per object)")
    export_path = w.Text("labels", description="Export to", tooltip="file name without extension")
    fps = w.BoundedFloatText(10, min=0.1, max=240, description="fps")
    masks = button("Masks (TIFF)", "Label TIFF, ImageJ axes")
    overlay = button("Overlay (mp4)", "Frames with labels at the chosen opacity")
    tracks = button("Tracks (CSV)", "Centroid per object and frame")
    ctc = button("CTC", "Cell Tracking Challenge folder: maskTTT.tif + res_track.txt")
    coco = button("COCO", "COCO JSON with RLE masks, object id as track_id")
    ome = button("OME-Zarr", "Frames and labels as OME-Zarr (napari, Fiji)")
    # Asked when a file would be replaced; hidden otherwise.
    text = w.HTML("")
    replace = button("Replace", "Replace the existing file", "danger")
    keep = button("Keep", "Keep the existing file; write nothing")
    confirm = row([text, replace, keep], display="none")
    box = w.VBox(
        [
            row([prompts_path, store, load]),
            export_path,
            fps,
            row([masks, overlay, tracks]),
            row([ctc, coco, ome]),
            confirm,
        ]
    )
    return FilesPanel(
        prompts_path,
        store,
        load,
        export_path,
        fps,
        masks,
        overlay,
        tracks,
        ctc,
        coco,
        ome,
        text,
        replace,
        keep,
        confirm,
        box,
    )
