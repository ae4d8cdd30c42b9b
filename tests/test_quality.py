"""Quality records: SAM2's presence score for every produced (frame, label), the
measures beside it, the flags, stopping when every label is lost, and that undo,
redo and resume keep them.

Untrained weights give random scores and masks, so the flags are tested on records
whose scores and label images the test sets; ``present`` itself is checked against
the value sam2 holds when driven directly.
"""

from __future__ import annotations

import math
import sqlite3

import numpy as np
import pytest
from sam2_state import presence, ref_click, ref_propagate, reference_state

from sam2_jupyter import Session
from sam2_jupyter.engine import quality as q
from sam2_jupyter.engine.autosave import STORE_NAME
from sam2_jupyter.errors import PromptError


@pytest.mark.slow
def test_present_is_sigmoid_of_the_score_sam2_holds(model, jpeg_folder):
    ref = reference_state(model, jpeg_folder)
    s = Session(jpeg_folder, model)
    s.add_point(2, 30, 36, 1)
    s.add_point(2, 60, 86, 2)
    ref_click(model, ref, 2, 30, 36, 1)
    ref_click(model, ref, 2, 60, 86, 2)
    s.run_propagation(direction="both")
    ref_propagate(model, ref, start_frame_idx=2)
    ref_propagate(model, ref, start_frame_idx=2, reverse=True)
    expected = presence(ref)
    table = s.quality()
    assert len(table) == len(expected) == 2 * 10
    for row in table.itertuples():
        assert row.present == pytest.approx(expected[(row.frame, row.label)], abs=1e-6)
        labels = s.label_frame(row.frame)
        assert row.area == int((labels == row.label).sum())
    assert table.loc[table.frame == 2, "prompted"].all()
    assert not table.loc[table.frame != 2, "prompted"].any()


def test_quality_is_recorded_for_clicks_too(session):
    session.add_point(4, 30, 30, 3)
    table = session.quality()
    assert list(table.frame) == [4]
    assert list(table.label) == [3]
    assert 0.0 <= table.present.iloc[0] <= 1.0


def test_measure_areas_centroids_and_claimed_share():
    labels = np.zeros((20, 30), np.uint16)
    labels[2:6, 4:10] = 1  # 24 px, centroid (3.5, 6.5)
    labels[10:12, 0:3] = 7  # a label SAM2 did not answer for
    rec = q.measure(labels, [1, 2], [2.0, float("nan")], [48, 0])
    by = {int(r["label"]): r for r in rec}
    assert sorted(by) == [1, 2, 7]
    assert by[1]["area"] == 24
    assert by[1]["cy"] == pytest.approx(3.5)
    assert by[1]["cx"] == pytest.approx(6.5)
    assert by[1]["present"] == pytest.approx(1 / (1 + math.exp(-2.0)))
    assert by[1]["claimed"] == pytest.approx(0.5)  # its own mask covered 48 px
    assert by[2]["area"] == 0
    assert math.isnan(by[2]["present"])
    assert math.isnan(by[7]["present"])
    assert by[7]["area"] == 6


def record(label, present=0.9, area=100, cy=50.0, cx=50.0, claimed=0.0):
    rec = np.zeros(1, q.RECORD)
    rec[0] = (label, present, area, cy, cx, claimed)
    return rec


def flags_of(records, prompted=(), **rules):
    """{frame: records} for label 1 → the flags column."""
    matrix = q.QualityMatrix(records, [1], 12, prompted, q.QualityRules(**rules))
    return dict(zip(*[q.quality_table(matrix)[c] for c in ("frame", "flags")], strict=True))


def test_each_flag_on_set_records():
    records = {t: record(1) for t in range(12)}
    records[3] = record(1, present=0.1, area=0)  # lost (and not empty: SAM2 says absent)
    records[5] = record(1, area=0)  # present but no pixels
    records[7] = record(1, area=250)  # more than twice the median of 100
    records[8] = record(1, cx=50 + 8)  # 8 px > 0.5 * sqrt(median(100, 250)) = 6.6
    records[9] = record(1, cx=58 + 4)  # 4 px < 0.5 * sqrt(median(100, 250, 100))
    records[10] = record(1, cx=62, claimed=0.6)  # others took 60 % of its mask
    records[11] = record(1, cx=62)
    flags = flags_of(records)
    assert flags[3] == "lost"
    assert flags[5] == "empty"
    assert flags[7] == "area-jump"
    assert flags[8] == "moved"
    assert flags[10] == "overlap"
    assert {t for t, f in flags.items() if f} == {3, 5, 7, 8, 10}


def test_absent_before_it_ever_appeared_is_not_lost():
    records = {
        t: record(1, present=0.2 if t < 4 else 0.9, area=0 if t < 4 else 100) for t in range(12)
    }
    flags = flags_of(records)
    assert not any(flags.values())


