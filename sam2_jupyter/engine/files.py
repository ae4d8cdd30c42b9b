"""What a Session reads and writes: prompt files and every export format.

:class:`SessionFiles` gives a Session these methods on top of its public API only
(the :class:`Readable` protocol below: frames, labels, prompts, and ``reading()``,
the lock that keeps a propagation from changing frames while they are read); it
holds no state of its own. Each export is one line into the format registry
(:mod:`sam2_jupyter.exports.formats`), which :meth:`SessionFiles.export` reaches by
name; ``overwrite`` is keyword-only (the old positional form still works, with a
DeprecationWarning).
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pandas as pd

from ..exports.formats import tracks_of
from ..exports.formats import write as write_format
from ..io import Stack
from ._compat import positional_flags
from .napari_prompts import is_napari_csv, read_napari_prompts, write_napari_prompts
from .prompt_io import read_prompts_csv, write_prompts_csv
from .prompts import Prompt


class Readable(Protocol):
    """What :class:`SessionFiles` needs of its host: public members only."""

    stack: Stack

    @property
    def n_frames(self) -> int: ...
    @property
    def frame_shape(self) -> tuple[int, int]: ...
    @property
    def prompts(self) -> tuple[Prompt, ...]: ...
    @property
    def pending(self) -> tuple[Prompt, ...]: ...
    @property
    def label_ids(self) -> list[int]: ...
    @property
    def parents(self) -> dict[int, int]: ...
    def label_frame(self, t: int) -> np.ndarray: ...
    def reading(self) -> contextlib.AbstractContextManager[Any]: ...
    def add_prompts(self, prompts: list[Prompt], replace_all: bool = False) -> None: ...


def read_prompt_file(session: Readable, path: str | Path, label: int = 1) -> list[Prompt]:
    """Our prompts CSV or a napari Points CSV (recognised by its ``axis-0`` column),
    every row checked; raises :class:`~sam2_jupyter.PromptFileError` naming bad rows."""
    if is_napari_csv(path):
        return read_napari_prompts(path, session.n_frames, session.frame_shape, label)
    return read_prompts_csv(path, session.n_frames, session.frame_shape)


class SessionFiles:
    """Prompt files and exports for a :class:`Readable` host (the Session)."""

    @positional_flags("overwrite")
    def save_prompts(self: Readable, path: str | Path, *, overwrite: bool = True) -> Path:
        """All prompts (sent and pending) as CSV, one row each, in order."""
        return write_prompts_csv([*self.prompts, *self.pending], path, overwrite=overwrite)

    def load_prompts(self: Readable, path: str | Path, replace_all: bool = False) -> list[Prompt]:
        """Load prompts from our CSV or a napari Points CSV and segment them, each
        label's prompts on a frame as one batch (one undo takes it back).

        A batch differs from clicking the same points one by one: clicks refine the
        previous click's mask, a batch is decoded from all points at once. Every row
        is validated first; any bad row raises :class:`PromptFileError` listing the
        rows, and nothing changes. ``replace_all`` removes the current labels first.
        """
        loaded = read_prompt_file(self, path)
        self.add_prompts(loaded, replace_all=replace_all)
        return loaded

    @positional_flags("overwrite")
    def save_prompts_napari(
        self: Readable, path: str | Path, *, overwrite: bool = False
    ) -> list[Path]:
        """Prompts as napari layer CSVs: points to ``path`` (label and sign as
        properties), boxes as rectangles to ``<name>_boxes.csv``."""
        return write_napari_prompts([*self.prompts, *self.pending], path, overwrite=overwrite)

    def load_prompts_napari(
        self: Readable, path: str | Path, replace_all: bool = False, label: int = 1
    ) -> list[Prompt]:
        """Load a napari Points CSV (and its ``_boxes.csv``); points without a
        ``label`` property go to ``label``."""
        loaded = read_prompt_file(self, path, label)
        self.add_prompts(loaded, replace_all=replace_all)
        return loaded

    def export(
        self: Readable, format: str, path: str | Path, /, *, overwrite: bool = False, **options: Any
    ) -> Any:
        """Write the labels (or the prompts) as ``format``: a name in
        :data:`sam2_jupyter.exports.formats.FORMATS` (``tiff``, ``overlay``,
        ``tracks``, ``ctc``, ``coco``, ``ome-zarr``, ``geff``, ``trackmate``,
        ``prompts``), with that format's ``options`` (e.g. ``opacity=``, ``fps=`` for
        the overlay). An existing ``path`` raises FileExistsError unless
        ``overwrite``; an unknown format raises ValueError naming them all."""
        return write_format(self, format, path, overwrite=overwrite, **options)

    @positional_flags("overwrite")
    def export_masks(self: Readable, path: str | Path, *, overwrite: bool = False) -> Path:
        """Labels as an ImageJ uint16 TIFF with axes TYX or ZYX."""
        return write_format(self, "tiff", path, overwrite=overwrite)

    @positional_flags("overwrite")
    def export_overlay(
        self: Readable,
        path: str | Path,
        opacity: float = 0.5,
        fps: float = 10,
        *,
        overwrite: bool = False,
    ) -> Path:
        """An mp4 of the frames with coloured labels at ``opacity``."""
        return write_format(self, "overlay", path, overwrite=overwrite, opacity=opacity, fps=fps)

    def tracks(self: Readable) -> pd.DataFrame:
        """Centroid of every label on every frame: track_id, t (or z), [z,] y, x, and
        parent_id (the mother's label after a division, else 0)."""
        return tracks_of(self)

    @positional_flags("overwrite")
    def export_tracks(self: Readable, path: str | Path, *, overwrite: bool = False) -> Path:
        """:meth:`tracks` as CSV (napari's Tracks layer reads it)."""
        return write_format(self, "tracks", path, overwrite=overwrite)

    @positional_flags("overwrite")
    def export_ctc(
        self: Readable,
        folder: str | Path,
        parents: Mapping[int, int] | None = None,
        link_gaps: bool = False,
        *,
        overwrite: bool = False,
    ) -> Path:
        """A Cell Tracking Challenge result folder; see :mod:`sam2_jupyter.exports.ctc`.
        ``parents`` (daughter → mother) defaults to the divisions marked in the session."""
        options = {"parents": parents, "link_gaps": link_gaps}
        return write_format(self, "ctc", folder, overwrite=overwrite, **options)

    @positional_flags("overwrite")
    def export_coco(
        self: Readable, path: str | Path, *, overwrite: bool = False, **kw: Any
    ) -> Path:
        """COCO JSON, one image per frame, RLE masks, label as ``track_id``."""
        return write_format(self, "coco", path, overwrite=overwrite, **kw)

    @positional_flags("overwrite", "include_image")
    def export_ome_zarr(
        self: Readable,
        path: str | Path,
        name: str = "sam2",
        *,
        overwrite: bool = False,
        include_image: bool = True,
    ) -> Path:
        """OME-Zarr with the frames as stored (dtype, every channel) and
        ``labels/<name>`` (napari, Fiji, QuPath): measurements there are the data's,
        not the contrast stretch's."""
        options = {"name": name, "include_image": include_image}
        return write_format(self, "ome-zarr", path, overwrite=overwrite, **options)

    def export_geff(self: Readable, path: str | Path, *, overwrite: bool = False) -> Path:
        """The tracking graph as GEFF (nodes per object and frame, time links, divisions);
        see :mod:`sam2_jupyter.exports.geff`."""
        return write_format(self, "geff", path, overwrite=overwrite)

    def export_trackmate(self: Readable, path: str | Path, *, overwrite: bool = False) -> Path:
        """Spots and tracks as a TrackMate XML file for Fiji; see
        :mod:`sam2_jupyter.exports.trackmate`."""
        return write_format(self, "trackmate", path, overwrite=overwrite)
