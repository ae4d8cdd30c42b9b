"""Messages to the browser under flow control (after jupyter_rfb).

At most ``MAX_IN_FLIGHT`` messages the view waits for, and ``AHEAD_IN_FLIGHT`` copies
sent ahead (:mod:`.ahead`), wait for the browser's acknowledgement at a time; each
budget is its own, so copies never hold up the view, nor it them. Newer content for
the same slot ("frame", "labels", "ahead<frame>") replaces what is still queued, so a
slow browser sees the latest frame instead of a backlog. A message left
unacknowledged for ``STALE_AFTER`` seconds (a view that closed) stops counting.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import Any

MAX_IN_FLIGHT = 2
AHEAD_IN_FLIGHT = 4  # copies sent ahead awaiting acknowledgement, beside those
STALE_AFTER = 5.0  # a closed view never acks: stop waiting for it
AHEAD = "ahead"  # the slots of copies sent ahead: "ahead<frame>"

Content = dict[str, Any]


class Outbox:
    """The queue and the messages in flight. ``send`` puts one on the comm;
    ``on_sent(content, buffers)`` hears each as it leaves, its ``seq`` set."""

    def __init__(
        self,
        send: Callable[[Content, list[bytes]], None],
        on_sent: Callable[[Content, list[bytes]], None],
    ) -> None:
        self._send = send
        self._on_sent = on_sent
        self._lock = threading.Lock()
        self._seq = 0
        self._in_flight: dict[int, tuple[float, bool]] = {}  # seq -> (sent, a copy ahead)
        self._queued: OrderedDict[str, tuple[Content, list[bytes]]] = OrderedDict()

    def post(self, slot: str, content: Content, buffers: list[bytes]) -> None:
        with self._lock:
            self._queued.pop(slot, None)
            self._queued[slot] = (content, buffers)
            self._drain()

    def acked(self, *seqs: int) -> None:
        with self._lock:
            for seq in seqs:
                self._in_flight.pop(seq, None)
            self._drain()

    def drop_ahead(self, frames: Iterable[int] | None, then: Callable[[], None]) -> None:
        """Unqueue the copies of ``frames`` (None: all), then call ``then`` before any
        other message leaves (the browser's notice to forget them)."""
        wanted = None if frames is None else set(frames)
        with self._lock:
            for slot in [s for s in self._queued if s.startswith(AHEAD)]:
                if wanted is None or int(slot[len(AHEAD) :]) in wanted:
                    del self._queued[slot]
            then()

    def clear(self) -> None:
        """A view (re)rendered: what the old one never acknowledged is forgotten."""
        with self._lock:
            self._in_flight.clear()
            self._queued.clear()

    def in_flight(self) -> int:
        with self._lock:
            return len(self._in_flight)

    def idle(self) -> bool:
        """Nothing queued, nothing awaiting acknowledgement."""
        with self._lock:
            return not self._queued and not self._in_flight

    def _drain(self) -> None:
        now = time.monotonic()
        for seq, (sent, _) in list(self._in_flight.items()):
            if now - sent > STALE_AFTER:
                del self._in_flight[seq]
        while self._queued:
            # What the view waits for first, within its budget; then the copies.
            ahead = sum(a for _, a in self._in_flight.values())
            view = len(self._in_flight) - ahead
            slots = [s for s in self._queued if not s.startswith(AHEAD)]
            if not (slots and view < MAX_IN_FLIGHT):
                slots = [s for s in self._queued if s.startswith(AHEAD)]
                if not (slots and ahead < AHEAD_IN_FLIGHT):
                    return
            is_ahead = slots[0].startswith(AHEAD)
            content, buffers = self._queued.pop(slots[0])
            self._seq += 1
            content = {**content, "seq": self._seq}
            self._in_flight[self._seq] = (now, is_ahead)
            self._on_sent(content, buffers)
            self._send(content, buffers)
