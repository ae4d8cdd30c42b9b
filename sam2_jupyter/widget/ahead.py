"""Frames laid up in the browser ahead of the view: the kernel's record of them.

Why: a frame switch that waits for the kernel pays a round trip (key, trait, kernel,
encode, wire, decode, draw), several times what the browser needs to decode and draw
a preview. So the stream sends the neighbours of the frame in view (while playing,
the next frames) ahead; the browser decodes each as it arrives and draws it at once
when the view moves there, telling the kernel which copy it drew, or that none was
ready (a ``ShownAhead`` for every move the browser makes, sent just before the move
itself, which comes throttled: several moves may merge into the last). For that move
the kernel then sends only what changed since the copy left: its labels or markers,
or the whole frame when no copy was drawn or the data shown changed meanwhile.

One owner: this record is what the browser holds. The browser forgets a copy only
when told to (a ``ForgetMsg``) or when it draws it (the copy becomes the view's), so
both sides always agree on what is laid up; a claim for a copy the record no longer
has, or has in a newer version, counts as a frame not laid up (the whole frame goes).
A claim waits for its move; a move settles its own claim and every one before it, and
a claim for the frame the kernel is at already is answered at once.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field

from .outbound import Marker

KEEP = 12  # copies the browser holds at most (1024² previews: 4 MiB each, decoded)


@dataclass
class LaidUp:
    """One copy sent ahead: what it showed, so a later move can tell what changed."""

    frame: int
    source: Hashable  # the data shown (sequence, display generation)
    labels: bytes | None  # run-length coded, as sent
    markers: list[Marker] = field(default_factory=list)
    seq: int | None = None  # the message's sequence number, once it left


class AheadFrames:
    """The copies laid up in the browser and the claims of the moves on their way."""

    def __init__(self, keep: int = KEEP) -> None:
        self.keep = keep
        self._lock = threading.Lock()
        self._held: OrderedDict[int, LaidUp] = OrderedDict()
        self._claims: list[tuple[int, LaidUp | None]] = []  # moves on their way, in order

    def missing(self, frames: Iterable[int]) -> list[int]:
        """Those of ``frames`` the browser does not hold."""
        with self._lock:
            return [f for f in frames if f not in self._held]

    def held(self) -> list[LaidUp]:
        with self._lock:
            return list(self._held.values())

    def hold(self, copy: LaidUp, around: int) -> list[int]:
        """Record ``copy`` as sent; returns the frames to forget to stay within
        :attr:`keep` (the farthest from ``around``, the frame in view)."""
        with self._lock:
            self._held[copy.frame] = copy
            out = []
            while len(self._held) > self.keep:
                far = max(self._held, key=lambda f: abs(f - around))
                del self._held[far]
                out.append(far)
            return out

    def sent(self, frame: int, seq: int) -> None:
        """The copy of ``frame`` left as message ``seq``."""
        with self._lock:
            copy = self._held.get(frame)
            if copy is not None and copy.seq is None:
                copy.seq = seq

    def discard(self, frames: Iterable[int] | None = None) -> list[int]:
        """Forget ``frames`` (None: all, and every claim); returns those that were held."""
        with self._lock:
            gone = list(self._held) if frames is None else [f for f in frames if f in self._held]
            for f in gone:
                del self._held[f]
            if frames is None:
                self._claims.clear()
            return gone

    def claim(self, frame: int, seq: int) -> LaidUp | None:
        """The browser moved to ``frame`` and drew copy ``seq`` (-1: none was ready):
        that copy is the view's now. Returns it if it is the one on record."""
        with self._lock:
            copy = self._held.pop(frame, None)
            return copy if copy is not None and copy.seq == seq else None

    def pend(self, frame: int, copy: LaidUp | None) -> None:
        """A claim whose move has not reached the kernel yet (moves come throttled,
        several merged into the last; claims come one per move, before it)."""
        with self._lock:
            self._claims.append((frame, copy))

    def drop_claims(self) -> None:
        with self._lock:
            self._claims.clear()

    def settle(self, frame: int) -> LaidUp | None:
        """The browser's move to ``frame`` arrived: the copy its latest claim of that
        frame says it drew (None: none, or no claim), with every claim up to it dropped
        (passed). The latest, not the first: a view can move to a frame twice within
        one save (sent back by another view, say), and what it shows is what it drew
        the second time; answered from the first, it would wait for a frame never sent."""
        with self._lock:
            for i in range(len(self._claims) - 1, -1, -1):
                f, copy = self._claims[i]
                if f == frame:
                    del self._claims[: i + 1]
                    return copy
            return None
