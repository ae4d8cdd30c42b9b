"""Typed messages from the browser, checked at the boundary.

Every message the front end sends is parsed into one of these dataclasses before
anything acts on it. A message of unknown type, with missing or wrongly typed
fields, or too large, becomes a :class:`MessageError` whose text is shown in the
status line; it never raises inside the comm handler. A message type may declare
one binary buffer (``max_buffer`` bytes at most, e.g. a brush stroke), which then
arrives as its ``data`` field; every other message refuses binary data.
"""

from __future__ import annotations

import math
from dataclasses import MISSING, dataclass, fields
from typing import Any, ClassVar

MAX_MESSAGE_FIELDS = 32
MAX_BUFFER = 1 << 20  # messages without a declared buffer take none
MAX_SEQS = 64  # sequence numbers one acknowledgement carries at most


class MessageError(ValueError):
    """A message from the front end that cannot be acted on."""


@dataclass(frozen=True)
class Point:
    type: ClassVar[str] = "point"
    frame: int
    y: float
    x: float
    label: int
    positive: bool = True


@dataclass(frozen=True)
class Box:
    type: ClassVar[str] = "box"
    frame: int
    y0: float
    x0: float
    y1: float
    x1: float
    label: int


@dataclass(frozen=True)
class Remove:
    """Remove the prompt nearest to (y, x) within ``tolerance`` image pixels (the
    browser sends a few screen pixels' worth at the current zoom)."""

    type: ClassVar[str] = "remove"
    frame: int
    y: float
    x: float
    tolerance: float = 10.0


@dataclass(frozen=True)
class Undo:
    type: ClassVar[str] = "undo"


@dataclass(frozen=True)
class Redo:
    type: ClassVar[str] = "redo"


@dataclass(frozen=True)
class Stroke:
    """A brush or eraser stroke, one message per stroke: the polyline arrives as its
    one binary buffer (``data``: little-endian float32 (x, y) pairs, image pixels);
    the kernel paints every pixel whose centre lies within ``radius`` of it."""

    type: ClassVar[str] = "stroke"
    max_buffer: ClassVar[int] = 65_536 * 8
    frame: int
    label: int
    radius: float
    erase: bool
    track: bool
    data: bytes = b""


@dataclass(frozen=True)
class Fill:
    """Flood fill: the region under (y, x) on the frame (same label value,
    4-connected) becomes ``label``."""

    type: ClassVar[str] = "fill"
    frame: int
    y: float
    x: float
    label: int
    track: bool


@dataclass(frozen=True)
class SetParent:
    """A division: ``daughter`` divided from ``mother`` (0 clears the link)."""

    type: ClassVar[str] = "set_parent"
    daughter: int
    mother: int


@dataclass(frozen=True)
class DeleteLabel:
    """The object list's delete button: remove a label everywhere (undoable)."""

    type: ClassVar[str] = "delete_label"
    label: int


@dataclass(frozen=True)
class Candidate:
    """A click on a candidate outline (found, not yet an object) on ``frame``: drop
    it, or with ``select`` (Shift+click) select it, or unselect it."""

    type: ClassVar[str] = "candidate"
    frame: int
    id: int
    select: bool


@dataclass(frozen=True)
class AcceptDivision:
    """Accept the division proposed on ``frame`` for ``mother`` (one undo step)."""

    type: ClassVar[str] = "accept_division"
    frame: int
    mother: int


@dataclass(frozen=True)
class DismissDivision:
    """Not a division: the proposal on ``frame`` for ``mother`` is not made again."""

    type: ClassVar[str] = "dismiss_division"
    frame: int
    mother: int


@dataclass(frozen=True)
class Ack:
    """The browser has drawn (or, for copies sent ahead, laid up) the messages with
    these sequence numbers: one for each frame or labels message as it is drawn, the
    copies' together (a move carries them; see :class:`ShownAhead`)."""

    type: ClassVar[str] = "ack"
    seqs: tuple[int, ...]


