"""A Session's masks equal sam2's own predictor driven directly with the same prompts.

Both sides use the same weights, the same JPEG frames and the same calls; we check
the label images the user sees and, bit for bit, every mask logit and object pointer
SAM2 keeps in its state.
"""

from __future__ import annotations

import threading

import numpy as np
import pytest
from sam2_state import (
    assert_same_outputs,
    frame_tensor,
    held_outputs,
    ref_batch,
    ref_click,
    ref_propagate,
    reference_state,
    state_of,
)

from sam2_jupyter import Session

N = 10  # frames in the test video


def test_frames_fed_to_sam2_equal_sam2_loader(model, jpeg_folder):
    ref = reference_state(model, jpeg_folder)
    s = Session(jpeg_folder, model)
    for t in (0, 4, N - 1):
        ours, theirs = frame_tensor(state_of(s), t), frame_tensor(ref, t)
        assert ours.dtype == theirs.dtype
        assert np.array_equal(ours.numpy(), theirs.numpy())


def test_clicks_one_by_one(model, jpeg_folder):
    ref = reference_state(model, jpeg_folder)
    s = Session(jpeg_folder, model)
    clicks = [
        (2, 30, 36, 1, True),
        (2, 80, 20, 1, False),
        (2, 34, 40, 1, True),
        (2, 60, 86, 2, True),
    ]
    for frame, y, x, obj, pos in clicks:
        ours = s.add_point(frame, y, x, obj, positive=pos)
        expected = ref_click(model, ref, frame, y, x, obj, pos)
        assert np.array_equal(ours, expected)
        assert np.array_equal(s.label_frame(frame), expected)
    assert assert_same_outputs(state_of(s), ref) >= 2
    assert set(np.unique(s.label_frame(2))) - {0}, "the test must produce some labels"


def test_box_then_points(model, jpeg_folder):
    ref = reference_state(model, jpeg_folder)
    s = Session(jpeg_folder, model)
    ours = s.add_box(3, 10, 15, 50, 60, 1)
    assert np.array_equal(ours, ref_batch(model, ref, 3, 1, [], box=(10, 15, 50, 60)))
    ours = s.add_point(3, 36, 40, 1, positive=False)
    assert np.array_equal(ours, ref_click(model, ref, 3, 36, 40, 1, False))
    # A new box replaces the old one and is sent with the object's points.
    ours = s.add_box(3, 12, 18, 55, 62, 1)
    expected = ref_batch(model, ref, 3, 1, [(36, 40, False)], box=(12, 18, 55, 62))
    assert np.array_equal(ours, expected)
    assert [p.kind for p in s.prompts] == ["point", "box"]
    assert_same_outputs(state_of(s), ref)


def test_batched_prompts_equal_one_sam2_call(model, jpeg_folder):
    ref = reference_state(model, jpeg_folder)
    s = Session(jpeg_folder, model, auto_segment=False)
    assert s.add_point(1, 30, 34, 1) is None
    s.add_point(1, 85, 15, 1, positive=False)
    s.add_box(1, 50, 70, 90, 120, 2)
    s.add_point(1, 66, 92, 2)
    assert len(s.pending) == 4
    assert not s.prompts
    assert not s.label_frame(1).any()
    assert s.segment() == [1]
    ref_batch(model, ref, 1, 1, [(30, 34, True), (85, 15, False)])
    expected = ref_batch(model, ref, 1, 2, [(66, 92, True)], box=(50, 70, 90, 120))
    assert np.array_equal(s.label_frame(1), expected)
    assert assert_same_outputs(state_of(s), ref) >= 2
    assert not s.pending
    assert len(s.prompts) == 4


def _prompt_two_objects(s, ref, model):
    """Object 1 clicked on frame 2, object 2 boxed on frame 5 (a later frame)."""
    s.add_point(2, 32, 36, 1)
    ref_click(model, ref, 2, 32, 36, 1)
    s.add_box(5, 50, 70, 85, 110, 2)
    ref_batch(model, ref, 5, 2, [], box=(50, 70, 85, 110))


@pytest.mark.parametrize(
    ("kwargs", "ref_kwargs"),
    [
        ({}, [{}]),
        ({"direction": "reverse"}, [{"reverse": True}]),
        ({"direction": "both"}, [{"reverse": False}, {"reverse": True}]),
        ({"start": 3, "stop": 7}, [{"start_frame_idx": 3, "max_frame_num_to_track": 4}]),
    ],
    ids=["forward", "reverse", "both", "start-stop"],
)
@pytest.mark.slow
def test_propagation(model, jpeg_folder, kwargs, ref_kwargs):
    ref = reference_state(model, jpeg_folder)
    s = Session(jpeg_folder, model)
    _prompt_two_objects(s, ref, model)
    ours = list(s.propagate(**kwargs))
    expected: list[tuple[int, np.ndarray]] = []
    for rk in ref_kwargs:
        expected += list(ref_propagate(model, ref, **rk).items())
    assert [t for t, _ in ours] == [t for t, _ in expected]
    for (t, a), (_, b) in zip(ours, expected, strict=True):
        assert np.array_equal(a, b), f"frame {t}"
    final = dict(expected)
    for t, labels in final.items():
        assert np.array_equal(s.label_frame(t), labels)
    assert assert_same_outputs(state_of(s), ref) >= len(final)


