"""New objects found while a propagation runs (``propagate(discover_every=N)``).

Every N-th frame the propagation yields (counted from 1, in the order yielded), the
session's :meth:`~.verbs.SessionDiscovery.find_new_objects` looks at that frame as
just produced; what it finds is seeded there (each a mask prompt on that frame,
so the object is tracked from where it appeared) before the frame is shown. Cells
entering the field and daughters of a division are the objects this is for: they
have no label yet, and a candidate a tracked label already covers is not new.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ...errors import CancelledError, PromptError
from .. import editing
from ..tracker import Tracker


def check_every(value: object) -> int | None:
    """``discover_every``: None or 0 (off), else a whole number of frames ≥ 1."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
        raise PromptError(
            f"discover_every must be a whole number of frames (0: off), got {value!r}"
        )
    return int(value) or None


@dataclass(frozen=True)
class Discovery:
    """Every ``every`` frames, ``find(frame)`` gives the new objects on it (a label
    image with ids not yet used, as :func:`.candidates.new_objects` makes them)."""

    every: int
    find: Callable[[int], np.ndarray]
    tracker: Tracker

    def due(self, ordinal: int) -> bool:
        return ordinal % self.every == 0

    def add(self, frame: int) -> list[int]:
        """Seed what ``find`` gives on ``frame`` (inside the propagation's step, under
        the session lock); the ids added, none when nothing is new."""
        try:
            found = self.find(frame)
        except CancelledError:  # the propagation was cancelled: it stops next
            return []
        if not found.any():
            return []
        return editing.seed(self.tracker, frame, found)
