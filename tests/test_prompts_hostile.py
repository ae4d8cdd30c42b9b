"""Hostile inputs to the prompts CSV reader: malformed rows are each reported by
row number, arbitrary bytes never crash it, and what we write reads back exactly."""

from __future__ import annotations

import csv
import io
import time
from pathlib import Path
from typing import Any

import pytest
from hostile import FUZZ, fresh
from hypothesis import given, settings
from hypothesis import strategies as st

from sam2_jupyter import PromptError, PromptFileError
from sam2_jupyter.engine import read_prompts_csv, write_prompts_csv
from sam2_jupyter.engine.prompts import BoxPrompt, PointPrompt, Prompt

pytestmark = pytest.mark.usefixtures("quiet_tifffile")

# ======================================================================================
# 3. Prompt CSVs
# ======================================================================================

N_FRAMES, SHAPE = 5, (10, 12)  # height 10, width 12
HEADER = ["frame", "label", "kind", "positive", "y", "x", "y0", "x0", "y1", "x1"]
BAD = "<bad>"  # a token's meaning, or a row's expected result, when it must be reported
BLANK = None  # a blank row's expected result: skipped

# token -> parsed value, or BAD
FRAME_TOKENS = {"0": 0, "4": 4, " 2 ": 2, "3.0": 3, "1e0": 1, "-0": 0, "5": BAD, "-1": BAD,
                "2.5": BAD, "nan": BAD, "inf": BAD, "": BAD, "x": BAD, "0x1": BAD, "1_0": BAD,
                "\u0661": BAD, "99999999999999999999999": BAD, "1e400": BAD}  # fmt: skip
LABEL_TOKENS = {"1": 1, "65535": 65535, "7.0": 7, "0": BAD, "65536": BAD, "-3": BAD,
                "2.5": BAD, "": BAD, "true": BAD, "1e30": BAD}  # fmt: skip
Y_TOKENS = {"0": 0.0, "10": 10.0, "3.5": 3.5, ".5": 0.5, "+2": 2.0, "-0.1": BAD,
            "10.5": BAD, "nan": BAD, "inf": BAD, "-inf": BAD, "": BAD, "abc": BAD,
            "1e400": BAD, "\uff13": BAD}  # fmt: skip
X_TOKENS = {**Y_TOKENS, "12": 12.0, "10.5": 10.5, "12.01": BAD}
KIND_TOKENS = {"": "point", "point": "point", " POINT ": "point", "box": "box", "Box": "box",
               "circle": BAD}  # fmt: skip
POSITIVE_TOKENS = {"": True, "true": True, "FALSE": False, "1": True, "0": False, "neg": False,
                   "maybe": BAD}  # fmt: skip


@st.composite
def _csv_files(draw: st.DrawFn) -> tuple[list[str], list[list[str]], list[Any]]:
    """A header (some columns optional, shuffled, odd case and spaces, an unknown
    column) and rows of tokens, some with missing or extra fields, some blank.
    Returns (header, rows, expected) with expected[i] a Prompt, BAD, or BLANK
    for a blank row)."""
    optional = [c for c in HEADER if c not in ("frame", "label", "y", "x")]
    columns = ["frame", "label", "y", "x"] + [c for c in optional if draw(st.booleans())]
    if draw(st.booleans()):
        columns.append("note")
    columns = draw(st.permutations(columns))
    spelled = [draw(st.sampled_from([c, c.upper(), f" {c} "])) for c in columns]
    rows, expected = [], []
    for _ in range(draw(st.integers(0, 8))):
        if draw(st.integers(0, 9)) == 0:
            rows.append([])
            expected.append(BLANK)
            continue
        tokens = {
            "frame": draw(st.sampled_from(sorted(FRAME_TOKENS))),
            "label": draw(st.sampled_from(sorted(LABEL_TOKENS))),
            "kind": draw(st.sampled_from(sorted(KIND_TOKENS))),
            "positive": draw(st.sampled_from(sorted(POSITIVE_TOKENS))),
            "note": draw(st.sampled_from(["", "a,b", 'say "hi"', "é"])),
        }
        for c in ("y", "y0", "y1"):
            tokens[c] = draw(st.sampled_from(sorted(Y_TOKENS)))
        for c in ("x", "x0", "x1"):
            tokens[c] = draw(st.sampled_from(sorted(X_TOKENS)))
        present = {c: (tokens[c] if c in columns else "") for c in [*HEADER, "note"]}
        fields = [tokens[c] for c in columns]
        fault = draw(st.sampled_from(["none"] * 6 + ["short", "extra", "extra empty"]))
        if fault == "short":
            cut = draw(st.integers(1, len(fields) - 1))
            for c in columns[cut:]:
                present[c] = ""
            fields = fields[:cut]
        elif fault == "extra":
            fields = [*fields, "5"]
        elif fault == "extra empty":
            fields = [*fields, "", " "]
        rows.append(fields)
        if not any(f.strip() for f in fields):
            expected.append(BLANK)  # nothing in it: a blank row, skipped
        else:
            expected.append(BAD if fault == "extra" else _expected_prompt(present))
    return spelled, rows, expected


