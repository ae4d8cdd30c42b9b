"""An mp4 of the frames with labels blended on top, for slides and reviews."""

from __future__ import annotations

from pathlib import Path

import imageio_ffmpeg
import numpy as np

from .._atomic import atomic_path
from .._compat import positional_flags
from .colors import blend
from .protocol import LabelSource


@positional_flags("opacity", "fps", "overwrite")
def write_overlay_mp4(
    source: LabelSource,
    path: str | Path,
    *,
    opacity: float = 0.5,
    fps: float = 10,
    overwrite: bool = False,
) -> Path:
    """H.264 mp4 (yuv420p, plays everywhere); odd sizes are padded by one pixel."""
    if not 0.0 <= float(opacity) <= 1.0:
        raise ValueError(f"opacity must be within 0..1, got {opacity}")
    if not float(fps) > 0:
        raise ValueError(f"fps must be positive, got {fps}")
    h, w = source.frame_shape
    ph, pw = h + h % 2, w + w % 2
    with atomic_path(path, overwrite) as tmp:
        writer = imageio_ffmpeg.write_frames(
            str(tmp),
            (pw, ph),
            fps=float(fps),
            codec="libx264",
            pix_fmt_out="yuv420p",
            macro_block_size=1,
            quality=8,
            ffmpeg_log_level="error",
        )
        writer.send(None)
        try:
            for t in range(source.n_frames):
                frame = blend(source.image_frame(t), source.label_frame(t), float(opacity))
                if (ph, pw) != (h, w):
                    frame = np.pad(frame, ((0, ph - h), (0, pw - w), (0, 0)), mode="edge")
                writer.send(np.ascontiguousarray(frame))
        finally:
            writer.close()
    return Path(path)
