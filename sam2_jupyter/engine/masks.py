"""Masks drawn by hand: strokes and fills rasterised at image resolution, and the rule
that keeps what a user drew on screen through every later propagation.

Two kinds of hand-made mask exist:

* a **mask prompt** (``track=True``): SAM2 gets the mask (``add_new_mask``) and tracks
  the object from it. SAM2 keeps only a low-resolution copy, so on the frame itself
  the labels are set to the mask exactly, for as long as the mask is the label's
  latest input there (a click after it refines SAM2's mask, and SAM2's answer shows);
* a **manual edit** (``track=False``): pixels added to, or removed from, a label on a
  frame that SAM2 never sees. They are applied after every composite of that frame,
  so a later propagation does not overwrite them.

Both are re-applied by :func:`pin` whenever a frame's labels are computed.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from skimage.segmentation import flood

from ..errors import PromptError
from ..io.label_images import read_label_image
from .labels import LABEL_DTYPE, MAX_LABEL, pack_mask, unpack_mask
from .prompts import MaskPrompt, Prompt

MAX_STROKE_POINTS = 65_536


@dataclass(frozen=True)
class ManualEdit:
    """Pixels added to and removed from one label on one frame (packed masks)."""

    shape: tuple[int, int]
    add: bytes
    remove: bytes

    @classmethod
    def of(cls, add: np.ndarray, remove: np.ndarray) -> ManualEdit:
        return cls((int(add.shape[0]), int(add.shape[1])), pack_mask(add), pack_mask(remove))

    def masks(self) -> tuple[np.ndarray, np.ndarray]:
        return unpack_mask(self.add, self.shape), unpack_mask(self.remove, self.shape)

    def then(self, mask: np.ndarray, erase: bool) -> ManualEdit:
        """This edit followed by painting (or erasing) ``mask``."""
        add, remove = self.masks()
        if erase:
            return ManualEdit.of(add & ~mask, remove | mask)
        return ManualEdit.of(add | mask, remove & ~mask)


def check_mask(mask: object, shape: tuple[int, int], allow_empty: bool = False) -> np.ndarray:
    """A (Y, X) mask from outside, as bool; refuses other shapes, non-binary values
    and (unless allowed) an empty mask, with a sentence naming the problem."""
    arr = np.asarray(mask)
    if arr.shape != tuple(shape):
        raise PromptError(f"mask of shape {arr.shape}; the frames are {tuple(shape)} (Y, X)")
    if arr.dtype != bool:
        if arr.dtype.kind not in "iuf" or not np.isin(arr, (0, 1)).all():
            raise PromptError(
                f"mask must be boolean (or 0 / 1), got {arr.dtype} values "
                f"{np.unique(arr)[:5].tolist()}…"
            )
        arr = arr.astype(bool)
    if not allow_empty and not arr.any():
        raise PromptError("the mask is empty: give at least one pixel of the object")
    return arr


def check_label_image(labels: object, shape: tuple[int, int]) -> np.ndarray:
    """An integer (Y, X) label image from outside (Cellpose, StarDist, an export)."""
    arr = np.asarray(labels)
    if arr.shape != tuple(shape):
        raise PromptError(f"label image of shape {arr.shape}; the frames are {tuple(shape)}")
    if arr.dtype == bool or arr.dtype.kind not in "iu":
        raise PromptError(f"label image must hold integers, got {arr.dtype}")
    if arr.size and (arr.min() < 0 or arr.max() > MAX_LABEL):
        raise PromptError(
            f"label ids must be 0..{MAX_LABEL} (0 is background), got {arr.min()}..{arr.max()}"
        )
    return arr.astype(LABEL_DTYPE)


def read_label_volume(source: object, n_frames: int, shape: tuple[int, int]) -> np.ndarray:
    """A (frames, Y, X) label volume from an array or a label TIFF, checked like a
    label image; a single (Y, X) image is refused (use seeding for one frame)."""
    if isinstance(source, (str, Path)):
        source = read_label_image(source)
    arr = np.asarray(source)
    if arr.shape != (n_frames, *shape):
        raise PromptError(
            f"label volume of shape {arr.shape}; this data is {(n_frames, *shape)} (frames, Y, X)"
        )
    return np.stack([check_label_image(frame, shape) for frame in arr])


def rasterise_stroke(points: np.ndarray, radius: float, shape: tuple[int, int]) -> np.ndarray:
    """Every pixel whose centre lies within ``radius`` of the polyline ``points``
    ((n, 2) as x, y in image pixels): the union of one capsule per segment, which is
    what the browser draws with round caps and joins."""
    h, w = shape
    pts = np.asarray(points, np.float64).reshape(-1, 2)
    if not len(pts) or not np.isfinite(pts).all():
        raise PromptError("a stroke needs at least one finite point")
    if len(pts) > MAX_STROKE_POINTS:
        raise PromptError(f"a stroke has {len(pts)} points; at most {MAX_STROKE_POINTS}")
    if not (np.isfinite(radius) and 0 < radius <= max(h, w)):
        raise PromptError(f"brush radius must be in (0, {max(h, w)}] pixels, got {radius!r}")
    out = np.zeros(shape, bool)
    segments = itertools.pairwise(pts) if len(pts) > 1 else [(pts[0], pts[0])]
    for a, b in segments:
        lo = np.floor(np.minimum(a, b) - radius).astype(int)
        hi = np.ceil(np.maximum(a, b) + radius).astype(int)
        x0, y0 = max(lo[0], 0), max(lo[1], 0)
        x1, y1 = min(hi[0], w - 1), min(hi[1], h - 1)
        if x0 > x1 or y0 > y1:
            continue
        yy, xx = np.mgrid[y0 : y1 + 1, x0 : x1 + 1] + 0.5
        d = b - a
        length2 = float(d @ d)
        along = ((xx - a[0]) * d[0] + (yy - a[1]) * d[1]) / length2 if length2 else 0.0
        t = np.clip(along, 0, 1)
        near = (xx - a[0] - t * d[0]) ** 2 + (yy - a[1] - t * d[1]) ** 2 <= radius * radius
        out[y0 : y1 + 1, x0 : x1 + 1] |= near
    return out


def fill_region(labels: np.ndarray, y: float, x: float) -> np.ndarray:
    """The 4-connected region of the pixel at (y, x) with its label value."""
    h, w = labels.shape
    iy, ix = int(np.clip(np.floor(y), 0, h - 1)), int(np.clip(np.floor(x), 0, w - 1))
    return flood(labels, (iy, ix), connectivity=1)


def exact_masks(prompts: Iterable[Prompt], frame: int) -> dict[int, np.ndarray]:
    """Per label, the mask that is its latest input on ``frame`` (if it is a mask)."""
    latest: dict[int, Prompt] = {}
    for p in prompts:
        if p.frame == frame:
            latest[p.label] = p
    return {label: p.array() for label, p in latest.items() if isinstance(p, MaskPrompt)}


def pin(
    labels: np.ndarray,
    frame: int,
    prompts: Iterable[Prompt],
    manual: Mapping[tuple[int, int], ManualEdit],
) -> np.ndarray:
    """``labels`` of ``frame`` with what the user drew there put back: each label's
    latest mask prompt exactly, then the manual edits (in place; returned)."""
    for label, mask in exact_masks(prompts, frame).items():
        labels[(labels == label) & ~mask] = 0
        labels[mask] = label
    for (t, label), edit in manual.items():
        if t == frame:
            add, remove = edit.masks()
            labels[remove & (labels == label)] = 0
            labels[add] = label
    return labels
