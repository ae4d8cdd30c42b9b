"""A fixed colour per label id, the same in every frame and every export."""

from __future__ import annotations

import colorsys

import numpy as np

_GOLDEN = 0.618033988749895


def label_color(label: int) -> tuple[int, int, int]:
    """Well-separated hues by the golden-ratio sequence; label 0 is black."""
    if label <= 0:
        return (0, 0, 0)
    h = (label * _GOLDEN) % 1.0
    s = 0.65 + 0.35 * ((label * 7) % 3) / 2
    r, g, b = colorsys.hsv_to_rgb(h, s, 1.0)
    # floor(x + 0.5), not round(): the browser computes the same colours with
    # Math.round semantics (js/src/codecs.js).
    return (int(r * 255 + 0.5), int(g * 255 + 0.5), int(b * 255 + 0.5))


def color_table(max_label: int) -> np.ndarray:
    """(max_label + 1, 3) uint8 lookup table indexed by label id."""
    return np.array([label_color(i) for i in range(max_label + 1)], np.uint8)


def blend(image: np.ndarray, labels: np.ndarray, opacity: float) -> np.ndarray:
    """Labelled pixels tinted by their colour at ``opacity``; others unchanged."""
    out = image.copy()
    mask = labels > 0
    if mask.any():
        lut = color_table(int(labels.max()))
        tint = lut[labels[mask]].astype(np.float32)
        base = image[mask].astype(np.float32)
        out[mask] = np.clip(base * (1 - opacity) + tint * opacity + 0.5, 0, 255).astype(np.uint8)
    return out
