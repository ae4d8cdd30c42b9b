"""Byte budgets of the feature and correction caches: one parser, two defaults.

Both caches take bytes, "auto" or None; "auto" is a share of the memory free where
the values live.
"""

from __future__ import annotations

from typing import Literal

import torch

LOW_MODE_BUDGET = 16 << 20  # corrections: full within the first frames, memory stays flat


def parse_budget(value: object, name: str) -> int | Literal["auto"] | None:
    """``value`` checked as a budget (bytes, "auto" or None).

    Raises
    ------
    ValueError
        Anything else (a bool is not a number of bytes), naming ``name``.
    """
    if value == "auto" or value is None:
        return value  # type: ignore[return-value]
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{name} must be bytes, 'auto' or None, got {value!r}")
    return value


def feature_budget(device: torch.device) -> int:
    """A quarter of what is free where the features live, at most 8 GiB."""
    if device.type == "cuda":
        free, _ = torch.cuda.mem_get_info(device)
    else:
        import psutil

        free = psutil.virtual_memory().available
    return int(min(free // 4, 8 << 30))


def correction_budget(device: torch.device, low: bool) -> int:
    """An eighth of what is free where the values live (at most 2 GiB); 16 MiB in
    the low-memory modes, whose memory must not grow with the video."""
    if low:
        return LOW_MODE_BUDGET
    return min(feature_budget(device) // 2, 2 << 30)
