"""Fetching checkpoints: resumable, with a progress bar, atomic, verified.

pooch does the bookkeeping (temporary file beside the target, hash check, atomic
move into place); the downloader below adds what pooch's own lacks for files of
hundreds of MB on flaky links: HTTP Range resume from a ``.part`` file that survives
an interrupted download, and a check that the byte count equals what the server
announced, so a truncated transfer is never mistaken for a checkpoint.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import platformdirs
import pooch
import requests
from tqdm.auto import tqdm

from ..errors import DownloadError, ModelError
from .registry import ModelSpec

ENV_MODEL_DIR = "SAM2_JUPYTER_MODEL_DIR"

# True: a tqdm bar; False: silent; a callable: called with (bytes done, total or None).
Progress = bool | Callable[[int, int | None], None]


def default_model_dir() -> Path:
    """Per-user cache folder for weights (``$SAM2_JUPYTER_MODEL_DIR`` overrides)."""
    env = os.environ.get(ENV_MODEL_DIR)
    return Path(env) if env else Path(platformdirs.user_cache_dir("sam2_jupyter")) / "models"


class ResumableDownloader:
    """A pooch downloader that resumes from ``part_path`` with HTTP Range requests."""

    def __init__(
        self,
        part_path: Path,
        progress: bool = True,
        timeout: float = 60.0,
        chunk_size: int = 1 << 16,
    ) -> None:
        self.part_path = part_path
        self.progress = progress
        self.timeout = timeout
        self.chunk_size = chunk_size

    def __call__(
        self, url: str, output_file: Any, pooch_obj: Any, check_only: bool = False
    ) -> bool | None:
        if check_only:
            resp = requests.head(url, timeout=self.timeout, allow_redirects=True)
            return resp.status_code == 200
        have = self.part_path.stat().st_size if self.part_path.exists() else 0
        headers = {"Range": f"bytes={have}-"} if have else {}
        with requests.get(url, headers=headers, stream=True, timeout=self.timeout) as resp:
            if resp.status_code == 416 and have:
                # Nothing left to send: the part file may already be whole. Its size is
                # checked against a fresh request below.
                total = _remote_size(url, self.timeout)
                if total != have:
                    self.part_path.unlink()
                    raise ModelError(
                        f"{url}: partial file did not match the server; discarded it, try again"
                    )
            else:
                resp.raise_for_status()
                if resp.status_code == 206:
                    total = _total_from_content_range(resp.headers.get("Content-Range"))
                    mode = "ab"
                else:  # 200: the server ignored Range; start over
                    have, mode = 0, "wb"
                    length = resp.headers.get("Content-Length")
                    total = int(length) if length is not None else None
                bar = tqdm(
                    total=total,
                    initial=have,
                    unit="B",
                    unit_scale=True,
                    desc=Path(url).name,
                    disable=not self.progress,
                )
                with bar, self.part_path.open(mode) as fh:
                    for chunk in resp.iter_content(self.chunk_size):
                        fh.write(chunk)
                        bar.update(len(chunk))
                have = self.part_path.stat().st_size
                if total is not None and have != total:
                    raise ModelError(
                        f"{url}: download stopped at {have} of {total} bytes; run again to resume"
                    )
        os.replace(self.part_path, output_file)
        return None


def _total_from_content_range(value: str | None) -> int | None:
    if not value or "/" not in value:
        return None
    total = value.rsplit("/", 1)[1]
    return int(total) if total.isdigit() else None


def _remote_size(url: str, timeout: float) -> int | None:
    resp = requests.head(url, timeout=timeout, allow_redirects=True)
    length = resp.headers.get("Content-Length")
    return int(length) if length is not None else None


def ensure_checkpoint(
    spec: ModelSpec,
    model_dir: str | Path | None = None,
    *,
    url: str | None = None,
    progress: bool = True,
) -> Path:
    """Return the local path of ``spec``'s checkpoint, downloading it if needed.

    The file appears under its final name only once complete (and hash-checked when
    the spec has a hash); an interrupted download leaves ``<name>.part`` and resumes
    from it next time.
    """
    folder = Path(model_dir).expanduser() if model_dir else default_model_dir()
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / spec.filename
    if target.exists() and spec.sha256 is None:
        return target
    known = f"sha256:{spec.sha256}" if spec.sha256 else None
    downloader = ResumableDownloader(folder / (spec.filename + ".part"), progress=progress)
    try:
        path = pooch.retrieve(
            url or spec.url,
            known_hash=known,
            fname=spec.filename,
            path=folder,
            downloader=downloader,
            progressbar=False,
        )
    except ModelError:
        raise
    except ValueError as exc:  # pooch: hash mismatch; the bad file is already deleted
        raise ModelError(
            f"{spec.filename}: downloaded file is corrupted ({exc}); it was discarded, run again"
        ) from exc
    except requests.RequestException as exc:
        reason = failure_reason(exc, url or spec.url)
        raise DownloadError(spec.label, spec.filename, str(folder), reason) from exc
    return Path(path)


def failure_reason(exc: requests.RequestException, url: str) -> str:
    """Why a request failed, in a few words: requests' own text repeats the URL
    and nests urllib3's retry and pool objects, which tell a user nothing."""
    host = urlsplit(url).hostname or url
    if isinstance(exc, requests.Timeout):
        return f"{host} did not answer in time"
    if isinstance(exc, requests.ConnectionError):  # no network, DNS, refused, a proxy
        return f"no connection to {host}"
    response = exc.response
    if response is not None:
        return f"{host} answered HTTP {response.status_code} for {url}"
    return f"{type(exc).__name__} from {host}"


def weights_path(
    spec: ModelSpec,
    checkpoint: str | Path | None,
    model_dir: str | Path | None,
    *,
    untrained: bool,
    url: str | None,
    progress: Progress,
) -> Path | None:
    """Where a model's weights come from: None for ``untrained``, the local
    ``checkpoint`` (which must exist), else the spec's download (made if needed)."""
    if untrained:
        return None
    if checkpoint is not None:
        path = Path(checkpoint).expanduser()
        if not path.is_file():
            raise ModelError(f"{path}: checkpoint file not found")
        return path
    return ensure_checkpoint(spec, model_dir, url=url, progress=progress)