def _expected_prompt(t: dict[str, str]) -> Any:
    frame, label = FRAME_TOKENS[t["frame"]], LABEL_TOKENS[t["label"]]
    kind, positive = KIND_TOKENS[t["kind"]], POSITIVE_TOKENS[t["positive"]]
    if BAD in (frame, label, kind, positive):
        return BAD
    if kind == "point":
        y, x = Y_TOKENS[t["y"]], X_TOKENS[t["x"]]
        if y is BAD or x is BAD or y > SHAPE[0] or x > SHAPE[1]:
            return BAD
        return PointPrompt(frame, label, y, x, positive)
    corners = [Y_TOKENS[t["y0"]], X_TOKENS[t["x0"]], Y_TOKENS[t["y1"]], X_TOKENS[t["x1"]]]
    if not positive or BAD in corners:
        return BAD
    y0, x0, y1, x1 = corners
    if max(y0, y1) > SHAPE[0] or max(x0, x1) > SHAPE[1]:
        return BAD
    if abs(y1 - y0) < 1 or abs(x1 - x0) < 1:
        return BAD
    top, bottom = sorted((y0, y1))
    left, right = sorted((x0, x1))
    return BoxPrompt(frame, label, top, left, bottom, right)


def _csv_text(header: list[str], rows: list[list[str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        if row:
            writer.writerow(row)
        else:
            out.write("\n")
    return out.getvalue()


@settings(FUZZ, max_examples=100)
@given(_csv_files(), st.sampled_from(["utf-8", "utf-8-sig", "utf-16"]))
def test_malformed_rows_are_each_reported(
    scratch: Path, case: tuple[list[str], list[list[str]], list[Any]], encoding: str
) -> None:
    """Against an independent oracle: exactly the bad rows are listed, numbered as a
    spreadsheet shows them (header row 1, blank rows counted); else every prompt is
    loaded with the right values."""
    header, rows, expected = case
    path = fresh(scratch, ".csv")
    path.write_bytes(_csv_text(header, rows).encode(encoding))
    bad_rows = [i + 2 for i, e in enumerate(expected) if e is BAD]
    if bad_rows:
        with pytest.raises(PromptFileError) as info:
            read_prompts_csv(path, N_FRAMES, SHAPE)
        assert [row for row, _ in info.value.problems] == bad_rows
        assert str(path) in str(info.value)
        assert f"row {bad_rows[0]}:" in str(info.value)
    else:
        loaded = read_prompts_csv(path, N_FRAMES, SHAPE)
        assert loaded == [e for e in expected if e is not BLANK]


@settings(FUZZ, max_examples=100)
@given(st.binary(max_size=400))
def test_arbitrary_bytes_never_crash(scratch: Path, data: bytes) -> None:
    path = fresh(scratch, ".csv")
    path.write_bytes(data)
    try:
        prompts = read_prompts_csv(path, N_FRAMES, SHAPE)
    except PromptFileError as exc:
        problems = exc.problems
        prompts = []
    else:
        problems = [(1, "")]
    assert problems
    assert all(row >= 1 for row, _ in problems)
    for p in prompts:
        assert 0 <= p.frame < N_FRAMES
        assert 1 <= p.label <= 65535
        assert p.kind in ("point", "box")


@settings(FUZZ, max_examples=60)
@given(
    st.lists(
        st.tuples(
            st.integers(0, N_FRAMES - 1),
            st.integers(1, 65535),
            st.booleans(),
            st.floats(0, SHAPE[0]),
            st.floats(0, SHAPE[1]),
        ),
        max_size=10,
    )
)
def test_written_prompts_read_back_exactly(
    scratch: Path, points: list[tuple[int, int, bool, float, float]]
) -> None:
    prompts = [PointPrompt(f, lab, y, x, pos) for f, lab, pos, y, x in points]
    path = write_prompts_csv(prompts, fresh(scratch, ".csv"))
    assert read_prompts_csv(path, N_FRAMES, SHAPE) == prompts


def _read(tmp_path: Path, data: bytes | str) -> list[Prompt]:
    path = tmp_path / "p.csv"
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return read_prompts_csv(path, N_FRAMES, SHAPE)


def _problems(tmp_path: Path, data: bytes | str) -> list[tuple[int, str]]:
    with pytest.raises(PromptFileError) as info:
        _read(tmp_path, data)
    assert str(tmp_path / "p.csv") in str(info.value)
    return info.value.problems


H = ",".join(HEADER) + "\n"


def test_extra_fields_are_not_shifted_into_the_columns(tmp_path: Path) -> None:
    """pandas took a row with two extra fields as index + values: '0,1,3,4,5,6' was
    loaded as frame 3, label 4, y 5, x 6."""
    assert _problems(tmp_path, "frame,label,y,x\n0,1,3,4,5,6\n") == [
        (2, "6 values but the header has 4 columns")
    ]
    # trailing empty fields (a trailing comma) are harmless
    assert len(_read(tmp_path, "frame,label,y,x\n0,1,3,4,,\n")) == 1


def test_empty_and_header_only_files(tmp_path: Path) -> None:
    for empty in ("", "\n", "\r\n\r\n", "   \n"):
        [(row, message)] = _problems(tmp_path, empty)
        assert row == 1
        assert "the file is empty" in message
    assert _read(tmp_path, H) == []
    assert _read(tmp_path, H + "\n\n") == []


def test_encodings(tmp_path: Path) -> None:
    row = "0,1,point,true,3,4,,,,\n"
    expected = [PointPrompt(0, 1, 3.0, 4.0, True)]
    assert _read(tmp_path, ("\ufeff" + H + row).encode()) == expected  # Excel's CSV UTF-8
    assert _read(tmp_path, (H + row).encode("utf-16")) == expected  # "Unicode text"
    assert _read(tmp_path, (H + row).replace("\n", "\r\n")) == expected
    assert _read(tmp_path, (H + row).replace("\n", "\r")) == expected
    # Latin-1 on row 3: reported there, not as an unreadable file at row 1
    latin1 = (H + row + "0,2,point,tr\xfce,3,4,,,,\n").encode("latin-1")
    [(line, message)] = _problems(tmp_path, latin1)
    assert line == 3
    assert "0xfc is not UTF-8" in message


def test_header_variants(tmp_path: Path) -> None:
    assert len(_read(tmp_path, "Frame, Label, Y, X\n0,1,3,4\n")) == 1
    [(row, message)] = _problems(tmp_path, "frame,label,y,x,x\n0,1,3,4,5\n")
    assert (row, message) == (1, "column(s) ['x'] appear more than once")
    [(row, message)] = _problems(tmp_path, "frame;label;y;x\n0;1;3;4\n")
    assert row == 1
    assert "separate the columns with commas" in message


def test_bad_quoting_and_huge_fields(tmp_path: Path) -> None:
    [(row, message)] = _problems(tmp_path, 'frame,label,y,x\n0,1,3,4\n"0,1,3,4\n')
    assert row == 3
    assert "not valid CSV" in message
    [(row, message)] = _problems(tmp_path, "frame,label,y,x\n0,1,3," + "4" * 200_000 + "\n")
    assert row == 2


def test_not_a_file(tmp_path: Path) -> None:
    with pytest.raises(PromptError, match="no such file"):
        read_prompts_csv(tmp_path / "none.csv", N_FRAMES, SHAPE)
    with pytest.raises(PromptError, match="cannot read"):
        read_prompts_csv(tmp_path, N_FRAMES, SHAPE)


def test_exact_numbers_in_messages(tmp_path: Path) -> None:
    """Integers past 2**53 were rounded through float: '9007199254740993' was
    reported as frame 9007199254740992."""
    [(_, message)] = _problems(tmp_path, "frame,label,y,x\n9007199254740993,1,3,4\n")
    assert "frame 9007199254740993 out of range 0..4" in message


def test_negative_box_is_refused_not_flipped(tmp_path: Path) -> None:
    [(row, message)] = _problems(tmp_path, H + "0,1,box,false,,,1,1,5,5\n")
    assert row == 2
    assert "a box is always positive" in message


def test_100k_valid_rows_load_fast(tmp_path: Path) -> None:
    lines = (f"{i % N_FRAMES},{1 + i % 500},point,{i % 3 > 0},{i % 10},{i % 12}.5,,,,\n"
             for i in range(100_000))  # fmt: skip
    path = tmp_path / "big.csv"
    path.write_text(H + "".join(lines))
    start = time.perf_counter()
    prompts = read_prompts_csv(path, N_FRAMES, SHAPE)
    elapsed = time.perf_counter() - start
    assert len(prompts) == 100_000
    assert prompts[-1] == PointPrompt(4, 500, 9.0, 3.5, False)
    assert elapsed < 10, f"{elapsed:.1f} s for 100k rows"


def test_100k_rows_with_many_bad_ones(tmp_path: Path) -> None:
    lines = (f"{i % 7},{i % 100},point,true,3,4,,,,\n" for i in range(100_000))
    path = tmp_path / "big.csv"
    path.write_text(H + "".join(lines))
    with pytest.raises(PromptFileError) as info:
        read_prompts_csv(path, N_FRAMES, SHAPE)
    bad = [i + 2 for i in range(100_000) if i % 7 >= N_FRAMES or i % 100 == 0]
    assert [row for row, _ in info.value.problems] == bad
    message = str(info.value)
    assert f"... and {len(bad) - 20} more" in message
    assert len(message.splitlines()) == 22
