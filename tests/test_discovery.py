"""Objects nobody clicked: candidates on a frame through the Session, the ones that
are new, and new objects found while a propagation runs.

The propagation tests drive a real Session over the tracker double of
``fake_tracker.py``, whose tracks are known (each mask moves SHIFT pixels right
per frame), so what discovery adds, and where, can be checked exactly; the
candidates come from the model-free threshold method on a synthetic video.
"""

from __future__ import annotations

import numpy as np
import pytest
from fake_tracker import SHIFT, FakeModel, disc, shifted

from sam2_jupyter import PromptError, Session

SHAPE = (64, 96)
A = (20, 20)  # moves with the double's tracks
B = (44, 70)  # enters on frame 4, then moves as A does


def entering_video(n: int = 8) -> np.ndarray:
    """Bright discs on a dark background moving SHIFT px right per frame, as the
    double tracks: A from frame 0, B from frame 4 on."""
    video = np.full((n, *SHAPE), 10, np.uint8)
    for t in range(n):
        video[t][disc(SHAPE, A[0], A[1] + SHIFT * t)] = 200
        if t >= 4:
            video[t][disc(SHAPE, B[0], B[1] + SHIFT * (t - 4))] = 200
    return video


@pytest.fixture
def fake():
    return Session(entering_video(), FakeModel())


def test_candidates_change_nothing_and_new_objects_skip_claimed_ones(fake):
    s = fake
    found = s.segment_everything(5, method="threshold", min_area=20)
    assert found.dtype == np.int32
    assert sorted(np.unique(found)) == [0, 1, 2]
    assert s.label_ids == []
    assert not s.undo()  # nothing was an edit
    s.add_mask(5, disc(SHAPE, A[0], A[1] + SHIFT * 5), 7)
    new = s.find_new_objects(5, method="threshold", min_area=20)
    assert sorted(np.unique(new)) == [0, 8]  # B only, with an id no label has
    assert new[B[0], B[1] + SHIFT] == 8
    assert not (new & (s.label_frame(5) > 0)).any()
    assert s.seed_from_labels(5, new) == [8]
    assert s.label_ids == [7, 8]
    assert s.undo()
    assert s.label_ids == [7]


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda s: s.segment_everything(9, method="threshold"), "frame 9 out of range"),
        (lambda s: s.segment_everything(0, method="magic"), "method must be one of sam2"),
        (lambda s: s.segment_everything(0, method="threshold", sgima=2), "sgima"),
        (lambda s: s.find_new_objects(0, method="threshold", min_overlap=0), "min_overlap"),
        (lambda s: s.propagate(discover_every=-1), "discover_every"),
        (lambda s: s.propagate(discover_every=2, discover_method="x"), "discover_method"),
    ],
)
def test_bad_discovery_requests_are_named(fake, call, match):
    fake.add_mask(0, disc(SHAPE, *A), 1)
    with pytest.raises(PromptError, match=match):
        call(fake)
    assert fake.label_ids == [1]


def test_an_object_entering_is_found_and_tracked_from_where_it_appears(fake):
    s = fake
    s.add_mask(0, disc(SHAPE, *A), 1)
    run = s.propagate(discover_every=1, discover_method="threshold", discover={"min_area": 20})
    seen = [(t, labels.copy()) for t, labels in run]
    assert [t for t, _ in seen] == run.plan.frames()  # every frame once, in order
    assert run.added == {4: [2]}
    entered = s.label_frame(4) == 2
    assert entered[B]
    assert not (s.label_frame(3) == 2).any()
    for t, labels in seen:  # what was yielded is what the session shows
        assert np.array_equal(labels, s.label_frame(t)), t
        a = shifted(disc(SHAPE, *A), SHIFT * t)
        assert np.array_equal(labels == 1, a), t  # A tracked as before, untouched
    for t in range(5, 8):  # B tracked by the model from its mask on frame 4
        assert np.array_equal(s.label_frame(t) == 2, shifted(entered, SHIFT * (t - 4))), t
    assert s.undo()  # the propagation and what it found: one step
    assert s.label_ids == [1]
    assert not (s.labels[1:] > 0).any()


def test_discovery_every_n_frames_looks_only_there(fake):
    s = fake
    s.add_mask(0, disc(SHAPE, *A), 1)
    looked = []
    find = s.find_new_objects

    def spy(t, **kw):
        looked.append(t)
        return find(t, **kw)

    s.find_new_objects = spy
    run = s.propagate(discover_every=3, discover_method="threshold", discover={"min_area": 20})
    assert [t for t, _ in run] == list(range(8))
    assert looked == [2, 5]  # the 3rd and 6th frames yielded
    assert run.added == {5: [2]}  # B exists from frame 4, found on 5


