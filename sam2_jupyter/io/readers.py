"""Lazy array views over the file formats users bring.

Each reader returns an object with ``shape``, ``dtype``, ``ndim`` and integer
``__getitem__`` that reads only what is asked for, plus the axes it could detect.
numpy, Zarr and dask arrays already behave so; TIFF pages are reached through
tifffile's Zarr store; videos and image folders get a small wrapper that decodes one
frame per request.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import StackError

VIDEO_SUFFIXES = {".mp4", ".avi", ".mov", ".mkv", ".webm", ".m4v", ".mpg", ".mpeg"}
GIF_SUFFIXES = {".gif"}
TIFF_SUFFIXES = {".tif", ".tiff", ".btf", ".tf8", ".tf2"}
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".webp"} | TIFF_SUFFIXES


@dataclass
class Source:
    """A lazily indexable array and the axes its file declared (None if unknown)."""

    array: Any
    axes: str | None
    name: str


class FrameReader:
    """Array-like over a sequence of frames decoded one at a time.

    Decoders are not thread-safe, and the widget reads frames from a worker thread
    while the user may read from the notebook, so reads are serialised.
    """

    def __init__(
        self, name: str, n: int, frame_shape: tuple[int, ...], dtype: np.dtype, read_one: Any
    ) -> None:
        self.name = name
        self.shape = (n, *frame_shape)
        self.dtype = np.dtype(dtype)
        self.ndim = len(self.shape)
        self._read_one = read_one
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return self.shape[0]

    def __getitem__(self, key: Any) -> np.ndarray:
        if not isinstance(key, tuple):
            key = (key,)
        first, rest = key[0], key[1:]
        if isinstance(first, slice):
            idx = range(*first.indices(self.shape[0]))
            return (
                np.stack([self[(i, *rest)] for i in idx])
                if idx
                else np.empty((0, *self.shape[1:]), self.dtype)
            )
        i = int(first)
        if i < 0:
            i += self.shape[0]
        if not 0 <= i < self.shape[0]:
            raise IndexError(f"{self.name}: frame {first} out of range 0..{self.shape[0] - 1}")
        with self._lock:
            frame = np.asarray(self._read_one(i))
        if frame.shape != self.shape[1:]:
            raise StackError(
                f"{self.name}: frame {i} has shape {frame.shape}, expected {self.shape[1:]}"
            )
        return frame[rest] if rest else frame


def _natural_key(path: Path) -> list[Any]:
    return [int(t) if t.isdigit() else t.lower() for t in re.split(r"(\d+)", path.name)]


def read_folder(folder: Path) -> Source:
    """Images in a folder, in natural order (frame2 before frame10)."""
    import imageio.v3 as iio

    files = sorted(
        (p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file()),
        key=_natural_key,
    )
    if not files:
        raise StackError(
            f"{folder}: no images found (looked for {', '.join(sorted(IMAGE_SUFFIXES))})"
        )
    try:
        first = iio.imread(files[0])
    except Exception as exc:
        raise StackError(f"{files[0]}: cannot read image: {exc}") from exc

    def read_one(i: int) -> np.ndarray:
        try:
            img = iio.imread(files[i])
        except Exception as exc:
            raise StackError(f"{files[i]}: cannot read image: {exc}") from exc
        if img.shape != first.shape:
            raise StackError(
                f"{files[i]}: shape {img.shape} differs from {files[0].name} {first.shape}; "
                "all images of a folder must have one size"
            )
        return img

    reader = FrameReader(str(folder), len(files), first.shape, first.dtype, read_one)
    axes = "TYXC" if first.ndim == 3 else "TYX"
    return Source(reader, axes, str(folder))


def read_video(path: Path) -> Source:
    """A video file decoded with ffmpeg (imageio-ffmpeg), one frame per request."""
    import imageio.v2 as iio2

    try:
        reader = iio2.get_reader(str(path), format="FFMPEG")
        n = reader.count_frames()
        first = reader.get_data(0)
    except Exception as exc:
        raise StackError(f"{path}: cannot decode video: {exc}") from exc
    if n < 1:
        raise StackError(f"{path}: video has no frames")

    def read_one(i: int) -> np.ndarray:
        try:
            return reader.get_data(i)
        except Exception as exc:
            raise StackError(f"{path}: cannot decode frame {i}: {exc}") from exc

    return Source(FrameReader(str(path), n, first.shape, first.dtype, read_one), "TYXC", str(path))


def read_gif(path: Path) -> Source:
    """An animated GIF as RGB frames (palette and transparency resolved by Pillow)."""
    import imageio.v3 as iio

    try:
        props = iio.improps(path, index=None)
        handle = iio.imopen(path, "r", plugin="pillow")
        first = handle.read(index=0, mode="RGB")
    except Exception as exc:
        raise StackError(f"{path}: cannot read GIF: {exc}") from exc
    n = props.n_images or 1

    def read_one(i: int) -> np.ndarray:
        return handle.read(index=i, mode="RGB")

    return Source(FrameReader(str(path), n, first.shape, first.dtype, read_one), "TYXC", str(path))


_TIFF_AXIS_MAP = {"S": "C", "C": "C", "T": "T", "Z": "Z", "Y": "Y", "X": "X"}


def read_tiff(path: Path) -> Source:
    """TIFF, OME-TIFF or ImageJ hyperstack: memory-mapped when the pixels are stored
    contiguously and uncompressed, else read page by page through tifffile's Zarr
    store. Axes come from the file's metadata; generic sequence axes (I, Q, ...)
    become T (or Z if T is taken)."""
    import tifffile
    import zarr

    try:
        with tifffile.TiffFile(path) as tif:
            series = tif.series[0]
            file_axes = series.axes
    except Exception as exc:
        raise StackError(f"{path}: cannot read TIFF: {exc}") from exc
    try:
        array: Any = tifffile.memmap(path, mode="r")
        if array.shape != tuple(series.shape):
            raise ValueError("memmap shape differs from series shape")
    except Exception:
        try:
            array = zarr.open(tifffile.imread(path, aszarr=True), mode="r")
        except Exception as exc:
            raise StackError(f"{path}: cannot read TIFF pixels: {exc}") from exc
    axes = ""
    for letter in file_axes:
        mapped = _TIFF_AXIS_MAP.get(letter)
        if mapped is None or mapped in axes:
            mapped = next((c for c in "TZ" if c not in axes and c not in file_axes), None)
            if mapped is None:
                raise StackError(
                    f"{path}: cannot interpret TIFF axes {file_axes!r}; pass axes='...'"
                )
        axes += mapped
    return Source(array, axes, str(path))


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
    multiscales = attrs.get("multiscales") or attrs.get("ome", {}).get("multiscales")
    if not multiscales:
        arrays = list(node.array_keys())
        if len(arrays) == 1:
            return Source(node[arrays[0]], None, f"{path}/{arrays[0]}")
        raise StackError(
            f"{path}: Zarr group with arrays {arrays} and no OME multiscales metadata; "
            "open the array itself, e.g. open_stack('data.zarr/name')"
        )
    ms = multiscales[0]
    level = ms["datasets"][0]["path"]
    axes_meta = ms.get("axes")
    axes = None
    if axes_meta:
        axes = "".join((a["name"] if isinstance(a, dict) else a).upper()[0] for a in axes_meta)
    return Source(node[level], axes, f"{path}/{level}")


def read_path(path: Path) -> Source:
    """Pick a reader by what the path is."""
    if not path.exists():
        raise StackError(f"{path}: no such file or folder")
    suffix = path.suffix.lower()
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
        import imageio.v3 as iio

        try:
            img = iio.imread(path)
        except Exception as exc:
            raise StackError(f"{path}: cannot read image: {exc}") from exc
        return Source(img, "YXC" if img.ndim == 3 else "YX", str(path))
    raise StackError(
        f"{path}: unknown file type {suffix!r}; supported: TIFF, video "
        f"({', '.join(sorted(VIDEO_SUFFIXES))}), GIF, images, image folders, Zarr"
    )