@dataclass(frozen=True)
class ShownAhead:
    """A view's latest moves, each before it reached the kernel: to ``frames[i]``,
    drawn from the copy sent ahead as message ``seqs[i]`` (-1: none was ready); the
    moves are numbered from ``first`` in the view's own count (``view``: a number the
    view drew at random). ``acks``: the copies it laid up lately.

    Why this shape: it travels as the canvas' ``shown_ahead`` trait, saved in the same
    message as the moves themselves (the frame), so a move costs one message; every
    message from the browser costs a round of the kernel's busy and idle status
    besides itself, and JupyterLab swaps its favicon and redraws its execution
    indicator for each. ipywidgets merges saves made while one is on its way (only
    the last value arrives), so the view repeats its last moves and acknowledgements
    (at most ``MAX_SEQS``) and the kernel acts on the moves it has not heard of."""

    type: ClassVar[str] = "shown_ahead"
    view: int
    first: int
    frames: tuple[int, ...]
    seqs: tuple[int, ...]
    acks: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        if len(self.frames) != len(self.seqs):
            raise MessageError("shown_ahead message needs one seq for each frame")


@dataclass(frozen=True)
class Ready:
    """A view (re)rendered and needs the current frame."""

    type: ClassVar[str] = "ready"


@dataclass(frozen=True)
class Active:
    """A pointer went down on the image: a click, box or stroke is coming. Sent
    before it is finished, so background work gives way before the action's own
    message arrives."""

    type: ClassVar[str] = "active"


_TYPES = (
    Point,
    Box,
    Remove,
    Undo,
    Redo,
    Stroke,
    Fill,
    SetParent,
    DeleteLabel,
    Candidate,
    AcceptDivision,
    DismissDivision,
    Ack,
    ShownAhead,
    Ready,
    Active,
)
MESSAGES: dict[str, type] = {cls.type: cls for cls in _TYPES}

Message = (
    Point
    | Box
    | Remove
    | Undo
    | Redo
    | Stroke
    | Fill
    | SetParent
    | DeleteLabel
    | Candidate
    | AcceptDivision
    | DismissDivision
    | Ack
    | ShownAhead
    | Ready
    | Active
)


def _convert(name: str, kind: Any, value: Any) -> Any:
    if kind in (int, "int"):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise MessageError(f"field {name!r} must be an integer, got {value!r}")
        if isinstance(value, float) and not value.is_integer():
            raise MessageError(f"field {name!r} must be an integer, got {value!r}")
        return int(value)
    if kind in (float, "float"):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise MessageError(f"field {name!r} must be a number, got {value!r}")
        if not math.isfinite(value):
            raise MessageError(f"field {name!r} must be finite, got {value!r}")
        return float(value)
    if kind in (bool, "bool"):
        if not isinstance(value, bool):
            raise MessageError(f"field {name!r} must be true or false, got {value!r}")
        return value
    if kind == "tuple[int, ...]":
        if not isinstance(value, list) or len(value) > MAX_SEQS:
            raise MessageError(f"field {name!r} must be a list of at most {MAX_SEQS} integers")
        return tuple(_convert(name, int, v) for v in value)
    raise MessageError(f"field {name!r} has unsupported type")  # pragma: no cover


def parse_message(content: Any, buffers: list[Any] | tuple[Any, ...] = ()) -> Message:
    """Check and convert one message dict (and its buffers); raise
    :class:`MessageError` if unusable."""
    if not isinstance(content, dict):
        raise MessageError(f"message must be an object, got {type(content).__name__}")
    if len(content) > MAX_MESSAGE_FIELDS:
        raise MessageError(f"message has {len(content)} fields; at most {MAX_MESSAGE_FIELDS}")
    kind = content.get("type")
    cls = MESSAGES.get(kind) if isinstance(kind, str) else None
    if cls is None:
        raise MessageError(f"unknown message type {kind!r}")
    values: dict[str, Any] = {}
    limit = int(getattr(cls, "max_buffer", 0))
    sizes = [len(b) for b in buffers]
    if sum(sizes) > max(limit, MAX_BUFFER):
        raise MessageError(f"{kind} message too large ({sum(sizes)} bytes)")
    if limit == 0 and buffers:
        raise MessageError(f"{kind} message takes no binary data")
    if limit:
        if len(buffers) != 1:
            raise MessageError(
                f"{kind} message needs exactly one binary buffer, got {len(buffers)}"
            )
        if sizes[0] > limit:
            raise MessageError(f"{kind} message data is {sizes[0]} bytes; at most {limit}")
        values["data"] = bytes(buffers[0])
    for f in fields(cls):
        if f.name == "data" and limit:
            continue
        if f.name not in content:
            if f.default is not MISSING:
                continue
            raise MessageError(f"{kind} message lacks field {f.name!r}")
        values[f.name] = _convert(f.name, f.type, content[f.name])
    unknown = set(content) - {f.name for f in fields(cls)} - {"type"}
    if unknown:
        raise MessageError(f"{kind} message has unknown field(s) {sorted(unknown)}")
    return cls(**values)
