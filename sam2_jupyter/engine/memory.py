"""Memory modes: what is kept where while SAM2 tracks a long sequence.

SAM2 keeps, for every frame it has tracked, a memory feature map, mask logits and an
object pointer, and sam2's loader keeps every frame as float32: memory grows with
every frame. The low modes bound it without changing a single mask, because they
keep everything SAM2's memory attention can read.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .._sam2.state import memory_reach

MODES = ("normal", "low", "super-low")


@dataclass(frozen=True)
class MemoryMode:
    """How frames and tracking outputs are held.

    normal
        Resized frames cached on the compute device; every output kept.
    low
        Frames on the CPU, decoded on demand (a few cached); during propagation the
        non-conditioning outputs outside the memory window are released.
    super-low
        As low, and SAM2's whole inference state lives on the CPU (saves GPU memory
        at some speed; the same as low on a CPU-only machine).
    """

    name: str
    frame_cache: int | None
    release_outputs: bool
    offload_state: bool

    @classmethod
    def parse(cls, mode: str | MemoryMode) -> MemoryMode:
        if isinstance(mode, MemoryMode):
            return mode
        key = str(mode).lower().replace("_", "-").replace(" ", "-")
        if key == "normal":
            return cls("normal", None, False, False)
        if key == "low":
            return cls("low", 4, True, False)
        if key in ("super-low", "superlow"):
            return cls("super-low", 4, True, True)
        raise ValueError(f"unknown memory mode {mode!r}; choose one of {', '.join(MODES)}")


def memory_window(predictor: Any) -> int:
    """How many frames of tracking outputs the low modes keep around the current
    frame and every prompted one: SAM2's memory reach
    (:func:`sam2_jupyter._sam2.state.memory_reach`, the one formula) plus the frame
    computed next."""
    return window_for(memory_reach(predictor))


def window_for(reach: int) -> int:
    """The release window of a tracker whose memory reads ``reach`` frames back: the
    next frame reads one further than the current one."""
    return int(reach) + 1
