"""One codec per kind of session state: its rows in the store and how they read back.

A codec turns a :class:`~..core.Snapshot` into rows (key -> token and encoder; the
:class:`~.store.Table` writes only rows whose token changed) and reads its rows back
as values for :class:`~.folder.SavedSession`. Every value read is checked as user
input is (frame and label ranges, shapes, mask sizes, cycles): a row that fails is
skipped and named in ``problems``, never let into the session where it would fail
later, far from its cause. A new kind of state is one more codec.
"""

from __future__ import annotations

import base64
import io
import json
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from ...errors import PromptError
from ..core import SessionState, Snapshot
from ..labels import LABEL_DTYPE
from ..masks import ManualEdit
from ..prompts import Prompt, check_label, check_prompt, prompt_from_json
from ..quality import RECORD
from .store import Encode, Store

Rows = dict[str, tuple[Any, Encode]]
BAD = (ValueError, TypeError, KeyError, IndexError, AttributeError, zlib.error, EOFError)
BAD += (PromptError,)


@dataclass(frozen=True)
class Geometry:
    """What values read back are checked against."""

    n_frames: int
    frame_shape: tuple[int, int]


def _frame(key: str, geo: Geometry) -> int:
    t = int(key)
    if not 0 <= t < geo.n_frames:
        raise ValueError(f"frame {t} out of range 0..{geo.n_frames - 1}")
    return t


def _checked_mask(bits: bytes, geo: Geometry) -> bytes:
    packed = zlib.decompress(bits)
    h, w = geo.frame_shape
    if len(packed) != (h * w + 7) // 8:
        raise ValueError(f"mask bits are not of a {h}x{w} frame")
    return bits


def _read(store: Store, kind: str, problems: list[str]) -> Iterator[tuple[str, bytes]]:
    yield from store.rows(kind, problems)


class LabelsCodec:
    """Each label frame exactly as the Session keeps it (zlib-compressed uint16)."""

    kind = "labels"

    @staticmethod
    def rows(snap: Snapshot) -> Rows:
        return {str(t): (blob, lambda b=blob: b) for t, blob in snap.labels.items()}

    @staticmethod
    def read(store: Store, geo: Geometry, problems: list[str]) -> dict[str, Any]:
        size = int(np.prod(geo.frame_shape)) * np.dtype(LABEL_DTYPE).itemsize
        labels: dict[int, bytes] = {}
        for key, blob in _read(store, "labels", problems):
            try:
                t = _frame(key, geo)
                if len(zlib.decompress(blob)) != size:
                    raise ValueError("not a label frame of this size")
                labels[t] = blob
            except BAD as exc:
                problems.append(f"labels of frame {key}: {exc}")
        return {"labels": labels}


class QualityCodec:
    """Each produced frame's quality record (one row per label, see
    :data:`~..quality.RECORD`), written with the frame's labels."""

    kind = "quality"

    @staticmethod
    def encode(rec: np.ndarray) -> bytes:
        buf = io.BytesIO()
        np.save(buf, rec, allow_pickle=False)
        return buf.getvalue()

    @classmethod
    def rows(cls, snap: Snapshot) -> Rows:
        return {
            str(t): (rec, lambda r=rec: cls.encode(r)) for t, rec in snap.record.quality.items()
        }

    @staticmethod
    def read(store: Store, geo: Geometry, problems: list[str]) -> dict[str, Any]:
        """A damaged row loses only the frame's quality (until it is propagated
        again); its labels are kept."""
        quality: dict[int, np.ndarray] = {}
        for key, data in _read(store, "quality", problems):
            try:
                t = _frame(key, geo)
                rec = np.load(io.BytesIO(data), allow_pickle=False)
                if rec.dtype != RECORD or rec.ndim != 1:
                    raise ValueError(f"not a quality record ({rec.dtype}, {rec.ndim}-D)")
                rec.setflags(write=False)
                quality[t] = rec
            except BAD as exc:
                problems.append(f"quality of frame {key}: {exc}")
        return {"quality": quality}


def prompts_json(prompts: Any, pending: Any = ()) -> bytes:
    """The one serialisation of a list of prompts (the SAM2 codec stores its digest,
    so the SAM2 state is known to belong to exactly these prompts)."""
    items = {"prompts": [p.to_json() for p in prompts], "pending": [p.to_json() for p in pending]}
    return json.dumps(items, indent=0).encode()


def record_prompts_json(record: SessionState) -> bytes:
    return prompts_json(record.prompts, record.pending)


