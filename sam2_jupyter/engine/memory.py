"""Memory modes: what is kept where while SAM2 tracks a long sequence.

SAM2 keeps, for every frame it has tracked, a memory feature map, mask logits and an
object pointer, and sam2's loader keeps every frame as float32: memory grows with
every frame. The low modes bound it without changing a single mask, because they
keep everything SAM2's memory attention can read.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

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
    """How many frames back SAM2's memory attention can reach.

    It reads the masks memories of the last ``num_maskmem - 1`` frames (every
    ``memory_temporal_stride_for_eval``-th) and the object pointers of up to
    ``max_obj_ptrs_in_encoder - 1`` frames; the window covers both with a margin.
    """
    stride = int(getattr(predictor, "memory_temporal_stride_for_eval", 1))
    maskmem = int(predictor.num_maskmem) * stride + 1
    ptrs = int(getattr(predictor, "max_obj_ptrs_in_encoder", 16))
    return max(maskmem, ptrs)


def release_outside_window(state: dict[str, Any], current: int, window: int) -> int:
    """Drop non-conditioning outputs not within ``window`` of the current frame or of
    any conditioning (prompted) frame; returns how many were dropped.

    Frames near a prompted frame are kept because a later pass in the other direction
    (propagate both ways, or reverse after forward) starts there and reads them.
    """
    anchors = {current}
    for obj in state["output_dict_per_obj"].values():
        anchors.update(obj["cond_frame_outputs"])
    dropped = 0
    for obj in state["output_dict_per_obj"].values():
        non_cond = obj["non_cond_frame_outputs"]
        stale = [t for t in non_cond if all(abs(t - a) > window for a in anchors)]
        for t in stale:
            del non_cond[t]
        dropped += len(stale)
    return dropped
