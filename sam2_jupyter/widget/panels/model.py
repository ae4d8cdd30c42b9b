"""Model group: which model, where its weights are, the memory mode, Load, and which
model is in use.

The group folds into its title (which names the model in use) once a model is
loaded: it is set once per session, and folded it leaves the controls used all
day (frame, label, propagation, exports) on screen at 1280×800. The untrained
note stays outside the fold, always visible."""

from __future__ import annotations

from dataclasses import dataclass

import ipywidgets as w

from ...engine.memory import MODES
from ...models import MODEL_NAMES
from .widgets import button, row

MODEL_LABELS = {
    "tiny": "Tiny",
    "small": "Small",
    "base_plus": "Base Plus",
    "large": "Large",
    "edgetam": "EdgeTAM (fast on a CPU)",
}


@dataclass
class ModelPanel:
    model_name: w.Dropdown
    model_dir: w.Text
    memory_mode: w.Dropdown
    load_model: w.Button
    download: w.IntProgress
    untrained_note: w.HTML
    model_in_use: w.HTML
    group: w.Accordion
    box: w.VBox


def model_panel() -> ModelPanel:
    name = w.Dropdown(
        options=[(MODEL_LABELS[n], n) for n in (*MODEL_NAMES, "edgetam")],
        value="tiny",
        description="Model",
    )
    folder = w.Text(placeholder="default cache folder", description="Folder")
    mode = w.Dropdown(options=list(MODES), value="normal", description="Memory")
    load = button("Load model", "Load (and download on first use) the model", "primary")
    download = w.IntProgress(
        value=0, min=0, max=100, description="Download", layout=w.Layout(display="none")
    )
    # Masks from random weights look like results; the page says they are not.
    untrained = w.HTML(
        '<b style="color:#b00020">Untrained model: masks are random</b> '
        "(random weights, for trying the interface)",
        layout=w.Layout(display="none"),
    )
    in_use = w.HTML(layout=w.Layout(max_width="100%"))  # text set by ModelLoader
    settings = w.VBox([in_use, name, folder, mode, row([load, download])])
    group = w.Accordion(children=[settings], titles=("Model",), selected_index=0)
    box = w.VBox([group, untrained])
    return ModelPanel(name, folder, mode, load, download, untrained, in_use, group, box)
