"""What an object had on a frame before its first prompt there (its base).

Removing prompts replays the remaining ones from here, so they correct the tracked
mask as they did when given; removing the last one brings the frame back to it.
The tracker says what its state held (:meth:`~.tracking.TrackerModel.base`); the
engine adds the object's pixels where the tracker held nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .labels import pack_mask, unpack_mask
from .tracking import TrackerModel


@dataclass(frozen=True)
class Base:
    """``output`` is the tracker's tracking output (shared, never copied), ``tracked``
    its tracked mark (sam2's ``frames_tracked_per_obj`` entry); ``pixels`` (packed
    bits, zlib) keeps the object's labels where the tracker held no output (a frame
    released in a low mode)."""

    output: dict[str, Any] | None = None
    tracked: dict[str, Any] | None = None
    pixels: bytes | None = None


def capture_base(
    model: TrackerModel, state: Any, frame: int, label: int, labels: np.ndarray
) -> Base:
    output, tracked = model.base(state, frame, label)
    pixels = None
    if output is None:
        mine = labels == label
        if mine.any():
            pixels = pack_mask(mine)
    return Base(output, tracked, pixels)


def base_pixels(base: Base, shape: tuple[int, int]) -> np.ndarray:
    """The object's saved pixels on the frame as a boolean (Y, X) mask."""
    if base.pixels is None:
        return np.zeros(shape, bool)
    return unpack_mask(base.pixels, shape)
