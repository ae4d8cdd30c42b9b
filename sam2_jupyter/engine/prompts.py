"""Prompts (clicks and boxes), their validation, and their CSV form.

A prompt is stored in stack pixel coordinates (y, x), whatever the model's input
size, so prompts saved from one model load onto another. ``group`` records which
prompts went to SAM2 together: a click in auto-segment mode is its own group; a
``segment()`` call or a loaded file sends each object's prompts on a frame as one
group. Replaying groups in order reproduces the masks exactly.
"""

from __future__ import annotations

import codecs
import csv
import io
import math
import os
import re
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
    if not (math.isfinite(fy) and math.isfinite(fx)):
        raise PromptError(f"point coordinates must be finite numbers, got y={fy}, x={fx}")
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

    Rows are numbered as a spreadsheet shows them (the header is row 1, blank lines
    count), so the message points at the line to fix. The csv module parses, not
    pandas: pandas silently turns a row with extra fields into an index plus shifted
    values, and reports undecodable bytes and bad quoting without a row.
    """
    path = Path(path)
    reader = csv.reader(io.StringIO(_read_text(path), newline=""), strict=True)
    try:
        header = [name.strip().lower() for name in next(reader, [])]
    except csv.Error as exc:
        raise PromptFileError(str(path), [(1, f"not valid CSV: {exc}")]) from None
    _check_header(str(path), header)
    columns = {name: k for k, name in enumerate(header) if name in CSV_COLUMNS}
    problems: list[tuple[int, str]] = []
    prompts: list[Prompt] = []
    rownum = 1
    while True:
        try:
            fields = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:  # unterminated quote, oversized field
            problems.append((rownum + 1, f"not valid CSV: {exc}"))
            break
        rownum += 1
        if not any(f.strip() for f in fields):
            continue  # a blank line
        try:
            if any(f.strip() for f in fields[len(header) :]):
                raise PromptError(f"{len(fields)} values but the header has {len(header)} columns")
            row = {c: fields[k] if k < len(fields) else "" for c, k in columns.items()}
            prompts.append(_parse_row(row, n_frames, shape))
        except PromptError as exc:
            problems.append((rownum, str(exc)))
    if problems:
        raise PromptFileError(str(path), problems)
    return prompts


def _read_text(path: Path) -> str:
    """The file as text: UTF-8 (with or without BOM), or UTF-16 with a BOM (what
    spreadsheets save as "Unicode text"); other bytes are reported with their row."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise PromptError(f"{path}: no such file") from None
    except OSError as exc:
        raise PromptError(f"{path}: cannot read ({exc.strerror or exc})") from None
    utf16 = data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
    encoding = "utf-16" if utf16 else "utf-8-sig"
    name = "UTF-16" if utf16 else "UTF-8"
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        row = data[: exc.start].decode(encoding, errors="replace").count("\n") + 1
        raise PromptFileError(
            str(path),
            [(row, f"byte 0x{data[exc.start]:02x} is not {name} text; save as CSV UTF-8")],
        ) from None
    if not text.strip():
        raise PromptFileError(
            str(path), [(1, f"the file is empty; expected a header row {','.join(CSV_COLUMNS)}")]
        )
    return text


def _check_header(path: str, header: list[str]) -> None:
    """Column names are matched without case or surrounding spaces; a known column
    named twice is ambiguous, so refused rather than one copy silently ignored."""
    repeated = sorted({c for c in header if c in CSV_COLUMNS and header.count(c) > 1})
    if repeated:
        raise PromptFileError(path, [(1, f"column(s) {repeated} appear more than once")])
    missing = [c for c in ("frame", "label", "y", "x") if c not in header]
    if missing:
        hint = ""
        if len(header) == 1 and (";" in header[0] or "\t" in header[0]):
            hint = "; separate the columns with commas"
        raise PromptFileError(
            path, [(1, f"missing column(s) {missing}; expected {CSV_COLUMNS}{hint}")]
        )


# ASCII only: float() also takes "1_0", Arabic-Indic and full-width digits.
_NUMBER = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_INTEGER = re.compile(r"[+-]?[0-9]{1,18}")


def _parse_float(value: str, what: str) -> float:
    if not value:
        raise PromptError(f"{what} is missing")
    if not _NUMBER.fullmatch(value):
        raise PromptError(f"{what} {value!r} is not a number")
    f = float(value)
    if not math.isfinite(f):
        raise PromptError(f"{what} {value!r} is too large")
    return f


def _parse_int(value: str, what: str) -> int:
    if _INTEGER.fullmatch(value):
        return int(value)  # exact, where a float would round 2**53 + 1
    f = _parse_float(value, what)
    if not f.is_integer():
        raise PromptError(f"{what} {value!r} is not an integer")
    if abs(f) > 2**53:
        raise PromptError(f"{what} {value!r} is out of range")
    return int(f)


_TRUE = {"1", "true", "yes", "positive", "pos", "+"}
_FALSE = {"0", "false", "no", "negative", "neg", "-"}


def _parse_row(row: dict[str, str], n_frames: int, shape: tuple[int, int]) -> Prompt:
    def text(column: str) -> str:
        return row.get(column, "").strip()

    frame = check_frame(_parse_int(text("frame"), "frame"), n_frames)
    label = check_label(_parse_int(text("label"), "label"))
    kind = text("kind").lower() or "point"
    pos_text = text("positive").lower() or "true"
    if pos_text in _TRUE:
        positive = True
    elif pos_text in _FALSE:
        positive = False
    else:
        raise PromptError(f"positive {row.get('positive')!r} is not true/false")
    if kind == "point":
        y, x = check_point(_parse_float(text("y"), "y"), _parse_float(text("x"), "x"), shape)
        return Prompt(frame, label, "point", positive, y=y, x=x)
    if kind == "box":
        if not positive:  # SAM2 has no negative boxes: keeping the row would flip it
            raise PromptError(f"a box is always positive; positive {row.get('positive')!r}")
        coords = (_parse_float(text(c), c) for c in ("y0", "x0", "y1", "x1"))
        y0, x0, y1, x1 = check_box(*coords, shape)
        return Prompt(frame, label, "box", True, y0=y0, x0=x0, y1=y1, x1=x1)
    raise PromptError(f"kind {row.get('kind')!r} is neither 'point' nor 'box'")
