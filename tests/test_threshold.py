"""Candidates without a model, against ground truth the test makes: synthetic nuclei
(ellipses of random size and brightness on a dark noisy background, some in touching
pairs) found and split by ``threshold_candidates``; the region and area limits; every
bad parameter named; masks painted by score (``label_image``) and the candidates no
label claims (``new_objects``), on injected masks.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage as ndi

from sam2_jupyter.engine.discovery import (
    check_region,
    label_image,
    new_objects,
    threshold_candidates,
)
from sam2_jupyter.errors import PromptError


def _extent(a: float, b: float, angle: float, towards: float) -> float:
    """How far an ellipse (semi-axes a, b, turned by angle) reaches towards a direction."""
    d = towards - angle
    return a * b / np.hypot(b * np.cos(d), a * np.sin(d))


def synthetic_nuclei(
    shape: tuple[int, int] = (512, 512),
    n: int = 40,
    pairs: int = 6,
    radii: tuple[float, float] = (7.0, 14.0),
    seed: int = 0,
    noise: float = 6.0,
) -> tuple[np.ndarray, np.ndarray, list[tuple[int, int]]]:
    """(image uint8, truth int32 labels, touching pairs of truth ids). ``pairs`` pairs
    of ellipses overlap by 2 px along the line between their centres (the contested
    pixels go to the ellipse they are deeper in); the rest stand apart."""
    rng = np.random.default_rng(seed)
    h, w = shape
    depth = np.full(shape, np.inf, np.float32)
    truth = np.zeros(shape, np.int32)
    placed: list[tuple[float, float, float]] = []

    def paint(k: int, cy: float, cx: float, a: float, b: float, angle: float) -> None:
        y0, y1 = max(0, int(cy - a) - 1), min(h, int(cy + a) + 2)
        x0, x1 = max(0, int(cx - a) - 1), min(w, int(cx + a) + 2)
        dy, dx = np.ogrid[y0 - cy : y1 - cy, x0 - cx : x1 - cx]
        c, s = np.cos(angle), np.sin(angle)
        f = ((dx * c + dy * s) / a) ** 2 + ((dy * c - dx * s) / b) ** 2
        win, own = depth[y0:y1, x0:x1], truth[y0:y1, x0:x1]
        inside = (f <= 1) & (f < win)
        own[inside], win[inside] = k, f[inside]

    def shape_of() -> tuple[float, float, float]:
        a = rng.uniform(*radii)
        return a, a * rng.uniform(0.7, 1.0), rng.uniform(0, np.pi)

    k, touching = 0, []
    while k < n:
        e1 = shape_of()
        if len(touching) < pairs:
            e2, phi = shape_of(), rng.uniform(0, 2 * np.pi)
            d = _extent(*e1, phi) + _extent(*e2, phi + np.pi) - 2.0
            r = (d + e1[0] + e2[0]) / 2 + 1
        else:
            r = e1[0] + 1
        cy, cx = rng.uniform(r, h - r), rng.uniform(r, w - r)
        if any((cy - y) ** 2 + (cx - x) ** 2 <= (r + q + 4) ** 2 for y, x, q in placed):
            continue
        placed.append((cy, cx, r))
        if len(touching) < pairs:
            sy, sx = d / 2 * np.sin(phi), d / 2 * np.cos(phi)
            paint(k + 1, cy - sy, cx - sx, *e1)
            paint(k + 2, cy + sy, cx + sx, *e2)
            touching.append((k + 1, k + 2))
            k += 2
        else:
            paint(k + 1, cy, cx, *e1)
            k += 1
    level = np.concatenate([[0.0], rng.uniform(80, 160, k)])
    image = ndi.gaussian_filter(level[truth], 1.0) + 20 + rng.normal(0, noise, shape)
    return np.clip(image, 0, 255).astype(np.uint8), truth, touching


def matches(found: np.ndarray, truth: np.ndarray, iou: float = 0.7) -> dict[int, int]:
    """Truth id -> the found id it overlaps most, where their IoU is at least ``iou``."""
    out = {}
    for k in range(1, int(truth.max()) + 1):
        mine = truth == k
        ids, counts = np.unique(found[mine], return_counts=True)
        counts, ids = counts[ids > 0], ids[ids > 0]
        if len(ids):
            best, inter = int(ids[counts.argmax()]), int(counts.max())
            if inter / (mine.sum() + (found == best).sum() - inter) >= iou:
                out[k] = best
    return out


@pytest.fixture(scope="module")
def nuclei():
    return synthetic_nuclei()


@pytest.mark.parametrize("threshold", ["otsu", "li", "local"])
def test_finds_the_nuclei_and_splits_touching_pairs(nuclei, threshold):
    image, truth, touching = nuclei
    found = threshold_candidates(image, threshold=threshold)
    assert found.dtype == np.int32
    assert found.shape == truth.shape
    n = int(truth.max())
    ids = np.unique(found[found > 0])
    assert list(ids) == list(range(1, len(ids) + 1))  # 1..n consecutive
    assert abs(len(ids) - n) <= 1, (len(ids), n)
    matched = matches(found, truth)
    assert len(matched) >= 0.9 * n, (len(matched), n)
    for a, b in touching:  # both halves found, as two objects
        assert {a, b} <= set(matched), (a, b)
        assert matched[a] != matched[b], (a, b)


def test_a_multichannel_frame_is_the_mean_of_its_channels_or_the_one_chosen(nuclei):
    image, truth, _ = nuclei
    noise = np.random.default_rng(3).integers(15, 26, image.shape, dtype=np.uint8)
    rgb = np.stack([noise, image, noise], axis=2)
    assert len(matches(threshold_candidates(rgb), truth)) >= 0.9 * truth.max()
    assert len(matches(threshold_candidates(rgb, channel=1), truth)) >= 0.9 * truth.max()
    assert threshold_candidates(rgb, channel=0, threshold=40).max() == 0  # noise only


def test_a_number_is_a_threshold_in_the_images_units(nuclei):
    image, truth, _ = nuclei
    assert len(matches(threshold_candidates(image, threshold=60), truth)) >= 0.9 * truth.max()
    assert threshold_candidates(image, threshold=250).max() == 0


def test_a_box_or_mask_restricts_the_search(nuclei):
    image, truth, _ = nuclei
    box = (100.5, 50, 399.5, 300.2)  # every pixel it touches: rows 100..399
    found = threshold_candidates(image, box=box)
    region = check_region(box, None, image.shape)
    assert region[100:400, 50:301].all()
    assert region.sum() == 300 * 251
    assert found.max() > 0
    assert not found[~region].any()
    inside = [k for k in range(1, truth.max() + 1) if region[truth == k].all()]
    assert len(set(matches(found, truth)) & set(inside)) >= 0.9 * len(inside)
    yy, xx = np.ogrid[:512, :512]
    disc = (yy - 256) ** 2 + (xx - 256) ** 2 < 150**2
    found = threshold_candidates(image, mask=disc)
    assert found.max() > 0
    assert not found[~disc].any()
    assert found.max() < threshold_candidates(image).max()


def test_area_limits_drop_objects_outside_them(nuclei):
    image, truth, _ = nuclei
    found = threshold_candidates(image, min_area=300, max_area=450)
    areas = np.bincount(found.ravel())[1:]
    assert len(areas)
    assert areas.min() >= 300
    assert areas.max() <= 450
    sizes = np.bincount(truth.ravel())
    middle = [k for k in range(1, len(sizes)) if 330 <= sizes[k] <= 420]
    assert len(set(matches(found, truth)) & set(middle)) >= 0.9 * len(middle)
    assert len(areas) < threshold_candidates(image).max()


def test_a_flat_frame_has_no_candidates():
    for method in ("otsu", "li", "triangle", "local"):
        assert threshold_candidates(np.full((64, 64), 7, np.uint8), threshold=method).max() == 0


SHAPE = (64, 64)
BAD = [
    ({"threshold": "median"}, "threshold"),
    ({"threshold": True}, "threshold"),
    ({"threshold": float("nan")}, "threshold"),
    ({"sigma": -1}, "sigma"),
    ({"sigma": "1"}, "sigma"),
    ({"min_distance": 0}, "min_distance"),
    ({"min_distance": 2.5}, "min_distance"),
    ({"min_area": -1}, "min_area"),
    ({"min_area": 3.5}, "min_area"),
    ({"min_area": 10, "max_area": 5}, "max_area"),
    ({"max_area": "big"}, "max_area"),
    ({"box": (0, 0, 10)}, "box"),
    ({"box": "abcd"}, "box"),
    ({"box": (0, 0, 65, 10)}, "box"),
    ({"box": (5, 5, 5.5, 20)}, "box"),
    ({"mask": np.ones((10, 10), bool)}, "mask"),
    ({"mask": np.zeros(SHAPE, bool)}, "mask"),
    ({"mask": np.full(SHAPE, 2)}, "mask"),
    ({"box": (0, 0, 10, 10), "mask": np.ones(SHAPE, bool)}, "box= or mask="),
    ({"block_size": 51}, "block_size"),
    ({"offset": 3}, "offset"),
    ({"threshold": "local", "block_size": 50}, "block_size"),
    ({"threshold": "local", "block_size": 1}, "block_size"),
    ({"threshold": "local", "offset": "x"}, "offset"),
    ({"channel": 0}, "channel"),
    ({"points_per_side": 32}, "points_per_side"),
]


@pytest.mark.parametrize(("params", "name"), BAD, ids=[f"{b[1]}-{i}" for i, b in enumerate(BAD)])
def test_a_bad_parameter_is_named(params, name):
    with pytest.raises(PromptError, match=name):
        threshold_candidates(np.zeros(SHAPE, np.uint8), **params)


@pytest.mark.parametrize(
    ("image", "name"),
    [(np.zeros((4, 4, 4, 4)), "image"), (np.full(SHAPE, np.nan), "NaN"), ("x", "image")],
)
def test_a_bad_image_is_named(image, name):
    with pytest.raises(PromptError, match=name):
        threshold_candidates(image)


def test_a_channel_out_of_range_is_named():
    with pytest.raises(PromptError, match="channel 3"):
        threshold_candidates(np.zeros((*SHAPE, 3)), channel=3)


def square(y: int, x: int, size: int, shape: tuple[int, int] = SHAPE) -> np.ndarray:
    out = np.zeros(shape, bool)
    out[y : y + size, x : x + size] = True
    return out


def test_label_image_paints_by_descending_score():
    a, b, c = square(10, 10, 20), square(20, 20, 20), square(45, 45, 10)
    labels = label_image([a, b, c], [0.5, 0.9, 0.7], SHAPE)
    assert labels.dtype == np.int32
    assert (labels == 1).sum() == 400
    assert (labels[b] == 1).all()
    assert (labels == 2).sum() == 100
    assert (labels[c] == 2).all()
    assert (labels == 3).sum() == 400 - 100
    assert not (labels[a & b] == 3).any()
    swapped = label_image([a, b, c], [0.9, 0.5, 0.7], SHAPE)
    assert (swapped[a] == 1).all()
    assert (swapped == 3).sum() == 300
    tied = label_image([a, b], [0.5, 0.5], SHAPE)  # ties keep the given order
    assert (tied[a] == 1).all()


def test_label_image_area_limits_and_region():
    a, b = square(10, 10, 20), square(12, 12, 20)  # b is mostly a's duplicate
    # Areas count before overlap: b (400 px) passes min_area=50, but its remnant
    # (400 - 18 * 18 = 76 px) passes too; min_area=100 drops the remnant.
    assert label_image([a, b], [0.9, 0.5], SHAPE, min_area=50).max() == 2
    assert label_image([a, b], [0.9, 0.5], SHAPE, min_area=100).max() == 1
    small = square(50, 50, 5)
    assert label_image([a, small], [0.5, 0.9], SHAPE, min_area=26).max() == 1
    # max_area is on the whole mask: 484 px is too big though 84 px would be left.
    wide = square(10, 10, 22)
    assert label_image([a, wide], [0.9, 0.5], SHAPE, max_area=483).max() == 1
    assert label_image([a, wide], [0.9, 0.5], SHAPE, max_area=484).max() == 2
    region = square(0, 0, 25)
    clipped = label_image([a, small], [0.5, 0.9], SHAPE, region=region)
    assert clipped.max() == 1
    assert (clipped == 1).sum() == 15 * 15
    assert label_image([], [], SHAPE).max() == 0


@pytest.mark.parametrize(
    ("masks", "scores", "name"),
    [
        ([square(0, 0, 5)], [0.5, 0.4], "scores"),
        ([square(0, 0, 5)], [float("nan")], "scores"),
        ([np.ones((5, 5), bool)], [0.5], "masks"),
    ],
)
def test_label_image_bad_input_is_named(masks, scores, name):
    with pytest.raises(PromptError, match=name):
        label_image(masks, scores, SHAPE)


def test_new_objects_keeps_only_what_no_label_claims():
    existing = np.zeros(SHAPE, np.uint16)
    existing[square(0, 0, 10)] = 1  # an object tracked since the start
    existing[square(30, 0, 10)] = 2
    candidates = np.zeros(SHAPE, np.int32)
    candidates[square(0, 0, 10)] = 1  # the tracked object 1 again
    candidates[square(40, 40, 10)] = 2  # an object entering: no overlap
    candidates[square(30, 8, 10)] = 3  # 2 of 10 columns on label 2: 20 % covered
    candidates[square(8, 20, 10)] = 4  # nothing under it either
    out = new_objects(candidates, existing, first_id=5)
    assert out.dtype == np.int32
    assert sorted(np.unique(out)) == [0, 5, 6]  # 3 is dropped at exactly 20 %
    assert (out[candidates == 2] == 5).all()
    assert (out[candidates == 4] == 6).all()
    # Just under the threshold, 3 is kept and loses its pixels on label 2.
    out = new_objects(candidates, existing, min_overlap=0.21, first_id=5)
    assert sorted(np.unique(out)) == [0, 5, 6, 7]
    assert (out == 6).sum() == 80
    assert not out[existing > 0].any()
    # min_overlap=1 drops only what is wholly covered.
    assert sorted(np.unique(new_objects(candidates, existing, min_overlap=1, first_id=9))) == [
        0,
        9,
        10,
        11,
    ]


@pytest.mark.parametrize(
    ("params", "name"),
    [
        ({"min_overlap": 0, "first_id": 5}, "min_overlap"),
        ({"min_overlap": 1.5, "first_id": 5}, "min_overlap"),
        ({"min_overlap": True, "first_id": 5}, "min_overlap"),
        ({"first_id": 2}, "first_id"),  # label 2 exists
        ({"first_id": 0}, "first_id"),
        ({"first_id": 5.0}, "first_id"),
        ({"first_id": 65535}, "65535"),  # two new objects do not fit
    ],
)
def test_new_objects_bad_parameter_is_named(params, name):
    existing = np.zeros(SHAPE, np.uint16)
    existing[square(0, 0, 5)] = 2
    candidates = np.zeros(SHAPE, np.int32)
    candidates[square(20, 20, 5)], candidates[square(40, 40, 5)] = 1, 2
    with pytest.raises(PromptError, match=name):
        new_objects(candidates, existing, **params)
    with pytest.raises(PromptError, match="existing"):
        new_objects(candidates, existing[:10], first_id=5)
