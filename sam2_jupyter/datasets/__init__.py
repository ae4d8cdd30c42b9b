"""Demo data worth looking at: real sample stacks fetched on first use, with offline stand-ins.

``load(name)`` returns an array ready for ``sj.Session`` / ``sj.Annotator``::

    import sam2_jupyter as sj
    frames = sj.datasets.load("fluo_timelapse")   # T, Y, X
    stack = sj.datasets.open_dataset("nuclei_3d")  # a Stack with axes ZYX

The first call downloads the file with pooch into a per-user cache folder
(``$SAM2_JUPYTER_DATA_DIR`` overrides it) and checks it against the SHA-256 its
publisher gave; later calls read the cached copy. See :data:`DATASETS` for the
sources, checksums and licences:

- ``fluo_timelapse``: Cell Tracking Challenge Fluo-N2DL-HeLa, HeLa H2b-GFP nuclei
  (CTC conditions of use: citation; permission for public use outside the challenge).
- ``nuclei_3d``: scikit-image's ``cells3d`` nuclei channel (Allen Institute for Cell
  Science; CC0 as stated in scikit-image issue 2513).
- ``natural_video``: generated here (no short natural video with a published
  checksum was found).

When the download cannot be used (no network, as in CI; a server error; a checksum
that differs), or with ``offline=True`` and nothing cached, ``load`` returns a
generated stack that looks like the real thing and warns with
:class:`DemoDataWarning` saying why, so a notebook always runs. ``offline=False``
raises :class:`DatasetError` instead. :func:`fetch` never falls back: it returns the
verified file's path or raises.
"""

from __future__ import annotations

import os
import shutil
import warnings
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import numpy as np

from ..errors import ModelError, Sam2JupyterError
from ._registry import DATASETS, Dataset
from ._synthetic import fluorescence_timelapse, nuclei_3d
from ._video import natural_video

if TYPE_CHECKING:
    from ..io import Stack

ENV_DATA_DIR = "SAM2_JUPYTER_DATA_DIR"


class DatasetError(Sam2JupyterError, RuntimeError):
    """A demo dataset is unknown, cannot be downloaded, or fails its checksum."""


class DemoDataWarning(UserWarning):
    """The real demo data could not be used; a generated stand-in was returned."""


def names() -> tuple[str, ...]:
    """The names :func:`load` accepts, in the order of :data:`DATASETS`."""
    return tuple(DATASETS)


def get(name: str) -> Dataset:
    """The :class:`Dataset` record (source, checksum, licence, axes) of ``name``."""
    try:
        return DATASETS[name]
    except KeyError:
        raise DatasetError(
            f"unknown dataset {name!r}; choose one of {', '.join(DATASETS)}"
        ) from None


def data_dir() -> Path:
    """The cache folder for demo data: ``$SAM2_JUPYTER_DATA_DIR``, else the per-user
    cache folder's ``data`` (kept apart from model weights, which are far larger)."""
    import platformdirs

    env = os.environ.get(ENV_DATA_DIR)
    return (
        Path(env).expanduser()
        if env
        else Path(platformdirs.user_cache_dir("sam2_jupyter")) / "data"
    )


class _Extract:
    """pooch processor: extract the archive members matching ``pattern`` next to it
    (``<name>.d/``) and return the folder holding them. Extraction goes through a
    temporary folder, so an interrupted one is redone rather than half-used."""

    def __init__(self, pattern: str) -> None:
        self.pattern = pattern

    def __call__(self, fname: str, action: str, pooch_obj: Any = None) -> str:
        archive = Path(fname)
        out = archive.with_name(archive.name + ".d")
        if action in ("download", "update") or not (out / ".complete").exists():
            tmp = out.with_name(out.name + ".tmp")
            shutil.rmtree(tmp, ignore_errors=True)
            with zipfile.ZipFile(archive) as zf:
                members = [m for m in zf.namelist() if Path(m).match(self.pattern)]
                if not members:
                    raise DatasetError(f"{archive.name}: no member matches {self.pattern!r}")
                for member in members:
                    zf.extract(member, tmp)
            (tmp / ".complete").touch()
            shutil.rmtree(out, ignore_errors=True)
            os.replace(tmp, out)
        found = sorted(out.glob(self.pattern))
        if not found:
            raise DatasetError(f"{out}: no extracted file matches {self.pattern!r}")
        return str(found[0].parent)


