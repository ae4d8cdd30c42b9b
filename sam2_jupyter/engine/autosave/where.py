"""Where a session's save goes, and which data it was made for.

A save is found again by where it is (beside the data file, or a per-user folder
named after the data's digest) and checked by what it was made for (a
fingerprint), so that work is never resumed onto other data.
"""

from __future__ import annotations

import hashlib
import os
import site
import sys
from pathlib import Path
from typing import Any

import numpy as np
import platformdirs

from ...io import Stack

# What must agree for a resume (the name may differ: files get moved).
SAME_SOURCE = ("shape", "dtype", "axes", "prop_axis", "other_index", "digest")
ENV_SESSION_DIR = "SAM2_JUPYTER_SESSION_DIR"


def fingerprint(stack: Stack) -> dict[str, Any]:
    """What identifies the data: geometry and a digest of a few raw frames (every
    channel: the channels shown are a view, not other data).

    A resume onto data of another shape, or whose sampled frames changed, is
    refused; cheap enough to compute on every open (five frames are read)."""
    h = hashlib.blake2b(digest_size=16)
    n = stack.n_frames
    for t in sorted({0, n // 4, n // 2, (3 * n) // 4, n - 1}):
        h.update(np.ascontiguousarray(stack.data_frame(t)).tobytes())
    return {
        "name": stack.name,
        "shape": list(stack.shape),
        "dtype": str(stack.dtype),
        "axes": stack.axes,
        "prop_axis": stack.prop_axis,
        "other_index": stack.other_index,
        "n_frames": n,
        "frame_shape": list(stack.frame_shape),
        "digest": h.hexdigest(),
    }


def _installed(path: Path) -> bool:
    """Inside the interpreter's prefix (site-packages, sample data shipped with a
    package): never a place to write a user's work, even when writable."""
    prefixes = {sys.prefix, sys.base_prefix, sys.exec_prefix, *site.getsitepackages()}
    resolved = path.resolve()
    return any(resolved.is_relative_to(Path(p).resolve()) for p in prefixes if p)


def default_folder(stack: Stack) -> Path:
    """Beside the data file (``movie.tif`` → ``movie.tif.sam2``) when that folder is
    writable and not inside an installed package or the interpreter's prefix;
    otherwise, and for in-memory arrays, a per-user folder named after the data's
    digest (``$SAM2_JUPYTER_SESSION_DIR`` overrides its root)."""
    sub = f"{stack.other_axis}{stack.other_index}" if stack.other_axis else None
    path = Path(stack.path) if stack.path else None
    beside = path is not None and os.access(path.parent, os.W_OK) and not _installed(path)
    if beside:
        folder = path.parent / f"{path.name}.sam2"
    else:
        env = os.environ.get(ENV_SESSION_DIR)
        root = Path(env) if env else Path(platformdirs.user_data_dir("sam2_jupyter")) / "sessions"
        stem = (path.name if path else "array").replace(os.sep, "_")[:60]
        folder = root / f"{stem}-{fingerprint(stack)['digest'][:12]}"
    return folder / sub if sub else folder
