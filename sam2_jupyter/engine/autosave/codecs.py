"""The codecs of what a save holds beside the record: the label frames, and what
the save itself is (meta); and the list of every codec a store is read and
written with.

The record's own fields are saved by the codecs :data:`~..fields.FIELDS` names
(:mod:`..rows` holds the built-in ones and the one codec interface); the
tracker's state by :class:`~.sam2_state.Sam2Codec`. A new kind of state is one
more field with its codec, and nothing here changes.
"""

from __future__ import annotations

import json
import zlib
from typing import Any

import numpy as np

from ..core import SessionState
from ..fields import FIELDS
from ..labels import LABEL_DTYPE
from ..rows import BAD, Codec, FrameRows, Geometry, Reading, Rows, prompts_json
from .store import Store

__all__ = ["BAD", "LABELS", "Codec", "Geometry", "MetaCodec", "Reading", "Rows", "codecs"]


def _decode_labels(blob: bytes, reading: Reading) -> bytes:
    size = int(np.prod(reading.geo.frame_shape)) * np.dtype(LABEL_DTYPE).itemsize
    if len(zlib.decompress(blob)) != size:
        raise ValueError("not a label frame of this size")
    return blob


# Each label frame exactly as the Session keeps it (zlib-compressed uint16).
LABELS = FrameRows("labels", "labels", lambda s: s.labels, lambda blob: blob, _decode_labels)


def codecs(tracker: Codec) -> list[Codec]:
    """What a store is written with and read in this order: the label frames, each
    field's codec, and last the tracker's (it checks that its state belongs to the
    prompts read before it)."""
    out = [LABELS, *FIELDS.codecs(), tracker]
    kinds = [c.kind for c in out]
    if len(set(kinds)) < len(kinds) or MetaCodec.kind in kinds:
        raise ValueError(f"two codecs write rows of one kind: {kinds}")
    return out


def record_prompts_json(record: SessionState) -> bytes:
    return prompts_json(record.prompts, record.pending)


class MetaCodec:
    """What the data was (a resume onto other data is refused), which model made
    the labels, the frame and label in view, and when it was saved."""

    kind = "meta"

    @staticmethod
    def read(store: Store, problems: list[str]) -> dict[str, Any]:
        meta: dict[str, Any] = {}
        for key, data in store.rows("meta", problems):
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

    @staticmethod
    def rows(values: dict[str, Any]) -> Rows:
        rows: Rows = {}
        for key, value in values.items():
            data = json.dumps(value).encode()
            rows[key] = (data, lambda d=data: d)
        return rows
