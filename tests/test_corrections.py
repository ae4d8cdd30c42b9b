"""Corrections stick: a prompt on a frame that propagation already tracked becomes a
conditioning frame for its object, which every later propagation keeps exactly and
tracks from; the rule holds through undo, redo, prompt removal, autosave and
resume, the prompts CSV and batch runs."""

from __future__ import annotations

import sqlite3

import numpy as np
import pytest
from conftest import IMAGE_SIZE
from sam2_state import (
    assert_same_outputs,
    cond_frames,
    ref_batch,
    ref_click,
    ref_propagate,
    reference_state,
    state_of,
    tracked,
)

from sam2_jupyter import AutosaveWarning, Session
from sam2_jupyter.engine.autosave import STORE_NAME

N = 10
FIX = 6  # the frame the user corrects


def _correct(s: Session, kind: str, label: int = 1) -> np.ndarray:
    if kind == "click":
        s.add_point(FIX, 40, 40, label)
        s.add_point(FIX, 80, 110, label, positive=False)
    else:
        s.add_box(FIX, 20, 30, 70, 90, label)
    return s.label_frame(FIX)


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["click", "box"])
@pytest.mark.parametrize("objects", [1, 2])
@pytest.mark.parametrize("direction", ["forward", "reverse"])
def test_a_correction_survives_repropagation(kind, objects, direction, session):
    start = 0 if direction == "forward" else N - 1
    session.add_point(start, 30, 30, 1)
    if objects == 2:
        session.add_point(start, 65, 95, 2)
    session.run_propagation(direction=direction, start=start)
    tracked = session.labels
    corrected = _correct(session, kind)
    assert (corrected != tracked[FIX]).sum() > 50, "the correction must change the frame"
    session.run_propagation(direction=direction, start=start)
    assert np.array_equal(session.label_frame(FIX), corrected)
    assert FIX in cond_frames(state_of(session))[1]
    # and it is tracked from: the frames after it (in the tracking direction) change
    after = range(FIX + 1, N) if direction == "forward" else range(FIX)
    assert any((session.label_frame(t) != tracked[t]).any() for t in after)


@pytest.mark.slow
def test_sam2s_own_switch_is_what_keeps_corrections(model, jpeg_folder):
    """The evidence for the choice: sam2 driven directly drops a correction unless
    ``add_all_frames_to_correct_as_cond`` is on, and with it on keeps it exactly."""
    p = model.predictor
    assert p.add_all_frames_to_correct_as_cond  # how load_model builds it
    kept = {}
    try:
        for switch in (False, True):
            p.add_all_frames_to_correct_as_cond = switch
            ref = reference_state(model, jpeg_folder)
            ref_click(model, ref, 0, 30, 30, 1)
            ref_propagate(model, ref)
            corrected = ref_batch(model, ref, FIX, 1, [(40, 40, True), (80, 110, False)])
            kept[switch] = np.array_equal(ref_propagate(model, ref)[FIX], corrected)
    finally:
        p.add_all_frames_to_correct_as_cond = True
    assert kept == {False: False, True: True}


@pytest.mark.slow
def test_corrections_equal_sam2_built_the_same_way(model, jpeg_folder):
    ref = reference_state(model, jpeg_folder)
    s = Session(jpeg_folder, model)
    s.add_point(0, 30, 30, 1)
    ref_click(model, ref, 0, 30, 30, 1)
    s.add_box(3, 50, 70, 85, 110, 2)
    ref_batch(model, ref, 3, 2, [], box=(50, 70, 85, 110))
    s.run_propagation()
    ref_propagate(model, ref)
    ours = s.add_point(FIX, 40, 40, 1, positive=False)
    assert np.array_equal(ours, ref_click(model, ref, FIX, 40, 40, 1, False))
    ours = s.add_box(FIX, 45, 60, 90, 120, 2)
    assert np.array_equal(ours, ref_batch(model, ref, FIX, 2, [], box=(45, 60, 90, 120)))
    again = dict(s.propagate())
    expected = ref_propagate(model, ref)
    assert again.keys() == expected.keys()
    for t in expected:
        assert np.array_equal(again[t], expected[t]), t
    assert assert_same_outputs(state_of(s), ref) >= 2 * N
    assert cond_frames(state_of(s)) == cond_frames(ref) == {1: {0, FIX}, 2: {3, FIX}}


