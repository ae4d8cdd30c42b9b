"""Writing files completely or not at all, for autosave, prompts and every export.

A temporary file (or folder) beside the target, renamed into place when complete:
a crash or an error mid-write leaves the previous version (or nothing), never a
truncated file that looks finished.

``mkstemp`` and ``mkdtemp`` make their files 0o600 and folders 0o700, a mode that
would survive the rename: every export and autosave would be readable by its owner
only. Each temporary gets the mode a plain ``open`` or ``mkdir`` would have given it
under the process's umask, so results can be shared as the user's setup intends.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

_UMASK_LOCK = threading.Lock()


def current_umask() -> int:
    """The process's umask, without changing it where the platform tells.

    ``os.umask`` only reads the mask by setting another, which is racy: a thread
    creating a file meanwhile would get the wrong mode. Linux shows the mask in
    ``/proc/self/status``; elsewhere the set-and-restore runs under a lock (which
    protects only threads of this module).
    """
    try:
        with open("/proc/self/status", encoding="ascii", errors="replace") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    with _UMASK_LOCK:
        mask = os.umask(0o077)
        os.umask(mask)
    return mask


def _share_file(fd: int) -> None:
    """A mkstemp file's mode as ``open`` would have made it (0o666 less the umask)."""
    if hasattr(os, "fchmod"):  # not on Windows, where modes do not apply
        os.fchmod(fd, 0o666 & ~current_umask())


def _share_dir(path: Path) -> None:
    """A mkdtemp folder's mode as ``mkdir`` would have made it (0o777 less the umask)."""
    os.chmod(path, 0o777 & ~current_umask())


def write_atomic(path: Path, data: bytes) -> None:
    """``data`` at ``path``, complete or not at all (temporary file + rename)."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            _share_file(f.fileno())
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


@contextlib.contextmanager
def atomic_path(path: str | Path, overwrite: bool = False) -> Iterator[Path]:
    """Yield a temporary path with the target's suffix; move it to ``path`` on success."""
    target = Path(path).expanduser()
    if target.is_dir():
        raise IsADirectoryError(f"{target} is a folder; give a file name")
    if target.exists() and not overwrite:
        raise FileExistsError(f"{target} exists; pass overwrite=True to replace it")
    if not target.parent.exists():
        raise FileNotFoundError(f"folder {target.parent} does not exist")
    fd, tmp_name = tempfile.mkstemp(
        prefix=f".{target.stem}.", suffix=f".tmp{target.suffix}", dir=target.parent
    )
    tmp = Path(tmp_name)
    try:
        try:
            _share_file(fd)
        finally:
            os.close(fd)
        yield tmp
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


@contextlib.contextmanager
def atomic_dir(path: str | Path, overwrite: bool = False) -> Iterator[Path]:
    """Yield a temporary folder beside ``path``; it becomes ``path`` on success.

    For results made of many files (a Cell Tracking Challenge folder, a Zarr
    store): readers never see half of them. An existing ``path`` is replaced only
    with ``overwrite=True``, and only once the new one is complete.
    """
    target = Path(path).expanduser()
    if target.exists() and not overwrite:
        raise FileExistsError(f"{target} exists; pass overwrite=True to replace it")
    if not target.parent.exists():
        raise FileNotFoundError(f"folder {target.parent} does not exist")
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))
    try:
        _share_dir(tmp)
        yield tmp
        if target.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".old", dir=tmp.parent))
            os.replace(target, old / "x")
            os.replace(tmp, target)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, target)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
