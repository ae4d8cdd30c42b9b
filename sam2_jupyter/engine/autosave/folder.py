"""Continuous, incremental, atomic saving of a Session's work, and resuming it.

Annotation is hours of human work; a kernel can die at any moment (out of memory,
a restart, a closed laptop). The session folder therefore always holds the last
state that was shown, one codec per kind of state (:mod:`.codecs`):

* ``labels/<frame>.zlib``: one file per labelled frame, exactly the compressed
  bytes the Session keeps in memory, so a click or a propagated frame rewrites one
  small file, never the volume;
* ``prompts.json``: every prompt with its grouping, so SAM2's prompt state can be
  rebuilt exactly as it was sent;
* ``quality/<frame>.npy``: what SAM2 said of each label on each produced frame
  (its presence score, area, centroid), written with the frame's labels;
* ``hand.json``: pixels painted or erased by hand that SAM2 does not see, labels
  that exist as pixels only, and divisions (see :class:`.codecs.HandCodec`);
* ``sam2/``: SAM2's own prompt state (conditioning outputs, inputs, tracked
  frames), so that corrections made on tracked frames come back exactly (see
  :mod:`.sam2_state`);
* ``session.json``: what the data was (to refuse resuming onto other data), the
  frame and label in view, and when it was saved.

Every file is written to a temporary name and renamed into place, so a kill during
a write leaves the previous version, never a torn file. A killed propagation loses
at most the frame being computed.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import os
import shutil
import site
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import platformdirs

from ..._atomic import write_atomic
from ..._words import plural
from ...errors import AutosaveError
from ...io import Stack
from ..core import Snapshot
from ..prompts import Prompt
from .codecs import HandCodec, LabelsCodec, PromptsCodec, QualityCodec
from .sam2_state import Sam2Codec, SavedTracker

FORMAT = 1
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


@dataclass
class SavedSession:
    """What a session folder holds, read back."""

    folder: Path
    source: dict[str, Any]
    prompts: list[Prompt]
    pending: list[Prompt]
    labels: dict[int, bytes]
    quality: dict[int, np.ndarray] = field(default_factory=dict)
    manual: dict[tuple[int, int], Any] = field(default_factory=dict)
    drawn: frozenset[int] = frozenset()
    parents: dict[int, int] = field(default_factory=dict)
    view: dict[str, int] = field(default_factory=dict)
    saved_at: str = ""
    problems: list[str] = field(default_factory=list)
    model: str = ""  # which model made the labels
    tracker: SavedTracker | None = None  # SAM2's prompt state, when it matches
    tracker_problem: str | None = None  # why sam2/ exists but cannot be used
    prompts_bytes: bytes = b""

    def summary(self) -> str:
        when = self.saved_at.replace("T", " ")[:19] or "unknown time"
        return (
            f"{plural(len(self.prompts) + len(self.pending), 'prompt')}, "
            f"{plural(len(self.labels), 'labelled frame')}, saved {when}"
        )


class Autosave:
    """Keeps one session folder in step with a Session.

    The Session calls :meth:`sync` after every committed change and
    :meth:`write_frame` for every propagated frame; each codec writes only what
    changed. Failures (a full disk, a revoked permission) are kept in :attr:`error`
    and never interrupt the user's work, which stays in memory.
    """

    def __init__(self, folder: str | Path, source: dict[str, Any], model: str = "") -> None:
        self.folder = Path(folder).expanduser()
        self.source = source
        self.model = model
        self.error: str | None = None
        self._view: dict[str, int] = {}
        self.labels = LabelsCodec(self.folder)
        self.quality = QualityCodec(self.folder)
        self.hand = HandCodec(self.folder)
        self.prompts = PromptsCodec(self.folder)
        self.sam2 = Sam2Codec(self.folder)
        # Written in this order: the SAM2 state names the prompts it belongs to.
        self.codecs = (self.labels, self.quality, self.hand, self.sam2, self.prompts)
        # The worker saves edits while the notebook thread saves the view.
        self._lock = threading.RLock()
        try:
            (self.folder / "labels").mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise AutosaveError(f"{self.folder}: cannot create the session folder ({exc})") from exc
        # A kill during a write leaves its temporary file; the real one is intact.
        for stale in self.folder.glob("**/.*.tmp"):
            stale.unlink(missing_ok=True)

    # -- reading ----------------------------------------------------------------
    @staticmethod
    def read(folder: str | Path, frame_shape: tuple[int, int]) -> SavedSession | None:
        """The saved session in ``folder``, or None if there is none.

        A damaged label file is skipped and named in ``problems``; an unreadable
        ``prompts.json`` raises :class:`AutosaveError`, because resuming without the
        prompts would silently lose them."""
        folder = Path(folder).expanduser()
        meta_path = folder / "session.json"
        if not meta_path.is_file():
            return None
        try:
            meta = json.loads(meta_path.read_text())
        except (OSError, ValueError) as exc:
            raise AutosaveError(f"{folder}: saved session is unreadable ({exc})") from exc
        values = PromptsCodec(folder).read()
        values |= LabelsCodec(folder).read(frame_shape)
        quality = QualityCodec(folder).read()
        values["problems"] += quality.pop("problems")
        values |= quality
        values |= HandCodec(folder).read()
        values |= Sam2Codec(folder).read(values["prompts_bytes"])
        return SavedSession(
            folder,
            meta.get("source", {}),
            view=meta.get("view", {}),
            saved_at=meta.get("saved_at", ""),
            model=meta.get("model", ""),
            **values,
        )

    @staticmethod
    def set_aside(folder: str | Path) -> Path:
        """Move a session folder out of the way (never deleted): ``name.old-<time>``."""
        folder = Path(folder).expanduser()
        stamp = _dt.datetime.now().strftime("%Y%m%d-%H%M%S-%f")
        target = folder.with_name(f"{folder.name}.old-{stamp}")
        shutil.move(str(folder), str(target))
        return target

    # -- writing ----------------------------------------------------------------
    def _guard(self, fn: Any, *args: Any) -> bool:
        try:
            with self._lock:
                fn(*args)
        except OSError as exc:
            self.error = f"autosave to {self.folder} failed: {exc}"
            return False
        return True

    def write_frame(self, t: int, blob: bytes | None, quality: np.ndarray | None = None) -> None:
        """One propagated frame's labels (None: the frame is empty now) and quality."""
        ok = self._guard(self.labels.write_frame, t, blob)
        if ok and self._guard(self.quality.write_frame, t, quality):
            self.error = None

    def sync(self, snap: Snapshot) -> None:
        """Every codec writes what differs from its last write."""
        ok = all([self._guard(codec.write, snap) for codec in self.codecs])
        if ok and self._write_meta():
            self.error = None

    def set_view(self, frame: int, label: int) -> None:
        """Remember the frame and label in view (restored on resume)."""
        view = {"frame": int(frame), "label": int(label)}
        if view != self._view:
            self._view = view
            self._write_meta()

    def _write_meta(self) -> bool:
        meta = {
            "format": FORMAT,
            "source": self.source,
            "model": self.model,
            "view": self._view,
            "saved_at": _dt.datetime.now().isoformat(timespec="seconds"),
        }
        data = json.dumps(meta, indent=1).encode()
        return self._guard(write_atomic, self.folder / "session.json", data)

    def adopt(self, saved: SavedSession, live: dict[str, Any] | None, constants: Any) -> None:
        """After a resume: what is on disk already matches memory."""
        self.labels.adopt(saved.labels)
        self.quality.adopt(saved.quality)
        self.prompts.adopt(saved.prompts_bytes)
        if live is not None and saved.tracker is not None:
            self.sam2.adopt(saved.tracker.files, live, constants)
        self._view = dict(saved.view)
