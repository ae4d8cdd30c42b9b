"""Lazy array views over the file formats users bring.

Each reader returns an object with ``shape``, ``dtype``, ``ndim`` and integer
``__getitem__`` that reads only what is asked for, plus the axes it could detect.
numpy, Zarr and dask arrays already behave so; TIFF pages are reached through
tifffile's Zarr store; videos and image folders get a small wrapper that decodes one
frame per request.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import StackError
from .source import (
    GIF_SUFFIXES,
    IMAGE_SUFFIXES,
    TIFF_SUFFIXES,
    VIDEO_SUFFIXES,
    FrameReader,
    Source,
)
from .tiff import read_tiff


def _natural_key(path: Path) -> list[Any]:
    return [int(t) if t.isdigit() else t.lower() for t in re.split(r"(\d+)", path.name)]


def read_folder(folder: Path) -> Source:
    """Images in a folder, in natural order (frame2 before frame10)."""
    files = sorted(
        (p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file()),
        key=_natural_key,
    )
    if not files:
        raise StackError(
            f"{folder}: no images found (looked for {', '.join(sorted(IMAGE_SUFFIXES))})"
        )
    first = _read_image(files[0])
    first_axes = _image_axes(first, files[0])

    def read_one(i: int) -> np.ndarray:
        img = _read_image(files[i])
        if img.shape != first.shape:
            raise StackError(
                f"{files[i]}: shape {img.shape} differs from {files[0].name} {first.shape}; "
                "all images of a folder must have one size"
            )
        if img.dtype != first.dtype:
            raise StackError(
                f"{files[i]}: dtype {img.dtype} differs from {files[0].name} {first.dtype}; "
                "all images of a folder must have one type"
            )
        return img

    reader = FrameReader(str(folder), len(files), first.shape, first.dtype, read_one)
    return Source(reader, "T" + first_axes, str(folder))


def _read_image(path: Path) -> np.ndarray:
    """One image file, or a StackError naming it."""
    import imageio.v3 as iio

    try:
        if path.stat().st_size == 0:
            raise StackError(f"{path}: empty file (0 bytes)")
        return iio.imread(path)
    except StackError:
        raise
    except Exception as exc:
        raise StackError(
            f"{path}: cannot read image (damaged or truncated?): {_first_line(exc)}"
        ) from exc


def _first_line(exc: Exception) -> str:
    """What went wrong, without the dozen lines of plugin advice imageio appends."""
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def _image_axes(img: np.ndarray, path: Path) -> str:
    """YX or YXC for a decoded single image; anything else (a multi-page TIFF in an
    image folder, an animated image) would be misread as colour, so it is refused."""
    if img.ndim == 2:
        return "YX"
    if img.ndim == 3 and img.shape[2] <= 4:
        return "YXC"
    raise StackError(
        f"{path}: image of shape {img.shape} is not one 2D grey or colour image "
        "(several pages or frames?)"
    )


def read_video(path: Path) -> Source:
    """A video file decoded with ffmpeg (imageio-ffmpeg), one frame per request."""
    import imageio.v2 as iio2

    reader = None
    try:
        reader = iio2.get_reader(str(path), format="FFMPEG")
        n = reader.count_frames()
        first = reader.get_data(0)
    except Exception as exc:
        if reader is not None:
            reader.close()
        raise StackError(
            f"{path}: cannot decode video (damaged, truncated or not a video?): "
            f"{_ffmpeg_reason(exc)}"
        ) from exc
    if n < 1:
        reader.close()
        raise StackError(f"{path}: video has no frames")

    def read_one(i: int) -> np.ndarray:
        try:
            return reader.get_data(i)
        except Exception as exc:
            raise StackError(f"{path}: cannot decode frame {i}: {_ffmpeg_reason(exc)}") from exc

    return Source(FrameReader(str(path), n, first.shape, first.dtype, read_one), "TYXC", str(path))


def _ffmpeg_reason(exc: Exception) -> str:
    """The first line of an imageio-ffmpeg error and ffmpeg's last line, which says
    what went wrong, without the version banner and configuration in between."""
    head, _, stderr = str(exc).partition("=== stderr ===")
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    head = head.strip().splitlines()[0] if head.strip() else type(exc).__name__
    return f"{head} (ffmpeg: {lines[-1]})" if lines else head


def read_gif(path: Path) -> Source:
    """An animated GIF as RGB frames (palette and transparency resolved by Pillow)."""
    import imageio.v3 as iio

    handle = None
    try:
        props = iio.improps(path, index=None)
        handle = iio.imopen(path, "r", plugin="pillow")
        first = handle.read(index=0, mode="RGB")
    except Exception as exc:
        if handle is not None:
            handle.close()
        raise StackError(
            f"{path}: cannot read GIF (damaged or truncated?): {_first_line(exc)}"
        ) from exc
    n = props.n_images or 1

    def read_one(i: int) -> np.ndarray:
        try:
            return handle.read(index=i, mode="RGB")
        except Exception as exc:  # a truncated file fails at the first missing frame
            raise StackError(f"{path}: cannot decode frame {i}: {exc}") from exc

    return Source(FrameReader(str(path), n, first.shape, first.dtype, read_one), "TYXC", str(path))


def read_zarr(path: Path) -> Source:
    """A Zarr array, or an OME-Zarr image (its full-resolution level and axes)."""
    import zarr

    try:
        node = zarr.open(str(path), mode="r")
    except Exception as exc:
        raise StackError(f"{path}: cannot open Zarr: {exc}") from exc
    if isinstance(node, zarr.Array):
        return Source(node, None, str(path))
    attrs = dict(node.attrs)
    ome = attrs.get("ome")
    multiscales = attrs.get("multiscales") or (
        ome.get("multiscales") if isinstance(ome, dict) else None
    )
    if not multiscales:
        arrays = list(node.array_keys())
        if len(arrays) == 1:
            return Source(node[arrays[0]], None, f"{path}/{arrays[0]}")
        if not arrays:
            raise StackError(f"{path}: Zarr group holds no arrays")
        raise StackError(
            f"{path}: Zarr group with arrays {arrays} and no OME multiscales metadata; "
            "open the array itself, e.g. open_stack('data.zarr/name')"
        )
    try:
        ms = multiscales[0]
        level = ms["datasets"][0]["path"]
        array = node[level]
        axes_meta = ms.get("axes")
        axes = None
        if axes_meta:
            axes = "".join((a["name"] if isinstance(a, dict) else a).upper()[0] for a in axes_meta)
    except Exception as exc:  # metadata written by hand or by another tool's bug
        raise StackError(
            f"{path}: malformed OME-Zarr multiscales metadata ({type(exc).__name__}: {exc}); "
            "open the array itself, e.g. open_stack('image.zarr/0')"
        ) from exc
    if not isinstance(array, zarr.Array):
        raise StackError(f"{path}: OME-Zarr level {level!r} is not an array")
    return Source(array, axes, f"{path}/{level}")


def read_path(path: Path) -> Source:
    """Pick a reader by what the path is."""
    if not path.exists():
        raise StackError(f"{path}: no such file or folder")
    suffix = path.suffix.lower()
    if path.is_file() and path.stat().st_size == 0:
        raise StackError(f"{path}: empty file (0 bytes)")
    if path.is_dir():
        if suffix == ".zarr" or any(
            (path / m).exists() for m in ("zarr.json", ".zarray", ".zgroup")
        ):
            return read_zarr(path)
        return read_folder(path)
    if suffix in TIFF_SUFFIXES:
        return read_tiff(path)
    if suffix in GIF_SUFFIXES:
        return read_gif(path)
    if suffix in VIDEO_SUFFIXES:
        return read_video(path)
    if suffix in IMAGE_SUFFIXES:
        img = _read_image(path)
        return Source(img, _image_axes(img, path), str(path))
    if suffix == ".npy":
        return read_npy(path)
    raise StackError(
        f"{path}: unknown file type {suffix!r}; supported: TIFF, video "
        f"({', '.join(sorted(VIDEO_SUFFIXES))}), GIF, images, image folders, Zarr, .npy"
    )


def read_npy(path: Path) -> Source:
    """A NumPy ``.npy`` array, memory-mapped (frames are read as they are shown); its
    axes are guessed from the shape, as for an array in memory."""
    try:
        array = np.load(path, mmap_mode="r", allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise StackError(f"{path}: not a readable .npy array ({exc})") from exc
    return Source(array, None, str(path))
