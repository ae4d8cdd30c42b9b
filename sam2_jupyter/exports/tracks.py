"""Per-object centroids per frame, in napari's Tracks column order."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pandas as pd
from skimage.measure import regionprops_table

from .._atomic import atomic_path
from .._compat import positional_flags
from .protocol import LabelSource


def tracks_table(
    source: LabelSource,
    extra_axis: tuple[str, int] | None = None,
    parents: Mapping[int, int] | None = None,
) -> pd.DataFrame:
    """One row per object per frame it appears in: track_id, t, [z,] y, x, parent_id.

    The frame column is named after the propagation axis (t or z). For 4D data,
    ``extra_axis`` = (letter, index) adds the fixed axis so columns stay in napari's
    track_id, t, z, y, x order. ``parent_id`` is the mother's track id of a daughter
    after a division (``parents``: daughter → mother), else 0; napari's Tracks layer
    takes it as ``graph={d: [m]}``.
    """
    frame_col = source.frame_axis.lower()
    rows = []
    for t in range(source.n_frames):
        labels = source.label_frame(t)
        if not labels.any():
            continue
        props = regionprops_table(labels, properties=("label", "centroid"))
        df = pd.DataFrame(
            {
                "track_id": props["label"],
                frame_col: t,
                "y": props["centroid-0"],
                "x": props["centroid-1"],
            }
        )
        rows.append(df)
    columns = ["track_id", frame_col, "y", "x", "parent_id"]
    if extra_axis is not None:
        columns.insert(1 if extra_axis[0].lower() == "t" else 2, extra_axis[0].lower())
    if not rows:
        return pd.DataFrame({c: pd.Series(dtype="float64") for c in columns})
    out = pd.concat(rows, ignore_index=True)
    out["parent_id"] = out["track_id"].map(dict(parents or {})).fillna(0).astype(int)
    if extra_axis is not None:
        out[extra_axis[0].lower()] = extra_axis[1]
    out = out[columns].sort_values(["track_id", frame_col], kind="stable")
    return out.reset_index(drop=True)


@positional_flags("overwrite")
def write_tracks_csv(table: pd.DataFrame, path: str | Path, *, overwrite: bool = False) -> Path:
    with atomic_path(path, overwrite) as tmp:
        table.to_csv(tmp, index=False)
    return Path(path)
