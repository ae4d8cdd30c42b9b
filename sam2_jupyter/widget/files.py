"""The panel's file buttons: store / load prompts and the exports (one per format
of :data:`sam2_jupyter.exports.formats.FORMATS` the panel offers).

No file is ever replaced silently: when the target exists, the panel asks
(Replace / Keep) and only a Replace writes over it. The job itself still runs with
``overwrite=False`` unless Replace was pressed, so a file that appears between the
question and the write is refused too. Writes are atomic (see
:mod:`sam2_jupyter._atomic`): a failed or interrupted export leaves no file.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .._words import plural
from ..exports.formats import FORMATS
from .context import Context
from .panels.files import FilesPanel

# overwrite -> result
Write = Callable[[bool], Any]

# The options a format takes from the panel and the view (the rest are its defaults).
OPTIONS: dict[str, Callable[[FilesPanel, Context], dict[str, Any]]] = {
    "overlay": lambda panel, ctx: {"opacity": ctx.canvas.opacity, "fps": panel.fps.value},
}
SUFFIXES = tuple(dict.fromkeys(f.suffix for f in FORMATS.values()))


class FileActions:
    """Wires the store / load / export buttons of one panel."""

    def __init__(self, panel: FilesPanel, ctx: Context) -> None:
        self.panel = panel
        self.ctx = ctx
        self._pending: tuple[Path, Write, str] | None = None
        panel.store_prompts.on_click(ctx.safe(self.store_prompts))
        panel.load_prompts.on_click(ctx.safe(self.load_prompts))
        for name, fmt in FORMATS.items():
            if fmt.panel:
                getattr(panel, fmt.method).on_click(ctx.safe(lambda n=name: self.export(n)))
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

    def export(self, name: str) -> None:
        """The export button of format ``name`` (of the format registry)."""
        fmt = FORMATS[name]
        path = self.path(fmt.suffix)
        panel, ctx = self.panel, self.ctx

        def write(overwrite: bool) -> Any:
            options = OPTIONS.get(name, lambda _p, _c: {})(panel, ctx)
            return ctx.session().export(name, path, overwrite=overwrite, **options)

        self._write(path, write, fmt.done)

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
