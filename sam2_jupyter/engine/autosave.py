"""Continuous, incremental, atomic saving of a Session's work, and resuming it.

Annotation is hours of human work; a kernel can die at any moment (out of memory,
a restart, a closed laptop). The session folder therefore always holds the last
state that was shown:

* ``labels/<frame>.zlib``: one file per labelled frame, exactly the compressed
  bytes the Session keeps in memory, so a click or a propagated frame rewrites one
  small file, never the volume;
* ``prompts.json``: every prompt with its grouping, so SAM2's prompt state can be
  rebuilt exactly as it was sent;
* ``sam2/``: SAM2's own prompt state (conditioning outputs, inputs, tracked
  frames), so that corrections made on tracked frames come back exactly (see
  :mod:`.tracker_save`);
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
import threading
import zlib
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import platformdirs

from .._atomic import write_atomic
from ..errors import AutosaveError
from ..io import Stack
from .labels import LABEL_DTYPE
from .prompts import Prompt
from .state import Base
from .tracker_save import (
    SavedTracker,
    TrackerError,
    TrackerWriter,
    prompts_digest,
    read_tracker,
)

FORMAT = 1
# What must agree for a resume (the name may differ: files get moved).
SAME_SOURCE = ("shape", "dtype", "axes", "prop_axis", "other_index", "digest")
ENV_SESSION_DIR = "SAM2_JUPYTER_SESSION_DIR"


def fingerprint(stack: Stack) -> dict[str, Any]:
    """What identifies the data: geometry and a digest of a few raw frames.

    A resume onto data of another shape, or whose sampled frames changed, is
    refused; cheap enough to compute on every open (five frames are read)."""
    h = hashlib.blake2b(digest_size=16)
    n = stack.n_frames
    for t in sorted({0, n // 4, n // 2, (3 * n) // 4, n - 1}):
        h.update(np.ascontiguousarray(stack.raw_frame(t)).tobytes())
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


def default_folder(stack: Stack) -> Path:
    """Beside the data file (``movie.tif`` → ``movie.tif.sam2``) when that folder is
    writable; otherwise, and for in-memory arrays, a per-user folder named after
    the data's digest (``$SAM2_JUPYTER_SESSION_DIR`` overrides its root)."""
    sub = f"{stack.other_axis}{stack.other_index}" if stack.other_axis else None
    path = Path(stack.path) if stack.path else None
    if path is not None and os.access(path.parent, os.W_OK):
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
    view: dict[str, int] = field(default_factory=dict)
    saved_at: str = ""
    problems: list[str] = field(default_factory=list)
    model: str = ""  # which model made the labels
    tracker: SavedTracker | None = None  # SAM2's prompt state, when it matches
    tracker_problem: str | None = None  # why sam2/ exists but cannot be used

    def summary(self) -> str:
        when = self.saved_at.replace("T", " ")[:19] or "unknown time"
        return (
            f"{len(self.prompts) + len(self.pending)} prompts, "
            f"{len(self.labels)} labelled frames, saved {when}"
        )


def _prompt_dicts(prompts: list[Prompt]) -> list[dict[str, Any]]:
    # NaN is not JSON: unused coordinates are written as null.
    return [
        {k: (None if isinstance(v, float) and v != v else v) for k, v in asdict(p).items()}
        for p in prompts
    ]


def _prompts_from(items: list[dict[str, Any]]) -> list[Prompt]:
    nan = float("nan")
    return [Prompt(**{k: (nan if v is None else v) for k, v in d.items()}) for d in items]


