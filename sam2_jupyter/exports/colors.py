"""A fixed colour per label id, the same in every frame and every export."""

from __future__ import annotations

import colorsys

import numpy as np

_GOLDEN = 0.618033988749895
_SATURATION = (1.0, 0.5)  # by id % 2
_VALUE = (1.0, 0.825, 0.65)  # by id % 3


def label_color(label: int) -> tuple[int, int, int]:
    """Label 0 is black; the others keep colours apart that are likely neighbours.

    Hues follow the golden-ratio sequence, which keeps consecutive ids far apart but
    brings ids 8, 13, 21 and 34 apart back to nearly the same hue. Ids are handed out
    in scan order (``segment_everything``, ``seed_from_labels``), so those are often
    the objects in the next row: a cell and the one under it looked the same
    (CIEDE2000 0.3). Saturation by id % 2 and value by id % 3 separate them: no two of
    the first 300 ids up to 40 apart are closer than 4.7 (2.3 is the smallest
    difference people see; ``tests/test_exports.py``). The darkest colours keep 65 %
    value, visible over a dark fluorescence image."""
    if label <= 0:
        return (0, 0, 0)
    h = (label * _GOLDEN) % 1.0
    r, g, b = colorsys.hsv_to_rgb(h, _SATURATION[label % 2], _VALUE[label % 3])
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
