"""Every format a session's results can be written in, in one table.

The panel's export buttons, a batch run's ``formats=`` and the command line's
``--formats`` all look formats up in :data:`FORMATS`, so a format added here is
offered everywhere and a name missing here is refused everywhere with the same
list. Each writer is called ``write(source, path, *, overwrite=False, **options)``:
``overwrite`` is keyword-only (a positional ``True`` among other options is too
easy to misplace), the options are the format's own (an overlay's ``opacity`` and
``fps``, a CTC folder's ``parents``). A source with a ``reading()`` lock (a Session)
is read under it, so a propagation cannot change frames half-way through a file.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from .coco import write_coco
from .ctc import write_ctc
from .geff import write_geff
from .omezarr import write_ome_zarr
from .overlay import write_overlay_mp4
from .tiff import write_label_tiff
from .trackmate import write_trackmate
from .tracks import tracks_table, write_tracks_csv

Writer = Callable[..., Any]  # (source, path, *, overwrite=False, **options) -> the path


@dataclass(frozen=True)
class Format:
    """One output format.

    ``suffix`` ends the name the panel writes (``labels`` + ``.tif``); ``kind`` says
    whether that is a file or a folder; ``filename`` is its name in a batch run's
    ``<out>/<stack name>/``; ``method`` the Session method that writes it (and the
    panel's button); ``title``, ``help`` and ``done`` are what the panel shows.
    ``panel`` is False for a format the panel offers elsewhere (prompts: its own
    Store / Load row)."""

    suffix: str
    kind: Literal["file", "folder"]
    write: Writer
    filename: str
    method: str
    title: str
    help: str
    done: str
    panel: bool = True


def _reading(source: Any) -> contextlib.AbstractContextManager[Any]:
    reading = getattr(source, "reading", None)
    return reading() if reading is not None else contextlib.nullcontext()


def _tiff(source: Any, path: str | Path, *, overwrite: bool = False) -> Path:
    with _reading(source):
        return write_label_tiff(source, path, overwrite=overwrite)


def _overlay(
    source: Any,
    path: str | Path,
    *,
    overwrite: bool = False,
    opacity: float = 0.5,
    fps: float = 10,
) -> Path:
    with _reading(source):
        return write_overlay_mp4(source, path, opacity=opacity, fps=fps, overwrite=overwrite)


def tracks_of(source: Any) -> pd.DataFrame:
    """The centroid table of :func:`~.tracks.tracks_table`, with the source's extra
    axis (a Session's ``stack.other_axis``, Z of a TZYX stack) and divisions."""
    stack = getattr(source, "stack", None)
    other = getattr(stack, "other_axis", None)
    extra = (other, stack.other_index) if other else None
    with _reading(source):
        return tracks_table(source, extra, getattr(source, "parents", None))


def _tracks(source: Any, path: str | Path, *, overwrite: bool = False) -> Path:
    return write_tracks_csv(tracks_of(source), path, overwrite=overwrite)


def _ctc(
    source: Any,
    path: str | Path,
    *,
    overwrite: bool = False,
    parents: Mapping[int, int] | None = None,
    link_gaps: bool = False,
) -> Path:
    parents = getattr(source, "parents", None) if parents is None else parents
    with _reading(source):
        return write_ctc(source, path, parents, link_gaps=link_gaps, overwrite=overwrite)


def _coco(source: Any, path: str | Path, *, overwrite: bool = False, **options: Any) -> Path:
    with _reading(source):
        return write_coco(source, path, overwrite=overwrite, **options)


def _ome_zarr(
    source: Any,
    path: str | Path,
    *,
    overwrite: bool = False,
    name: str = "sam2",
    include_image: bool = True,
) -> Path:
    with _reading(source):
        return write_ome_zarr(
            source, path, name=name, overwrite=overwrite, include_image=include_image
        )


def _prompts(source: Any, path: str | Path, *, overwrite: bool = False) -> Path:
    # The prompts are the session's own (its CSV reader and writer live beside it).
    return source.save_prompts(path, overwrite=overwrite)


# In the panel's order (its buttons are laid out three to a row).
FORMATS: dict[str, Format] = {
    "tiff": Format(
        ".tif", "file", _tiff, "labels.tif", "export_masks", "Masks (TIFF)",
        "Label TIFF, ImageJ axes", "Masks exported",
    ),
    "overlay": Format(
        ".mp4", "file", _overlay, "overlay.mp4", "export_overlay", "Overlay (mp4)",
        "Frames with labels at the chosen opacity", "Overlay exported",
    ),
    "tracks": Format(
        ".csv", "file", _tracks, "tracks.csv", "export_tracks", "Tracks (CSV)",
        "Centroid per object and frame", "Tracks exported",
    ),
    "ctc": Format(
        "_RES", "folder", _ctc, "RES", "export_ctc", "CTC",
        "Cell Tracking Challenge folder: maskTTT.tif + res_track.txt", "CTC folder exported",
    ),
    "coco": Format(
        ".json", "file", _coco, "coco.json", "export_coco", "COCO",
        "COCO JSON with RLE masks, object id as track_id", "COCO JSON exported",
    ),
    "ome-zarr": Format(
        ".ome.zarr", "folder", _ome_zarr, "labels.ome.zarr", "export_ome_zarr", "OME-Zarr",
        "Frames and labels as OME-Zarr (napari, Fiji)", "OME-Zarr exported",
    ),
    "geff": Format(
        ".geff", "folder", write_geff, "tracks.geff", "export_geff", "GEFF",
        "Tracking graph (GEFF): centroids, links, divisions", "GEFF exported",
    ),
    "trackmate": Format(
        ".xml", "file", write_trackmate, "trackmate.xml", "export_trackmate", "TrackMate",
        "TrackMate XML: spots and tracks for Fiji", "TrackMate XML exported",
    ),
    "prompts": Format(
        ".csv", "file", _prompts, "prompts.csv", "save_prompts", "Store",
        "Save prompts as CSV", "Prompts stored", panel=False,
    ),
}  # fmt: skip


def format_named(name: str) -> Format:
    """The format called ``name``; an unknown name raises a ValueError listing all."""
    try:
        return FORMATS[name]
    except KeyError:
        raise ValueError(f"unknown format {name!r}; choose from {', '.join(FORMATS)}") from None


def write(
    source: Any, format: str, path: str | Path, /, *, overwrite: bool = False, **options: Any
) -> Any:
    """Write ``source`` as the format called ``format`` to ``path`` (positional-only,
    so that an option may be called ``name``, as OME-Zarr's is)."""
    return format_named(format).write(source, path, overwrite=overwrite, **options)