class Autosave:
    """Keeps one session folder in step with a Session.

    The Session calls :meth:`sync` after every edit and :meth:`write_frame` for
    every propagated frame; only what changed since the last write is written.
    Failures (a full disk, a revoked permission) are kept in :attr:`error` and never
    interrupt the user's work, which stays in memory.
    """

    def __init__(self, folder: str | Path, source: dict[str, Any], model: str = "") -> None:
        self.folder = Path(folder).expanduser()
        self.source = source
        self.model = model
        self.error: str | None = None
        self._written: dict[int, bytes] = {}
        self._prompts: list[dict[str, Any]] | None = None
        self._view: dict[str, int] = {}
        self.tracker = TrackerWriter(self.folder)
        # The worker saves edits while the notebook thread saves the view.
        self._lock = threading.RLock()
        try:
            (self.folder / "labels").mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise AutosaveError(f"{self.folder}: cannot create the session folder ({exc})") from exc
        # A kill during a write leaves its temporary file; the real one is intact.
        for stale in [*self.folder.glob(".*.tmp"), *self.folder.glob("labels/.*.tmp")]:
            stale.unlink(missing_ok=True)

    # -- reading ----------------------------------------------------------------
    @staticmethod
    def read(folder: str | Path, frame_shape: tuple[int, int]) -> SavedSession | None:
        """The saved session in ``folder``, or None if there is none.

        A damaged label file (not a label frame of this size) is skipped and named
        in ``problems``; an unreadable ``prompts.json`` raises, because resuming
        without the prompts would silently lose them."""
        folder = Path(folder).expanduser()
        meta_path = folder / "session.json"
        if not meta_path.is_file():
            return None
        try:
            meta = json.loads(meta_path.read_text())
            prompts_bytes = (folder / "prompts.json").read_bytes()
            prompts_raw = json.loads(prompts_bytes)
            prompts = _prompts_from(prompts_raw.get("prompts", []))
            pending = _prompts_from(prompts_raw.get("pending", []))
        except (OSError, ValueError, TypeError) as exc:
            raise AutosaveError(f"{folder}: saved session is unreadable ({exc})") from exc
        labels: dict[int, bytes] = {}
        problems = []
        size = int(np.prod(frame_shape)) * np.dtype(LABEL_DTYPE).itemsize
        for path in sorted((folder / "labels").glob("*.zlib")):
            try:
                t = int(path.stem)
                blob = path.read_bytes()
                if len(zlib.decompress(blob)) != size:
                    raise ValueError("not a label frame of this size")
                labels[t] = blob
            except (OSError, ValueError, zlib.error) as exc:
                problems.append(f"{path.name}: {exc}")
        tracker_problem = None
        try:
            tracker = read_tracker(folder)
        except TrackerError as exc:
            tracker, tracker_problem = None, f"is unusable ({exc})"
        if tracker is not None and tracker.prompts != prompts_digest(prompts_bytes):
            tracker, tracker_problem = (
                None,
                "was written for other prompts",
            )  # a kill between writes
        return SavedSession(
            folder,
            meta.get("source", {}),
            prompts,
            pending,
            labels,
            meta.get("view", {}),
            meta.get("saved_at", ""),
            problems,
            meta.get("model", ""),
            tracker,
            tracker_problem,
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
    def _guard(self, fn: Any, *args: Any) -> None:
        try:
            with self._lock:
                fn(*args)
        except OSError as exc:
            self.error = f"autosave to {self.folder} failed: {exc}"

    def write_frame(self, t: int, blob: bytes | None) -> None:
        """One frame's labels (None: the frame is empty now)."""
        if self._written.get(t) is blob:
            return
        self._guard(self._write_frame, t, blob)

    def _write_frame(self, t: int, blob: bytes | None) -> None:
        path = self.folder / "labels" / f"{t}.zlib"
        if blob is None:
            path.unlink(missing_ok=True)
            self._written.pop(t, None)
        else:
            write_atomic(path, blob)
            self._written[t] = blob
        self.error = None

    def sync(
        self,
        labels: dict[int, bytes],
        prompts: list[Prompt],
        pending: list[Prompt],
        state: dict[str, Any] | None = None,
        bases: dict[tuple[int, int], Base] | None = None,
    ) -> None:
        """Write whatever differs from the last write: changed frames, SAM2's prompt
        state (``state``, ``bases``), prompts."""
        for t in set(self._written) - set(labels):
            self.write_frame(t, None)
        for t, blob in labels.items():
            self.write_frame(t, blob)
        items = {"prompts": _prompt_dicts(prompts), "pending": _prompt_dicts(pending)}
        data = json.dumps(items, indent=0).encode()
        if state is not None:
            self._guard(self.tracker.sync, state, bases or {}, data)
        if items != self._prompts:
            self._guard(write_atomic, self.folder / "prompts.json", data)
            self._prompts = items
        self._write_meta()

    def set_view(self, frame: int, label: int) -> None:
        """Remember the frame and label in view (restored on resume)."""
        view = {"frame": int(frame), "label": int(label)}
        if view != self._view:
            self._view = view
            self._write_meta()

    def _write_meta(self) -> None:
        meta = {
            "format": FORMAT,
            "source": self.source,
            "model": self.model,
            "view": self._view,
            "saved_at": _dt.datetime.now().isoformat(timespec="seconds"),
        }
        self._guard(write_atomic, self.folder / "session.json", json.dumps(meta, indent=1).encode())

    def adopt(self, saved: SavedSession) -> None:
        """After a resume: what is on disk already matches memory."""
        self._written = dict(saved.labels)
        self._view = dict(saved.view)
