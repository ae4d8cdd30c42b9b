"""What a Session reads and writes: prompt files and every export format.

Kept apart from :mod:`.session` so that module stays about SAM2 and editing; these
are thin, locked calls into :mod:`sam2_jupyter.exports` and the prompt readers.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from ..exports import (
    tracks_table,
    write_coco,
    write_ctc,
    write_label_tiff,
    write_ome_zarr,
    write_overlay_mp4,
    write_tracks_csv,
)
from .napari_prompts import is_napari_csv, read_napari_prompts, write_napari_prompts
from .prompts import Prompt, read_prompts_csv, write_prompts_csv

if TYPE_CHECKING:
    import threading

    from ..io import Stack


class SessionFiles:
    """Mixed into :class:`~sam2_jupyter.Session`."""

    _lock: threading.RLock
    _prompts: list[Prompt]
    _pending: list[Prompt]
    stack: Stack
    n_frames: int
    frame_shape: tuple[int, int]

    def add_prompts(self, prompts: list[Prompt], replace_all: bool = False) -> None:
        raise NotImplementedError

    # -- prompts -------------------------------------------------------------------
    def save_prompts(self, path: str | Path, overwrite: bool = True) -> Path:
        """All prompts (sent and pending) as CSV, one row each, in order."""
        with self._lock:
            return write_prompts_csv(self._prompts + self._pending, path, overwrite)

    def load_prompts(self, path: str | Path, replace_all: bool = False) -> list[Prompt]:
        """Load prompts from CSV and segment them, each object's prompts on a frame as
        one batch.

        A batch differs from clicking the same points one by one: clicks refine the
        previous click's mask, a batch is decoded from all points at once, so masks
        can differ. Every row is validated first; any bad row raises
        :class:`PromptFileError` listing the rows and nothing changes.
        ``replace_all`` removes the current objects first. One undo takes it back.
        A napari Points CSV (its header has ``axis-0``) is read as
        :meth:`load_prompts_napari` does, so one Load button takes both.
        """
        if is_napari_csv(path):
            return self.load_prompts_napari(path, replace_all=replace_all)
        loaded = read_prompts_csv(path, self.n_frames, self.frame_shape)
        self.add_prompts(loaded, replace_all=replace_all)
        return loaded

    def save_prompts_napari(self, path: str | Path, overwrite: bool = False) -> list[Path]:
        """Prompts as napari layer CSVs: points to ``path`` (label and sign as
        properties), boxes as rectangles to ``<name>_boxes.csv``."""
        with self._lock:
            return write_napari_prompts(self._prompts + self._pending, path, overwrite)

    def load_prompts_napari(
        self, path: str | Path, replace_all: bool = False, label: int = 1
    ) -> list[Prompt]:
        """Load a napari Points CSV (and its ``_boxes.csv``) as :meth:`load_prompts`
        does; points without a ``label`` property go to ``label``."""
        loaded = read_napari_prompts(path, self.n_frames, self.frame_shape, label)
        self.add_prompts(loaded, replace_all=replace_all)
        return loaded

    # -- exports ----------------------------------------------------------------------
    def export_masks(self, path: str | Path, overwrite: bool = False) -> Path:
        """Labels as an ImageJ uint16 TIFF with axes TYX or ZYX."""
        with self._lock:
            return write_label_tiff(self, path, overwrite)

    def export_overlay(
        self, path: str | Path, opacity: float = 0.5, fps: float = 10, overwrite: bool = False
    ) -> Path:
        """An mp4 of the frames with coloured labels at ``opacity``."""
        with self._lock:
            return write_overlay_mp4(self, path, opacity, fps, overwrite)

    def tracks(self) -> pd.DataFrame:
        """Centroid of every object on every frame: track_id, t (or z), [z,] y, x."""
        other = self.stack.other_axis
        extra = (other, self.stack.other_index) if other else None
        with self._lock:
            return tracks_table(self, extra)

    def export_tracks(self, path: str | Path, overwrite: bool = False) -> Path:
        return write_tracks_csv(self.tracks(), path, overwrite)

    def export_ctc(
        self,
        folder: str | Path,
        parents: Mapping[int, int] | None = None,
        link_gaps: bool = False,
        overwrite: bool = False,
    ) -> Path:
        """A Cell Tracking Challenge result folder (``maskTTT.tif`` + ``res_track.txt``);
        see :mod:`sam2_jupyter.exports.ctc`."""
        with self._lock:
            return write_ctc(self, folder, parents, link_gaps, overwrite)

    def export_coco(self, path: str | Path, overwrite: bool = False, **kw: Any) -> Path:
        """COCO JSON, one image per frame, RLE masks, object id as ``track_id``."""
        with self._lock:
            return write_coco(self, path, overwrite, **kw)

    def export_ome_zarr(
        self,
        path: str | Path,
        name: str = "sam2",
        overwrite: bool = False,
        include_image: bool = True,
    ) -> Path:
        """OME-Zarr with the frames and ``labels/<name>`` (napari, Fiji, QuPath)."""
        with self._lock:
            return write_ome_zarr(self, path, name, overwrite, include_image)