def test_discovery_in_both_directions_and_after_a_cancel(fake):
    s = fake
    s.add_mask(3, disc(SHAPE, A[0], A[1] + SHIFT * 3), 1)
    run = s.propagate(
        direction="both", discover_every=1, discover_method="threshold", discover={"min_area": 20}
    )
    frames = []
    for t, _ in run:
        frames.append(t)
    assert frames == run.plan.frames()
    assert run.added == {4: [2]}
    s.undo()
    run = s.propagate(discover_every=1, discover_method="threshold", discover={"min_area": 20})
    for t, _ in run:
        if t == 4:
            s.cancel()
    assert s.label_ids == [1, 2]  # found before the cancel: kept, as every finished frame
    assert (s.label_frame(4) == 2).any()


def test_sam2_tracks_an_object_found_mid_propagation_from_that_frame(session):
    """With the real predictor: an object added on frame 2 of a running
    propagation is in sam2's state as a mask prompt there and has outputs on every
    later frame (sam2 is called again from frame 2), none before it."""
    s = session
    s.add_point(0, 32, 36, 1)
    found = np.zeros(s.frame_shape, np.int32)
    found[60:70, 80:95] = 2
    s.find_new_objects = lambda t, **kw: found if t == 2 else np.zeros_like(found)
    run = s.propagate(discover_every=1, discover_method="threshold")
    assert [t for t, _ in run] == run.plan.frames()
    assert run.added == {2: [2]}
    assert [(p.frame, p.label, type(p).__name__) for p in s.prompts][-1] == (2, 2, "MaskPrompt")
    model, sam = s._tracker.model, s._core.sam
    assert [model.has_output(sam, 2, t) for t in range(s.n_frames)] == [
        t >= 2 for t in range(s.n_frames)
    ]
    assert np.array_equal(s.label_frame(2) == 2, found == 2)  # a mask prompt is exact there


# -- proposed divisions --------------------------------------------------------------
def drawn(s: Session, frames: dict[int, dict[int, list[tuple[int, int, int]]]]) -> None:
    """Paint discs by hand (not tracked): frame -> label -> [(y, x, r), ...]."""
    for t, labels in frames.items():
        for label, discs in labels.items():
            mask = np.zeros(s.frame_shape, bool)
            for y, x, r in discs:
                mask |= disc(s.frame_shape, y, x, r)
            s.paint(t, mask, label, track=False)


def test_a_label_in_two_parts_is_proposed_flagged_and_accepted(fake):
    s = fake
    one = {1: [(30, 40, 9)]}
    drawn(
        s, {0: one, 1: one, 2: {1: [(30, 28, 7), (30, 52, 7)]}, 3: {1: [(30, 26, 7), (30, 54, 7)]}}
    )
    table = s.proposed_divisions()
    assert table[["frame", "mother", "kind"]].values.tolist() == [[2, 1, "parts"]]  # first only
    assert s.parents == {}  # a proposal changes nothing
    flags = s.quality().set_index(["frame", "label"])["flags"]
    assert "split" in flags[(2, 1)]
    assert "split" not in flags[(1, 1)]
    assert s.accept_division(2, 1) == [2]
    assert s.parents == {2: 1}
    assert sorted(np.unique(s.label_frame(2))) == [0, 1, 2]
    assert (s.label_frame(2) == 2).sum() == (s.label_frame(2) == 1).sum()  # a part each
    # Frame 3 was drawn by hand, so it still holds label 1 in two parts (a new
    # propagation from frame 2 would track the daughters there).
    assert s.proposed_divisions()[["frame", "mother"]].values.tolist() == [[3, 1]]
    assert s.undo()
    assert s.parents == {}
    assert len(s.proposed_divisions()) == 1
    with pytest.raises(PromptError, match="no division of label 1 is proposed on frame 1"):
        s.accept_division(1, 1)


def test_a_newcomer_beside_a_shrinking_label_is_proposed_and_can_be_dismissed(fake):
    s = fake
    big = {1: [(30, 40, 10)]}
    drawn(s, {0: big, 1: big, 2: {1: [(30, 34, 7)], 2: [(30, 50, 7)]}})
    drawn(s, {1: {3: [(10, 80, 5)]}})  # far away, and the mother did not shrink for it
    table = s.proposed_divisions()
    assert table.values.tolist() == [[2, 1, (2,), "newcomer"]]
    s.dismiss_division(2, 1)
    assert s.proposed_divisions().empty
    assert s.undo()  # the dismissal is an edit like any other
    assert len(s.proposed_divisions()) == 1
    assert s.accept_division(2, 1) == [2]
    assert s.parents == {2: 1}
    assert s.proposed_divisions().empty  # a daughter with a mother is not proposed
    with pytest.raises(PromptError, match="balance"):
        s.proposed_divisions(balance=0)


def test_a_dismissal_is_saved_and_resumed(model, video, tmp_path):
    s = Session(video, model, autosave=tmp_path / "s")
    big = {1: [(40, 60, 12)]}
    drawn(s, {0: big, 1: {1: [(40, 52, 8)], 2: [(40, 69, 8)]}})
    assert len(s.proposed_divisions()) == 1
    s.dismiss_division(1, 1)
    s.close()
    again = Session(video, model, autosave=tmp_path / "s")
    assert again.proposed_divisions().empty
    again.clear_label(1)  # the dismissal goes with its label
    assert again._core.record.dismissed == frozenset()
