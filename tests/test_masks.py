"""Masks made by hand: mask prompts (parity with sam2's add_new_mask), paint / erase /
fill with and without tracking, seeding objects from a label image, loading a label
volume for review, divisions, and that undo, prompt files and resume keep them."""

from __future__ import annotations

import numpy as np
import pytest
import tifffile
from sam2_state import (
    assert_same_outputs,
    cond_frames,
    ref_mask,
    ref_propagate,
    reference_state,
    state_of,
)

from sam2_jupyter import Session
from sam2_jupyter.engine.masks import rasterise_stroke
from sam2_jupyter.errors import PromptError

SHAPE = (96, 128)


def disc(cy, cx, r, shape=SHAPE):
    yy, xx = np.mgrid[0 : shape[0], 0 : shape[1]]
    return (yy - cy) ** 2 + (xx - cx) ** 2 <= r * r


@pytest.mark.slow
def test_add_mask_equals_sam2_add_new_mask_and_its_propagation(model, jpeg_folder):
    ref = reference_state(model, jpeg_folder)
    s = Session(jpeg_folder, model)
    a, b = disc(30, 30, 14), disc(65, 95, 12)
    ours = s.add_mask(0, a, 1)
    theirs = ref_mask(model, ref, 0, 1, a)
    assert np.array_equal(ours == 1, a)  # exactly the mask on its frame
    s.add_mask(0, b, 2)
    ref_mask(model, ref, 0, 2, b)
    frames = dict(s.propagate())
    expected = ref_propagate(model, ref, start_frame_idx=0)
    for t in range(1, 10):
        assert np.array_equal(frames[t], expected[t]), t
    assert assert_same_outputs(state_of(s), ref) >= 18
    assert np.array_equal(s.label_frame(0) == 1, a)  # kept exactly after propagating
    assert theirs.shape == ours.shape


def test_a_mask_replaces_the_labels_earlier_prompts_there(session):
    session.add_point(3, 30, 30, 1)
    session.add_point(3, 60, 60, 1, positive=False)
    session.add_point(3, 65, 95, 2)
    mask = disc(40, 40, 10)
    session.add_mask(3, mask, 1)
    assert [(p.kind, p.label) for p in session.prompts] == [("point", 2), ("mask", 1)]
    assert cond_frames(state_of(session))[1] == {3}
    assert np.array_equal(session.label_frame(3) == 1, mask)
    session.undo()
    assert [p.kind for p in session.prompts] == ["point", "point", "point"]


@pytest.mark.slow
def test_paint_with_tracking_becomes_the_mask_prompt(session):
    session.add_mask(0, disc(30, 30, 10), 1)
    session.run_propagation()
    before = session.label_frame(5) == 1
    stroke = rasterise_stroke(np.array([[90.0, 20.0], [110.0, 30.0]]), 3, SHAPE)
    session.paint(5, stroke, 1, track=True)
    assert np.array_equal(session.label_frame(5) == 1, before | stroke)
    assert session.prompts[-1].kind == "mask"
    assert 5 in cond_frames(state_of(session))[1]
    session.run_propagation()
    assert np.array_equal(session.label_frame(5) == 1, before | stroke)


@pytest.mark.slow
def test_paint_without_tracking_survives_propagation_and_undo_is_exact(session):
    session.add_point(0, 30, 30, 1)
    session.add_point(0, 65, 95, 2)
    session.run_propagation()
    frame_before = session.label_frame(6)
    stroke = rasterise_stroke(np.array([[10.0, 80.0], [40.0, 85.0]]), 4, SHAPE)
    session.paint(6, stroke, 1, track=False)
    painted = session.label_frame(6)
    assert (painted[stroke] == 1).all()
    assert np.array_equal(painted[~stroke], frame_before[~stroke])
    assert session.prompts[-1].kind == "point"  # SAM2 was not told
    session.run_propagation()
    assert (session.label_frame(6)[stroke] == 1).all()  # not overwritten
    session.undo()  # the propagation
    session.undo()  # the stroke
    assert np.array_equal(session.label_frame(6), frame_before)