@pytest.mark.slow
def test_reprompt_and_repropagate(model, jpeg_folder):
    ref = reference_state(model, jpeg_folder)
    s = Session(jpeg_folder, model)
    _prompt_two_objects(s, ref, model)
    s.run_propagation()
    ref_propagate(model, ref)
    # A correction click on a tracked frame, then propagate again.
    ours = s.add_point(7, 40, 52, 1, positive=False)
    assert np.array_equal(ours, ref_click(model, ref, 7, 40, 52, 1, False))
    again = dict(s.propagate())
    expected = ref_propagate(model, ref)
    assert again.keys() == expected.keys()
    for t in expected:
        assert np.array_equal(again[t], expected[t])
    assert_same_outputs(state_of(s), ref)


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["low", "super-low"])
def test_low_memory_modes_give_the_same_masks(model, jpeg_folder, mode):
    normal = Session(jpeg_folder, model)
    low = Session(jpeg_folder, model, memory_mode=mode)
    for s in (normal, low):
        s.add_point(1, 32, 36, 1)
        s.add_point(1, 62, 92, 2)
        s.run_propagation(direction="both")
    assert np.array_equal(normal.labels, low.labels)
    assert normal.labels.any()


@pytest.mark.slow
def test_low_mode_bounds_outputs_and_keeps_masks(model):
    """On a video longer than SAM2's memory window, low mode holds only the window's
    outputs while normal mode holds one per frame, and every mask is the same."""
    from conftest import moving_discs

    from sam2_jupyter.engine.memory import memory_window

    frames = moving_discs(n_frames=40, seed=3)
    window = memory_window(model.predictor)
    assert 2 * window < 38
    normal = Session(frames, model)
    low = Session(frames, model, memory_mode="low")
    for s in (normal, low):
        s.add_point(0, 32, 36, 1)
    held_low, held_normal = [], []
    for (t, a), (t2, b) in zip(normal.propagate(), low.propagate(), strict=True):
        assert t == t2
        assert np.array_equal(a, b), f"frame {t}"
        held_normal.append(held_outputs(state_of(normal), 1))
        held_low.append(held_outputs(state_of(low), 1))
    assert held_normal[-1] == len(frames) - 1
    assert max(held_low) <= 2 * window + 1
    assert held_low[-1] < held_normal[-1]
    assert low._frames.cached_bytes <= 4 * 3 * model.image_size**2


def test_undo_redo_restore_masks_exactly(model, jpeg_folder):
    s = Session(jpeg_folder, model)
    first = s.add_point(2, 32, 36, 1).copy()
    s.add_point(2, 80, 20, 1, positive=False)
    second = s.label_frame(2)
    s.add_point(2, 62, 92, 2)
    third = s.labels
    assert s.undo()
    assert np.array_equal(s.label_frame(2), second)
    assert s.undo()
    assert np.array_equal(s.label_frame(2), first)
    assert len(s.prompts) == 1
    assert s.redo()
    assert s.redo()
    assert np.array_equal(s.labels, third)
    assert not s.redo()
    # Undo after re-clicking matches a fresh session with the same clicks, bit for bit.
    fresh = Session(jpeg_folder, model)
    fresh.add_point(2, 32, 36, 1)
    s.undo()
    s.undo()
    assert np.array_equal(s.labels, fresh.labels)
    from sam2_state import assert_same_outputs as same

    same(state_of(s), state_of(fresh))


def test_undo_propagation(model, jpeg_folder):
    s = Session(jpeg_folder, model)
    s.add_point(2, 32, 36, 1)
    before = s.labels
    s.run_propagation()
    after = s.labels
    assert (after != before).any()
    s.undo()
    assert np.array_equal(s.labels, before)
    s.redo()
    assert np.array_equal(s.labels, after)


@pytest.mark.slow
def test_cancel_from_another_thread_keeps_completed_frames(model, jpeg_folder):
    s = Session(jpeg_folder, model)
    s.add_point(0, 32, 36, 1)
    seen = []
    for t, _ in s.propagate():
        seen.append(t)
        if t == 3:
            threading.Thread(target=s.cancel).start()
            threading.Event().wait(0.05)
    assert seen == [0, 1, 2, 3]
    assert not s.busy
    labelled = [t for t in range(N) if s.label_frame(t).any()]
    assert set(labelled) <= {0, 1, 2, 3}
    assert labelled  # the completed frames are kept
    # Re-propagation after a cancel runs to the end and matches an uncancelled run.
    full = Session(jpeg_folder, model)
    full.add_point(0, 32, 36, 1)
    full.run_propagation()
    s.run_propagation()
    assert np.array_equal(s.labels, full.labels)
