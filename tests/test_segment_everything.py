"""``segment_everything(method="sam2")`` against sam2's own automatic mask generator.

On frames of the model's own size both preprocessings are the identity resize, so
sam2's generator encoding the frame itself and the session handing it its cached
features see the same features: the masks must be the same, painted by descending
predicted IoU. Untrained weights give noise masks, which is fine for equality; the
filters are opened so that there are many.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import IMAGE_SIZE, moving_discs

from sam2_jupyter import CancelledError, PromptError, Session
from sam2_jupyter._sam2.image import generate, make_generator
from sam2_jupyter.engine.discovery import label_image
from sam2_jupyter.engine.discovery.automatic import frame_features

pytest.importorskip("torchvision", reason="sam2's generator needs torchvision")

# Every mask through: no score filters, no duplicate suppression.
OPEN = {
    "points_per_side": 6,
    "pred_iou_thresh": 0.0,
    "stability_score_thresh": 0.0,
    "box_nms_thresh": 1.0,
}


@pytest.fixture(scope="module")
def square_video():
    return moving_discs(3, shape=(IMAGE_SIZE, IMAGE_SIZE), seed=2)


def test_masks_equal_sam2s_generator_and_a_cached_frame_is_not_encoded_again(
    model, square_video, encoder_calls
):
    s = Session(square_video, model)
    s.add_point(1, 40, 40, 1)  # the click encodes frame 1: it is cached now
    assert encoder_calls == [1]
    ours = s.segment_everything(1, **OPEN)
    assert encoder_calls == [1]  # no second encode
    records = make_generator(model.predictor, **OPEN).generate(square_video[1])
    assert encoder_calls == [1, 1]  # sam2's own generator encodes
    theirs = label_image(
        [r["segmentation"] for r in records],
        [r["predicted_iou"] for r in records],
        square_video.shape[1:3],
    )
    assert ours.max() >= 2
    assert np.array_equal(ours, theirs)
    features = frame_features(model, s._frames, s.features, 1)
    masks, scores = generate(make_generator(model.predictor, **OPEN), square_video[1], features)
    assert encoder_calls == [1, 1]
    assert len(masks) == len(records) > 10
    assert scores == [r["predicted_iou"] for r in records]
    assert all(np.array_equal(m, r["segmentation"]) for m, r in zip(masks, records, strict=True))
    assert s.label_ids == [1]  # candidates change nothing


def test_an_uncached_frame_is_encoded_once_and_kept(model, square_video, encoder_calls):
    s = Session(square_video, model)
    first = s.segment_everything(2, **OPEN, min_area=30, box=(10, 10, 100, 100))
    assert encoder_calls == [1]
    s.add_point(2, 40, 40, 1)  # the click finds the frame's features in the cache
    assert encoder_calls == [1]
    areas = np.bincount(first.ravel())[1:]
    assert areas.min() >= 30
    assert not first[101:, :].any()
    assert not first[:, 101:].any()


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"points_per_sid": 4}, "points_per_sid"),
        ({"output_mode": "coco_rle"}, "output_mode"),
        ({"min_area": -1}, "min_area"),
        ({"box": (5, 5, 999, 20)}, "box"),
    ],
)
def test_bad_parameters_are_named(model, square_video, params, match):
    s = Session(square_video, model)
    with pytest.raises(PromptError, match=match):
        s.segment_everything(0, method="sam2", **params)


def test_cancel_stops_it_between_batches_and_changes_nothing(model, square_video):
    s = Session(square_video, model)
    batches = []
    import sam2.sam2_image_predictor as ip

    generator_predict = ip.SAM2ImagePredictor._predict

    def counted(self, *args, **kwargs):
        batches.append(1)
        if len(batches) == 2:
            s.cancel()  # as the widget's Cancel does, from another thread
        return generator_predict(self, *args, **kwargs)

    ip.SAM2ImagePredictor._predict = counted
    try:
        with pytest.raises(CancelledError, match="cancelled"):
            s.segment_everything(0, **OPEN, points_per_batch=4)  # 36 points: 9 batches
    finally:
        ip.SAM2ImagePredictor._predict = generator_predict
    assert len(batches) == 2
    assert s.label_ids == []
    assert s.segment_everything(0, points_per_side=2).dtype == np.int32  # a new one runs
