"""Frames and labels to the browser, under flow control (:mod:`.flow`).

A frame is first sent as JPEG at the resolution the screen shows, then as full-size
PNG once the view has been idle for ``LOSSLESS_AFTER`` seconds (no frame change, click
or job of the user's meanwhile); that upgrade is scheduled on the kernel's event loop
(a single timer thread where there is none, e.g. in scripts), never on a new thread
per frame change. After each frame shown, the frames the view is likely to show next
are sent ahead (:mod:`.ahead`): two in the direction of the last step and one behind,
or the next ``PLAY_AHEAD`` while playing; they leave only when nothing the view waits
for is queued. Once the view rests (after its upgrade), the previews of the next
``PREPARE_AHEAD`` frames are encoded on the encoder thread, so that playing from there
spends nothing on encoding them. :meth:`FrameStream.stats` reports what was sent and,
per edit and per frame shown, where the kernel's time went (:mod:`.sent`).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from .._later import Later
from ..io import Stack
from .ahead import AheadFrames, LaidUp
from .canvas import AnnotatorCanvas
from .codec import encode_image, encode_labels, preview_scale
from .flow import AHEAD, Outbox
from .messages import ShownAhead
from .outbound import AheadMsg, ForgetMsg, FrameMsg, LabelsMsg, Marker
from .prefetch import EncodedFrames
from .sent import SentStats

LOSSLESS_AFTER = 0.3
PLAY_AHEAD = 8  # frames sent ahead while the browser plays
STEP_AHEAD = 2  # frames sent ahead in the direction of the last step (and one behind)
PREPARE_AHEAD = 150  # previews encoded ahead of a view at rest: 5 s of playing at 30 fps
PREVIEW_BYTES = 64 << 20  # the encoded previews kept (half of it for those prepared)


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
        # the canvas' send looked up at each message (a test's fake browser replaces it)
        self.out = Outbox(lambda content, buffers: self.canvas.send(content, buffers), self._sent)
        self.post, self.acked = self.out.post, self.out.acked
        self._encoded = EncodedFrames(PREVIEW_BYTES)
        self.ahead = AheadFrames()
        self._generation = 0  # of the data shown: channels, another sequence
        self._last: int | None = None  # the frame shown last, for the stepping direction
        self._direction = 1
        self._reached: int | None = None  # the frame of the browser's latest claim
        self._told: dict[int, int] = {}  # per view: the number of its latest move heard of
        self._later = Later()
        self._holding = False
        self._laying = threading.Lock()
        self.sent = SentStats()

    @property
    def holding(self) -> bool:
        """Frames fly by (a propagation follows them): no lossless upgrade and nothing
        sent ahead meanwhile; the copies laid up go (their labels are about to change)."""
        return self._holding

    @holding.setter
    def holding(self, on: bool) -> None:
        with self._laying:  # a copy being laid up now is recorded before it is forgotten
            if on and not self._holding:
                self._forget(None)
            self._holding = on

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
        moved: bool = False,
    ) -> None:
        """Frame ``t``'s image (JPEG now, PNG when idle), its labels (read from the
        session unless given: a propagated frame brings its own) and markers.
        ``moved``: the browser (or a script) moved the view; the browser may have
        drawn a copy laid up, and then only what changed since is sent."""
        stack = self.stack()
        if not 0 <= t < stack.n_frames:
            return
        t0 = time.perf_counter()
        if not lossless:
            if self._last is not None and t != self._last:
                self._direction = 1 if t > self._last else -1
            self._last = t
            if not moved:
                self._reached = None  # the kernel moved the view: it knows where it is
            drawn = self.ahead.settle(t) if moved else None
            if drawn is not None and drawn.source == self._source():
                self._changed_since(drawn, labels, markers)
                self.sent.shown(time.perf_counter() - t0, 0.0)
                self._after_preview(t)
                return
        if lossless:
            image, mime = encode_image(stack.display_frame(t), True)
        else:
            image, mime = self._preview(t)
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
            self.sent.shown(t1 - t0, time.perf_counter() - t1)
            self._after_preview(t)

    def _after_preview(self, t: int) -> None:
        """The lossless upgrade once the view is idle, and the frames sent ahead, both
        on the encoder thread (the timer only hands the PNG encode to it)."""
        if not self.canvas.playing:
            self._later.schedule(LOSSLESS_AFTER, lambda: self._encoded.run(self._upgrade, t))
        self._encoded.run(self._send_ahead)

    def _changed_since(
        self, drawn: LaidUp, labels: np.ndarray | None, markers: list[Marker] | None
    ) -> None:
        """The browser drew the copy sent ahead: send what changed since it left (its
        labels and markers together, as a labels message), or nothing."""
        t = drawn.frame
        payload = self._coded_labels(t, labels)
        markers = self.markers(t) if markers is None else markers
        if payload is None or (payload == drawn.labels and markers == drawn.markers):
            return
        msg = LabelsMsg(t, **self.shape(), markers=markers)
        self.post("labels", msg.content(), [payload])

    def _coded_labels(self, t: int, labels: np.ndarray | None = None) -> bytes | None:
        """Frame ``t``'s labels (read from the session unless given) as they travel."""
        labels = self.labels(t) if labels is None else labels
        return None if labels is None else encode_labels(labels)

    def _where(self, playing: bool) -> int:
        """Where the browser is: playing, its latest claim (its moves come throttled)."""
        return self._reached if playing and self._reached is not None else self.canvas.frame

    def _source(self) -> tuple[int, int]:
        """What a copy shows: the sequence in view and the generation of its display."""
        return (self.key(), self._generation)

    def _send_ahead(self) -> None:
        """Lay up the frames the view is likely to show next from the frame in view
        (those not laid up yet), unless a propagation streams its frames."""
        stack, source = self.stack(), self._source()
        playing = self.canvas.playing
        t = self._where(playing)
        if playing:
            near = [t + s for s in range(1, PLAY_AHEAD + 1)]
        else:
            d = self._direction
            near = [t + d * s for s in range(1, STEP_AHEAD + 1)] + [t - d]
        for f in self.ahead.missing(f for f in near if 0 <= f < stack.n_frames):
            now = self._where(playing)
            if self.holding or (now != t and not playing):
                return  # the view moved on: its own show sends its neighbours
            if playing and f <= now:
                continue  # played past meanwhile
            image, mime = self._preview(f)
            payload, markers = self._coded_labels(f), self.markers(f)
            msg = AheadMsg(f, mime, payload is not None, **self.shape(), markers=markers)
            buffers = [image] + ([payload] if payload is not None else [])
            with self._laying:
                if self.holding:
                    return  # a propagation began while this copy was made
                far = self.ahead.hold(LaidUp(f, source, payload, markers), around=t)
                if far:
                    self._forget(far, held=False)
                self.post(f"{AHEAD}{f}", msg.content(), buffers)

    def lay_up(self) -> None:
        """Send the frames the view is likely to show next (playback started)."""
        self._encoded.run(self._send_ahead)

    def shown_ahead(self, msg: ShownAhead) -> None:
        """A view's latest moves drawn from copies (or not), and the copies it laid up:
        acknowledged first, so the copies those moves call for may go. Moves heard of
        before (the view repeats its last ones) are not claimed again."""
        self.acked(*msg.acks)
        told = self._told.get(msg.view, 0)
        new = [
            (frame, seq)
            for i, (frame, seq) in enumerate(zip(msg.frames, msg.seqs, strict=True))
            if msg.first + i > told
        ]
        self._told[msg.view] = max(told, msg.first + len(msg.frames) - 1)
        for frame, seq in new:
            self.claimed(frame, seq)
        if self.canvas.playing and new:
            self._encoded.run(self._send_ahead)

    def claimed(self, frame: int, seq: int) -> None:
        """The browser moved to ``frame`` and drew the copy sent as message ``seq``
        (-1: none was ready); its move is shown next, unless the frame shown last is
        that one already (moves merged on the way): then it is answered now."""
        copy = self.ahead.claim(frame, seq)
        self._reached = frame
        if frame != self._last:
            self.ahead.pend(frame, copy)
            return
        self.ahead.drop_claims()
        if copy is not None and copy.source == self._source():
            self._changed_since(copy, None, None)
        else:
            self.show(frame)

    def revalidate(self) -> None:
        """After an edit: copies whose labels or markers changed are forgotten and the
        neighbours of the view laid up again (on the encoder thread)."""
        self._encoded.run(self._revalidate)

    def _revalidate(self) -> None:
        source, stale = self._source(), []
        for copy in self.ahead.held():
            same = copy.source == source and self._coded_labels(copy.frame) == copy.labels
            if not same or self.markers(copy.frame) != copy.markers:
                stale.append(copy.frame)
        if stale:
            self._forget(stale)
        if not self.holding:
            self._send_ahead()

    def forget(self) -> None:
        """The data shown changed (channels, another sequence): no copy laid up or
        encoded before shows it."""
        self._generation += 1
        self._encoded.clear()
        self._forget(None)

    def _forget(self, frames: list[int] | None, held: bool = True) -> None:
        """Tell the browser to forget ``frames`` (None: all); what is still queued for
        them is not sent. ``held``: take them out of the record too (eviction has)."""
        gone = self.ahead.discard(frames) if held else list(frames or [])

        def notice() -> None:
            if frames is None or gone:
                self.canvas.send(ForgetMsg(None if frames is None else gone).content(), [])

        self.out.drop_ahead(frames, notice)

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
        self._prepare(t, t + 1)

    def _prepare(self, t: int, f: int) -> None:
        """While the view rests on ``t``: the preview of frame ``f`` is encoded, then
        the next, one frame per job (a move meanwhile waits for one encode at most),
        so that playing from here, or stepping on, finds them ready; until
        PREPARE_AHEAD frames are, or half the cache's budget, or the view moves."""
        end = min(self.stack().n_frames, t + 1 + PREPARE_AHEAD)
        busy = self.canvas.frame != t or self.holding or self.canvas.playing
        if busy or f >= end:
            return
        image, _ = self._preview(f)
        if (f - t) * len(image) < self._encoded.budget // 2:
            self._encoded.run(self._prepare, t, f + 1)

    def _preview_factor(self) -> float:
        """Scale of frames sent while moving: about as fine as the screen shows them
        (:func:`.codec.preview_scale`; the idle PNG is always full size)."""
        return preview_scale(self.canvas.view_pixels, max(self.stack().frame_shape))

    def _preview(self, t: int) -> tuple[bytes, str]:
        """Frame ``t``'s preview, encoded once per sequence, generation of its display
        and scale (an encode begun before the display changed lands under the old
        generation, where nothing reads it)."""
        k = self._preview_factor()
        return self._encoded.get((*self._source(), t, k), self._jpeg(t, k))

    def _jpeg(self, t: int, scale: float) -> Callable[[], tuple[bytes, str]]:
        stack = self.stack()
        return lambda: encode_image(stack.display_frame(t), False, scale=scale)

    def _sent(self, content: dict[str, Any], buffers: list[bytes]) -> None:
        """A message left (:class:`Outbox`): a copy's sequence number goes on record."""
        if content["type"] == AheadMsg.type:
            self.ahead.sent(content["frame"], content["seq"])
        self.sent.sent(content.get("mime", content["type"]), sum(map(len, buffers)))

    def reset(self) -> None:
        """A view (re)rendered: forget what the old one never acknowledged, and what
        the views hold laid up (the new one holds nothing)."""
        self.out.clear()
        self._told.clear()
        self._forget(None)

    # -- statistics (sent.py: ``sent.timed`` records an edit's, ``sent.reset`` clears)
    def stats(self) -> dict[str, Any]:
        """:meth:`SentStats.stats`, and the messages awaiting acknowledgement."""
        return self.sent.stats() | {"in_flight": self.out.in_flight()}

    def close(self) -> None:
        self._later.close()
        self._encoded.close()