@pytest.mark.slow
def test_undo_and_redo_keep_the_rule(session):
    session.add_point(0, 30, 30, 1)
    session.run_propagation()
    tracked = session.label_frame(FIX)
    corrected = _correct(session, "click")
    session.run_propagation()
    after = session.labels
    assert session.undo()  # the propagation
    assert np.array_equal(session.label_frame(FIX), corrected)
    assert session.redo()
    assert np.array_equal(session.labels, after)
    session.run_propagation()
    assert np.array_equal(session.label_frame(FIX), corrected)
    # Undo everything back to before the correction: the frame is tracked again.
    for _ in range(4):
        session.undo()
    assert np.array_equal(session.label_frame(FIX), tracked)
    assert cond_frames(state_of(session))[1] == {0}
    session.run_propagation()
    assert FIX not in cond_frames(state_of(session))[1]


@pytest.mark.slow
def test_removing_a_correction_click_replays_the_rest_as_a_correction(model, video):
    """Removing one of two correction clicks leaves exactly what the other alone
    gives (a correction of the tracked mask), and it is still kept."""
    a, b = Session(video, model), Session(video, model)
    for s in (a, b):
        s.add_point(0, 30, 30, 1)
        s.run_propagation()
    tracked = a.label_frame(FIX)
    a.add_point(FIX, 40, 40, 1)
    a.add_point(FIX, 80, 110, 1, positive=False)
    only = b.add_point(FIX, 80, 110, 1, positive=False)
    removed = a.remove_prompt(FIX, 40, 40)
    assert (removed.y, removed.x, removed.positive) == (40, 40, True)
    assert np.array_equal(a.label_frame(FIX), only)
    assert_same_outputs(state_of(a), state_of(b))
    a.run_propagation()
    b.run_propagation()
    assert np.array_equal(a.labels, b.labels)
    assert np.array_equal(a.label_frame(FIX), only)
    # Removing the last correction brings back the tracked mask; the frame is an
    # ordinary tracked frame again.
    a.remove_prompt(FIX, 80, 110)
    assert FIX not in cond_frames(state_of(a))[1]
    b.undo()
    b.undo()  # b back to before its correction: one propagation, no correction
    assert np.array_equal(b.label_frame(FIX), tracked)
    assert np.array_equal(a.label_frame(FIX), tracked)


def test_removing_the_only_prompt_on_an_untracked_frame_clears_its_pixels(session):
    session.add_point(0, 30, 30, 1)
    session.add_point(FIX, 40, 40, 1)
    assert (session.label_frame(FIX) == 1).any()
    session.remove_prompt(FIX, 40, 40)
    assert not (session.label_frame(FIX) == 1).any()
    assert cond_frames(state_of(session))[1] == {0}


@pytest.mark.slow
def test_resume_brings_back_corrections_exactly(model, video, tmp_path):
    folder = tmp_path / "s"
    live = Session(video, model, autosave=folder)
    live.add_point(0, 30, 30, 1)
    live.add_point(0, 65, 95, 2)
    live.run_propagation()
    corrected = _correct(live, "click")
    live.add_point(FIX, 70, 100, 2, positive=False)
    live.remove_prompt(FIX, 70, 100)  # a base that comes back on resume
    live.add_point(FIX, 70, 100, 2, positive=False)
    corrected = live.label_frame(FIX)
    live.close()
    resumed = Session(video, model, autosave=folder)
    assert "resumed" in resumed.notes[0]
    assert np.array_equal(resumed.labels, live.labels)
    assert cond_frames(state_of(resumed)) == cond_frames(state_of(live))
    assert tracked(state_of(resumed), 1) == tracked(state_of(live), 1)
    assert tracked(state_of(resumed), 2) == tracked(state_of(live), 2)
    assert assert_same_outputs(state_of(resumed), state_of(live)) >= 4
    # The next propagation keeps the correction, exactly as the live session does.
    live.run_propagation()
    resumed.run_propagation()
    assert np.array_equal(resumed.labels, live.labels)
    assert np.array_equal(resumed.label_frame(FIX), corrected)
    # Removing a correction after the resume replays from the saved base.
    live.remove_prompt(FIX, 70, 100)
    resumed.remove_prompt(FIX, 70, 100)
    assert np.array_equal(resumed.label_frame(FIX), live.label_frame(FIX))
    assert_same_outputs(state_of(resumed), state_of(live))


@pytest.mark.slow
def test_resume_without_sam2s_state_replays_the_same_conditioning_frames(model, video, tmp_path):
    folder = tmp_path / "s"
    live = Session(video, model, autosave=folder)
    live.add_point(0, 30, 30, 1)
    live.run_propagation()
    corrected = _correct(live, "box")
    live.close()
    # SAM2's state no longer matches the prompts (a prompt row was lost, say).
    with sqlite3.connect(folder / STORE_NAME) as db:
        (index,) = db.execute("SELECT data FROM items WHERE kind='sam2' AND key='index'").fetchone()
        index = index.replace(b'"prompts": "', b'"prompts": "x')
        db.execute("UPDATE items SET data=? WHERE kind='sam2' AND key='index'", (index,))
    with pytest.warns(AutosaveWarning, match="written for other prompts"):
        resumed = Session(video, model, autosave=folder)
    assert np.array_equal(resumed.label_frame(FIX), corrected)  # the saved labels
    assert cond_frames(state_of(resumed)) == cond_frames(state_of(live)) == {1: {0, FIX}}
    replayed = Session(video, model)
    replayed.add_point(0, 30, 30, 1)
    from_prompts = replayed.add_box(FIX, 20, 30, 70, 90, 1)
    resumed.run_propagation()
    assert np.array_equal(resumed.label_frame(FIX), from_prompts)


