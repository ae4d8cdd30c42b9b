"""Editing from the canvas without a browser: a stroke message (one per stroke, its
polyline in a binary buffer) paints exactly the rasterised pixels, with and without
tracking; the eraser; fill; divisions; seeding and loading masks from Python and the
panel; bad input becomes a sentence and changes nothing."""

from __future__ import annotations

import numpy as np
import pytest
import tifffile

from sam2_jupyter.engine.masks import rasterise_stroke
from sam2_jupyter.widget.codec import decode_labels

SHAPE = (96, 128)


def polyline(*points) -> bytes:
    return np.asarray(points, "<f4").tobytes()


def stroke(a, points, radius=3.0, erase=False, track=True, frame=2, label=1):
    a.browser.send(
        buffers=[polyline(*points)],
        type="stroke",
        frame=frame,
        label=label,
        radius=radius,
        erase=erase,
        track=track,
    )
    a.wait(60)


@pytest.mark.parametrize("track", [True, False])
def test_a_stroke_paints_exactly_the_rasterised_pixels(annotator, track):
    a = annotator
    a.canvas.frame = 2  # strokes are made on the frame in view
    before = a.session.label_frame(2)
    points = [(20.5, 30.0), (60.0, 35.5), (70.0, 70.0)]
    stroke(a, points, radius=4.0, track=track)
    expected = rasterise_stroke(np.array(points), 4.0, SHAPE)
    after = a.session.label_frame(2)
    assert np.array_equal(after == 1, (before == 1) | expected)
    assert np.array_equal(after[~expected], before[~expected])
    assert [p.kind for p in a.session.prompts] == (["mask"] if track else [])
    # The browser got the frame's new labels.
    a.browser.ack_all()
    a.browser.ack_all()
    shown = [
        b[-1]
        for c, b in a.browser.messages
        if c["frame"] == 2 and (c["type"] == "labels" or c.get("has_labels"))
    ]
    assert np.array_equal(decode_labels(shown[-1], SHAPE), after)
    # One undo takes the stroke back exactly.
    a.browser.send(type="undo")
    a.wait(30)
    assert np.array_equal(a.session.label_frame(2), before)


def test_the_eraser_removes_the_current_labels_pixels(annotator):
    a = annotator
    stroke(a, [(20.0, 20.0), (80.0, 20.0)], radius=8.0, label=1)
    stroke(a, [(50.0, 10.0), (50.0, 40.0)], radius=5.0, label=2, track=False)
    erased = rasterise_stroke(np.array([(10.0, 20.0), (40.0, 20.0)]), 6.0, SHAPE)
    before = a.session.label_frame(2)
    stroke(a, [(10.0, 20.0), (40.0, 20.0)], radius=6.0, erase=True, label=1)
    after = a.session.label_frame(2)
    assert not (after[erased] == 1).any()
    assert np.array_equal(after == 2, before == 2)  # the other label untouched


def test_fill_and_divisions_from_the_canvas(annotator):
    a = annotator
    stroke(a, [(30.0, 30.0)], radius=10.0, label=1)
    a.browser.send(type="fill", frame=2, y=5.0, x=120.0, label=3, track=False)
    a.wait(30)
    labels = a.session.label_frame(2)
    assert (labels == 3).sum() == (labels != 1).sum()  # the background became 3
    a.browser.send(type="set_parent", daughter=3, mother=1)
    a.wait(30)
    assert a.session.parents == {3: 1}
    a.browser.send(type="set_parent", daughter=3, mother=0)
    a.wait(30)
    assert a.session.parents == {}


@pytest.mark.parametrize(
    ("buffers", "match"),
    [([b"\0" * 7], "8 bytes"), ([], "one binary buffer"), ([np.zeros(2, "<f4").tobytes()], "")],
)
def test_bad_strokes_are_sentences(annotator, buffers, match):
    a = annotator
    before = a.session.label_frame(2)
    a.browser.send(
        buffers=buffers, type="stroke", frame=2, label=1, radius=-1.0, erase=False, track=True
    )
    a.wait(30)
    assert a.canvas.status
    assert match in a.canvas.status
    assert np.array_equal(a.session.label_frame(2), before)


def test_seeding_and_loading_masks_from_python_and_the_panel(annotator, tmp_path):
    a = annotator
    image = np.zeros(SHAPE, np.uint16)
    image[10:30, 10:30] = 4
    image[50:70, 80:100] = 9
    a.seed_from_labels(image, 3).result(60)
    assert a.session.label_ids == [4, 9]
    assert np.array_equal(a.session.label_frame(3), image)
    volume = np.zeros((10, *SHAPE), np.uint16)
    volume[:, 40:60, 40:60] = 12
    tifffile.imwrite(tmp_path / "vol.tif", volume)
    a.canvas.frame = 5
    a.controls.seed.labels_path.value = str(tmp_path / "vol.tif")
    a.controls.seed.seed.click()  # the frame in view's slice of the volume
    a.wait(60)
    assert 12 in a.session.label_ids
    assert [p.frame for p in a.session.prompts if p.label == 12] == [5]
    a.controls.seed.load.click()
    a.wait(60)
    assert np.array_equal(a.session.labels, volume)
    assert "Loaded masks of 1 label for review" in a.canvas.status
    a.controls.seed.labels_path.value = str(tmp_path / "missing.tif")
    a.controls.seed.seed.click()
    a.wait(30)
    assert "no such label file" in a.canvas.status


def test_mask_markers_leave_the_bits_in_the_kernel(annotator):
    a = annotator
    stroke(a, [(30.0, 30.0)], radius=10.0, label=1, frame=0)
    a.canvas.frame = 0
    a.wait(30)
    (marker,) = a.canvas.prompts
    assert marker["kind"] == "mask"
    assert "bits" not in marker
