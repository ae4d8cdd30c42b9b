"""One codec per kind of session state: what it writes in the session folder and
how it reads it back.

A codec writes only what changed since its last write (a click rewrites one label
frame, never the volume), raises ``OSError`` when the disk refuses (the folder
reports it and the user's work stays in memory), and reads back a dict of values
for :class:`~.folder.SavedSession`. A new kind of state is one more codec.
"""

from __future__ import annotations

import base64
import io
import json
import zlib
from pathlib import Path
from typing import Any

import numpy as np

from ..._atomic import write_atomic
from ...errors import AutosaveError
from ..core import SessionState, Snapshot
from ..labels import LABEL_DTYPE
from ..masks import ManualEdit
from ..prompts import Prompt, prompt_from_json
from ..quality import RECORD


class QualityCodec:
    """``quality/<frame>.npy``: each frame's quality record (one row per label, see
    :data:`~..quality.RECORD`), written when the frame is produced, like its labels."""

    def __init__(self, folder: Path) -> None:
        self.dir = folder / "quality"
        self._written: dict[int, np.ndarray] = {}

    def write_frame(self, t: int, rec: np.ndarray | None) -> None:
        if self._written.get(t) is rec:
            return
        path = self.dir / f"{t}.npy"
        if rec is None:
            path.unlink(missing_ok=True)
            self._written.pop(t, None)
            return
        buf = io.BytesIO()
        np.save(buf, rec, allow_pickle=False)
        self.dir.mkdir(exist_ok=True)
        write_atomic(path, buf.getvalue())
        self._written[t] = rec

    def write(self, snap: Snapshot) -> None:
        quality = snap.record.quality
        for t in set(self._written) - set(quality):
            self.write_frame(t, None)
        for t, rec in quality.items():
            self.write_frame(t, rec)

    def read(self) -> dict[str, Any]:
        """A damaged file is skipped and named (the frame's labels are still there;
        only its quality row is missing until it is propagated again)."""
        quality: dict[int, np.ndarray] = {}
        problems = []
        for path in sorted(self.dir.glob("*.npy")):
            try:
                rec = np.load(path, allow_pickle=False)
                if rec.dtype != RECORD or rec.ndim != 1:
                    raise ValueError(f"not a quality record ({rec.dtype}, {rec.ndim}-D)")
                rec.setflags(write=False)
                quality[int(path.stem)] = rec
            except (OSError, ValueError, EOFError) as exc:
                problems.append(f"{path.name}: {exc}")
        return {"quality": quality, "problems": problems}

    def adopt(self, quality: dict[int, np.ndarray]) -> None:
        self._written = dict(quality)


