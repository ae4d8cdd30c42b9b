"""Per-frame label images, compressed, and how object masks become labels.

Label frames are stored zlib-compressed per frame: masks compress 50-500×, so a
long video's labels cost megabytes rather than gigabytes, and a snapshot of every
frame (for undo) is a copy of a dict of immutable bytes.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator, Mapping, Sequence
from types import MappingProxyType

import numpy as np

LABEL_DTYPE = np.uint16
MAX_LABEL = int(np.iinfo(LABEL_DTYPE).max)


class LabelStore:
    """Label images (Y, X) uint16 for ``n_frames`` frames; empty frames take no space."""

    def __init__(self, n_frames: int, shape: tuple[int, int]) -> None:
        self.n_frames = n_frames
        self.shape = shape
        self._frames: dict[int, bytes] = {}

    def get(self, t: int) -> np.ndarray:
        """Frame ``t`` (a new array; zeros where nothing is labelled)."""
        blob = self._frames.get(t)
        if blob is None:
            return np.zeros(self.shape, LABEL_DTYPE)
        return np.frombuffer(zlib.decompress(blob), LABEL_DTYPE).reshape(self.shape).copy()

    def set(self, t: int, labels: np.ndarray) -> None:
        if labels.shape != self.shape:
            raise ValueError(f"label frame shape {labels.shape} != {self.shape}")
        if not labels.any():
            self._frames.pop(t, None)
        else:
            arr = np.ascontiguousarray(labels, LABEL_DTYPE)
            self._frames[t] = zlib.compress(arr.tobytes(), 1)

    def blob(self, t: int) -> bytes | None:
        """Frame ``t`` as stored (zlib-compressed uint16), None when empty."""
        return self._frames.get(t)

    @property
    def frames(self) -> Mapping[int, bytes]:
        """Every labelled frame as stored, read-only and without a copy (one
        propagated frame's save reads one of them)."""
        return MappingProxyType(self._frames)

    def labelled_frames(self) -> list[int]:
        return sorted(self._frames)

    def snapshot(self) -> dict[int, bytes]:
        return dict(self._frames)

    def restore(self, snap: dict[int, bytes]) -> None:
        self._frames = dict(snap)

    def __iter__(self) -> Iterator[np.ndarray]:
        for t in range(self.n_frames):
            yield self.get(t)

    def to_array(self) -> np.ndarray:
        out = np.zeros((self.n_frames, *self.shape), LABEL_DTYPE)
        for t in self._frames:
            out[t] = self.get(t)
        return out

    @property
    def nbytes(self) -> int:
        return sum(len(b) for b in self._frames.values())


def pack_mask(mask: np.ndarray) -> bytes:
    """A boolean (Y, X) mask as packed bits, zlib-compressed (masks compress 50-500×:
    small enough to keep per prompt, per undo step and in JSON)."""
    return zlib.compress(np.packbits(np.asarray(mask, bool)).tobytes(), 1)


def unpack_mask(bits: bytes, shape: tuple[int, int]) -> np.ndarray:
    """Inverse of :func:`pack_mask`."""
    packed = np.frombuffer(zlib.decompress(bits), np.uint8)
    return np.unpackbits(packed, count=shape[0] * shape[1]).reshape(shape).astype(bool)


def composite(
    logits: np.ndarray,
    obj_ids: Sequence[int],
    known: Sequence[bool] | None = None,
    previous: np.ndarray | None = None,
) -> np.ndarray:
    """Object mask logits (N, Y, X) to one label image.

    The overlap rule: a pixel belongs to the object with the highest logit among
    those above 0 (ties go to the earlier object); this is the rule sam2 applies when
    it enforces non-overlapping masks. Objects marked not ``known`` (SAM2 holds no
    output for them on this frame, e.g. released in a low-memory mode) keep their
    pixels from ``previous`` wherever no known object claims the pixel.
    """
    n = len(obj_ids)
    shape = logits.shape[1:]
    out = np.zeros(shape, LABEL_DTYPE)
    if known is None:
        known = [True] * n
    idx = [i for i in range(n) if known[i]]
    if idx:
        sub = logits[idx]
        best = sub.argmax(axis=0)
        hit = sub.max(axis=0) > 0
        ids = np.asarray([obj_ids[i] for i in idx], LABEL_DTYPE)
        out[hit] = ids[best[hit]]
    if previous is not None and len(idx) < n:
        unknown = np.asarray([obj_ids[i] for i in range(n) if not known[i]], LABEL_DTYPE)
        keep = np.isin(previous, unknown) & (out == 0)
        out[keep] = previous[keep]
    return out