def test_thresholds_change_the_flags():
    records = {t: record(1) for t in range(12)}
    records[7] = record(1, area=250)
    assert flags_of(records)[7] == "area-jump"
    assert flags_of(records, area_jump=3.0)[7] == ""
    records[8] = record(1, claimed=0.2)
    assert flags_of(records)[8] == ""
    assert flags_of(records, overlap=0.1)[8] == "overlap"


def test_prompted_frames_are_never_flagged():
    records = {t: record(1) for t in range(12)}
    records[7] = record(1, area=250)
    assert flags_of(records, prompted={(7, 1)})[7] == ""


def test_flags_of_a_window_equal_the_whole():
    rng = np.random.default_rng(0)
    records = {
        t: record(1, present=rng.random(), area=int(rng.integers(0, 300)), cx=rng.random() * 40)
        for t in range(12)
    }
    matrix = q.QualityMatrix(records, [1], 12)
    whole = matrix.flags()
    assert whole.any()
    for start in range(12):
        assert np.array_equal(matrix.flags(start, min(12, start + 3)), whole[:, start : start + 3])


def test_bad_thresholds_are_named():
    with pytest.raises(PromptError, match="area_jump"):
        q.QualityRules(area_jump=0.5)
    with pytest.raises(PromptError, match="window"):
        q.QualityRules(window=0)


@pytest.fixture
def scores(monkeypatch):
    """Set SAM2's object score logit per frame (+4 present, -4 absent) as the tracker
    records it: ``scores[t] = -4``."""
    import sam2_jupyter._sam2.state as tracker

    table: dict[int, float] = {}
    real = tracker.object_score

    def fake(state, idx, frame):
        return table.get(frame, real(state, idx, frame))

    monkeypatch.setattr(tracker, "object_score", fake)
    return table


def test_stop_when_lost_keeps_what_was_computed(scores, session):
    session.add_point(0, 30, 30, 1)
    session.add_point(0, 65, 95, 2)
    for t in range(10):
        scores[t] = 4.0 if t < 4 else -4.0
    run = session.propagate(stop_when_lost=3)
    done = [t for t, _ in run]
    assert done == list(range(7))  # absent on 4, 5, 6: stop after 6
    assert run.lost_at == [6]
    table = session.quality()
    assert sorted(set(table.frame)) == done
    assert all("lost" in f.split(",") for f in table.loc[table.frame >= 4, "flags"])
    assert not any("lost" in f for f in table.loc[table.frame < 4, "flags"])


def test_stop_when_lost_needs_every_label_absent(scores, session):
    session.add_point(0, 30, 30, 1)
    session.add_point(0, 65, 95, 2)
    real = scores.copy()  # label 2 stays present: never stops
    import sam2_jupyter._sam2.state as tracker

    assert real == {}
    for t in range(10):
        scores[t] = -4.0 if t >= 2 else 4.0
    original = tracker.object_score

    def one_present(state, idx, frame):
        return 4.0 if idx == 1 else original(state, idx, frame)

    tracker.object_score = one_present
    try:
        assert session.run_propagation(stop_when_lost=2) == list(range(10))
    finally:
        tracker.object_score = original


def test_stop_when_lost_in_both_directions_stops_each(scores, session):
    session.add_point(5, 30, 30, 1)
    for t in range(10):
        scores[t] = 4.0 if 3 <= t <= 6 else -4.0
    run = session.propagate(direction="both", stop_when_lost=2)
    assert [t for t, _ in run] == [5, 6, 7, 8, 5, 4, 3, 2, 1]
    assert run.lost_at == [8, 1]


@pytest.mark.parametrize("bad", [0, -1, 1.5, True, "2"])
def test_bad_stop_when_lost_is_named(bad, session):
    session.add_point(0, 30, 30, 1)
    with pytest.raises(PromptError, match="stop_when_lost"):
        session.propagate(stop_when_lost=bad)


def test_quality_survives_undo_redo_and_removal(session):
    session.add_point(0, 30, 30, 1)
    session.add_point(0, 65, 95, 2)
    session.run_propagation()
    before = session.quality()
    session.add_point(5, 40, 40, 1, positive=False)
    after = session.quality()
    assert not before.equals(after)
    assert session.undo()
    assert session.quality().equals(before)
    assert session.redo()
    assert session.quality().equals(after)
    session.clear_label(2)
    assert set(session.quality().label) == {1}


def test_quality_is_autosaved_and_resumed(model, video, tmp_path):
    s = Session(video, model, autosave=tmp_path / "save")
    s.add_point(0, 30, 30, 1)
    s.run_propagation(stop=6)
    saved = s.quality()
    assert len(saved) == 7
    again = Session(video, model, autosave=tmp_path / "save")
    assert again.resumed is not None
    assert again.quality().equals(saved)


