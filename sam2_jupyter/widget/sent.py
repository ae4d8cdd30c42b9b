"""What the frame stream sent and where its time went (after jupyter_rfb's
``get_stats``): counts and bytes by kind, the latest messages' kinds and sizes, and
the timings of the latest edits and frames shown. Its own lock: the stream records
from the loop, the worker and the encoder thread."""

from __future__ import annotations

import threading
from collections import Counter, deque
from typing import Any

HISTORY = 1000  # timings kept per kind (edits, frames shown)


class SentStats:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._count: Counter[str] = Counter()
        self._bytes: Counter[str] = Counter()
        self._sent: deque[tuple[str, int]] = deque(maxlen=HISTORY)
        self._timings: dict[str, float] = {}
        self._edits: deque[dict[str, float]] = deque(maxlen=HISTORY)
        self._shows: deque[dict[str, float]] = deque(maxlen=HISTORY)

    def sent(self, kind: str, size: int) -> None:
        """A message of ``kind`` (its mime type, for images) and ``size`` bytes left."""
        with self._lock:
            self._sent.append((kind, size))
            self._count[kind] += 1
            self._bytes[kind] += size

    def shown(self, encode_s: float, send_s: float) -> None:
        """A frame shown (a JPEG preview, or a copy laid up: then only what changed)."""
        with self._lock:
            self._shows.append({"encode_s": encode_s, "send_s": send_s})

    def timed(self, **timings: float) -> None:
        """Record an edit's timings (seconds: queued, model, encode, send)."""
        with self._lock:
            self._timings = dict(timings)
            self._edits.append(self._timings)

    def stats(self) -> dict[str, Any]:
        """Messages sent (count and bytes by kind), the latest messages' kinds and sizes,
        the last edit's timings, and the timings of the latest edits and frames
        shown (encode and send, seconds), oldest first."""
        with self._lock:
            return {
                "messages": dict(self._count),
                "bytes": dict(self._bytes),
                "sent": list(self._sent),
                "last_edit": dict(self._timings),
                "edits": list(self._edits),
                "shows": list(self._shows),
            }

    def reset(self) -> None:
        with self._lock:
            self._sent.clear()
            self._count.clear()
            self._bytes.clear()
            self._timings = {}
            self._edits.clear()
            self._shows.clear()