class PromptsCodec:
    """Every prompt with its kind and grouping, one row each, in order (``p`` sent,
    ``q`` pending), so SAM2's prompt state can be rebuilt exactly as it was sent."""

    kind = "prompts"

    @staticmethod
    def rows(snap: Snapshot) -> Rows:
        rows: Rows = {}
        for prefix, items in (("p", snap.record.prompts), ("q", snap.record.pending)):
            for i, p in enumerate(items):
                rows[f"{prefix}{i:07d}"] = (p, lambda p=p: json.dumps(p.to_json()).encode())
        return rows

    @staticmethod
    def read(store: Store, geo: Geometry, problems: list[str]) -> dict[str, Any]:
        """A prompt that is not one (bad JSON, a frame out of range, a mask of
        another size) is skipped and named; the others are kept."""
        out: dict[str, list[Prompt]] = {"prompts": [], "pending": []}
        for key, data in _read(store, "prompts", problems):
            try:
                p = prompt_from_json(json.loads(data))
                check_prompt(p, geo.n_frames, geo.frame_shape)  # raises; grouping is ours
                if not isinstance(p.group, int) or isinstance(p.group, bool):
                    raise ValueError(f"group {p.group!r} is not a number")
                if p.kind == "mask":
                    _checked_mask(p.bits, geo)
                out["pending" if key.startswith("q") else "prompts"].append(p)
            except BAD as exc:
                problems.append(f"prompt {key}: {exc}")
        return out


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


class HandCodec:
    """What was made by hand beside the prompts: manual edits (pixels SAM2 does not
    see; a row per frame and label), labels that exist as pixels only, and
    divisions (daughter -> mother)."""

    kind = "hand"

    @staticmethod
    def rows(snap: Snapshot) -> Rows:
        r = snap.record
        rows: Rows = {}
        for (t, label), e in r.manual.items():
            data = {"shape": list(e.shape), "add": _b64(e.add), "remove": _b64(e.remove)}
            rows[f"edit-{t}-{label}"] = (e, lambda d=data: json.dumps(d).encode())
        rows["drawn"] = (r.drawn, lambda: json.dumps(sorted(r.drawn)).encode())
        parents = {str(d): m for d, m in sorted(r.parents.items())}
        rows["parents"] = (r.parents, lambda: json.dumps(parents).encode())
        return rows

    @staticmethod
    def read(store: Store, geo: Geometry, problems: list[str]) -> dict[str, Any]:
        manual: dict[tuple[int, int], ManualEdit] = {}
        drawn: frozenset[int] = frozenset()
        parents: dict[int, int] = {}
        for key, data in _read(store, "hand", problems):
            try:
                value = json.loads(data)
                if key.startswith("edit-"):
                    _, t, label = key.split("-")
                    frame, label_id = _frame(t, geo), check_label(int(label))
                    if tuple(value["shape"]) != tuple(geo.frame_shape):
                        raise ValueError(f"shape {value['shape']} is not the frame's")
                    add = _checked_mask(base64.b64decode(value["add"]), geo)
                    remove = _checked_mask(base64.b64decode(value["remove"]), geo)
                    manual[(frame, label_id)] = ManualEdit(geo.frame_shape, add, remove)
                elif key == "drawn":
                    drawn = frozenset(check_label(int(v)) for v in value)
                elif key == "parents":
                    pairs = {check_label(int(d)): check_label(int(m)) for d, m in value.items()}
                    parents = acyclic(pairs, problems)
            except BAD as exc:
                problems.append(f"hand edits {key}: {exc}")
        return {"manual": manual, "drawn": drawn, "parents": parents}


def acyclic(parents: dict[int, int], problems: list[str]) -> dict[int, int]:
    """``parents`` without the divisions that close a cycle (each named): a lineage
    read from a damaged save must be a forest, as one made by hand is."""
    kept: dict[int, int] = {}
    for daughter, mother in sorted(parents.items()):
        up, seen = mother, {daughter}
        while up is not None and up not in seen:
            seen.add(up)
            up = kept.get(up)
        if up is not None:
            problems.append(f"division {daughter} -> {mother}: it closes a cycle")
        else:
            kept[daughter] = mother
    return kept


class MetaCodec:
    """What the data was (a resume onto other data is refused), which model made
    the labels, the frame and label in view, and when it was saved."""

    kind = "meta"

    @staticmethod
    def read(store: Store, problems: list[str]) -> dict[str, Any]:
        meta: dict[str, Any] = {}
        for key, data in _read(store, "meta", problems):
            try:
                meta[key] = json.loads(data)
            except BAD as exc:
                problems.append(f"meta {key}: {exc}")
        view = meta.get("view", {})
        if not (isinstance(view, dict) and all(isinstance(v, int) for v in view.values())):
            problems.append(f"meta view: not a frame and label ({view!r})")
            view = {}
        source = meta.get("source", {})
        return {
            "source": source if isinstance(source, dict) else {},
            "view": view,
            "saved_at": str(meta.get("saved_at", "")),
            "model": str(meta.get("model", "")),
        }
