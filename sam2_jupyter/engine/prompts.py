"""Prompts (clicks, boxes, masks) as typed records, and their validation.

A prompt is stored in stack pixel coordinates (y, x), whatever the model's input
size, so prompts saved from one model load onto another. ``group`` records which
prompts went to SAM2 together: a click in auto-segment mode is its own group; a
``segment()`` call or a loaded file sends each object's prompts on a frame as one
group. Replaying groups in order reproduces the masks exactly. :meth:`to_json` and
:func:`prompt_from_json` are the one place a prompt becomes JSON (autosave, the
widget's markers).
"""

from __future__ import annotations

import base64
import math
from dataclasses import dataclass, field, fields
from typing import Any, ClassVar

import numpy as np

from ..errors import PromptError
from .labels import MAX_LABEL, pack_mask, unpack_mask


@dataclass(frozen=True)
class _PromptBase:
    frame: int
    label: int

    kind: ClassVar[str] = ""

    @property
    def key(self) -> tuple[int, int]:
        """(frame, label): what SAM2 keeps one set of inputs for."""
        return (self.frame, self.label)

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict with the ``kind``; :func:`prompt_from_json` reads it."""
        return {"kind": self.kind, **{f.name: getattr(self, f.name) for f in fields(self)}}


@dataclass(frozen=True)
class PointPrompt(_PromptBase):
    """A positive (or negative) click at pixel (y, x)."""

    y: float
    x: float
    positive: bool = True
    group: int = field(default=0, kw_only=True)
    batched: bool = field(default=False, kw_only=True)

    kind: ClassVar[str] = "point"

    def distance(self, y: float, x: float) -> float:
        return float(math.hypot(self.y - y, self.x - x))


@dataclass(frozen=True)
class BoxPrompt(_PromptBase):
    """A box with corners (y0, x0) top-left and (y1, x1) bottom-right; always positive
    (SAM2 has no negative boxes)."""

    y0: float
    x0: float
    y1: float
    x1: float
    group: int = field(default=0, kw_only=True)
    batched: bool = field(default=False, kw_only=True)

    kind: ClassVar[str] = "box"
    positive: ClassVar[bool] = True

    def distance(self, y: float, x: float) -> float:
        """To the nearest corner (what a click on the box's handle hits)."""
        return min(
            math.hypot(cy - y, cx - x) for cy in (self.y0, self.y1) for cx in (self.x0, self.x1)
        )


@dataclass(frozen=True)
class MaskPrompt(_PromptBase):
    """A mask of the object on one frame: ``bits`` are the (Y, X) boolean mask packed
    and zlib-compressed (immutable and small: masks compress 50-500×)."""

    shape: tuple[int, int]
    bits: bytes
    group: int = field(default=0, kw_only=True)
    batched: bool = field(default=True, kw_only=True)

    kind: ClassVar[str] = "mask"
    positive: ClassVar[bool] = True

    @classmethod
    def from_array(cls, frame: int, label: int, mask: np.ndarray, **kw: Any) -> MaskPrompt:
        mask = np.asarray(mask, bool)
        return cls(frame, label, (int(mask.shape[0]), int(mask.shape[1])), pack_mask(mask), **kw)

    def array(self) -> np.ndarray:
        return unpack_mask(self.bits, self.shape)

    @property
    def area(self) -> int:
        """Pixels in the mask."""
        return int(np.count_nonzero(self.array()))

    def __repr__(self) -> str:
        """Frame, label, shape and area, not the bits: a printed prompt list stays
        readable (the bits of a frame of nuclei run to tens of thousands of characters)."""
        return (
            f"MaskPrompt(frame={self.frame}, label={self.label}, shape={self.shape}, "
            f"area={self.area}, group={self.group}, batched={self.batched})"
        )

    def distance(self, y: float, x: float) -> float:
        """0 inside the mask, else infinite: a mask is removed by clicking on it."""
        h, w = self.shape
        iy, ix = int(y), int(x)
        inside = 0 <= iy < h and 0 <= ix < w and bool(self.array()[iy, ix])
        return 0.0 if inside else math.inf

    def to_json(self) -> dict[str, Any]:
        out = super().to_json()
        out["shape"] = list(self.shape)
        out["bits"] = base64.b64encode(self.bits).decode("ascii")
        return out


Prompt = PointPrompt | BoxPrompt | MaskPrompt
KINDS: dict[str, type] = {c.kind: c for c in (PointPrompt, BoxPrompt, MaskPrompt)}


def prompt_from_json(data: dict[str, Any]) -> Prompt:
    """Inverse of ``to_json`` (also reads autosaves written before prompts were typed,
    which padded unused coordinates with null)."""
    data = dict(data)
    cls = KINDS.get(data.pop("kind", None))
    if cls is None:
        raise PromptError(f"unknown prompt kind in {data!r}")
    names = {f.name for f in fields(cls)}
    values = {k: v for k, v in data.items() if k in names}
    if cls is MaskPrompt:
        values["shape"] = tuple(values["shape"])
        values["bits"] = base64.b64decode(values["bits"])
    return cls(**values)


def check_label(label: object) -> int:
    if isinstance(label, bool) or not isinstance(label, (int, np.integer)):
        raise PromptError(f"label must be an integer 1..{MAX_LABEL}, got {label!r}")
    if not 1 <= int(label) <= MAX_LABEL:
        raise PromptError(f"label {label} out of range 1..{MAX_LABEL} (0 is background)")
    return int(label)


def check_frame(frame: object, n_frames: int) -> int:
    if isinstance(frame, bool) or not isinstance(frame, (int, np.integer)):
        raise PromptError(f"frame must be an integer, got {frame!r}")
    if not 0 <= int(frame) < n_frames:
        raise PromptError(f"frame {frame} out of range 0..{n_frames - 1}")
    return int(frame)


def check_point(y: object, x: object, shape: tuple[int, int]) -> tuple[float, float]:
    try:
        fy, fx = float(y), float(x)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise PromptError(f"point coordinates must be numbers, got y={y!r}, x={x!r}") from None
    if not (math.isfinite(fy) and math.isfinite(fx)):
        raise PromptError(f"point coordinates must be finite numbers, got y={fy}, x={fx}")
    h, w = shape
    if not (0 <= fy <= h and 0 <= fx <= w):
        raise PromptError(
            f"point (y={fy:g}, x={fx:g}) is outside the frame (height {h}, width {w})"
        )
    return fy, fx


def check_prompt(p: Prompt, n_frames: int, shape: tuple[int, int]) -> Prompt:
    """A prompt from outside (a file, a script) checked and normalised: frame,
    label and coordinates in range, box corners ordered, grouping reset."""
    frame, label = check_frame(p.frame, n_frames), check_label(p.label)
    if isinstance(p, PointPrompt):
        y, x = check_point(p.y, p.x, shape)
        return PointPrompt(frame, label, y, x, bool(p.positive))
    if isinstance(p, BoxPrompt):
        return BoxPrompt(frame, label, *check_box(p.y0, p.x0, p.y1, p.x1, shape))
    if isinstance(p, MaskPrompt):
        if tuple(p.shape) != tuple(shape):
            raise PromptError(f"mask of shape {p.shape} on frames of shape {shape}")
        return MaskPrompt(frame, label, p.shape, p.bits)
    raise PromptError(f"not a prompt: {p!r}")


def check_box(
    y0: object, x0: object, y1: object, x1: object, shape: tuple[int, int]
) -> tuple[float, float, float, float]:
    a = check_point(y0, x0, shape)
    b = check_point(y1, x1, shape)
    top, bottom = sorted((a[0], b[0]))
    left, right = sorted((a[1], b[1]))
    if bottom - top < 1 or right - left < 1:
        raise PromptError(
            f"box ({top:g}, {left:g})-({bottom:g}, {right:g}) is narrower than one pixel"
        )
    return top, left, bottom, right