def fetch(name: str, *, progress: bool = True) -> Path:
    """Download ``name`` once into :func:`data_dir`, verify it, return its path.

    Parameters
    ----------
    name
        One of :func:`names` that has a URL.
    progress
        Show a progress bar while downloading.

    Returns
    -------
    pathlib.Path
        The verified file, or for an archive the extracted folder that
        :attr:`Dataset.members` selects (e.g. a folder of frames ``sj.open_stack``
        reads).

    Raises
    ------
    DatasetError
        For generated-only data, a failed download (the message says why), or a file
        whose SHA-256 differs from the published one (the file is discarded).
    """
    import pooch
    import requests

    from ..models.download import ResumableDownloader

    ds = get(name)
    if ds.url is None or ds.sha256 is None:
        raise DatasetError(f"{name}: generated here, there is no file to fetch; use load()")
    folder = data_dir()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        downloader = ResumableDownloader(folder / (ds.fname + ".part"), progress=progress)
        path = pooch.retrieve(
            ds.url,
            known_hash=f"sha256:{ds.sha256}",
            fname=ds.fname,
            path=folder,
            downloader=downloader,
            processor=_Extract(ds.members) if ds.members else None,
            progressbar=False,
        )
        return Path(path)
    except DatasetError:
        raise
    except ValueError as exc:
        if "hash" not in str(exc).lower():
            raise DatasetError(f"{name}: cannot download {ds.url}: {exc}") from exc
        # pooch has already deleted the file that failed the check.
        raise DatasetError(
            f"{name}: the download from {ds.url} does not match its published SHA-256 "
            f"and was discarded ({exc})"
        ) from exc
    except requests.ConnectionError as exc:
        host = urlsplit(ds.url).netloc
        raise DatasetError(f"{name}: cannot download {ds.url}: no connection to {host}") from exc
    except (requests.RequestException, ModelError, OSError, zipfile.BadZipFile) as exc:
        raise DatasetError(f"{name}: cannot download {ds.url}: {exc}") from exc


def _cached(ds: Dataset) -> Path | None:
    """The verified cached copy of ``ds``, without touching the network, or None."""
    import pooch

    path = data_dir() / ds.fname
    if not ds.fname or ds.sha256 is None or not path.is_file():
        return None
    if pooch.file_hash(str(path)) != ds.sha256:
        return None
    try:
        return Path(_Extract(ds.members)(str(path), "fetch")) if ds.members else path
    except (OSError, zipfile.BadZipFile, DatasetError):
        return None


def _fall_back(ds: Dataset, reason: str) -> np.ndarray:
    data = ds.fallback()
    warnings.warn(
        f"{ds.name}: using a generated stand-in {data.shape} {data.dtype} instead of the "
        f"real data, because {reason}. Once downloaded, the real data is kept in "
        f"{data_dir()} (${ENV_DATA_DIR} sets that folder).",
        DemoDataWarning,
        stacklevel=3,
    )
    return data


def load(name: str, *, offline: bool | None = None, progress: bool = True) -> np.ndarray:
    """A demo dataset as an array ready for ``sj.Session`` / ``sj.Annotator``.

    Parameters
    ----------
    name
        One of :func:`names`.
    offline
        ``None`` (default): use the cached copy or download it; if that fails, warn
        (:class:`DemoDataWarning`, with the reason) and return the generated
        stand-in. ``True``: never use the network; the cached copy if there is a
        verified one, else the stand-in (with a warning). ``False``: the real data
        or :class:`DatasetError`.
    progress
        Show a progress bar while downloading.

    Returns
    -------
    numpy.ndarray
        Axes as in ``DATASETS[name].axes`` (pass them to ``sj.open_stack``, or use
        :func:`open_dataset`). Stand-ins are seeded: the same every time.

    Raises
    ------
    DatasetError
        Unknown ``name``, or ``offline=False`` and the real data cannot be had.
    """
    ds = get(name)
    if ds.url is None or ds.reader is None:
        return ds.fallback()  # generated by design: nothing to warn about
    if offline:
        cached = _cached(ds)
        if cached is None:
            return _fall_back(ds, "offline=True and no verified copy is cached")
        return ds.reader(cached)
    try:
        return ds.reader(fetch(name, progress=progress))
    except (DatasetError, OSError, ValueError) as exc:
        if offline is False:
            if isinstance(exc, DatasetError):
                raise
            raise DatasetError(f"{name}: cannot read the downloaded data: {exc}") from exc
        return _fall_back(ds, str(exc).removeprefix(f"{name}: "))


def open_dataset(name: str, *, offline: bool | None = None, **kwargs: Any) -> Stack:
    """:func:`load` ``name`` and open it as an ``sj.Stack`` with its axes (so a Z-stack
    propagates along Z); ``kwargs`` go to ``sj.open_stack``."""
    from ..io import open_stack

    return open_stack(load(name, offline=offline), axes=get(name).axes, **kwargs)


__all__ = [
    "DATASETS",
    "ENV_DATA_DIR",
    "Dataset",
    "DatasetError",
    "DemoDataWarning",
    "data_dir",
    "fetch",
    "fluorescence_timelapse",
    "get",
    "load",
    "names",
    "natural_video",
    "nuclei_3d",
    "open_dataset",
]
