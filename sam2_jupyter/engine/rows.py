"""How each kind of state becomes rows of the session store, and reads back.

The store holds ``(kind, key) -> bytes`` (see :mod:`.autosave.store`); a codec owns
one kind. Every codec has the same three methods, so the autosave iterates them
without knowing any (the record's codecs are named in :data:`~.fields.FIELDS`):

``write(snap) -> rows``
    key -> (token, encode) for a :class:`~.core.Snapshot`. The token tells whether a
    row changed since it was last written (the same object: the record's values
    are immutable and replaced, never changed in place; or equal bytes), and
    ``encode()`` makes its bytes only when it did.
``read(rows, reading) -> values``
    The values by name (fields of the record, or parts of the save such as
    ``labels``). Every value is checked as user input is (frame and label ranges,
    shapes, mask sizes, cycles): a row that fails is skipped and named in
    ``reading.problems``, never let into the session where it would fail later,
    far from its cause.
``adopt(saved, live) -> tokens``
    After a resume, the tokens of the rows the store holds, so that the next save
    writes only what changes (None: not known, the next save rewrites the kind).

Per-frame kinds (label frames, quality records) are one :class:`FrameRows` each: a
propagated frame writes its row alone.
"""

from __future__ import annotations

import base64
import io
import json
import zlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from ..errors import PromptError
from .masks import ManualEdit
from .prompts import Prompt, check_label, check_prompt, prompt_from_json
from .quality_records import RECORD


class Snap(Protocol):
    """What a codec writes from: a :class:`~.core.Snapshot` (the state of a
    session), or a save read back (its record and label frames)."""

    sam: Any
    labels: Mapping[int, bytes]
    record: Any


Encode = Callable[[], bytes]
Rows = dict[str, tuple[Any, Encode]]
# What a damaged or hand-edited row can raise while it is decoded and checked.
BAD = (ValueError, TypeError, KeyError, IndexError, AttributeError, zlib.error, EOFError)
BAD += (PromptError,)


@dataclass(frozen=True)
class Geometry:
    """What values read back are checked against."""

    n_frames: int
    frame_shape: tuple[int, int]


@dataclass
class Reading:
    """One read of a store: the geometry, the problems found so far, and the values
    the codecs before read (the tracker's codec checks that its state belongs to
    the prompts read)."""

    geo: Geometry
    problems: list[str] = field(default_factory=list)
    values: dict[str, Any] = field(default_factory=dict)

    def frame(self, key: str) -> int:
        t = int(key)
        if not 0 <= t < self.geo.n_frames:
            raise ValueError(f"frame {t} out of range 0..{self.geo.n_frames - 1}")
        return t

    def mask(self, bits: bytes) -> bytes:
        """``bits`` if they unpack to a mask of the frame's size."""
        h, w = self.geo.frame_shape
        if len(zlib.decompress(bits)) != (h * w + 7) // 8:
            raise ValueError(f"mask bits are not of a {h}x{w} frame")
        return bits


class Codec:
    """One kind of row (see the module docstring for the three methods)."""

    kind = ""

    def write(self, snap: Snap) -> Rows:
        raise NotImplementedError

    def read(self, rows: Iterable[tuple[str, bytes]], reading: Reading) -> dict[str, Any]:
        raise NotImplementedError

    def adopt(self, saved: Any, live: Mapping[str, Any] | None) -> dict[str, Any] | None:
        """The rows ``saved`` was read from are those :meth:`write` makes of it: its
        values are what memory holds after the resume (the same objects), except
        where the resume replaced them, whose rows the next save then writes."""
        return {key: token for key, (token, _) in self.write(saved.snapshot()).items()}


class FrameRows(Codec):
    """One row per frame, keyed by its number: ``values(snap)`` maps frame -> value,
    ``encode``/``decode`` turn a value into bytes and back (``decode`` raises on a
    row that is not one); ``what`` names the value in problems."""

    def __init__(
        self,
        kind: str,
        what: str,
        values: Callable[[Snap], Mapping[int, Any]],
        encode: Callable[[Any], bytes],
        decode: Callable[[bytes, Reading], Any],
    ) -> None:
        self.kind, self.what = kind, what
        self.values, self.encode, self.decode = values, encode, decode

    def write(self, snap: Snap) -> Rows:
        encode = self.encode
        return {str(t): (v, lambda v=v: encode(v)) for t, v in self.values(snap).items()}

    def at(self, snap: Snap, t: int) -> tuple[Any, Encode]:
        """Frame ``t``'s token (None: the frame has no row) and encoder."""
        value = self.values(snap).get(t)
        return value, lambda: self.encode(value)

    def read(self, rows: Iterable[tuple[str, bytes]], reading: Reading) -> dict[str, Any]:
        out: dict[int, Any] = {}
        for key, data in rows:
            try:
                out[reading.frame(key)] = self.decode(data, reading)
            except BAD as exc:
                reading.problems.append(f"{self.what} of frame {key}: {exc}")
        return {self.kind: out}


