"""The timeline's data on the wire: the session's review summary (one byte per
(label, frame), :mod:`sam2_jupyter.engine.summary`), sent whole once and then as the
columns that changed.

The engine keeps the table and says which columns changed (its flag rules know how
far a change reaches); this module only encodes and sends. A full summary is
run-length encoded like a label image (10,000 frames × 100 labels is 1 MB of cells
and a few kilobytes on the wire); after each propagated frame or edit only the
changed columns go, raw. A change of the label set, or a change spanning a quarter
of the frames, sends the whole summary again.

Messages go outside the frame stream's flow control: they are small, and a dropped
delta would leave the strip wrong.
"""

from __future__ import annotations

import threading
from collections import Counter, deque
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

# The bits, as the browser reads them (js/src/summary-table.js), and how they are made.
from ..engine.summary import FLAGGED, MASK, PROMPTED, TRACKED, QualitySummary, summary_bits
from .canvas import AnnotatorCanvas
from .codec import encode_labels
from .outbound import TimelineMsg

if TYPE_CHECKING:
    from ..engine import Session

__all__ = ["FLAGGED", "MASK", "PROMPTED", "TRACKED", "Timeline", "summary_bits"]


class Timeline:
    """Keeps the browser's summary in step with the session in view."""

    def __init__(self, canvas: AnnotatorCanvas, session: Callable[[], Session | None]) -> None:
        self.canvas = canvas
        self.session = session
        self._lock = threading.Lock()
        self._summary: QualitySummary | None = None
        self._of: Session | None = None
        self.counts: Counter[str] = Counter()  # messages sent, by kind
        self.sent: deque[tuple[str, int]] = deque(maxlen=256)  # the latest (kind, bytes)

    def reset(self) -> None:
        """Send everything again (a view rendered, another sequence shown)."""
        with self._lock:
            if self._summary is not None:
                self._summary.reset()
        self.sync()

    def sync(self) -> None:
        """Send what changed since the last call (nothing when nothing did)."""
        with self._lock:
            session = self.session()
            if session is None:
                return
            if self._summary is None or self._of is not session:
                self._summary, self._of = session.quality_summary(), session
            change = self._summary.changes()
            if change is None:
                return
            n, cells = change.n_frames, change.frames.size * len(change.labels)
            if change.full or cells > max(4096, n * len(change.labels) // 4):
                # Run-length encoded, the whole table is the smaller message.
                bits = self._summary.bits
                data = encode_labels(bits.astype(np.uint16)) if bits.size else b""
                self._send(TimelineMsg(True, change.labels, n_frames=n), data)
                return
            frames = change.frames.tolist()
            data = np.ascontiguousarray(change.bits.T).tobytes()
            self._send(TimelineMsg(False, change.labels, frames=frames), data)

    def _send(self, msg: TimelineMsg, data: bytes) -> None:
        kind = "full" if msg.full else "delta"
        self.counts[kind] += 1
        self.sent.append((kind, len(data)))
        self.canvas.send(msg.content(), [data])
