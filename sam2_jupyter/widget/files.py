"""The panel's file buttons: store / load prompts and the exports.

No file is ever replaced silently: when the target exists, the panel asks
(Replace / Keep) and only a Replace writes over it. The job itself still runs with
``overwrite=False`` unless Replace was pressed, so a file that appears between the
question and the write is refused too. Writes are atomic (see
:mod:`sam2_jupyter._atomic`): a failed or interrupted export leaves no file.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .._words import plural
from ..engine import Session
from .context import Context
from .panels.files import FilesPanel

# overwrite -> result
Write = Callable[[bool], Any]


@dataclass(frozen=True)
class Export:
    button: str  # the FilesPanel field
    suffix: str  # added to the "Export to" name
    done: str  # what the status line says
    call: Callable[[Session, Path, bool, FilesPanel, Context], Any]


EXPORTS = (
    Export(
        "export_masks", ".tif", "Masks exported", lambda s, p, ow, _f, _c: s.export_masks(p, ow)
    ),
    Export(
        "export_overlay",
        ".mp4",
        "Overlay exported",
        lambda s, p, ow, f, c: s.export_overlay(p, c.canvas.opacity, f.fps.value, ow),
    ),
    Export(
        "export_tracks", ".csv", "Tracks exported", lambda s, p, ow, _f, _c: s.export_tracks(p, ow)
    ),
    Export(
        "export_ctc",
        "_RES",
        "CTC folder exported",
        lambda s, p, ow, _f, _c: s.export_ctc(p, overwrite=ow),
    ),
    Export(
        "export_coco", ".json", "COCO JSON exported", lambda s, p, ow, _f, _c: s.export_coco(p, ow)
    ),
    Export(
        "export_ome_zarr",
        ".ome.zarr",
        "OME-Zarr exported",
        lambda s, p, ow, _f, _c: s.export_ome_zarr(p, overwrite=ow),
    ),
)
SUFFIXES = tuple(e.suffix for e in EXPORTS)


class FileActions:
    """Wires the store / load / export buttons of one panel."""

    def __init__(self, panel: FilesPanel, ctx: Context) -> None:
        self.panel = panel
        self.ctx = ctx
        self._pending: tuple[Path, Write, str] | None = None
        panel.store_prompts.on_click(ctx.safe(self.store_prompts))
        panel.load_prompts.on_click(ctx.safe(self.load_prompts))
        for export in EXPORTS:
            getattr(panel, export.button).on_click(ctx.safe(lambda e=export: self.export(e)))
        panel.replace.on_click(ctx.safe(self.replace))
        panel.keep.on_click(ctx.safe(self.keep))

    def store_prompts(self) -> None:
        path = Path(self.panel.prompts_path.value or "prompts.csv").expanduser()
        self._write(
            path, lambda ow: self.ctx.session().save_prompts(path, overwrite=ow), "Prompts stored"
        )

    def load_prompts(self) -> None:
        path = self.panel.prompts_path.value

        def job() -> None:
            loaded = self.ctx.session().load_prompts(path)
            self.ctx.refresh()
            self.ctx.status(f"Loaded {plural(len(loaded), 'prompt')} from {path}", "ok")

        self.ctx.submit(job)

    def export(self, export: Export) -> None:
        path = self.path(export.suffix)
        panel, ctx = self.panel, self.ctx
        self._write(path, lambda ow: export.call(ctx.session(), path, ow, panel, ctx), export.done)

    def path(self, suffix: str) -> Path:
        """``<export to><suffix>``: labels.tif, labels_RES (a CTC folder), ..."""
        base = Path(self.panel.export_path.value or "labels").expanduser()
        name = base.name
        for known in SUFFIXES:
            name = name.removesuffix(known)
        return base.with_name(name + suffix)

    # -- asking -------------------------------------------------------------------
    def _write(self, path: Path, write: Write, done: str) -> None:
        if path.exists():
            self._pending = (path, write, done)
            self.panel.confirm_text.value = f"<b>{html.escape(str(path))}</b> exists. Replace it?"
            self.panel.confirm.layout.display = "flex"
            self.ctx.status(f"{path} exists: Replace or Keep?")
            return
        self._run(write, False, done)

    def replace(self) -> None:
        if self._pending is None:
            return
        _, write, done = self._pending
        self._close_question()
        self._run(write, True, done)

    def keep(self) -> None:
        if self._pending is None:
            return
        path = self._pending[0]
        self._close_question()
        self.ctx.status(f"Kept {path}; nothing written.", "ok")

    def _close_question(self) -> None:
        self._pending = None
        self.panel.confirm.layout.display = "none"

    def _run(self, write: Write, overwrite: bool, done: str) -> Any:
        def job() -> None:
            try:
                result = write(overwrite)
            except FileExistsError as exc:  # appeared after the question (a double click)
                name = exc.filename or str(exc).split(" exists")[0]
                self.ctx.status(f"{name} exists now; press the button again to replace it", "error")
                return
            where = f": {result}" if isinstance(result, Path) else ""
            self.ctx.status(f"{done}{where}", "ok")

        return self.ctx.submit(job)