def test_damaged_sam2_state_is_named_and_the_prompts_replayed(model, video, tmp_path):
    folder = tmp_path / "s"
    live = Session(video, model, autosave=folder)
    live.add_point(0, 30, 30, 1)
    live.run_propagation()
    _correct(live, "click")
    live.close()
    with sqlite3.connect(folder / STORE_NAME) as db:
        key = ("sam2", "temp-1-6")
        (data,) = db.execute("SELECT data FROM items WHERE kind=? AND key=?", key).fetchone()
        db.execute("UPDATE items SET data=? WHERE kind=? AND key=?", (data[:100], *key))
    with pytest.warns(AutosaveWarning, match="SAM2's saved state .* is unusable"):
        resumed = Session(video, model, autosave=folder)
    assert np.array_equal(resumed.labels, live.labels)
    assert cond_frames(state_of(resumed)) == cond_frames(state_of(live))


@pytest.mark.slow
def test_prompts_csv_round_trip_keeps_prompted_frames_as_conditioning(model, video, tmp_path):
    live = Session(video, model)
    live.add_point(0, 30, 30, 1)
    live.run_propagation()
    _correct(live, "click")
    live.save_prompts(tmp_path / "p.csv")
    loaded = Session(video, model)
    loaded.load_prompts(tmp_path / "p.csv")
    assert cond_frames(state_of(loaded)) == cond_frames(state_of(live)) == {1: {0, FIX}}
    on_load = loaded.label_frame(FIX)
    loaded.run_propagation()
    assert np.array_equal(loaded.label_frame(FIX), on_load)


@pytest.mark.slow
def test_batch_keeps_every_prompted_frame(model, video, tmp_path):
    """A batch run sends the stored prompts before propagating, so every prompted
    frame (a correction included) is a conditioning frame, kept in the output."""
    import tifffile

    from sam2_jupyter.batch import ModelSpec, run_stack

    live = Session(video, model)
    live.add_point(0, 30, 30, 1)
    live.run_propagation()
    _correct(live, "click")
    live.save_prompts(tmp_path / "p.csv")
    tifffile.imwrite(tmp_path / "v.tif", video, photometric="rgb", metadata={"axes": "TYXS"})
    spec = ModelSpec("tiny", untrained=True, image_size=IMAGE_SIZE, device="cpu")
    result = run_stack(
        str(tmp_path / "v.tif"), str(tmp_path / "p.csv"), str(tmp_path), spec, formats=("tiff",)
    )
    assert result.ok, result.error
    labels = tifffile.imread(result.outputs["tiff"])
    segmented = Session(video, model)
    segmented.load_prompts(tmp_path / "p.csv")
    for t in (0, FIX):
        assert np.array_equal(labels[t], segmented.label_frame(t)), t


@pytest.mark.slow
def test_capping_conditioning_frames_equals_sam2_configured_the_same(jpeg_folder):
    """With many corrections, ``max_conditioning_frames`` bounds what each frame
    attends to; masks then equal sam2 built with the same cap (and differ from
    attending to all, which is why it is opt-in)."""
    import warnings

    from sam2_jupyter import ModelError
    from sam2_jupyter.models import UntrainedModelWarning, load_model

    with pytest.raises(ModelError, match="at least 2"):
        load_model("tiny", untrained=True, device="cpu", max_conditioning_frames=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UntrainedModelWarning)
        capped = load_model(
            "tiny", untrained=True, image_size=IMAGE_SIZE, device="cpu", max_conditioning_frames=2
        )
    assert capped.predictor.max_cond_frames_in_attn == 2
    prompts = [(0, 30, 30), (3, 40, 50), (5, 45, 60), (8, 50, 70)]
    ref = reference_state(capped, jpeg_folder)
    s = Session(jpeg_folder, capped)
    for frame, y, x in prompts:
        s.add_point(frame, y, x, 1)
        ref_click(capped, ref, frame, y, x, 1)
    ours = dict(s.propagate())
    expected = ref_propagate(capped, ref)
    for t in expected:
        assert np.array_equal(ours[t], expected[t]), t
    assert assert_same_outputs(state_of(s), ref) >= N
