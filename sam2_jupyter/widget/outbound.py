"""Typed messages from the kernel to the browser: the mirror of :mod:`.messages`.

Each is a frozen dataclass whose :meth:`content` is the JSON part of one custom
message (its binary buffers travel beside it); ``js/src`` declares the same shapes
as JSDoc typedefs, and ``tests/test_js.py`` checks that the two agree. The frame
stream adds ``seq`` (its flow control's sequence number) when a message leaves.

- :class:`FrameMsg`: a frame's image (buffer 0) and, when ``has_labels``, its labels
  (buffer 1), with the markers of that frame.
- :class:`AheadMsg`: a frame the view is likely to show next (the neighbours of the
  frame in view, the frames a playback reaches next), laid up in the browser and
  drawn at once when the view moves there.
- :class:`ForgetMsg`: forget frames laid up (all of them when ``frames`` is None).
- :class:`LabelsMsg`: a frame's labels alone (buffer 0) and its markers: what an
  edit answers with, and a propagated frame in view. The browser retires the
  markers it drew before the kernel answered once these labels are drawn.
- :class:`TimelineMsg`: the review summary, whole or the columns that changed.
- :class:`CandidatesMsg`: the candidates found on a frame (not objects yet).
- :class:`DivisionsMsg`: the divisions proposed on the session in view.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any, ClassVar


@dataclass(frozen=True)
class Marker:
    """A prompt as the browser draws it. A mask's bits stay in the kernel (its pixels
    are on the canvas already, in the labels): ``shape`` says its size."""

    kind: str  # "point", "box" or "mask"
    frame: int
    label: int
    positive: bool
    pending: bool  # queued until "Trigger segmentation" (auto-segment off)
    # The prompt's own fields: y, x (point); y0, x0, y1, x1 (box); shape (mask).
    fields: dict[str, Any]

    @classmethod
    def of(cls, prompt: Any, pending: bool = False) -> Marker:
        data = prompt.to_json()
        data.pop("bits", None)
        common = {k: data.pop(k) for k in ("kind", "frame", "label")}
        data.pop("positive", None)
        return cls(**common, positive=bool(prompt.positive), pending=pending, fields=data)

    def to_json(self) -> dict[str, Any]:
        """Flat, as the browser reads it (``p.x``, ``p.kind``)."""
        out = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "fields"}
        return out | self.fields


def _content(msg: Any) -> dict[str, Any]:
    out = {"type": msg.type, **asdict(msg)}
    if "markers" in out:
        out["markers"] = [m.to_json() for m in msg.markers]
    return out


@dataclass(frozen=True)
class FrameMsg:
    type: ClassVar[str] = "frame"
    frame: int
    mime: str  # of the image buffer: "image/jpeg" while moving, "image/png" when idle
    lossless: bool
    has_labels: bool
    width: int
    height: int
    markers: list[Marker]

    def content(self) -> dict[str, Any]:
        return _content(self)


@dataclass(frozen=True)
class AheadMsg:
    """A frame sent ahead: its image (buffer 0) and, when ``has_labels``, its labels
    (buffer 1), with its markers, as a :class:`FrameMsg` carries them."""

    type: ClassVar[str] = "ahead"
    frame: int
    mime: str
    has_labels: bool
    width: int
    height: int
    markers: list[Marker]

    def content(self) -> dict[str, Any]:
        return _content(self)


@dataclass(frozen=True)
class ForgetMsg:
    """Forget the frames laid up (``frames``; None: all): the data shown changed."""

    type: ClassVar[str] = "forget"
    frames: list[int] | None = None

    def content(self) -> dict[str, Any]:
        return {"type": self.type, "frames": self.frames}


@dataclass(frozen=True)
class LabelsMsg:
    type: ClassVar[str] = "labels"
    frame: int
    width: int
    height: int
    markers: list[Marker]

    def content(self) -> dict[str, Any]:
        return _content(self)


@dataclass(frozen=True)
class TimelineMsg:
    """The review summary (:mod:`sam2_jupyter.engine.summary`), outside the frame
    stream's flow control. Buffer 0: when ``full``, the whole (labels × ``n_frames``)
    table run-length coded like a label image; else the columns ``frames``, raw
    bytes, frame-major. A message carries ``n_frames`` or ``frames``, not both."""

    type: ClassVar[str] = "timeline"
    full: bool
    labels: list[int]
    n_frames: int | None = None
    frames: list[int] | None = None

    def content(self) -> dict[str, Any]:
        # Built by hand: asdict() deep-copies the lists, once per propagated frame.
        out: dict[str, Any] = {"type": self.type, "full": self.full, "labels": self.labels}
        if self.n_frames is not None:
            out["n_frames"] = self.n_frames
        if self.frames is not None:
            out["frames"] = self.frames
        return out


@dataclass(frozen=True)
class CandidatesMsg:
    """The candidates of ``frame`` (:mod:`.discovery`), outside the flow control.
    When ``has_image``, buffer 0 is their label image (ids as they are, 0 elsewhere)
    run-length coded like labels (300 candidates at 1024² are about 125 kB); else the
    browser keeps the image it has and only ``ids`` (the ones still shown) and
    ``selected`` changed. No ``ids``: no candidates."""

    type: ClassVar[str] = "candidates"
    frame: int
    width: int
    height: int
    ids: list[int]
    selected: list[int]
    has_image: bool

    def content(self) -> dict[str, Any]:
        return {"type": self.type, **asdict(self)}


@dataclass(frozen=True)
class DivisionsMsg:
    """Every proposed division of the session in view (:mod:`.divisions`), outside the
    flow control, sent whole (a few hundred at most) as parallel lists, one entry per
    proposal: its frame, its mother, and its daughter (the newcomer's id; 0 where the
    mother became two parts of one id, which get ids when it is accepted)."""

    type: ClassVar[str] = "divisions"
    frames: list[int]
    mothers: list[int]
    daughters: list[int]

    def content(self) -> dict[str, Any]:
        return {"type": self.type, **asdict(self)}


# Every message the frame stream sends, by type (tests/test_js.py mirrors them).
STREAMED: dict[str, type] = {m.type: m for m in (FrameMsg, LabelsMsg, AheadMsg)}
