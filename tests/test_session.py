"""Session behaviour beyond parity: validation, removal, labels, busy state, 4D."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from conftest import moving_discs
from sam2_state import assert_same_outputs, object_ids, state_of

from sam2_jupyter import PromptError, Session, SessionBusyError, open_stack


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda s: s.add_point(10, 5, 5, 1), "frame 10 out of range"),
        (lambda s: s.add_point(-1, 5, 5, 1), "frame -1 out of range"),
        (lambda s: s.add_point(0, 97, 5, 1), "outside the frame"),
        (lambda s: s.add_point(0, 5, -3, 1), "outside the frame"),
        (lambda s: s.add_point(0, float("nan"), 5, 1), "must be finite numbers"),
        (lambda s: s.add_point(0, 5, 5, 0), "label 0 out of range"),
        (lambda s: s.add_point(0, 5, 5, 70000), "out of range"),
        (lambda s: s.add_point(0, 5, 5, 1.5), "label must be an integer"),
        (lambda s: s.add_point(0.5, 5, 5, 1), "frame must be an integer"),
        (lambda s: s.add_point(0, "a", 5, 1), "must be numbers"),
        (lambda s: s.add_box(0, 5, 5, 5.5, 40, 1), "narrower than one pixel"),
        (lambda s: s.clear_label(3), "not in use"),
        (lambda s: s.remove_prompt(0, 5, 5), "no prompt within"),
        (lambda s: s.run_propagation(), "no prompts yet"),
    ],
)
def test_bad_input_is_refused_with_a_clear_message(session, call, match):
    session.add_point(2, 32, 36, 1)
    before = session.labels
    prompts = session.prompts
    if match == "no prompts yet":
        session.undo()
        before, prompts = session.labels, session.prompts
    with pytest.raises(PromptError, match=match):
        call(session)
    assert np.array_equal(session.labels, before)
    assert session.prompts == prompts


def test_bad_propagation_ranges(session):
    session.add_point(4, 32, 36, 1)
    with pytest.raises(PromptError, match="cannot stop at earlier frame 2"):
        session.propagate(stop=2)
    with pytest.raises(PromptError, match="cannot stop at later frame 6"):
        session.propagate(direction="reverse", stop=6)
    with pytest.raises(PromptError, match="both"):
        session.propagate(direction="both", stop=6)


def test_failed_sam2_call_leaves_state_untouched(session, monkeypatch):
    session.add_point(2, 32, 36, 1)
    labels, prompts = session.labels, session.prompts

    def broken(*args, **kwargs):
        raise RuntimeError("out of memory")

    monkeypatch.setattr(session.predictor, "add_new_points_or_box", broken)
    with pytest.raises(RuntimeError, match="out of memory"):
        session.add_point(2, 60, 90, 2)
    assert np.array_equal(session.labels, labels)
    assert session.prompts == prompts
    assert object_ids(state_of(session)) == [1]


def test_remove_point_replays_the_rest(model, video, session):
    session.add_point(2, 32, 36, 1)
    session.add_point(2, 80, 20, 1, positive=False)
    session.add_point(2, 40, 30, 1)
    removed = session.remove_prompt(2, 81, 21)
    assert (removed.y, removed.x, removed.positive) == (80, 20, False)
    fresh = Session(video, model)
    fresh.add_point(2, 32, 36, 1)
    fresh.add_point(2, 40, 30, 1)
    assert np.array_equal(session.label_frame(2), fresh.label_frame(2))
    assert_same_outputs(state_of(session), state_of(fresh))
    assert [(p.y, p.x) for p in session.prompts] == [(32, 36), (40, 30)]


def test_remove_point_replays_batches_and_boxes(model, video):
    s = Session(video, model, auto_segment=False)
    s.add_box(2, 10, 10, 60, 60, 1)
    s.add_point(2, 30, 30, 1)
    s.add_point(2, 50, 20, 1, positive=False)
    s.segment()
    s.remove_prompt(2, 50, 20)
    fresh = Session(video, model, auto_segment=False)
    fresh.add_box(2, 10, 10, 60, 60, 1)
    fresh.add_point(2, 30, 30, 1)
    fresh.segment()
    assert np.array_equal(s.label_frame(2), fresh.label_frame(2))


def test_removing_the_last_prompt_removes_the_object(model, video, session):
    session.add_point(2, 32, 36, 1)
    session.add_point(2, 62, 92, 2)
    session.run_propagation()
    session.remove_prompt(2, 62, 92)
    assert session.label_ids == [1]
    assert not (session.labels == 2).any()
    only_one = Session(video, model)
    only_one.add_point(2, 32, 36, 1)
    assert np.array_equal(session.label_frame(2), only_one.label_frame(2))


def test_remove_pending_point(model, video):
    s = Session(video, model, auto_segment=False)
    s.add_point(1, 30, 30, 1)
    s.add_point(1, 60, 60, 1)
    s.remove_prompt(1, 60, 61)
    assert [(p.y, p.x) for p in s.pending] == [(30, 30)]


@pytest.mark.slow
def test_clear_label_everywhere_and_undo(model, video, session):
    session.add_point(2, 32, 36, 1)
    session.add_point(2, 62, 92, 2)
    session.run_propagation()
    before = session.labels
    assert (before == 2).any()
    session.clear_label(2)
    assert not (session.labels == 2).any()
    assert all(p.label == 1 for p in session.prompts)
    # Object 1 alone, propagated the same way, gives what is left.
    alone = Session(video, model)
    alone.add_point(2, 32, 36, 1)
    alone.run_propagation()
    assert np.array_equal(session.labels, alone.labels)
    session.undo()
    assert np.array_equal(session.labels, before)


def test_next_unused_label(session):
    assert session.next_unused_label() == 1
    session.add_point(0, 20, 20, 1)
    session.add_point(0, 60, 90, 4)
    assert session.label_ids == [1, 4]
    assert session.next_unused_label() == 5


def test_edits_during_propagation_are_refused(session):
    session.add_point(0, 32, 36, 1)
    gen = session.propagate()
    next(gen)
    assert session.busy
    with pytest.raises(SessionBusyError):
        session.add_point(3, 10, 10, 1)
    with pytest.raises(SessionBusyError):
        session.undo()
    with pytest.raises(SessionBusyError):
        session.propagate()
    gen.close()
    assert not session.busy
    session.add_point(3, 10, 10, 1)


def test_pending_prompts_are_segmented_before_propagating(model, video):
    s = Session(video, model, auto_segment=False)
    s.add_point(1, 32, 36, 1)
    frames = s.run_propagation()
    assert frames == list(range(1, len(video)))
    assert not s.pending
    assert len(s.prompts) == 1


def test_4d_stack_selects_one_sequence(model):
    data = np.stack([moving_discs(6, seed=0), moving_discs(6, seed=1)])  # (Z, T, Y, X, C)
    stack = open_stack(data, axes="ZTYXC", prop_axis="T", other_index=1)
    s = Session(stack, model)
    assert s.n_frames == 6
    assert np.array_equal(s.image_frame(2), data[1, 2])
    s.add_point(0, 32, 36, 1)
    s.run_propagation()
    tracks = s.tracks()
    assert list(tracks.columns) == ["track_id", "t", "z", "y", "x", "parent_id"]
    assert (tracks["z"] == 1).all()


def test_single_image(model, video):
    s = Session(video[0], model)
    assert s.n_frames == 1
    labels = s.add_point(0, 32, 36, 1)
    assert labels.shape == video.shape[1:3]
    assert s.run_propagation() == [0]


def test_labels_overlap_rule():
    from sam2_jupyter.engine import composite

    logits = np.array([[[1.0, 3.0, -1.0, 2.0]], [[2.0, 1.0, -2.0, 2.0]]])
    out = composite(logits, [5, 9])
    assert out.tolist() == [[9, 5, 0, 5]]  # highest logit wins; ties to the first object
    previous = np.array([[7, 7, 7, 0]], np.uint16)
    out = composite(logits, [5, 7], known=[True, False], previous=previous)
    assert out.tolist() == [[5, 5, 7, 5]]  # unknown object keeps its unclaimed pixels


@pytest.mark.parametrize("error", [torch.OutOfMemoryError("CUDA out of memory"), MemoryError()])
def test_out_of_memory_in_an_edit_is_undone_and_explained(session, monkeypatch, error):
    from sam2_jupyter import OutOfMemoryError

    session.add_point(2, 32, 36, 1)
    labels, prompts = session.labels, session.prompts

    def oom(*args, **kwargs):
        raise error

    monkeypatch.setattr(session.predictor, "add_new_points_or_box", oom)
    with pytest.raises(OutOfMemoryError, match=r"memory_mode='low'.*try again"):
        session.add_point(2, 60, 90, 2)
    assert np.array_equal(session.labels, labels)
    assert session.prompts == prompts
    monkeypatch.undo()
    assert session.add_point(2, 60, 90, 2).any()  # and it works once memory is back


def test_out_of_memory_while_propagating_keeps_finished_frames(session, monkeypatch, oom_after):
    from sam2_jupyter import OutOfMemoryError

    session.add_point(0, 32, 36, 1)
    oom_after(session.predictor, 5)
    done = []

    def run():
        for t, _ in session.propagate():
            done.append(t)

    with pytest.raises(OutOfMemoryError) as info:
        run()
    assert done == list(range(len(done)))
    assert 0 < len(done) < session.n_frames
    assert f"after frame {done[-1]}; {len(done)} finished frame" in str(info.value)
    assert str(info.value).split(" finished frame")[1].lstrip("s").startswith(" kept")
    assert not session.busy
    assert all(session.label_frame(t).any() for t in done)
    monkeypatch.undo()
    assert session.run_propagation() == list(range(session.n_frames))


def test_old_call_forms_still_work_and_say_what_to_use(model, video):
    """Flags became keyword-only, ``direction=`` replaced reverse / both, and
    remove_point is remove_prompt: the old forms work for a release, with a warning."""
    old, new = Session(video, model), Session(video, model)
    with pytest.warns(DeprecationWarning, match="pass positive= by keyword"):
        a = old.add_point(0, 30, 30, 1, False)
    b = new.add_point(0, 30, 30, 1, positive=False)
    assert np.array_equal(a, b)
    assert old.prompts[0].positive is False
    with pytest.raises(TypeError, match="twice"):
        old.add_point(0, 30, 30, 1, True, positive=True)
    old.add_point(0, 40, 40, 1)
    with pytest.warns(DeprecationWarning, match="remove_prompt"):
        old.remove_point(0, 40, 40)
    with pytest.warns(DeprecationWarning, match="direction='reverse'"):
        run = old.propagate(reverse=True, start=3)
    assert run.plan.frames() == [3, 2, 1, 0]
    run.close()
    with pytest.warns(DeprecationWarning, match="'auto'"):
        Session(video, model, feature_cache=-1)
    with pytest.raises(TypeError, match="not both"):
        old.propagate(both=True, direction="both")


def test_paint_and_seed_take_frame_where_label_and_the_old_order_warns(model, video):
    """paint(frame, mask, label) and seed_from_labels(frame, labels), in the order of
    add_point / add_box / fill / add_mask; the earlier order still works, warned."""
    old, new = Session(video, model), Session(video, model)
    mask = np.zeros(video.shape[1:3], bool)
    mask[10:20, 10:30] = True
    with pytest.warns(DeprecationWarning, match=r"paint\(\) takes \(mask, label\)"):
        a = old.paint(2, 4, mask, track=False)
    assert np.array_equal(a, new.paint(2, mask, 4, track=False))
    assert set(np.unique(a)) == {0, 4}
    image = np.where(mask, 7, 0).astype(np.uint16)
    with pytest.warns(DeprecationWarning, match=r"takes \(frame, labels\)"):
        assert old.seed_from_labels(image, 5) == [7]
    assert new.seed_from_labels(5, image) == [7]
    assert new.seed_from_labels(image, frame=6) == [7]  # named frame: no warning
    assert new.seed_from_labels(labels=image, frame=3) == [7]
    for s in (old, new):
        assert np.array_equal(s.label_frame(5), image)
