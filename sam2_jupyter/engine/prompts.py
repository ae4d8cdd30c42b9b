"""Prompts (clicks and boxes), their validation, and their CSV form.

A prompt is stored in stack pixel coordinates (y, x), whatever the model's input
size, so prompts saved from one model load onto another. ``group`` records which
prompts went to SAM2 together: a click in auto-segment mode is its own group; a
``segment()`` call or a loaded file sends each object's prompts on a frame as one
group. Replaying groups in order reproduces the masks exactly.
"""

from __future__ import annotations

import math
import os
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from ..errors import PromptError, PromptFileError
from .labels import MAX_LABEL

CSV_COLUMNS = ["frame", "label", "kind", "positive", "y", "x", "y0", "x0", "y1", "x1"]


@dataclass(frozen=True)
class Prompt:
    """A positive/negative point or a box on one frame for one label (object id)."""

    frame: int
    label: int
    kind: Literal["point", "box"]
    positive: bool = True
    y: float = math.nan
    x: float = math.nan
    y0: float = math.nan
    x0: float = math.nan
    y1: float = math.nan
    x1: float = math.nan
    group: int = 0
    batched: bool = False

    @property
    def key(self) -> tuple[int, int]:
        return (self.frame, self.label)


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
    h, w = shape
    if not (0 <= fy <= h and 0 <= fx <= w):
        raise PromptError(
            f"point (y={fy:g}, x={fx:g}) is outside the frame (height {h}, width {w})"
        )
    return fy, fx


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


def write_prompts_csv(prompts: list[Prompt], path: str | Path, overwrite: bool = True) -> Path:
    """One row per prompt, in the order they were given; written atomically."""
    path = Path(path)
    if path.exists() and not overwrite:
        raise FileExistsError(f"{path} exists; pass overwrite=True to replace it")
    rows = [{k: v for k, v in asdict(p).items() if k not in ("group", "batched")} for p in prompts]
    df = pd.DataFrame(rows, columns=CSV_COLUMNS)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent or ".")
    os.close(fd)
    try:
        df.to_csv(tmp, index=False)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def read_prompts_csv(path: str | Path, n_frames: int, shape: tuple[int, int]) -> list[Prompt]:
    """Parse and validate every row; any bad row fails the whole file.

    Rows are numbered as a spreadsheet shows them (the header is row 1), so the
    message points at the line to fix.
    """
    path = Path(path)
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False)
    except FileNotFoundError:
        raise PromptError(f"{path}: no such file") from None
    except Exception as exc:
        raise PromptFileError(str(path), [(1, f"not a readable CSV ({exc})")]) from exc
    missing = [c for c in ("frame", "label", "y", "x") if c not in df.columns]
    if missing:
        raise PromptFileError(
            str(path), [(1, f"missing column(s) {missing}; expected {CSV_COLUMNS}")]
        )
    for col in CSV_COLUMNS:
        if col not in df.columns:
            df[col] = ""
    problems: list[tuple[int, str]] = []
    prompts: list[Prompt] = []
    for i, row in enumerate(df.to_dict("records")):
        rownum = i + 2
        try:
            prompts.append(_parse_row(row, n_frames, shape))
        except PromptError as exc:
            problems.append((rownum, str(exc)))
    if problems:
        raise PromptFileError(str(path), problems)
    return prompts


def _parse_int(value: str, what: str) -> int:
    try:
        f = float(value)
    except ValueError:
        raise PromptError(f"{what} {value!r} is not a number") from None
    if not f.is_integer():
        raise PromptError(f"{what} {value!r} is not an integer")
    return int(f)


_TRUE = {"1", "true", "yes", "positive", "pos", "+"}
_FALSE = {"0", "false", "no", "negative", "neg", "-"}


def _parse_row(row: dict[str, str], n_frames: int, shape: tuple[int, int]) -> Prompt:
    frame = check_frame(_parse_int(row["frame"].strip(), "frame"), n_frames)
    label = check_label(_parse_int(row["label"].strip(), "label"))
    kind = row["kind"].strip().lower() or "point"
    pos_text = row["positive"].strip().lower() or "true"
    if pos_text in _TRUE:
        positive = True
    elif pos_text in _FALSE:
        positive = False
    else:
        raise PromptError(f"positive {row['positive']!r} is not true/false")
    if kind == "point":
        y, x = check_point(row["y"].strip(), row["x"].strip(), shape)
        return Prompt(frame, label, "point", positive, y=y, x=x)
    if kind == "box":
        y0, x0, y1, x1 = check_box(
            row["y0"].strip(), row["x0"].strip(), row["y1"].strip(), row["x1"].strip(), shape
        )
        return Prompt(frame, label, "box", True, y0=y0, x0=x0, y1=y1, x1=x1)
    raise PromptError(f"kind {row['kind']!r} is neither 'point' nor 'box'")
