"""Seeding objects from a label image and loading a label volume, from the panel or
from Python (``annotator.seed_from_labels``, ``annotator.load_labels``).

Both run on the worker like any edit (one undo takes each back), then the frame in
view, its markers and the timeline are sent again.
"""

from __future__ import annotations

from concurrent.futures import Future
from pathlib import Path
from typing import Any

import numpy as np

from .._words import plural
from ..io.label_images import read_label_image
from .context import Context
from .panels.seed import SeedPanel


class Seeding:
    def __init__(self, ctx: Context, panel: SeedPanel) -> None:
        self.ctx = ctx
        self.panel = panel
        panel.seed.on_click(ctx.safe(lambda: self.seed_from_labels(panel.labels_path.value)))
        panel.load.on_click(ctx.safe(lambda: self.load_labels(panel.labels_path.value)))

    def seed_from_labels(self, labels: Any, frame: int | None = None) -> Future[Any]:
        """Seed from an array or a label TIFF on ``frame`` (default: the frame in
        view); a (frames, Y, X) volume gives its slice at that frame."""

        def job() -> None:
            t = self.ctx.view.frame if frame is None else frame
            image = read_label_image(labels) if isinstance(labels, (str, Path)) else labels
            image = np.asarray(image)
            if image.ndim == 3:
                image = image[t]
            ids = self.ctx.session().seed_from_labels(t, image)
            self.ctx.refresh()
            done = f"Seeded {plural(len(ids), 'object')} on frame {t}: propagate to track them"
            self.ctx.status(done, "ok")

        return self.ctx.submit(job)

    def load_labels(self, volume: Any) -> Future[Any]:
        """Show a whole label volume (an array or a label TIFF) for review."""

        def job() -> None:
            source = read_label_image(volume) if isinstance(volume, (str, Path)) else volume
            ids = self.ctx.session().load_labels(source)
            self.ctx.refresh()
            self.ctx.status(f"Loaded masks of {plural(len(ids), 'label')} for review", "ok")

        return self.ctx.submit(job)
