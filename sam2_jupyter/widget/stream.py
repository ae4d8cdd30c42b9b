"""Frames and labels to the browser, with flow control (after jupyter_rfb).

At most ``MAX_IN_FLIGHT`` messages wait for the browser's acknowledgement; newer
content for the same slot ("frame", "labels") replaces what is still queued, so a
slow browser sees the latest frame instead of a backlog. A frame is first sent as
JPEG at the resolution the screen shows, then as full-size PNG once the view has
been idle for ``LOSSLESS_AFTER`` seconds (no frame change, click or job of the
user's meanwhile); that upgrade is scheduled on the kernel's event loop (a single
timer thread where there is none, e.g. in scripts), never on a new thread per frame
change. :meth:`FrameStream.stats` reports what was sent and, per edit and per frame
shown, where the kernel's time went.
"""

from __future__ import annotations

import threading
import time
from collections import Counter, OrderedDict, deque
from collections.abc import Callable
from typing import Any

import numpy as np

from .._later import Later
from ..io import Stack
from .canvas import AnnotatorCanvas
from .codec import encode_image, encode_labels
from .outbound import FrameMsg, LabelsMsg, Marker
from .prefetch import EncodedFrames

MAX_IN_FLIGHT = 2
LOSSLESS_AFTER = 0.3
PLAY_AHEAD = 6  # frames encoded ahead while the browser plays
STALE_AFTER = 5.0  # a closed view never acks: stop waiting for it
HISTORY = 1000  # timings kept per kind (edits, frames shown)


