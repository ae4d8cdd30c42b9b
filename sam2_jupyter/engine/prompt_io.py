"""The prompts CSV: one row per prompt, readable and writable by people.

Columns ``frame,label,kind,positive,y,x,y0,x0,y1,x1`` (``kind`` is ``point``, ``box``
or ``mask``; points use ``y,x``, boxes ``y0,x0,y1,x1``). A mask's pixels do not fit a
row: they go to a sidecar beside the CSV, ``<name>.masks.npz`` (NumPy's compressed
archive, one boolean (Y, X) array per mask row, named ``mask_<k>`` for the k-th mask
row in file order). The reader checks every row and refuses the whole file, naming
each bad row, so a typo never loads half the prompts.
"""

from __future__ import annotations

import codecs
import csv
import io
import math
import re
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

from .._atomic import atomic_path
from .._compat import positional_flags
from ..errors import PromptError, PromptFileError
from .prompts import (
    BoxPrompt,
    MaskPrompt,
    PointPrompt,
    Prompt,
    check_box,
    check_frame,
    check_label,
    check_point,
)

CSV_COLUMNS = ["frame", "label", "kind", "positive", "y", "x", "y0", "x0", "y1", "x1"]


@positional_flags("overwrite")
def write_prompts_csv(prompts: list[Prompt], path: str | Path, *, overwrite: bool = True) -> Path:
    """One row per prompt, in the order they were given; written atomically."""
    path = Path(path)
    rows = []
    for p in prompts:
        if isinstance(p, PointPrompt):
            rows.append(
                {
                    "frame": p.frame,
                    "label": p.label,
                    "kind": "point",
                    "positive": p.positive,
                    "y": p.y,
                    "x": p.x,
                }
            )
        elif isinstance(p, BoxPrompt):
            rows.append(
                {
                    "frame": p.frame,
                    "label": p.label,
                    "kind": "box",
                    "positive": True,
                    "y0": p.y0,
                    "x0": p.x0,
                    "y1": p.y1,
                    "x1": p.x1,
                }
            )
        else:
            rows.append({"frame": p.frame, "label": p.label, "kind": "mask", "positive": True})
    masks = {f"mask_{k}": p.array() for k, p in enumerate(_masks(prompts))}
    df = pd.DataFrame(rows, columns=CSV_COLUMNS)
    with atomic_path(path, overwrite) as tmp:
        if masks:
            with atomic_path(masks_sidecar(path), True) as side, open(side, "wb") as f:
                np.savez_compressed(f, **masks)
        df.to_csv(tmp, index=False)
    return path


def masks_sidecar(path: str | Path) -> Path:
    """Where a prompts CSV keeps its masks' pixels."""
    path = Path(path)
    return path.with_name(path.name + ".masks.npz")


def _masks(prompts: list[Prompt]) -> list[MaskPrompt]:
    return [p for p in prompts if isinstance(p, MaskPrompt)]


def _read_masks(path: Path, shape: tuple[int, int]) -> list[np.ndarray | str]:
    """The sidecar's masks in order, or a sentence saying why one is unusable."""
    side = masks_sidecar(path)
    try:
        with np.load(side, allow_pickle=False) as archive:
            names = sorted(archive.files, key=lambda n: int(n.split("_")[-1]))
            out: list[np.ndarray | str] = []
            for name in names:
                arr = archive[name]
                ok = arr.shape == tuple(shape) and arr.dtype == bool
                out.append(arr if ok else f"{side.name}:{name} is {arr.dtype} {arr.shape}")
            return out
    except (OSError, ValueError, zipfile.BadZipFile) as exc:
        raise PromptFileError(str(path), [(1, f"mask rows need {side.name} ({exc})")]) from None


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
    masks: list[np.ndarray | str] | None = None
    n_masks = 0
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
            p = _parse_row(row, n_frames, shape)
            if isinstance(p, MaskPrompt):
                masks = _read_masks(path, shape) if masks is None else masks
                if n_masks >= len(masks):
                    raise PromptError(f"mask row {n_masks} has no array in the sidecar")
                found = masks[n_masks]
                n_masks += 1
                if isinstance(found, str):
                    raise PromptError(found)
                p = MaskPrompt.from_array(p.frame, p.label, found)
            prompts.append(p)
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
        return PointPrompt(frame, label, y, x, positive)
    if kind == "box":
        if not positive:  # SAM2 has no negative boxes: keeping the row would flip it
            raise PromptError(f"a box is always positive; positive {row.get('positive')!r}")
        coords = (_parse_float(text(c), c) for c in ("y0", "x0", "y1", "x1"))
        y0, x0, y1, x1 = check_box(*coords, shape)
        return BoxPrompt(frame, label, y0, x0, y1, x1)
    if kind == "mask":  # its pixels come from the sidecar
        return MaskPrompt(frame, label, shape, b"")
    raise PromptError(f"kind {row.get('kind')!r} is not 'point', 'box' or 'mask'")
