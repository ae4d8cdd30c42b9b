"""Shared by the hostile-input tests: hypothesis settings and small helpers for
"opens correctly or is refused with a StackError" (fixtures: conftest)."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import numpy as np
from hypothesis import HealthCheck, settings

from sam2_jupyter import StackError
from sam2_jupyter.io import open_stack

FUZZ = settings(
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def fresh(folder: Path, suffix: str) -> Path:
    return folder / f"{uuid.uuid4().hex}{suffix}"


def attempt(read: Any, *args: Any) -> tuple[Any, StackError | None]:
    """``read(*args)`` and None, or None and the StackError it raised."""
    try:
        return read(*args), None
    except StackError as exc:
        return None, exc


def open_and_read_last(path: Path) -> np.ndarray:
    s = open_stack(path)
    return s.raw_frame(s.n_frames - 1)
