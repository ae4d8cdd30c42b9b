"""What every reader returns: a lazily indexable array with the axes its file
declared, and the wrapper over formats that decode one frame at a time.

Its own module so that the readers (:mod:`.readers`, :mod:`.tiff`) build on it
without importing each other.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
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
        if frame.dtype != self.dtype:
            # Contrast limits were fixed for the first frame's type: a 16-bit frame
            # among 8-bit ones would be shown saturated, not as what it holds.
            raise StackError(
                f"{self.name}: frame {i} has dtype {frame.dtype}, expected {self.dtype}"
            )
        return frame[rest] if rest else frame