def test_erase_removes_only_the_labels_pixels(session):
    first = session.add_mask(2, disc(30, 30, 14), 1)
    session.add_mask(2, disc(50, 50, 14), 2)
    box = np.zeros(SHAPE, bool)
    box[20:60, 20:60] = True
    for track in (True, False):
        out = session.paint(2, box, 1, erase=True, track=track)
        assert not (out[box] == 1).any()
        assert np.array_equal(out == 2, disc(50, 50, 14))
        session.undo()
    assert np.array_equal(session.label_frame(2) == 1, (first == 1) & ~disc(50, 50, 14))


def test_fill_fills_the_region_under_the_pointer(session):
    ring = disc(40, 60, 20) & ~disc(40, 60, 12)
    session.add_mask(1, ring, 3)
    out = session.fill(1, 40, 60, 3, track=False)  # the hole
    assert np.array_equal(out == 3, disc(40, 60, 20))
    session.undo()
    out = session.fill(1, 40, 60, 4, track=True)  # the hole as a new object
    assert np.array_equal(out == 4, disc(40, 60, 12) & ~ring)
    assert session.prompts[-1].label == 4


@pytest.mark.slow
def test_seeding_many_objects_then_propagating(session):
    image = np.zeros(SHAPE, np.int32)
    ids = []
    for k in range(60):
        y, x = divmod(k, 10)
        image[4 + 15 * y : 12 + 15 * y, 3 + 12 * x : 11 + 12 * x] = 100 + k
        ids.append(100 + k)
    assert session.seed_from_labels(2, image) == ids
    assert np.array_equal(session.label_frame(2), image.astype(np.uint16))
    assert session.label_ids == ids
    assert session.run_propagation(stop=4) == [2, 3, 4]
    assert session.undo()
    assert session.undo()
    assert session.label_ids == []


@pytest.mark.parametrize(
    ("bad", "match"),
    [
        (np.zeros((10, 10), bool), "shape"),
        (np.full(SHAPE, 0.5), "boolean"),
        (np.zeros(SHAPE, bool), "empty"),
    ],
)
def test_bad_masks_are_named_and_change_nothing(bad, match, session):
    session.add_point(0, 30, 30, 1)
    before = session.label_frame(0)
    with pytest.raises(PromptError, match=match):
        session.add_mask(0, bad, 1)
    with pytest.raises(PromptError, match=match):
        session.paint(0, bad, 1)
    assert np.array_equal(session.label_frame(0), before)
    assert len(session.prompts) == 1


@pytest.mark.parametrize(
    ("bad", "match"),
    [
        (np.full(SHAPE, -1, np.int32), "0..65535"),
        (np.ones(SHAPE, np.float32), "integers"),
        (np.zeros(SHAPE, np.int32), "no objects"),
        (np.ones((5, 5), np.int32), "shape"),
    ],
)
def test_bad_label_images_are_named(bad, match, session):
    with pytest.raises(PromptError, match=match):
        session.seed_from_labels(0, bad)
    assert session.label_ids == []


def test_masks_survive_a_prompts_file_round_trip(model, video, tmp_path, session):
    session.add_mask(2, disc(30, 30, 10), 1)
    session.add_point(2, 50, 50, 1)
    session.add_point(4, 65, 95, 2)
    path = session.save_prompts(tmp_path / "prompts.csv")
    assert (tmp_path / "prompts.csv.masks.npz").is_file()
    again = Session(video, model)
    loaded = again.load_prompts(path)
    assert [p.kind for p in loaded] == ["mask", "point", "point"]
    assert np.array_equal(loaded[0].array(), disc(30, 30, 10))
    (tmp_path / "prompts.csv.masks.npz").unlink()
    with pytest.raises(PromptError, match=r"masks\.npz"):
        Session(video, model).load_prompts(path)


def test_hand_edits_and_divisions_are_autosaved_and_resumed(model, video, tmp_path):
    s = Session(video, model, autosave=tmp_path / "save")
    s.add_mask(0, disc(30, 30, 10), 1)
    s.run_propagation(stop=3)
    s.paint(2, disc(70, 100, 6), 1, track=False)
    s.paint(3, disc(70, 20, 6), 5, track=False)  # a label only drawn by hand
    s.set_parent(5, 1)
    labels = s.labels
    again = Session(video, model, autosave=tmp_path / "save")
    assert again.resumed is not None
    assert np.array_equal(again.labels, labels)
    assert again.parents == {5: 1}
    assert again.label_ids == [1, 5]
    again.run_propagation(stop=3)
    assert (again.label_frame(2)[disc(70, 100, 6)] == 1).all()  # still kept
    assert (again.label_frame(3)[disc(70, 20, 6)] == 5).all()


