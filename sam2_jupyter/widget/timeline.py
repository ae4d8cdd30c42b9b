"""The timeline's data: one byte per (label, frame), sent whole once and then as the
columns that changed.

Each byte is a set of bits (:data:`MASK`, :data:`PROMPTED`, :data:`FLAGGED`,
:data:`TRACKED`) computed from the session's quality records and prompts (see
:mod:`sam2_jupyter.engine.quality`); the browser draws the strip, the object list
and the flag navigation from it. A full summary is run-length encoded like a label
image (10,000 frames × 100 labels is 1 MB of cells and a few kilobytes on the
wire); after each propagated frame or edit only the changed columns go, raw. A
change of the label set, or a change spanning a quarter of the frames, sends the
whole summary again.

Messages go outside the frame stream's flow control: they are small, and a dropped
delta would leave the strip wrong.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import numpy as np

from ..engine import Session
from ..engine.quality import QualityMatrix
from .canvas import AnnotatorCanvas
from .codec import encode_labels

MASK, PROMPTED, FLAGGED, TRACKED = 1, 2, 4, 8


def summary_bits(matrix: QualityMatrix, start: int = 0, stop: int | None = None) -> np.ndarray:
    """(labels, frames ``start:stop``) uint8 bit sets."""
    stop = matrix.n_frames if stop is None else stop
    cols = slice(start, stop)
    area = matrix.fields["area"][:, cols]
    out = np.where(area > 0, MASK, 0).astype(np.uint8)
    out[~np.isnan(area)] |= TRACKED
    out[matrix.prompted[:, cols]] |= PROMPTED
    out[matrix.flags(start, stop) != 0] |= FLAGGED
    return out


def _first_present(matrix: QualityMatrix) -> np.ndarray:
    """Per label, the first frame SAM2 said it is present (0 when never: the lost
    flags it moves start there)."""
    seen = matrix.fields["present"] >= matrix.rules.present
    return np.where(seen.any(axis=1), seen.argmax(axis=1), 0)


class Timeline:
    """Keeps the browser's summary in step with the session in view."""

    def __init__(self, canvas: AnnotatorCanvas, session: Callable[[], Session | None]) -> None:
        self.canvas = canvas
        self.session = session
        self._lock = threading.Lock()
        self._matrix: QualityMatrix | None = None
        self._of: Session | None = None
        self._quality: Any = {}
        self._prompted: frozenset[tuple[int, int]] = frozenset()
        self._first = np.zeros(0, np.int64)
        self.sent: list[tuple[str, int]] = []  # (kind, bytes): what went, for tests

    def reset(self) -> None:
        """Send everything again (a view rendered, another sequence shown)."""
        with self._lock:
            self._matrix = None
        self.sync()

    def sync(self) -> None:
        """Send what changed since the last call (nothing when nothing did)."""
        with self._lock:
            session = self.session()
            if session is None:
                return
            record = session.record
            labels = session.label_ids
            prompted = frozenset((p.frame, p.label) for p in record.prompts)
            m = self._matrix
            if m is None or self._of is not session or m.labels != labels:
                self._full(session, labels, record, prompted)
                return
            changed = {t for t, rec in record.quality.items() if self._quality.get(t) is not rec}
            changed |= {t for t in self._quality if t not in record.quality}
            changed |= {t for t, _ in prompted ^ self._prompted}
            if not changed:
                return
            for t in changed:
                m.set_frame(t, record.quality.get(t))
            m.set_prompted(prompted)
            self._quality, self._prompted = record.quality, prompted
            # Where a label first appears moves the "lost" flags in between.
            first = _first_present(m)
            moved = first != self._first
            if moved.any():
                changed |= {int(f) for f in np.concatenate([first[moved], self._first[moved]])}
                self._first = first
            lo = min(changed)
            hi = min(m.n_frames, max(changed) + m.rules.window + 2)
            if (hi - lo) * len(labels) > max(4096, m.n_frames * len(labels) // 4):
                self._send_full(m)  # run-length encoded, it is the smaller message
                return
            bits = summary_bits(m, lo, hi)
            content = {"type": "timeline", "full": False, "frames": list(range(lo, hi))}
            self._send(content | {"labels": m.labels}, np.ascontiguousarray(bits.T).tobytes())

    def _full(self, session: Session, labels: list[int], record: Any, prompted: Any) -> None:
        m = QualityMatrix(record.quality, labels, session.n_frames, prompted)
        self._matrix, self._of = m, session
        self._quality, self._prompted = record.quality, prompted
        self._first = _first_present(m)
        self._send_full(m)

    def _send_full(self, m: QualityMatrix) -> None:
        bits = summary_bits(m)
        content = {"type": "timeline", "full": True, "n_frames": m.n_frames, "labels": m.labels}
        self._send(content, encode_labels(bits.astype(np.uint16)) if bits.size else b"")

    def _send(self, content: dict[str, Any], data: bytes) -> None:
        self.sent.append(("full" if content["full"] else "delta", len(data)))
        self.canvas.send(content, [data])
