"""Loading a model from the panel (with download progress), and switching to it."""

from __future__ import annotations

import html
from concurrent.futures import Future
from typing import Any

from ..models import Model, get_spec, load_model
from .context import Context
from .panels.model import ModelPanel


class ModelLoader:
    def __init__(self, ctx: Context, panel: ModelPanel, loaded: Any) -> None:
        self.ctx = ctx
        self.panel = panel
        self.loaded = loaded  # called with the model and memory mode, on the worker
        panel.load_model.on_click(ctx.safe(self.clicked))
        for picker in (panel.model_name, panel.memory_mode):
            picker.observe(lambda _ch: self.restyle(), names="value")
        self.label(ctx.model)

    def label(self, model: Model | None) -> None:
        """Say on the panel which model is in use, and whether it has random weights
        (its masks look like results and are noise); the pickers start at it."""
        p, mode, write = self.panel, self.ctx.memory_mode, self.ctx.view.set  # often on the worker
        untrained = model is not None and model.untrained
        write(p.untrained_note.layout, "display", "block" if untrained else "none")
        if model is None:
            write(p.model_in_use, "value", "<i>No model loaded: pick one and press Load model</i>")
            write(p.group, "titles", ("Model: none loaded",))
            write(p.group, "selected_index", 0)
        else:
            source = "random weights" if model.untrained else str(model.checkpoint)
            write(
                p.model_in_use,
                "value",
                f'<span title="{html.escape(source)}">In use: {model.spec.label}'
                f" · {model.image_size} px · {model.device}</span>",
            )
            write(p.model_name, "value", model.spec.name)
            write(p.group, "titles", (f"Model: {model.spec.label} · {model.image_size} px",))
            write(p.group, "selected_index", None)  # folded: its title says what is in use
        write(p.memory_mode, "value", mode)
        self.restyle()

    def restyle(self) -> None:
        """*Load model* is the primary button only while pressing it would change the
        model or memory mode in use."""
        p, ctx = self.panel, self.ctx
        model, pick = ctx.model, get_spec(p.model_name.value)
        same = model is not None and model.spec.label == pick.label
        same = same and p.memory_mode.value == ctx.memory_mode
        self.ctx.view.set(p.load_model, "button_style", "" if same else "primary")

    def clicked(self) -> Future[Any]:
        p = self.panel
        name, folder, mode = p.model_name.value, p.model_dir.value or None, p.memory_mode.value

        def progress(done: int, total: int | None) -> None:  # on the worker
            write = self.ctx.view.set
            write(p.download.layout, "display", "flex")  # shown once a download starts
            write(p.download, "max", max(1, total or 1))
            write(p.download, "value", min(done, max(1, total or 1)))

        def job() -> None:
            self.ctx.status(f"Loading {name}…")
            model = load_model(name, model_dir=folder, progress=progress)
            self.loaded(model, mode)  # the controller's set_model: it calls label()
            self.ctx.status(f"Loaded {model.spec.label} on {model.device}.", "ok")

        return self.ctx.submit(job)
