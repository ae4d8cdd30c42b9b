"""Editing masks from the canvas: a brush or eraser stroke (one message per stroke,
its polyline in one binary buffer), a flood fill, and divisions.

The kernel rasterises the stroke at image resolution (every pixel whose centre lies
within the radius of the polyline, as the browser drew it), applies it through the
engine (``track``: the fix becomes the label's mask prompt; otherwise manual pixels
SAM2 does not see) and answers with the frame's new labels, like any edit. The
eraser removes the current label's pixels only.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

import numpy as np

from .._words import plural
from ..engine.masks import rasterise_stroke
from ..errors import PromptError
from .context import Context
from .messages import Fill, SetParent, Stroke
from .prompting import submit_edit


def stroke_points(data: bytes) -> np.ndarray:
    """The stroke's (n, 2) points (x, y) from little-endian float32 pairs."""
    if not data or len(data) % 8:
        raise PromptError(f"a stroke's points take 8 bytes each, got {plural(len(data), 'byte')}")
    return np.frombuffer(data, "<f4").reshape(-1, 2).astype(np.float64)


def handlers(ctx: Context) -> dict[type, Callable[[Any], Any]]:
    def stroke(m: Stroke) -> Future[Any]:
        def edit(session: Any) -> Any:
            mask = rasterise_stroke(stroke_points(m.data), m.radius, session.frame_shape)
            if not mask.any():
                raise PromptError("the stroke is outside the image")
            return session.paint(m.frame, mask, m.label, erase=m.erase, track=m.track)

        return submit_edit(ctx, edit, m.frame)

    def fill(m: Fill) -> Future[Any]:
        return submit_edit(
            ctx, lambda s: s.fill(m.frame, m.y, m.x, m.label, track=m.track), m.frame
        )

    def parent(m: SetParent) -> Future[Any]:
        mother = m.mother or None  # 0 clears
        return submit_edit(ctx, lambda s: s.set_parent(m.daughter, mother))

    return {Stroke: stroke, Fill: fill, SetParent: parent}