def _encode_quality(rec: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, rec, allow_pickle=False)
    return buf.getvalue()


def _decode_quality(data: bytes, reading: Reading) -> np.ndarray:
    """A damaged row loses only the frame's quality (until it is propagated again);
    its labels are kept."""
    rec = np.load(io.BytesIO(data), allow_pickle=False)
    if rec.dtype != RECORD or rec.ndim != 1:
        raise ValueError(f"not a quality record ({rec.dtype}, {rec.ndim}-D)")
    rec.setflags(write=False)
    return rec


# Each produced frame's quality record (one row per label, see RECORD), written
# with the frame's labels.
QUALITY = FrameRows(
    "quality", "quality", lambda s: s.record.quality, _encode_quality, _decode_quality
)


def prompts_json(prompts: Iterable[Prompt], pending: Iterable[Prompt] = ()) -> bytes:
    """The one serialisation of a list of prompts (the tracker's codec stores its
    digest, so its state is known to belong to exactly these prompts)."""
    items = {"prompts": [p.to_json() for p in prompts], "pending": [p.to_json() for p in pending]}
    return json.dumps(items, indent=0).encode()


class PromptRows(Codec):
    """Every prompt with its kind and grouping, one row each, in order (``p`` sent,
    ``q`` pending), so the tracker's prompt state can be rebuilt exactly as it was
    sent. The record's ``group`` reads back as the last group used."""

    kind = "prompts"

    def write(self, snap: Snap) -> Rows:
        rows: Rows = {}
        for prefix, items in (("p", snap.record.prompts), ("q", snap.record.pending)):
            for i, p in enumerate(items):
                rows[f"{prefix}{i:07d}"] = (p, lambda p=p: json.dumps(p.to_json()).encode())
        return rows

    def read(self, rows: Iterable[tuple[str, bytes]], reading: Reading) -> dict[str, Any]:
        """A prompt that is not one (bad JSON, a frame out of range, a mask of
        another size) is skipped and named; the others are kept."""
        geo = reading.geo
        out: dict[str, list[Prompt]] = {"prompts": [], "pending": []}
        for key, data in rows:
            try:
                p = prompt_from_json(json.loads(data))
                check_prompt(p, geo.n_frames, geo.frame_shape)  # raises; grouping is ours
                if not isinstance(p.group, int) or isinstance(p.group, bool):
                    raise ValueError(f"group {p.group!r} is not a number")
                if p.kind == "mask":
                    reading.mask(p.bits)
                out["pending" if key.startswith("q") else "prompts"].append(p)
            except BAD as exc:
                reading.problems.append(f"prompt {key}: {exc}")
        group = max((p.group for p in [*out["prompts"], *out["pending"]]), default=0)
        return {**out, "group": group}


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


class HandRows(Codec):
    """What was made by hand beside the prompts: manual edits (pixels the tracker
    does not see; a row per frame and label), labels that exist as pixels only, and
    divisions (daughter -> mother)."""

    kind = "hand"

    def write(self, snap: Snap) -> Rows:
        r = snap.record
        rows: Rows = {}
        for (t, label), e in r.manual.items():
            data = {"shape": list(e.shape), "add": _b64(e.add), "remove": _b64(e.remove)}
            rows[f"edit-{t}-{label}"] = (e, lambda d=data: json.dumps(d).encode())
        rows["drawn"] = (r.drawn, lambda: json.dumps(sorted(r.drawn)).encode())
        parents = {str(d): m for d, m in sorted(r.parents.items())}
        rows["parents"] = (r.parents, lambda: json.dumps(parents).encode())
        return rows

    def read(self, rows: Iterable[tuple[str, bytes]], reading: Reading) -> dict[str, Any]:
        geo = reading.geo
        manual: dict[tuple[int, int], ManualEdit] = {}
        drawn: frozenset[int] = frozenset()
        parents: dict[int, int] = {}
        for key, data in rows:
            try:
                value = json.loads(data)
                if key.startswith("edit-"):
                    _, t, label = key.split("-")
                    frame, label_id = reading.frame(t), check_label(int(label))
                    if tuple(value["shape"]) != tuple(geo.frame_shape):
                        raise ValueError(f"shape {value['shape']} is not the frame's")
                    add = reading.mask(base64.b64decode(value["add"]))
                    remove = reading.mask(base64.b64decode(value["remove"]))
                    manual[(frame, label_id)] = ManualEdit(geo.frame_shape, add, remove)
                elif key == "drawn":
                    drawn = frozenset(check_label(int(v)) for v in value)
                elif key == "parents":
                    pairs = {check_label(int(d)): check_label(int(m)) for d, m in value.items()}
                    parents = acyclic(pairs, reading.problems)
            except BAD as exc:
                reading.problems.append(f"hand edits {key}: {exc}")
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


PROMPTS = PromptRows()
HAND = HandRows()
