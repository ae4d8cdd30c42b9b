"""Labels as OME-Zarr (NGFF), written by the ``ome-zarr`` library.

The store holds the image at its root and the labels under ``labels/<name>`` with
colours per id, so napari (napari-ome-zarr), QuPath, Fiji/MoBIE and webknossos open
both together. The image is the source data (its dtype, every channel), not the
uint8 display: intensities are measured in those tools, and a contrast stretch is a
view that each of them makes itself. Both are written frame by frame through dask,
so no volume is held in memory, with a multiscale pyramid for fast viewing of large
frames.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from .._atomic import atomic_dir
from .._compat import positional_flags
from .colors import label_color
from .protocol import LabelSource


def _libs() -> tuple[Any, Any, Any, Any]:
    try:
        import dask.array as da
        import zarr
        from ome_zarr import writer
        from ome_zarr.scale import Methods
    except ImportError as exc:  # optional dependencies
        raise ImportError(
            "OME-Zarr export needs ome-zarr: pip install 'sam2_jupyter[formats]'"
        ) from exc
    return da, zarr, writer, Methods


def _lazy(shape: tuple[int, ...], dtype: Any, frame: Any) -> Any:
    """A dask array of ``frame(t)`` per frame, computed when written."""
    da, _, _, _ = _libs()
    import dask

    frames = [
        da.from_delayed(dask.delayed(frame)(t), shape=shape[1:], dtype=dtype)
        for t in range(shape[0])
    ]
    return da.stack(frames)


@positional_flags("name", "overwrite", "include_image")
def write_ome_zarr(
    source: LabelSource,
    path: str | Path,
    *,
    name: str = "sam2",
    overwrite: bool = False,
    include_image: bool = True,
) -> Path:
    """Write an OME-Zarr with the frames and the labels (``labels/<name>``).

    The image has axes (frames, y, x) for one-channel data; data with channels (RGB
    included) get a c axis where NGFF wants it, after time and before space:
    (t, c, y, x) for a time series, (c, z, y, x) for a Z stack. The labels share the
    image's axes, with a c of size 1 where the image has channels.
    """
    _, zarr, writer, methods = _libs()
    n = source.n_frames
    h, w = source.frame_shape
    axis = source.frame_axis.lower()
    levels = max(0, min(4, int(np.log2(max(1, min(h, w) / 256)))))  # pyramid above 256 px
    factors = tuple(2 ** (k + 1) for k in range(levels))
    tile = (min(h, 1024), min(w, 1024))
    c_first = axis != "t"  # z is a space axis: NGFF puts the channel before it
    with atomic_dir(path, overwrite) as tmp:
        root = zarr.open_group(str(tmp), mode="w")
        channels = False
        if include_image:
            first = np.asarray(source.data_frame(0))
            channels = first.ndim == 3
            image = _lazy((n, *first.shape), first.dtype, source.data_frame)
            if not channels:
                image_axes, image_chunks = [axis, "y", "x"], (1, *tile)
            elif c_first:
                image = image.transpose(3, 0, 1, 2)
                image_axes, image_chunks = ["c", axis, "y", "x"], (first.shape[2], 1, *tile)
            else:
                image = image.transpose(0, 3, 1, 2)
                image_axes, image_chunks = [axis, "c", "y", "x"], (1, first.shape[2], *tile)
            writer.write_image(
                image,
                root,
                axes=image_axes,
                scale_factors=factors,
                # smoothing is undefined for masks stored as images
                method=methods.NEAREST if first.dtype == np.bool_ else methods.RESIZE,
                storage_options={"chunks": image_chunks},
            )
        labels = _lazy((n, h, w), np.uint16, source.label_frame)
        ids = sorted({int(i) for t in range(n) for i in np.unique(source.label_frame(t)) if i})
        colors = [{"label-value": i, "rgba": [*label_color(i), 255]} for i in ids]
        if not channels:
            axes, chunks = [axis, "y", "x"], (1, *tile)
        elif c_first:  # the image's c axis, size 1
            labels, axes, chunks = labels[None], ["c", axis, "y", "x"], (1, 1, *tile)
        else:
            labels, axes, chunks = labels[:, None], [axis, "c", "y", "x"], (1, 1, *tile)
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
    names = [a["name"] if isinstance(a, dict) else a for a in node.metadata.get("axes", [])]
    if "c" in names and len(names) == data.ndim:  # a size-1 channel axis, wherever it is
        data = np.take(data, 0, axis=names.index("c"))
    return data.reshape(-1, *data.shape[-2:])
