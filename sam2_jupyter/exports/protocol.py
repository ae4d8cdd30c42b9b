"""What an exporter needs from a session: labels per frame, the source data per frame
and the displayed image.

Exporters depend on this small protocol, not on the engine, so they can also write
results that never came from a Session (batch jobs, tests).
"""

from __future__ import annotations

from typing import Protocol

import numpy as np


class LabelSource(Protocol):
    n_frames: int
    frame_axis: str  # "T" or "Z": what the frame index means
    frame_shape: tuple[int, int]

    def label_frame(self, t: int) -> np.ndarray: ...

    def data_frame(self, t: int) -> np.ndarray:
        """Frame ``t`` as stored, (Y, X) or (Y, X, C) with every channel: what an
        image export holds, so intensities measured from it are the data's."""
        ...

    def image_frame(self, t: int) -> np.ndarray:
        """Frame ``t`` as shown, uint8 RGB (Y, X, 3): only for exports that are
        pictures (the overlay video)."""
        ...
