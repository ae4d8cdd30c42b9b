"""A new tracker model needs one module: the test double of ``fake_tracker.py``
implements the engine's tracker interface and drives a real Session through
clicks, a box, a mask, removals, undo and propagations."""

from __future__ import annotations

import numpy as np
import pytest
from fake_tracker import SHIFT, FakeModel, disc, shifted

from sam2_jupyter import Session
from sam2_jupyter.engine.tracking import TrackerModel, TrackerState, tracker_of


@pytest.fixture
def fake(video):
    model = FakeModel()
    return Session(video, model), model.tracker


def test_the_double_implements_the_interface(fake):
    s, tracker = fake
    assert isinstance(tracker, TrackerModel)
    assert isinstance(s._core.sam, TrackerState)
    assert tracker_of(FakeModel()).name == "fake"
    assert not hasattr(FakeModel(), "predictor")  # nothing of sam2 to reach around to
    assert s.features is None  # the image caches are SAM2's


def test_a_click_shows_the_doubles_mask(fake):
    s, tracker = fake
    labels = s.add_point(2, 30, 40, 1)
    assert np.array_equal(labels == 1, disc(s.frame_shape, 30, 40))
    assert np.array_equal(s.label_frame(2), labels)
    assert s.label_ids == [1]
    assert "add_points" in tracker.calls


def test_a_propagation_puts_labels_where_the_double_moved_them(fake):
    s, tracker = fake
    s.add_point(2, 30, 40, 1)
    s.add_box(2, 60, 80, 70, 95, 2)
    run = s.propagate()
    assert run.plan.frames() == list(range(2, s.n_frames))
    seen = []
    for t, labels in run:
        seen.append(t)
        one = shifted(disc(s.frame_shape, 30, 40), SHIFT * (t - 2))
        assert np.array_equal(labels == 1, one), t
        assert np.array_equal(s.label_frame(t) == 1, one), t
        assert (labels == 2).sum() == 11 * 16, t  # the box, moved along
    assert seen == list(range(2, s.n_frames))
    assert "propagate" in tracker.calls
    before = s.label_frame(0).copy()
    s.run_propagation(direction="reverse")
    assert not np.array_equal(s.label_frame(0), before)
    assert np.array_equal(s.label_frame(0) == 1, shifted(disc(s.frame_shape, 30, 40), -2 * SHIFT))


def test_undo_a_removal_and_a_mask_go_through_the_interface(fake):
    s, tracker = fake
    s.add_point(1, 30, 40, 1)
    s.add_point(1, 30, 60, 1)  # a second click refines: both discs
    both = disc(s.frame_shape, 30, 40) | disc(s.frame_shape, 30, 60)
    assert np.array_equal(s.label_frame(1) == 1, both)
    s.remove_prompt(1, 30, 60)
    assert "restart_frame" in tracker.calls
    assert np.array_equal(s.label_frame(1) == 1, disc(s.frame_shape, 30, 40))
    assert s.undo()
    assert (s.label_frame(1) == 1)[30, 60]
    square = np.zeros(s.frame_shape, bool)
    square[10:20, 10:20] = True
    s.add_mask(3, square, 5)
    assert "add_mask" in tracker.calls
    assert np.array_equal(s.label_frame(3) == 5, square)
    s.clear_label(5)
    assert "remove_object" in tracker.calls
    assert 5 not in s.label_ids
    assert not (s.label_frame(3) == 5).any()


def test_a_low_memory_mode_releases_through_the_interface(video):
    model = FakeModel()
    s = Session(video, model, memory_mode="low")
    s.add_point(0, 30, 30, 1, positive=True)
    s.run_propagation()
    assert "release" in model.tracker.calls
    held = s._core.sam.masks[1]
    last = s.n_frames - 1  # the window: the reach (1) and the frame computed next
    assert sorted(held) == [0, last - 2, last - 1, last]  # and the prompted frame
    assert np.array_equal(s.label_frame(4) == 1, shifted(disc(s.frame_shape, 30, 30), 4 * SHIFT))
