"""Cell Tracking Challenge (CTC) result folders: ``maskTTT.tif`` + ``res_track.txt``.

The format every tracking benchmark and tool in the field reads (CTC evaluation
software, py-ctcmetrics, napari-ctc, TrackMate): one uint16 mask per time point,
and one line ``L B E P`` per track (label, first and last frame, parent label, 0
for none).

CTC tracks are continuous: a label must be present on every frame from B to E.
An object that disappears and comes back (SAM2 lost it, or it left the field) is
therefore split into one track per continuous run. The first run keeps the object's
label id; later runs get new ids above every object id, and ``link_gaps=True``
makes each run the parent of the next (how CTC encodes a gap). ``parents`` links
objects as the user sees fit (e.g. cell divisions): the child's first run gets the
parent object's run that ended last before it as its parent.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from .._atomic import atomic_dir
from .._compat import positional_flags
from .._words import plural
from ..io.label_images import read_label_images, write_label_image
from .protocol import LabelSource


def _runs(frames_of: dict[int, list[int]]) -> dict[int, list[tuple[int, int]]]:
    """Object id -> its continuous (first, last) frame runs, in time order."""
    out: dict[int, list[tuple[int, int]]] = {}
    for obj, frames in frames_of.items():
        runs: list[tuple[int, int]] = []
        for t in sorted(frames):
            if runs and t == runs[-1][1] + 1:
                runs[-1] = (runs[-1][0], t)
            else:
                runs.append((t, t))
        out[obj] = runs
    return out


def ctc_tracks(
    source: LabelSource,
    parents: Mapping[int, int] | None = None,
    link_gaps: bool = False,
) -> tuple[pd.DataFrame, dict[tuple[int, int], int]]:
    """The CTC track table (columns L, B, E, P) and the relabelling it needs:
    ``(object id, frame) -> track label`` for frames where they differ."""
    frames_of: dict[int, list[int]] = {}
    for t in range(source.n_frames):
        for obj in np.unique(source.label_frame(t)):
            if obj:
                frames_of.setdefault(int(obj), []).append(t)
    runs = _runs(frames_of)
    next_id = max(runs, default=0) + 1
    rows = []
    relabel: dict[tuple[int, int], int] = {}
    track_runs: dict[int, list[tuple[int, int, int]]] = {}  # object -> (label, B, E)
    for obj in sorted(runs):
        for k, (b, e) in enumerate(runs[obj]):
            label = obj if k == 0 else next_id
            if k:
                next_id += 1
                for t in range(b, e + 1):
                    relabel[(obj, t)] = label
            parent = track_runs[obj][-1][0] if (k and link_gaps) else 0
            track_runs.setdefault(obj, []).append((label, b, e))
            rows.append([label, b, e, parent])
    table = pd.DataFrame(rows, columns=["L", "B", "E", "P"], dtype=np.int64)
    for child, parent in (parents or {}).items():
        if child not in track_runs or parent not in track_runs:
            missing = child if child not in track_runs else parent
            raise ValueError(f"parents: object {missing} is not in the labels")
        label, birth, _ = track_runs[child][0]
        before = [r for r in track_runs[parent] if r[2] < birth]
        if not before:
            raise ValueError(
                f"parents: object {parent} must end before its child {child} starts (frame {birth})"
            )
        table.loc[table["L"] == label, "P"] = before[-1][0]
    return table, relabel


@positional_flags("link_gaps", "overwrite")
def write_ctc(
    source: LabelSource,
    folder: str | Path,
    parents: Mapping[int, int] | None = None,
    *,
    link_gaps: bool = False,
    overwrite: bool = False,
) -> Path:
    """Write a CTC result folder (e.g. ``01_RES``).

    A time-lapse (T) gives one 2D mask per frame; a Z-stack gives one 3D
    ``mask000.tif`` with every object a track of the single time point 0. The
    folder appears complete or not at all.
    """
    volume = source.frame_axis.upper() == "Z"
    table, relabel = ctc_tracks(source, None if volume else parents, link_gaps)
    if len(table) and table["L"].max() > np.iinfo(np.uint16).max:
        raise ValueError("more than 65535 tracks: CTC masks are uint16")
    n = source.n_frames
    digits = max(3, len(str(n - 1)))
    empty = [t for t in range(n) if not source.label_frame(t).any()]
    if empty and not volume:
        warnings.warn(
            f"{plural(len(empty), 'frame')} without any object (first: {empty[0]}); CTC validators "
            "reject empty frames",
            UserWarning,
            stacklevel=2,
        )
    with atomic_dir(folder, overwrite) as tmp:
        if volume:
            stack = np.stack([source.label_frame(t) for t in range(n)]).astype(np.uint16)
            write_label_image(tmp / f"mask{0:0{digits}d}.tif", stack)
            table["B"] = 0
            table["E"] = 0
            table["P"] = 0
        else:
            for t in range(n):
                original = source.label_frame(t)
                labels = original.astype(np.uint16)
                for obj in np.unique(original):
                    new = relabel.get((int(obj), t))
                    if new is not None:
                        labels[original == obj] = new
                write_label_image(tmp / f"mask{t:0{digits}d}.tif", labels)
        table.to_csv(tmp / "res_track.txt", sep=" ", header=False, index=False)
    return Path(folder)


def read_ctc(folder: str | Path) -> tuple[np.ndarray, pd.DataFrame]:
    """A CTC folder back as (frames, Y, X) or (Z, Y, X) labels and its track table."""
    folder = Path(folder)
    masks = sorted(folder.glob("mask*.tif"), key=lambda p: int(p.stem[4:]))
    labels = read_label_images(masks)
    if labels.shape[0] == 1 and labels.ndim == 4:
        labels = labels[0]
    table = pd.read_csv(
        folder / "res_track.txt", sep=r"\s+", header=None, names=["L", "B", "E", "P"]
    )
    return labels, table