@pytest.mark.slow
def test_a_loaded_label_volume_is_kept_until_tracked(model, video, tmp_path, session):
    volume = np.zeros((10, *SHAPE), np.uint16)
    for t in range(10):
        volume[t][disc(30 + 2 * t, 30 + 3 * t, 12)] = 9
    tifffile.imwrite(tmp_path / "other.tif", volume)
    assert session.load_labels(tmp_path / "other.tif") == [9]
    assert np.array_equal(session.labels, volume)
    assert session.label_ids == [9]
    assert sorted(session.quality().frame) == list(range(10))
    session.add_point(0, 65, 95, 2)
    session.run_propagation()
    alone = Session(video, model)  # what SAM2 makes of label 2 without the file
    alone.add_point(0, 65, 95, 2)
    alone.run_propagation()
    tracked = alone.labels
    # Label 9 keeps the file's pixels wherever the tracked label 2 does not claim them.
    assert np.array_equal(session.labels, np.where(tracked != 0, tracked, volume))
    assert (session.labels == 9).any()
    with pytest.raises(PromptError, match="shape"):
        session.load_labels(volume[:3])


def test_divisions_reach_the_ctc_and_tracks_exports(tmp_path, session):
    session.add_mask(0, disc(30, 30, 10), 1)
    session.add_mask(4, disc(60, 60, 8), 2)
    session.add_mask(4, disc(30, 100, 8), 3)
    session.paint(0, disc(30, 30, 10), 1, track=True)
    session.set_parent(2, 1)
    session.set_parent(3, 1)
    for t in (1, 2, 3):
        session.paint(t, disc(30, 30, 10), 1, track=False)
    for t in range(4):  # the mother ends where the daughters begin
        session.paint(t, np.ones(SHAPE, bool), 2, erase=True, track=False)
        session.paint(t, np.ones(SHAPE, bool), 3, erase=True, track=False)
    for t in range(4, 10):
        session.paint(t, np.ones(SHAPE, bool), 1, erase=True, track=False)
        session.paint(t, disc(60, 60, 8), 2, track=False)
        session.paint(t, disc(30, 100, 8), 3, track=False)
    tracks = session.tracks()
    assert dict(zip(tracks.track_id, tracks.parent_id, strict=True)) == {1: 0, 2: 1, 3: 1}
    folder = session.export_ctc(tmp_path / "ctc")
    rows = np.loadtxt(folder / "res_track.txt", dtype=int, ndmin=2)
    assert {tuple(r) for r in rows} == {(1, 0, 3, 0), (2, 4, 9, 1), (3, 4, 9, 1)}
    with pytest.raises(PromptError, match="own parent"):
        session.set_parent(2, 2)
    with pytest.raises(PromptError, match="no cycles"):
        session.set_parent(1, 2)
    session.set_parent(3, None)
    assert session.parents == {2: 1}


def test_a_mask_prompts_repr_is_short_and_says_what_it_is():
    from sam2_jupyter.engine.prompts import MaskPrompt

    rng = np.random.default_rng(0)
    nuclei = np.zeros((512, 512), bool)
    for cy, cx in rng.integers(10, 502, size=(120, 2)):
        nuclei |= disc(cy, cx, int(rng.integers(4, 10)), nuclei.shape)
    p = MaskPrompt.from_array(7, 3, nuclei, group=2)
    assert len(p.bits) > 1000  # the compressed bits alone would make a long repr
    text = repr(p)
    assert len(text) < 200, text
    area = int(nuclei.sum())
    assert "frame=7" in text
    assert "label=3" in text
    assert f"area={area}" in text
    assert "(512, 512)" in text
    assert p.area == area
    # Equality and hashing still see every field, bits included.
    same = MaskPrompt.from_array(7, 3, nuclei.copy(), group=2)
    assert p == same
    assert hash(p) == hash(same)
    assert len({p, same}) == 1
    moved = nuclei.copy()
    moved[0, 0] = not moved[0, 0]
    assert MaskPrompt.from_array(7, 3, moved, group=2) != p
    assert MaskPrompt.from_array(7, 3, nuclei, group=3) != p
