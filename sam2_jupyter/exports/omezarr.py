"""Labels as OME-Zarr (NGFF), written by the ``ome-zarr`` library.

The store holds the image (as displayed, uint8 grey or RGB channels) at its root
and the labels under ``labels/<name>`` with colours per id, so napari
(napari-ome-zarr), QuPath, Fiji/MoBIE and webknossos open both together. Both
are written frame by frame through dask, so no volume is held in memory, with a
multiscale pyramid for fast viewing of large frames.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from .._atomic import atomic_dir
from .colors import label_color
from .protocol import LabelSource


def _libs() -> tuple[Any, Any, Any]:
    try:
        import dask.array as da
        import zarr
        from ome_zarr import writer
    except ImportError as exc:  # optional dependencies
        raise ImportError(
            "OME-Zarr export needs ome-zarr: pip install 'sam2_jupyter[formats]'"
        ) from exc
    return da, zarr, writer


def _lazy(shape: tuple[int, ...], dtype: Any, frame: Any) -> Any:
    """A dask array of ``frame(t)`` per frame, computed when written."""
    da, _, _ = _libs()
    import dask

    frames = [
        da.from_delayed(dask.delayed(frame)(t), shape=shape[1:], dtype=dtype)
        for t in range(shape[0])
    ]
    return da.stack(frames)


def write_ome_zarr(
    source: LabelSource,
    path: str | Path,
    name: str = "sam2",
    overwrite: bool = False,
    include_image: bool = True,
) -> Path:
    """Write an OME-Zarr with the frames and the labels (``labels/<name>``)."""
    _, zarr, writer = _libs()
    n = source.n_frames
    h, w = source.frame_shape
    axis = source.frame_axis.lower()
    levels = max(0, min(4, int(np.log2(max(1, min(h, w) / 256)))))  # pyramid above 256 px
    factors = tuple(2 ** (k + 1) for k in range(levels))
    with atomic_dir(path, overwrite) as tmp:
        root = zarr.open_group(str(tmp), mode="w")
        if include_image:
            image = _lazy((n, h, w, 3), np.uint8, source.image_frame)
            # c before y, x as NGFF requires: (frames, c, y, x)
            writer.write_image(
                image.transpose(0, 3, 1, 2),
                root,
                axes=[axis, "c", "y", "x"],
                scale_factors=factors,
                storage_options={"chunks": (1, 3, min(h, 1024), min(w, 1024))},
            )
        labels = _lazy((n, h, w), np.uint16, source.label_frame)
        ids = sorted({int(i) for t in range(n) for i in np.unique(source.label_frame(t)) if i})
        colors = [{"label-value": i, "rgba": [*label_color(i), 255]} for i in ids]
        if include_image:
            labels = labels[:, None]  # the image's c axis, size 1
            axes = [axis, "c", "y", "x"]
            chunks: tuple[int, ...] = (1, 1, min(h, 1024), min(w, 1024))
        else:
            axes = [axis, "y", "x"]
            chunks = (1, min(h, 1024), min(w, 1024))
        writer.write_labels(
            labels,
            root,
            name=name,
            axes=axes,
            scaler=None,
            scale_factors=factors,
            label_metadata={"colors": colors},
            storage_options={"chunks": chunks},
        )
    return Path(path)


def read_ome_zarr_labels(path: str | Path, name: str = "sam2") -> np.ndarray:
    """The full-resolution labels ``labels/<name>`` of an OME-Zarr, as (frames, Y, X),
    read through ome-zarr's own reader (so any NGFF writer's output works)."""
    from ome_zarr.io import parse_url
    from ome_zarr.reader import Reader

    location = parse_url(str(Path(path) / "labels" / name))
    if location is None:
        raise FileNotFoundError(f"{path}: no OME-Zarr labels named {name!r}")
    node = next(iter(Reader(location)()))
    data = np.asarray(node.data[0])
    return data.reshape(data.shape[0], *data.shape[-2:])
