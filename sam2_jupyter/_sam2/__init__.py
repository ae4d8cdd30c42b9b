"""The sam2 adapter: everything this project knows of sam2's internals, in one package.

* :mod:`.patches` — the one idempotent :func:`install` of every patch, with the
  version gate;
* :mod:`.state` — the inference-state mirror (``init_state`` around our frames),
  its editable keys and what we read of its outputs;
* :mod:`.calls` — the private sam2 methods called;
* :mod:`.surface` — the names and signatures relied on, checked by
  ``tests/test_sam2_surface.py``;
* :mod:`.tracker` — :class:`Sam2Tracker`, sam2 behind the engine's tracker interface.

It imports nothing of the engine, so the engine and the model loader both build
on it.
"""

from .patches import PINNED, Sam2SurfaceError, Sam2VersionWarning, install
from .tracker import Sam2Tracker, tracker_for

__all__ = [
    "PINNED",
    "Sam2SurfaceError",
    "Sam2Tracker",
    "Sam2VersionWarning",
    "install",
    "tracker_for",
]