class HandCodec:
    """``hand.json``: what was made by hand beside the prompts: manual edits (pixels
    SAM2 does not see, packed and base64-coded), labels that exist as pixels only,
    and divisions (daughter → mother)."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / "hand.json"
        self._written: bytes | None = None

    @staticmethod
    def encode(record: SessionState) -> bytes:
        b64 = lambda data: base64.b64encode(data).decode("ascii")  # noqa: E731
        manual = [
            {"frame": t, "label": label, "shape": list(e.shape)}
            | {"add": b64(e.add), "remove": b64(e.remove)}
            for (t, label), e in sorted(record.manual.items())
        ]
        parents = {str(d): m for d, m in sorted(record.parents.items())}
        return json.dumps(
            {"manual": manual, "drawn": sorted(record.drawn), "parents": parents}, indent=0
        ).encode()

    def write(self, snap: Snapshot) -> None:
        data = self.encode(snap.record)
        if data == self._written:
            return
        empty = not (snap.record.manual or snap.record.drawn or snap.record.parents)
        if empty and not self.path.exists():
            self._written = data
            return
        write_atomic(self.path, data)
        self._written = data

    def read(self) -> dict[str, Any]:
        """An unreadable file raises: resuming without the hand-made pixels loses them."""
        if not self.path.is_file():
            return {}
        try:
            raw = json.loads(self.path.read_bytes())
            manual = {
                (int(e["frame"]), int(e["label"])): ManualEdit(
                    (int(e["shape"][0]), int(e["shape"][1])),
                    base64.b64decode(e["add"]),
                    base64.b64decode(e["remove"]),
                )
                for e in raw.get("manual", [])
            }
            drawn = frozenset(int(label) for label in raw.get("drawn", []))
            parents = {int(d): int(m) for d, m in raw.get("parents", {}).items()}
        except (OSError, ValueError, TypeError, KeyError, IndexError) as exc:
            raise AutosaveError(f"{self.path}: saved hand edits are unreadable ({exc})") from exc
        return {"manual": manual, "drawn": drawn, "parents": parents}


class LabelsCodec:
    """``labels/<frame>.zlib``: each label frame exactly as the Session keeps it
    (zlib-compressed uint16), one small file per frame."""

    def __init__(self, folder: Path) -> None:
        self.dir = folder / "labels"
        self._written: dict[int, bytes] = {}

    def write_frame(self, t: int, blob: bytes | None) -> None:
        """One frame (None: the frame is empty now)."""
        if self._written.get(t) is blob:
            return
        path = self.dir / f"{t}.zlib"
        if blob is None:
            path.unlink(missing_ok=True)
            self._written.pop(t, None)
        else:
            write_atomic(path, blob)
            self._written[t] = blob

    def write(self, snap: Snapshot) -> None:
        for t in set(self._written) - set(snap.labels):
            self.write_frame(t, None)
        for t, blob in snap.labels.items():
            self.write_frame(t, blob)

    def read(self, frame_shape: tuple[int, int]) -> dict[str, Any]:
        """A damaged file (not a label frame of this size) is skipped and named."""
        labels: dict[int, bytes] = {}
        problems = []
        size = int(np.prod(frame_shape)) * np.dtype(LABEL_DTYPE).itemsize
        for path in sorted(self.dir.glob("*.zlib")):
            try:
                t = int(path.stem)
                blob = path.read_bytes()
                if len(zlib.decompress(blob)) != size:
                    raise ValueError("not a label frame of this size")
                labels[t] = blob
            except (OSError, ValueError, zlib.error) as exc:
                problems.append(f"{path.name}: {exc}")
        return {"labels": labels, "problems": problems}

    def adopt(self, labels: dict[int, bytes]) -> None:
        self._written = dict(labels)


def prompts_json(record: SessionState) -> bytes:
    """The one serialisation of the record's prompts (the SAM2 codec stores its
    digest, so both files are known to belong together)."""
    items = {
        "prompts": [p.to_json() for p in record.prompts],
        "pending": [p.to_json() for p in record.pending],
    }
    return json.dumps(items, indent=0).encode()


class PromptsCodec:
    """``prompts.json``: every prompt with its kind and grouping, so SAM2's prompt
    state can be rebuilt exactly as it was sent."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / "prompts.json"
        self._written: bytes | None = None

    def write(self, snap: Snapshot) -> None:
        data = prompts_json(snap.record)
        if data != self._written:
            write_atomic(self.path, data)
            self._written = data

    def read(self) -> dict[str, Any]:
        """An unreadable file raises: resuming without the prompts would lose them."""
        try:
            data = self.path.read_bytes()
            raw = json.loads(data)
            prompts: list[Prompt] = [prompt_from_json(d) for d in raw.get("prompts", [])]
            pending: list[Prompt] = [prompt_from_json(d) for d in raw.get("pending", [])]
        except (OSError, ValueError, TypeError, KeyError) as exc:
            raise AutosaveError(f"{self.path.parent}: saved session is unreadable ({exc})") from exc
        return {"prompts": prompts, "pending": pending, "prompts_bytes": data}

    def adopt(self, data: bytes) -> None:
        self._written = data
