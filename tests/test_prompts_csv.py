"""Prompts CSV: round trip, batched loading, and bad files that change nothing."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sam2_jupyter import PromptError, PromptFileError, Session
from sam2_jupyter.engine import read_prompts_csv
from sam2_jupyter.engine.prompt_io import CSV_COLUMNS


def test_round_trip_and_batched_loading(model, video, tmp_path, session):
    session.add_point(2, 32.5, 36.25, 1)
    session.add_point(2, 80, 20, 1, positive=False)
    session.add_box(5, 50, 70, 85, 110, 2)
    path = session.save_prompts(tmp_path / "prompts.csv")
    table = pd.read_csv(path)
    assert list(table.columns) == CSV_COLUMNS
    assert len(table) == 3
    assert table.loc[1, "positive"] == False  # noqa: E712 (a CSV boolean)

    loaded = Session(video, model)
    prompts = loaded.load_prompts(path)
    assert [(p.frame, p.label, p.kind, p.positive) for p in prompts] == [
        (p.frame, p.label, p.kind, p.positive) for p in session.prompts
    ]
    assert [(p.y, p.x) for p in loaded.prompts if p.kind == "point"] == [(32.5, 36.25), (80, 20)]
    # Loading sends each object's prompts on a frame as one batch: the same as
    # segment() with auto-segment off.
    batched = Session(video, model, auto_segment=False)
    batched.add_point(2, 32.5, 36.25, 1)
    batched.add_point(2, 80, 20, 1, positive=False)
    batched.add_box(5, 50, 70, 85, 110, 2)
    batched.segment()
    assert np.array_equal(loaded.labels, batched.labels)
    assert loaded.undo()
    assert not loaded.prompts
    assert not loaded.labels.any()


def test_load_replace_all(model, video, tmp_path, session):
    session.add_point(1, 30, 30, 3)
    path = session.save_prompts(tmp_path / "p.csv")
    other = Session(video, model)
    other.add_point(4, 60, 90, 7)
    other.load_prompts(path, replace_all=True)
    assert other.label_ids == [3]


def _write(tmp_path, text):
    path = tmp_path / "bad.csv"
    path.write_text(text)
    return path


def test_bad_rows_are_listed_and_nothing_changes(tmp_path, session):
    session.add_point(2, 32, 36, 1)
    before, prompts = session.labels, session.prompts
    path = _write(
        tmp_path,
        "frame,label,kind,positive,y,x,y0,x0,y1,x1\n"
        "0,1,point,true,10,10,,,,\n"  # row 2: fine
        "99,1,point,true,10,10,,,,\n"  # row 3: frame out of range
        "0,0,point,true,10,10,,,,\n"  # row 4: label 0
        "0,1,point,maybe,10,10,,,,\n"  # row 5: positive not boolean
        "0,1,circle,true,10,10,,,,\n"  # row 6: unknown kind
        "0,1,box,true,,,5,5,5,40\n"  # row 7: box too thin
        "0,1,point,true,10,500,,,,\n",  # row 8: outside the frame
    )
    with pytest.raises(PromptFileError) as info:
        session.load_prompts(path)
    assert [row for row, _ in info.value.problems] == [3, 4, 5, 6, 7, 8]
    text = str(info.value)
    assert "row 3: frame 99 out of range" in text
    assert "row 8" in text
    assert "outside the frame" in text
    assert np.array_equal(session.labels, before)
    assert session.prompts == prompts


def test_missing_columns_and_files(tmp_path):
    with pytest.raises(PromptFileError, match="missing column"):
        read_prompts_csv(_write(tmp_path, "a,b\n1,2\n"), 5, (10, 10))
    with pytest.raises(PromptError, match="no such file"):
        read_prompts_csv(tmp_path / "none.csv", 5, (10, 10))


def test_minimal_columns_default_to_positive_points(tmp_path):
    prompts = read_prompts_csv(_write(tmp_path, "frame,label,y,x\n1,2,3.5,4\n"), 5, (10, 10))
    assert [(p.frame, p.label, p.kind, p.positive, p.y, p.x) for p in prompts] == [
        (1, 2, "point", True, 3.5, 4.0)
    ]


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.text(max_size=300))
def test_arbitrary_text_never_crashes(tmp_path, text):
    path = tmp_path / "fuzz.csv"
    path.write_text(text)
    try:
        prompts = read_prompts_csv(path, 5, (10, 10))
    except PromptError:
        return
    for p in prompts:
        assert 0 <= p.frame < 5
        assert p.label >= 1


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(
        st.tuples(
            st.integers(-2, 6),
            st.integers(-1, 3),
            st.floats(allow_nan=True),
            st.floats(-5, 15),
            st.booleans(),
        ),
        max_size=8,
    )
)
def test_each_bad_row_is_reported(tmp_path, rows):
    path = tmp_path / "rows.csv"
    pd.DataFrame(
        [{"frame": f, "label": lab, "y": y, "x": x, "positive": pos} for f, lab, y, x, pos in rows],
        columns=["frame", "label", "y", "x", "positive"],
    ).to_csv(path, index=False)
    bad = [
        i + 2
        for i, (f, lab, y, x, _) in enumerate(rows)
        if not (0 <= f < 5 and lab >= 1 and 0 <= y <= 10 and 0 <= x <= 10)
    ]
    if bad:
        with pytest.raises(PromptFileError) as info:
            read_prompts_csv(path, 5, (10, 10))
        assert [r for r, _ in info.value.problems] == bad
    else:
        assert len(read_prompts_csv(path, 5, (10, 10))) == len(rows)