def test_a_damaged_quality_file_is_named_and_skipped(model, video, tmp_path):
    s = Session(video, model, autosave=tmp_path / "save")
    s.add_point(0, 30, 30, 1)
    s.run_propagation(stop=3)
    s.close()
    with sqlite3.connect(tmp_path / "save" / STORE_NAME) as db:
        db.execute("UPDATE items SET data=? WHERE kind='quality' AND key='2'", (b"not numpy",))
    with pytest.warns(UserWarning, match="quality of frame 2"):
        again = Session(video, model, autosave=tmp_path / "save")
    assert sorted(again.quality().frame) == [0, 1, 3]
    assert again.label_frame(2).any() == s.label_frame(2).any()


# -- the review summary, followed from the record -----------------------------------


def random_record(rng, labels):
    """A frame's record for some of ``labels``: values that make every flag common."""
    here = [label for label in labels if rng.random() < 0.8]
    rec = np.zeros(len(here), q.RECORD)
    rec["label"] = here
    rec["present"] = rng.choice([0.1, 0.9, 0.95, np.nan], len(here))
    rec["area"] = rng.choice([0, 40, 100, 110, 400], len(here))
    rec["cy"] = rng.choice([10.0, 12.0, 30.0], len(here))
    rec["cx"] = rng.choice([10.0, 11.0, 40.0], len(here))
    rec["claimed"] = rng.choice([0.0, 0.1, 0.6], len(here))
    rec.setflags(write=False)
    return rec


@pytest.mark.slow  # 12 runs of 300 random changes
@pytest.mark.parametrize("window", [1, 3, 5])
@pytest.mark.parametrize("seed", range(4))
def test_summary_deltas_equal_a_full_recompute(seed, window):
    """After every change (a frame's record, a frame dropped, a prompt added or
    removed, undo to an older record, a record built afresh), the table the deltas
    keep and a browser's copy updated from them equal a fresh full summary."""
    from sam2_jupyter.engine.core import SessionState
    from sam2_jupyter.engine.prompts import PointPrompt
    from sam2_jupyter.engine.summary import QualitySummary, summary_bits

    rng = np.random.default_rng(seed)
    n, labels, rules = 40, [1, 2, 3], q.QualityRules(window=window)
    state = {"now": SessionState()}
    summary = QualitySummary(lambda: (state["now"], labels), n, rules)
    browser = summary.changes().bits.copy()
    history = [state["now"]]
    for _ in range(300):
        now, op = state["now"], rng.random()
        if op < 0.6:
            t = int(rng.integers(n))
            rec = random_record(rng, labels) if rng.random() < 0.9 else np.zeros(0, q.RECORD)
            now = now.replace(quality=q.with_frame(now.quality, t, rec))
        elif op < 0.75:
            prompt = PointPrompt(int(rng.integers(n)), int(rng.choice(labels)), 5, 5)
            kept = tuple(p for p in now.prompts if p.key != prompt.key)
            now = now.replace(prompts=kept if len(kept) < len(now.prompts) else (*kept, prompt))
        elif op < 0.9:
            now = history[int(rng.integers(len(history)))]  # undo, redo
        else:
            now = now.replace(quality=dict(now.quality))  # a resume: no notes
        state["now"] = now
        history.append(now)
        change = summary.changes()
        if change is not None:
            assert not change.full
            browser[:, change.frames] = change.bits
        full = summary_bits(q.QualityMatrix.of(now, labels, n, rules))
        assert np.array_equal(summary.bits, full)
        assert np.array_equal(browser, full)
    assert summary.bits.any()


def test_a_propagated_frame_costs_its_own_columns(monkeypatch):
    """A frame's new record reaches the reader through the notes of the records it
    replaced (no look at every frame), and changes its own column and the
    ``window`` after it."""
    from sam2_jupyter.engine.core import SessionState
    from sam2_jupyter.engine.quality_records import QualityRecords, changed_frames
    from sam2_jupyter.engine.summary import QualitySummary

    n, labels = 50, [1, 2]
    quality = QualityRecords({t: random_record(np.random.default_rng(t), labels) for t in range(n)})
    state = {"now": SessionState(quality=quality)}
    summary = QualitySummary(lambda: (state["now"], labels), n)
    assert summary.changes().full

    def no_scan(self):
        raise AssertionError("every frame's record was compared")

    monkeypatch.setattr(QualityRecords, "items", no_scan)
    for t in (10, 11, 30):
        state["now"] = SessionState(quality=q.with_frame(state["now"].quality, t, record(1)))
    change = summary.changes()
    window = q.QualityRules().window
    assert set(change.frames.tolist()) <= set(range(10, 12 + window)) | set(range(30, 31 + window))
    assert {10, 11, 30} <= set(change.frames.tolist())
    assert changed_frames(quality, state["now"].quality) == {10, 11, 30}
