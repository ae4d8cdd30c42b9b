"""The demo datasets: where each comes from, its checksum, licence and stand-in.

Only files whose URL and SHA-256 were published by a third party are listed with a
URL, so a download can be verified against a checksum this project did not make
up; the comment above each entry says where both were published. A dataset without
such a file (``url=None``) is generated here and says so.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ._synthetic import fluorescence_timelapse, nuclei_3d
from ._video import natural_video


@dataclass(frozen=True)
class Dataset:
    """One demo dataset.

    Attributes
    ----------
    name
        The key of :data:`DATASETS`.
    description
        What the data shows and which part of the file :func:`load` returns.
    url
        Where the file is downloaded from; ``None`` for data generated here.
    sha256
        The published SHA-256 of the file at ``url``; a download that differs is
        discarded.
    licence
        The terms under which the data may be used, as its providers state them.
    source
        Who made the data and where the URL and checksum were published.
    axes
        Axis letters of the array :func:`load` returns (``sj.open_stack`` axes).
    fallback
        Makes the generated stand-in (seeded, same axes) used when the file cannot
        be fetched, so a notebook runs without network.
    fname
        File name in the cache folder.
    members
        For a ZIP archive: a glob pattern of the members to extract; :func:`fetch`
        then returns the folder that holds them.
    reader
        Turns the fetched path into the array :func:`load` returns.
    """

    name: str
    description: str
    url: str | None
    sha256: str | None
    licence: str
    source: str
    axes: str
    fallback: Callable[[], np.ndarray] = field(repr=False)
    fname: str = ""
    members: str | None = None
    reader: Callable[[Path], np.ndarray] | None = field(default=None, repr=False)


def read_tiff(path: Path) -> np.ndarray:
    """The whole TIFF as an array."""
    import tifffile

    return np.asarray(tifffile.imread(path))


def read_cells3d(path: Path) -> np.ndarray:
    """The nuclei channel (1) of ``cells3d.tif`` (Z, C, Y, X): a ZYX stack."""
    data = read_tiff(path)
    return np.ascontiguousarray(data[:, 1]) if data.ndim == 4 else data


def read_frames(folder: Path) -> np.ndarray:
    """A Cell Tracking Challenge sequence folder (``t000.tif``, ``t001.tif``, ...) as TYX."""
    import tifffile

    files = sorted(Path(folder).glob("t*.tif"))
    if not files:
        raise FileNotFoundError(f"no t*.tif frames in {folder}")
    return np.stack([np.asarray(tifffile.imread(f)) for f in files])


DATASETS: dict[str, Dataset] = {
    # URL and SHA-256: torch-em, torch_em/data/datasets/light_microscopy/ctc.py
    # (CTC_CHECKSUMS["train"]["Fluo-N2DL-HeLa"], the URL built by
    # _get_ctc_url_and_checksum), github.com/constantinpape/torch-em. Conditions of use:
    # celltrackingchallenge.net/datasets ("Conditions of use of the images").
    "fluo_timelapse": Dataset(
        name="fluo_timelapse",
        description=(
            "2D+t widefield fluorescence time-lapse of HeLa cells expressing H2b-GFP "
            "(nuclei that move, divide and leave the field), Cell Tracking Challenge "
            "training dataset Fluo-N2DL-HeLa; load() returns sequence 01 as TYX uint16"
        ),
        url="http://data.celltrackingchallenge.net/training-datasets/Fluo-N2DL-HeLa.zip",
        sha256="35dd99d58e071aba0b03880128d920bd1c063783cc280f9531fbdc5be614c82e",
        licence=(
            "Cell Tracking Challenge conditions of use: cite Ulman et al., Nature Methods "
            "14:1141 (2017) and acknowledge the challenge; public scientific use outside "
            "the challenge needs the data providers' permission, commercial use the "
            "organisers' and providers' permission. Data provider: Mitocheck consortium "
            "(Neumann et al., Nature, 2010)."
        ),
        source="Cell Tracking Challenge (celltrackingchallenge.net); checksum from torch-em",
        axes="TYX",
        fname="Fluo-N2DL-HeLa.zip",
        members="*/01/t*.tif",
        reader=read_frames,
        fallback=fluorescence_timelapse,
    ),
    # URL and SHA-256: scikit-image, skimage/data/_registry.py (registry and
    # registry_urls, key "data/cells3d.tif"), as shipped in scikit-image 0.26.
    # Licence: CC0, as stated in github.com/scikit-image/scikit-image/issues/2513 (2018)
    # when the image was proposed for skimage.data; scikit-image/data's README listed it
    # as "Unknown" (issue 6181, 2022), so the statement in 2513 is the one found.
    "nuclei_3d": Dataset(
        name="nuclei_3d",
        description=(
            "3D fluorescence stack of a monolayer of cells, membranes and nuclei "
            "(60 × 2 × 256 × 256 ZCYX uint16, voxel 0.29 × 0.26 × 0.26 µm), "
            "scikit-image's cells3d; load() returns the nuclei channel as ZYX"
        ),
        url=(
            "https://gitlab.com/scikit-image/data/-/raw/"
            "2cdc5ce89b334d28f06a58c9f0ca21aa6992a5ba/cells3d.tif"
        ),
        sha256="afc7c7d80d38bfde09788b4064ac1e64ec14e88454ab785ebdc8dbba5ca3b222",
        licence=(
            "CC0, as stated in scikit-image issue 2513; scikit-image/data's README lists "
            "the licence as Unknown"
        ),
        source="Allen Institute for Cell Science, via scikit-image's data registry",
        axes="ZYX",
        fname="cells3d.tif",
        reader=read_cells3d,
        fallback=nuclei_3d,
    ),
    # No short natural video with a published checksum was found (imageio's standard
    # images, e.g. cockatoo.mp4, have none), so this one is always generated.
    "natural_video": Dataset(
        name="natural_video",
        description=(
            "generated: a panning meadow scene with a bouncing red ball, a blue cart, a "
            "green ball it passes in front of, and a kite (40 × 256 × 256 × 3 TYXC uint8)"
        ),
        url=None,
        sha256=None,
        licence="generated by this package (no third-party data)",
        source="sam2_jupyter.datasets.natural_video",
        axes="TYXC",
        fallback=natural_video,
    ),
}
