"""Loading a model from the panel (with download progress), and switching to it."""

from __future__ import annotations

from concurrent.futures import Future
from typing import Any

from ..models import Model, load_model
from .context import Context
from .panels.model import ModelPanel


class ModelLoader:
    def __init__(self, ctx: Context, panel: ModelPanel, loaded: Any) -> None:
        self.ctx = ctx
        self.panel = panel
        self.loaded = loaded  # called with the model and memory mode, on the worker
        panel.load_model.on_click(ctx.safe(self.clicked))
        self.label(ctx.pool.model)

    def label(self, model: Model | None) -> None:
        """Say on the panel whether the model in use has random weights: its masks
        look like results and are noise."""
        untrained = model is not None and model.untrained
        self.panel.untrained_note.layout.display = "block" if untrained else "none"

    def clicked(self) -> Future[Any]:
        p = self.panel
        name, folder, mode = p.model_name.value, p.model_dir.value or None, p.memory_mode.value

        def progress(done: int, total: int | None) -> None:
            p.download.layout.visibility = "visible"
            p.download.max = max(1, total or 1)
            p.download.value = min(done, p.download.max)

        def job() -> None:
            self.ctx.status(f"Loading {name}…")
            model = load_model(name, model_dir=folder, progress=progress)
            self.loaded(model, mode)
            self.label(model)
            self.ctx.status(f"Loaded {model.spec.label} on {model.device}.", "ok")

        return self.ctx.submit(job)
