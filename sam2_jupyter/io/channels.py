"""Multichannel data shown as one picture: one channel, or a composite of up to three,
each with its own colour and contrast limits.

What is shown is exactly what SAM2 sees (the composite is the frame the model
encodes), so a composite that separates the objects from each other helps SAM2 as it
helps the eye. Colours are additive, as in a fluorescence viewer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import StackError
from .contrast import to_uint8

COLORS: dict[str, tuple[int, int, int]] = {
    "red": (255, 0, 0),
    "green": (0, 255, 0),
    "blue": (0, 0, 255),
    "magenta": (255, 0, 255),
    "cyan": (0, 255, 255),
    "yellow": (255, 255, 0),
    "gray": (255, 255, 255),
}
DEFAULT_ORDER = ("green", "magenta", "cyan")
MAX_CHANNELS = 3


@dataclass(frozen=True)
class ChannelView:
    """One channel of a composite: its index, colour name and contrast limits."""

    channel: int
    color: str
    limits: tuple[float, float]


def parse_views(
    spec: Sequence[Any], n_channels: int, limits_of: Any, name: str
) -> tuple[ChannelView, ...]:
    """``channels=`` as users write it: ``[0, 2]``, ``[(0, "green"), (2, "magenta",
    (100, 3000))]`` or dicts with ``channel``, ``color``, ``limits``; missing colours
    follow green, magenta, cyan and missing limits come from ``limits_of(channel)``."""
    if isinstance(spec, (int, np.integer)):
        spec = [spec]
    items = list(spec)
    if not 1 <= len(items) <= MAX_CHANNELS:
        raise StackError(f"{name}: channels takes 1 to {MAX_CHANNELS} channels, got {len(items)}")
    views = []
    for k, item in enumerate(items):
        if isinstance(item, dict):
            channel, color, limits = item.get("channel"), item.get("color"), item.get("limits")
        elif isinstance(item, (tuple, list)):
            channel, color, limits = (*item, None, None)[:3]
        else:
            channel, color, limits = item, None, None
        if isinstance(channel, bool) or not isinstance(channel, (int, np.integer)):
            raise StackError(f"{name}: a channel must be an integer index, got {channel!r}")
        if not 0 <= int(channel) < n_channels:
            raise StackError(f"{name}: channel {channel} out of range 0..{n_channels - 1}")
        color = DEFAULT_ORDER[k] if color is None else str(color).lower()
        if color not in COLORS:
            raise StackError(f"{name}: colour {color!r} is not one of {', '.join(COLORS)}")
        if limits is None:
            limits = limits_of(int(channel))
        lo, hi = (float(v) for v in limits)
        if not (np.isfinite(lo) and np.isfinite(hi) and lo < hi):
            raise StackError(f"{name}: channel {channel} limits must be low < high, got {limits}")
        views.append(ChannelView(int(channel), color, (lo, hi)))
    return tuple(views)


def composite(planes: Sequence[np.ndarray], views: Sequence[ChannelView]) -> np.ndarray:
    """uint8 RGB (Y, X, 3): each channel scaled by its limits, tinted by its colour,
    added and clipped."""
    out = np.zeros((*planes[0].shape, 3), np.float32)
    for plane, view in zip(planes, views, strict=True):
        grey = to_uint8(plane, view.limits).astype(np.float32)
        out += grey[..., None] * (np.asarray(COLORS[view.color], np.float32) / 255.0)
    return np.clip(out, 0, 255).astype(np.uint8)
