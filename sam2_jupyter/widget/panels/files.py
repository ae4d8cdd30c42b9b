"""Files group: prompts file (Store / Load), export name, fps, the export buttons
(one per format of :data:`sam2_jupyter.exports.formats.FORMATS` that the panel
offers, named by the Session method that writes it), and the Replace / Keep
question."""

from __future__ import annotations

from dataclasses import dataclass

import ipywidgets as w

from ...exports.formats import FORMATS
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
    export_geff: w.Button
    export_trackmate: w.Button
    confirm_text: w.HTML
    replace: w.Button
    keep: w.Button
    confirm: w.HBox
    box: w.VBox


def files_panel() -> FilesPanel:
    prompts_path = w.Text("prompts.csv", description="Prompts")
    store = button(FORMATS["prompts"].title, FORMATS["prompts"].help)
    load = button("Load", "Load prompts from CSV (batched per object)")
    export_path = w.Text("labels", description="Export to", tooltip="file name without extension")
    fps = w.BoundedFloatText(10, min=0.1, max=240, description="fps")
    exports = {f.method: button(f.title, f.help) for f in FORMATS.values() if f.panel}
    buttons = list(exports.values())
    # Asked when a file would be replaced; hidden otherwise.
    text = w.HTML("")
    replace = button("Replace", "Replace the existing file", "danger")
    keep = button("Keep", "Keep the existing file; write nothing")
    confirm = row([text, replace, keep], display="none")
    rows = [row(buttons[i : i + 3]) for i in range(0, len(buttons), 3)]
    box = w.VBox([row([prompts_path, store, load]), export_path, fps, *rows, confirm])
    return FilesPanel(
        prompts_path=prompts_path,
        store_prompts=store,
        load_prompts=load,
        export_path=export_path,
        fps=fps,
        **exports,
        confirm_text=text,
        replace=replace,
        keep=keep,
        confirm=confirm,
        box=box,
    )