class FrameStream:
    """Sends the frame in view and its labels; ``labels(t)`` and ``markers(t)``
    come from the session in view (None / [] before there is one)."""

    def __init__(
        self,
        canvas: AnnotatorCanvas,
        stack: Callable[[], Stack],
        labels: Callable[[int], np.ndarray | None],
        markers: Callable[[int], list[Marker]],
        key: Callable[[], int],
        idle_for: Callable[[], float] = lambda: float("inf"),
    ) -> None:
        self.canvas = canvas
        self.idle_for = idle_for  # seconds since the user last acted
        self.stack = stack
        self.labels = labels
        self.markers = markers
        self.key = key  # which sequence is in view (4D data), for the encode cache
        self._lock = threading.Lock()
        self._seq = 0
        self._in_flight: dict[int, float] = {}
        self._queued: OrderedDict[str, tuple[dict[str, Any], list[bytes]]] = OrderedDict()
        self._encoded = EncodedFrames()
        self._later = Later()
        # What was sent: counts and bytes by kind, and the latest messages' kinds and sizes.
        self._count: Counter[str] = Counter()
        self._bytes: Counter[str] = Counter()
        self._sent: deque[tuple[str, int]] = deque(maxlen=HISTORY)
        # Frames fly by (a propagation follows them): no lossless upgrade meanwhile.
        self.holding = False
        self._timings: dict[str, float] = {}
        self._edits: deque[dict[str, float]] = deque(maxlen=HISTORY)
        self._shows: deque[dict[str, float]] = deque(maxlen=HISTORY)

    # -- what the browser sees -----------------------------------------------------
    def shape(self) -> dict[str, int]:
        h, w = self.stack().frame_shape
        return {"height": h, "width": w}

    def show(
        self,
        t: int,
        lossless: bool = False,
        labels: np.ndarray | None = None,
        markers: list[Marker] | None = None,
    ) -> None:
        """Frame ``t``'s image (JPEG now, PNG when idle), its labels (read from the
        session unless given: a propagated frame brings its own) and markers."""
        stack = self.stack()
        if not 0 <= t < stack.n_frames:
            return
        t0 = time.perf_counter()
        if lossless:
            image, mime = encode_image(stack.display_frame(t), True)
        else:
            k = self._preview_factor()
            image, mime = self._encoded.get((self.key(), t, k), self._jpeg(t, k))
            ahead = range(t + 1, t + 1 + PLAY_AHEAD) if self.canvas.playing else (t + 1, t - 1)
            for near in ahead:
                if 0 <= near < stack.n_frames:
                    self._encoded.prefetch((self.key(), near, k), self._jpeg(near, k))
        labels = self.labels(t) if labels is None else labels
        msg = FrameMsg(
            t,
            mime,
            lossless,
            labels is not None,
            **self.shape(),
            markers=self.markers(t) if markers is None else markers,
        )
        buffers = [image] + ([encode_labels(labels)] if labels is not None else [])
        t1 = time.perf_counter()
        self.post("frame", msg.content(), buffers)
        if not lossless:
            self._shows.append({"encode_s": t1 - t0, "send_s": time.perf_counter() - t1})
        if not lossless and not self.canvas.playing:
            # The timer only hands the PNG encode to the encoder thread.
            self._later.schedule(LOSSLESS_AFTER, lambda: self._encoded.run(self._upgrade, t))

    def send_labels(
        self, t: int, labels: np.ndarray | None = None, markers: list[Marker] | None = None
    ) -> float:
        """Frame ``t``'s labels (an edit's result, a propagated frame in view; read from
        the session when None) and markers. Returns the seconds the encode took."""
        t0 = time.perf_counter()
        labels = self.labels(t) if labels is None else labels
        if labels is None:
            return 0.0
        msg = LabelsMsg(t, **self.shape(), markers=self.markers(t) if markers is None else markers)
        payload = encode_labels(labels)
        encode = time.perf_counter() - t0
        self.post("labels", msg.content(), [payload])
        return encode

    def _upgrade(self, t: int) -> None:
        if self.canvas.frame != t or self.holding or self.canvas.playing:
            return
        idle = self.idle_for()
        if idle < LOSSLESS_AFTER:  # the user is at work: the upgrade waits for a pause
            wait = LOSSLESS_AFTER - idle
            self._later.schedule(wait, lambda: self._encoded.run(self._upgrade, t))
            return
        self.show(t, lossless=True)

    def _preview_factor(self) -> float:
        """Scale of frames sent while moving: no finer than the screen shows them
        (1.0 when the screen shows every pixel; the idle PNG is always full size)."""
        shown = self.canvas.view_pixels
        longest = max(self.stack().frame_shape)
        if shown <= 0 or shown >= 0.8 * longest:
            return 1.0
        return round(shown / longest, 3)

    def _jpeg(self, t: int, scale: float) -> Callable[[], tuple[bytes, str]]:
        stack = self.stack()
        return lambda: encode_image(stack.display_frame(t), False, scale=scale)

    # -- flow control ------------------------------------------------------------
    def post(self, slot: str, content: dict[str, Any], buffers: list[bytes]) -> None:
        with self._lock:
            self._queued.pop(slot, None)
            self._queued[slot] = (content, buffers)
            self._drain()

    def _drain(self) -> None:
        now = time.monotonic()
        for seq, sent in list(self._in_flight.items()):
            if now - sent > STALE_AFTER:
                del self._in_flight[seq]
        while self._queued and len(self._in_flight) < MAX_IN_FLIGHT:
            _, (content, buffers) = self._queued.popitem(last=False)
            self._seq += 1
            content = {**content, "seq": self._seq}
            self._in_flight[self._seq] = now
            kind, size = content.get("mime", content["type"]), sum(map(len, buffers))
            self._sent.append((kind, size))
            self._count[kind] += 1
            self._bytes[kind] += size
            self.canvas.send(content, buffers)

    def acked(self, seq: int) -> None:
        with self._lock:
            self._in_flight.pop(seq, None)
            self._drain()

    def reset(self) -> None:
        """A view (re)rendered: forget what the old one never acknowledged."""
        with self._lock:
            self._in_flight.clear()
            self._queued.clear()

    # -- statistics (after jupyter_rfb's get_stats) ---------------------------------
    def timed(self, **timings: float) -> None:
        """Record an edit's timings (seconds: queued, model, encode, send)."""
        self._timings = dict(timings)
        self._edits.append(self._timings)

    def stats(self) -> dict[str, Any]:
        """Messages sent (count and bytes by kind), the latest messages' kinds and sizes,
        the last edit's timings, and the timings of the latest edits and frames
        shown (JPEG previews: encode and send, seconds), oldest first."""
        with self._lock:
            sent, count, size = list(self._sent), dict(self._count), dict(self._bytes)
        return {
            "messages": count,
            "bytes": size,
            "sent": sent,
            "last_edit": dict(self._timings),
            "edits": list(self._edits),
            "shows": list(self._shows),
            "in_flight": len(self._in_flight),
        }

    def reset_stats(self) -> None:
        with self._lock:
            self._sent.clear()
            self._count.clear()
            self._bytes.clear()
        self._timings = {}
        self._edits.clear()
        self._shows.clear()

    def close(self) -> None:
        self._later.close()
        self._encoded.close()
