"""TIFF, OME-TIFF and ImageJ hyperstacks as lazy arrays.

Contiguous pixel data is memory-mapped (size-checked before every read, so a file
truncated while open raises instead of killing the process); anything else is read
page by page through tifffile's Zarr store. Damaged headers are refused before
tifffile tries to read millions of strips.
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import StackError
from .source import Source


class _SizeCheckedMemmap(np.memmap):
    """A memory map that checks, before each read, that the file still holds its
    bytes. Reading mapped pages past the end of a file truncated since it was opened
    (overwritten in place, e.g. saved again under the same name) kills the Python
    process with SIGBUS instead of raising."""

    _end: int | None = None

    @classmethod
    def of(cls, mapped: np.memmap) -> _SizeCheckedMemmap:
        checked = mapped.view(cls)
        checked._end = int(mapped.offset) + int(mapped.nbytes)
        return checked

    def __getitem__(self, key: Any) -> Any:
        if self._end is not None and self.filename is not None:
            try:
                size = os.path.getsize(self.filename)
            except OSError:
                size = -1
            if size < self._end:
                raise StackError(
                    f"{self.filename}: the file is shorter than when it was opened "
                    f"({size} < {self._end} bytes; overwritten?); open it again"
                )
        return super().__getitem__(key)


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
            if not tif.series:
                raise StackError(f"{path}: TIFF holds no image (damaged or truncated?)")
            series = tif.series[0]
            file_axes = series.axes
            _check_tiff_chunks(series.keyframe, path)
    except StackError:
        raise
    except Exception as exc:
        raise StackError(f"{path}: cannot read TIFF (damaged or truncated?): {exc}") from exc
    if len(series.shape) < 2:
        raise StackError(f"{path}: TIFF holds no 2D image (shape {series.shape}); damaged?")
    try:
        array: Any = tifffile.memmap(path, mode="r")
        if array.shape != tuple(series.shape):
            raise ValueError("memmap shape differs from series shape")
        array = _SizeCheckedMemmap.of(array)
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


def _check_tiff_chunks(page: Any, path: Path) -> None:
    """A damaged size tag makes an image of millions of strips from the few the file
    has: tifffile would then try each missing one in turn, for minutes."""
    have, need = len(page.dataoffsets), math.prod(page.chunked)
    if have < need:
        raise StackError(
            f"{path}: TIFF image {page.shape} needs {need} strips or tiles but the file "
            f"lists {have}; its header is damaged"
        )
