"""Prompts as napari layer CSVs, so clicks move between napari and notebooks.

napari's built-in CSV reader opens a Points CSV (``index, axis-0, axis-1,
axis-2, <properties>``) and a Shapes CSV (``index, shape-type, vertex-index,
axis-0, ...``). Points carry their label and sign as properties (``label``,
``positive`` as 1/0); boxes become rectangles in a second file ``<name>_boxes.csv``
with their label in an extra column (napari ignores it; we read it back). Axis 0
is the frame, then y, x, in stack pixels, as napari shows the sequence.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .._atomic import atomic_path
from .._compat import positional_flags
from ..errors import PromptError, PromptFileError
from .prompts import (
    BoxPrompt,
    PointPrompt,
    Prompt,
    check_box,
    check_frame,
    check_label,
    check_point,
)

POINT_COLUMNS = ["index", "axis-0", "axis-1", "axis-2", "label", "positive"]
SHAPE_COLUMNS = ["index", "shape-type", "vertex-index", "axis-0", "axis-1", "axis-2", "label"]


def is_napari_csv(path: str | Path) -> bool:
    """Whether the file's header names napari's ``axis-0`` column (unreadable or
    missing files say no, and the prompts reader reports them)."""
    try:
        with open(path, encoding="utf-8-sig", errors="replace") as f:
            header = f.readline()
    except OSError:
        return False
    return "axis-0" in header.lower()


def boxes_path(path: str | Path) -> Path:
    path = Path(path)
    return path.with_name(f"{path.stem}_boxes{path.suffix or '.csv'}")


@positional_flags("overwrite")
def write_napari_prompts(
    prompts: list[Prompt], path: str | Path, *, overwrite: bool = False
) -> list[Path]:
    """Points to ``path``; boxes (if any) to :func:`boxes_path`. Returns the files."""
    points = [p for p in prompts if isinstance(p, PointPrompt)]
    boxes = [p for p in prompts if isinstance(p, BoxPrompt)]
    rows = [[i, p.frame, p.y, p.x, p.label, int(p.positive)] for i, p in enumerate(points)]
    written = []
    with atomic_path(path, overwrite) as tmp:
        pd.DataFrame(rows, columns=POINT_COLUMNS).to_csv(tmp, index=False)
    written.append(Path(path))
    if boxes:
        shape_rows = []
        for i, b in enumerate(boxes):
            corners = [(b.y0, b.x0), (b.y0, b.x1), (b.y1, b.x1), (b.y1, b.x0)]
            for v, (y, x) in enumerate(corners):
                shape_rows.append([i, "rectangle", v, b.frame, y, x, b.label])
        with atomic_path(boxes_path(path), overwrite) as tmp:
            pd.DataFrame(shape_rows, columns=SHAPE_COLUMNS).to_csv(tmp, index=False)
        written.append(boxes_path(path))
    return written


def _table(path: Path, required: list[str]) -> pd.DataFrame:
    try:
        df = pd.read_csv(path)
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise PromptFileError(str(path), [(1, f"not a readable CSV: {exc}")]) from None
    missing = [c for c in required if c not in df.columns]
    if missing:
        raise PromptFileError(str(path), [(1, f"missing column(s) {missing}")])
    return df


def read_napari_prompts(
    path: str | Path, n_frames: int, shape: tuple[int, int], default_label: int = 1
) -> list[Prompt]:
    """Points (and boxes, when ``<name>_boxes.csv`` exists) from napari CSVs.

    A Points CSV saved by napari without our properties loads too: every point
    is then a positive click for ``default_label``. Rows are checked like the
    prompts CSV: any bad row fails the file, with its row number (header = 1).
    """
    path = Path(path)
    df = _table(path, ["axis-0", "axis-1", "axis-2"])
    prompts: list[Prompt] = []
    problems: list[tuple[int, str]] = []
    for k, row in enumerate(df.to_dict("records")):
        try:
            label = check_label(_int(row.get("label", default_label), "label"))
            frame = check_frame(_int(row["axis-0"], "frame"), n_frames)
            y, x = check_point(row["axis-1"], row["axis-2"], shape)
            positive = bool(_int(row.get("positive", 1), "positive"))
            prompts.append(PointPrompt(frame, label, y, x, positive))
        except PromptError as exc:
            problems.append((k + 2, str(exc)))
    boxes = boxes_path(path)
    if boxes.exists():
        sdf = _table(boxes, ["index", "axis-0", "axis-1", "axis-2"])
        for index, group in sdf.groupby("index", sort=False):
            row_no = int(group.index[0]) + 2
            try:
                frames = {_int(f, "frame") for f in group["axis-0"]}
                if len(frames) != 1:
                    raise PromptError(f"box {index} spans frames {sorted(frames)}")
                frame = check_frame(frames.pop(), n_frames)
                ys, xs = group["axis-1"].astype(float), group["axis-2"].astype(float)
                label = check_label(_int(group.iloc[0].get("label", default_label), "label"))
                y0, x0, y1, x1 = check_box(ys.min(), xs.min(), ys.max(), xs.max(), shape)
                prompts.append(BoxPrompt(frame, label, y0, x0, y1, x1))
            except PromptError as exc:
                problems.append((row_no, f"{boxes.name}: {exc}"))
    if problems:
        raise PromptFileError(str(path), problems)
    return prompts


def _int(value: object, what: str) -> int:
    try:
        f = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise PromptError(f"{what} must be a whole number, got {value!r}") from None
    if not np.isfinite(f) or f != int(f):
        raise PromptError(f"{what} must be a whole number, got {value!r}")
    return int(f)
