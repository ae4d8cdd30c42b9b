"""Model group: which model, where its weights are, the memory mode, Load, and which
model is in use."""

from __future__ import annotations

from dataclasses import dataclass

import ipywidgets as w

from ...engine.memory import MODES
from ...models import MODEL_NAMES
from .widgets import button, row

MODEL_LABELS = {"tiny": "Tiny", "small": "Small", "base_plus": "Base Plus", "large": "Large"}


@dataclass
class ModelPanel:
    model_name: w.Dropdown
    model_dir: w.Text
    memory_mode: w.Dropdown
    load_model: w.Button
    download: w.IntProgress
    untrained_note: w.HTML
    model_in_use: w.HTML
    box: w.VBox


def model_panel() -> ModelPanel:
    name = w.Dropdown(
        options=[(MODEL_LABELS[n], n) for n in MODEL_NAMES], value="tiny", description="Model"
    )
    folder = w.Text(placeholder="default cache folder", description="Folder")
    mode = w.Dropdown(options=list(MODES), value="normal", description="Memory")
    load = button("Load model", "Load (and download on first use) the model", "primary")
    download = w.IntProgress(
        value=0, min=0, max=100, description="Download", layout=w.Layout(visibility="hidden")
    )
    # Masks from random weights look like results; the page says they are not.
    untrained = w.HTML(
        '<b style="color:#b00020">Untrained model: masks are random</b> '
        "(random weights, for trying the interface)",
        layout=w.Layout(display="none"),
    )
    in_use = w.HTML(layout=w.Layout(max_width="100%"))  # text set by ModelLoader
    box = w.VBox([in_use, name, folder, mode, row([load, download]), untrained])
    return ModelPanel(name, folder, mode, load, download, untrained, in_use, box)
