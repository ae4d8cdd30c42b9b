"""Label images as TIFF files: the one place they are read and written.

Seeding from another tool's segmentation (Cellpose, StarDist), loading a label
volume for review, the label export and the Cell Tracking Challenge masks all go
through here, so a label file is read with one set of errors and written with one
layout. What the ids and shapes must be is the engine's to check
(:func:`~sam2_jupyter.engine.masks.check_label_image`): this module only moves
arrays in and out of files.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import tifffile

from ..errors import PromptError

LABEL_TIFF_DTYPE = np.uint16


def read_label_image(path: str | Path) -> np.ndarray:
    """A label TIFF (one image, or a (frames, Y, X) volume) as an array.

    Raises
    ------
    PromptError
        No such file, or not a TIFF that can be read.
    """
    path = Path(path).expanduser()
    if not path.is_file():
        raise PromptError(f"{path}: no such label file")
    try:
        return np.asarray(tifffile.imread(path))
    except (OSError, ValueError, tifffile.TiffFileError) as exc:
        raise PromptError(f"{path}: not a readable label TIFF ({exc})") from exc


def read_label_images(paths: Sequence[Path]) -> np.ndarray:
    """Label TIFFs of one size (a folder of frames) stacked into one array."""
    return np.stack([np.asarray(tifffile.imread(p)) for p in paths])


def write_label_volume(
    path: str | Path, frames: Iterable[np.ndarray], shape: tuple[int, ...], axes: str
) -> None:
    """(frames, Y, X) uint16 labels with ImageJ axes (``TYX`` or ``ZYX``), which
    Fiji, napari and scikit-image read as a label stack. ``frames`` is consumed one
    at a time, so the volume is never held in memory."""
    tifffile.imwrite(
        path, data=frames, shape=shape, dtype=LABEL_TIFF_DTYPE, imagej=True, metadata={"axes": axes}
    )


def write_label_image(path: str | Path, labels: np.ndarray) -> None:
    """One label image (or a small volume) as a zlib-compressed TIFF of its own
    dtype (uint16 for the Cell Tracking Challenge's masks)."""
    tifffile.imwrite(path, labels, compression="zlib")
