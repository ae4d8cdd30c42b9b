"""The panel's file buttons: store/load prompts and the three exports.

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
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .controller import Controller

Write = Callable[[bool], Any]  # overwrite -> result
NAMES = {
    "masks": "Masks",
    "overlay": "Overlay",
    "tracks": "Tracks",
    "ctc": "CTC folder",
    "coco": "COCO JSON",
    "ome-zarr": "OME-Zarr",
}


class FileActions:
    """Wires the store/load/export buttons of one controller's panel."""

    def __init__(self, controller: Controller) -> None:
        self.c = controller
        self._pending: tuple[Path, Write, str] | None = None
        ctl = controller.controls
        safe = controller._safe
        ctl.store_prompts.on_click(safe(self.store_prompts))
        ctl.load_prompts.on_click(safe(self.load_prompts))
        ctl.export_masks.on_click(safe(lambda: self.export("masks")))
        ctl.export_overlay.on_click(safe(lambda: self.export("overlay")))
        ctl.export_tracks.on_click(safe(lambda: self.export("tracks")))
        ctl.export_ctc.on_click(safe(lambda: self.export("ctc")))
        ctl.export_coco.on_click(safe(lambda: self.export("coco")))
        ctl.export_ome_zarr.on_click(safe(lambda: self.export("ome-zarr")))
        ctl.replace.on_click(safe(self.replace))
        ctl.keep.on_click(safe(self.keep))

    # -- buttons ------------------------------------------------------------------
    def store_prompts(self) -> None:
        path = Path(self.c.controls.prompts_path.value or "prompts.csv").expanduser()
        self._write(
            path, lambda ow: self.c.session.save_prompts(path, overwrite=ow), "Prompts stored"
        )

    def load_prompts(self) -> None:
        path = self.c.controls.prompts_path.value

        def job() -> None:
            loaded = self.c.session.load_prompts(path)
            self.c.refresh_overlay()
            self.c.status(f"Loaded {len(loaded)} prompts from {path}", "ok")

        self.c.worker.submit(job)

    def export(self, kind: str) -> None:
        ctl = self.c.controls
        if kind == "masks":
            path = self.path(".tif")
            write: Write = lambda ow: self.c.session.export_masks(path, ow)  # noqa: E731
        elif kind == "overlay":
            path = self.path(".mp4")
            opacity, fps = self.c.canvas.opacity, ctl.fps.value
            write = lambda ow: self.c.session.export_overlay(path, opacity, fps, ow)  # noqa: E731
        elif kind == "tracks":
            path = self.path(".csv")
            write = lambda ow: self.c.session.export_tracks(path, ow)  # noqa: E731
        elif kind == "ctc":
            path = self.path("_RES")
            write = lambda ow: self.c.session.export_ctc(path, overwrite=ow)  # noqa: E731
        elif kind == "coco":
            path = self.path(".json")
            write = lambda ow: self.c.session.export_coco(path, ow)  # noqa: E731
        else:
            path = self.path(".ome.zarr")
            write = lambda ow: self.c.session.export_ome_zarr(path, overwrite=ow)  # noqa: E731
        self._write(path, write, f"{NAMES[kind]} exported")

    def path(self, suffix: str) -> Path:
        """``<export to><suffix>``: labels.tif, labels_RES (a CTC folder), ..."""
        base = Path(self.c.controls.export_path.value or "labels").expanduser()
        name = base.name
        for known in (".tif", ".mp4", ".csv", ".json", ".ome.zarr", "_RES"):
            name = name.removesuffix(known)
        return base.with_name(name + suffix)

    # -- asking -------------------------------------------------------------------
    def _write(self, path: Path, write: Write, done: str) -> None:
        if path.exists():
            self._pending = (path, write, done)
            ctl = self.c.controls
            ctl.confirm_text.value = f"<b>{html.escape(str(path))}</b> exists. Replace it?"
            ctl.confirm.layout.display = "flex"
            self.c.status(f"{path} exists: Replace or Keep?")
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
        self.c.status(f"Kept {path}; nothing written.", "ok")

    def _close_question(self) -> None:
        self._pending = None
        self.c.controls.confirm.layout.display = "none"

    def _run(self, write: Write, overwrite: bool, done: str) -> Any:
        def job() -> None:
            try:
                result = write(overwrite)
            except FileExistsError as exc:  # appeared after the question (a double click)
                name = exc.filename or str(exc).split(" exists")[0]
                self.c.status(f"{name} exists now; press the button again to replace it", "error")
                return
            where = f": {result}" if isinstance(result, Path) else ""
            self.c.status(f"{done}{where}", "ok")

        return self.c.worker.submit(job)
