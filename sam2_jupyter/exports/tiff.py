"""Label volumes as ImageJ-compatible uint16 TIFF."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .._atomic import atomic_path
from .._compat import positional_flags
from ..io.label_images import write_label_volume
from .protocol import LabelSource


@positional_flags("overwrite")
def write_label_tiff(source: LabelSource, path: str | Path, *, overwrite: bool = False) -> Path:
    """Write (frames, Y, X) uint16 labels with ImageJ axes (TYX or ZYX).

    Frames are streamed one at a time, so the volume is never held in memory.
    """
    axes = f"{source.frame_axis}YX"
    shape = (source.n_frames, *source.frame_shape)
    frames = (source.label_frame(t).astype(np.uint16, copy=False) for t in range(source.n_frames))
    with atomic_path(path, overwrite) as tmp:
        write_label_volume(tmp, frames, shape, axes)
    return Path(path)
