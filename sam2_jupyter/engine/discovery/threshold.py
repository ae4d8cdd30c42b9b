"""Candidates without a model: bright objects on a dark background (fluorescent nuclei,
bacteria) by smoothing, an automatic threshold and a watershed that splits touching
objects — the classical pipeline, every step a scikit-image / scipy call.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from scipy import ndimage as ndi
from skimage import filters
from skimage.feature import peak_local_max
from skimage.segmentation import watershed

from ...errors import PromptError
from .candidates import CANDIDATE_DTYPE, check_areas, check_region, filter_labels

# The global methods: one threshold for the frame, from its histogram.
GLOBAL = {
    "otsu": filters.threshold_otsu,
    "li": filters.threshold_li,
    "triangle": filters.threshold_triangle,
}
METHODS = (*GLOBAL, "local")
DEFAULT_BLOCK = 101
# The most pixels a threshold or a noise estimate is computed from (see _sample).
SAMPLE = 1 << 20
# A median absolute deviation times this is a Gaussian noise's standard deviation.
MAD_TO_SD = 1.4826


def _number(name: str, value: object, low: float, *, integer: bool = False) -> float:
    kinds = (int, np.integer) if integer else (int, float, np.integer, np.floating)
    if isinstance(value, bool) or not isinstance(value, kinds):
        kind = "an integer" if integer else "a number"
        raise PromptError(f"{name} must be {kind} >= {low:g}, got {value!r}")
    if not math.isfinite(float(value)) or float(value) < low:
        raise PromptError(f"{name} must be a finite number >= {low:g}, got {value}")
    return float(value)


def _grey(image: object, channel: object) -> np.ndarray:
    arr = np.asarray(image)
    if arr.ndim not in (2, 3) or arr.dtype.kind not in "biuf" or 0 in arr.shape:
        raise PromptError(
            f"image must be a (Y, X) or (Y, X, C) array of numbers, got {arr.dtype} {arr.shape}"
        )
    if channel is not None:
        if arr.ndim != 3:
            raise PromptError("channel= needs a (Y, X, C) image; this one has one channel")
        c = int(_number("channel", channel, 0, integer=True))
        if c >= arr.shape[2]:
            raise PromptError(f"channel {c} out of range 0..{arr.shape[2] - 1}")
        arr = arr[..., c]
    grey = arr.mean(axis=2, dtype=np.float32) if arr.ndim == 3 else arr.astype(np.float32)
    if not np.isfinite(grey).all():
        raise PromptError("image has NaN or infinite values")
    return grey


def _check_threshold(threshold: object, block_size: object, offset: object) -> None:
    if isinstance(threshold, str):
        if threshold not in METHODS:
            raise PromptError(f"threshold must be one of {', '.join(METHODS)} or a number")
    else:
        _number("threshold", threshold, -math.inf)
    if threshold != "local" and (block_size is not None or offset is not None):
        which = "block_size" if block_size is not None else "offset"
        raise PromptError(f"{which} applies to threshold='local' only")
    if block_size is not None:
        size = int(_number("block_size", block_size, 3, integer=True))
        if size % 2 == 0:
            raise PromptError(f"block_size must be odd, got {size}")
    if offset is not None:
        _number("offset", offset, -math.inf)


def _sample(values: np.ndarray) -> np.ndarray:
    """Every k-th value, about a million of them: a histogram's threshold or a median
    from a million pixels is the frame's, and Li's iterations cost a quarter at 2048²."""
    flat = values.ravel()
    return flat[:: max(1, flat.size // SAMPLE)]


def _foreground(grey: np.ndarray, inside: np.ndarray | None, threshold: object, **local: Any):
    """Pixels brighter than the threshold (the histogram is the region's only)."""
    values = _sample(grey if inside is None else grey[inside])
    if isinstance(threshold, str) and threshold in GLOBAL:
        return grey > GLOBAL[threshold](values)  # a flat frame: its value, nothing above
    if threshold != "local":
        return grey > float(threshold)  # type: ignore[arg-type]
    block = int(local["block_size"] or DEFAULT_BLOCK)
    mean = filters.threshold_local(grey, block, method="gaussian")
    offset = local["offset"]
    if offset is None:
        residual = _sample((grey - mean) if inside is None else (grey - mean)[inside])
        offset = 3 * MAD_TO_SD * float(np.median(np.abs(residual - np.median(residual))))
    return grey > mean + float(offset)


def _distance(parts: np.ndarray, boxes: list[tuple[slice, slice]]) -> np.ndarray:
    """Each pixel's distance to the nearest pixel outside its part (the frame's edge
    counts as outside: a cut object is measured from what is visible). Computed part
    by part on its bounding box: on a sparse frame that is a fraction of the pixels,
    and over twice as fast as one transform of the whole frame at 2048²."""
    distance = np.zeros(parts.shape, np.float32)
    for k, box in enumerate(boxes, start=1):
        crop = parts[box]
        own = np.zeros((crop.shape[0] + 2, crop.shape[1] + 2), bool)  # np.pad: 10× slower
        np.equal(crop, k, out=own[1:-1, 1:-1])
        np.maximum(distance[box], ndi.distance_transform_edt(own)[1:-1, 1:-1], out=distance[box])
    return distance


def _split(foreground: np.ndarray, min_distance: int | None) -> np.ndarray:
    """Touching objects apart: one seed per peak of the distance to the background, a
    watershed from the seeds over the inverted distance, inside each part that has
    two seeds or more (on its bounding box: a whole-frame watershed pads and converts
    the frame's arrays, several times the work at 2048²)."""
    parts, n = ndi.label(foreground)
    if n == 0:
        return parts
    boxes = ndi.find_objects(parts)
    distance = _distance(parts, boxes)
    if min_distance is None:
        area = float(np.median(np.bincount(parts.ravel())[1:]))
        min_distance = max(1, round(math.sqrt(area / math.pi) / 2))
    # One search over the frame (per part, it costs a call per part); a part that loses
    # its only peak to a neighbour's within min_distance stays whole, as one with one.
    peaks = peak_local_max(
        distance, min_distance=min_distance, threshold_abs=0.5, exclude_border=False
    )
    owner = parts[tuple(peaks.T)]
    order = np.lexsort((peaks[:, 1], peaks[:, 0], owner))  # by part, then raster
    peaks, owner = peaks[order], owner[order]
    first = np.searchsorted(owner, np.arange(n + 2))  # part k's seeds: first[k]:first[k+1]
    next_id = n + 1
    for k in np.flatnonzero(np.diff(first) > 1):
        box = boxes[k - 1]
        own = parts[box] == k
        seeds = peaks[first[k] : first[k + 1]] - [box[0].start, box[1].start]
        markers = np.zeros(own.shape, np.int32)
        markers[tuple(seeds.T)] = np.arange(next_id, next_id + len(seeds), dtype=np.int32)
        parts[box][own] = watershed(-distance[box], markers, mask=own)[own]
        next_id += len(seeds)
    return parts


def threshold_candidates(
    image: np.ndarray,
    *,
    threshold: str | float = "otsu",
    sigma: float = 1.0,
    min_distance: int | None = None,
    min_area: int | None = 16,
    max_area: int | None = None,
    box: tuple[float, float, float, float] | None = None,
    mask: np.ndarray | None = None,
    channel: int | None = None,
    block_size: int | None = None,
    offset: float | None = None,
    **unknown: Any,
) -> np.ndarray:
    """Candidates of bright objects on a dark background, without a model.

    1. Grey: a (Y, X) image as it is; a (Y, X, C) frame the mean of its channels
       (brightness in any channel counts, and an RGB view of a grey image gives that
       grey back), or the one ``channel`` chosen.
    2. Smoothing: a Gaussian of ``sigma`` pixels (0: none), so that pixel noise does
       not decide the threshold or seed extra peaks.
    3. Threshold: ``"otsu"`` (default) best separates the histogram into two
       classes; it needs no parameter and holds when objects and background are two
       populations, as in fluorescence. ``"li"`` (minimum cross-entropy) sits lower
       and keeps dim objects and more of their edges. ``"triangle"``, at the foot of
       the background's peak, is for a few small objects on a large background (on a
       noisy one it takes in noise and blur). A number is a threshold in the image's
       own units. With a ``box`` or ``mask`` the histogram is the region's.
       ``"local"`` is for uneven illumination: each pixel is compared with the
       Gaussian-weighted mean of its ``block_size`` neighbourhood (odd, default 101
       px: several objects across, so an object is not compared with itself alone;
       σ = (block_size - 1) / 6, scikit-image's ``threshold_local``: weighting near
       pixels more keeps outlines tighter than a box mean, at about twice the cost
       of ``"otsu"`` at 2048²) and must exceed it by ``offset``; by default by three
       noise deviations, the median absolute deviation of the image from that mean
       (so that a flat noisy background is not half foreground).
    4. Split: seeds at the peaks of the distance transform (``peak_local_max`` at
       least ``min_distance`` apart; by default half the radius of a disc with the
       median area of the connected foreground parts: a part rarely holds more than
       a few objects, so the median is about one object, and half its radius still
       separates touching neighbours), then a watershed over the inverted distance
       inside each part that has two seeds or more.
    5. Filter: clipped to the region; objects with an area outside
       ``[min_area, max_area]`` dropped (default 16: specks of noise that survive
       the smoothing are a few pixels).

    Returns
    -------
    numpy.ndarray
        int32 (Y, X), 0 background, ids 1..n (whole parts first, then split ones in
        raster order of their seeds).

    Raises
    ------
    PromptError
        An unknown keyword or a bad value, named.
    """
    if unknown:
        names = ", ".join(sorted(unknown))
        raise PromptError(f"unknown parameter(s) for method 'threshold': {names}")
    grey = _grey(image, channel)
    sigma = _number("sigma", sigma, 0)
    if min_distance is not None:
        min_distance = int(_number("min_distance", min_distance, 1, integer=True))
    low, high = check_areas(min_area, max_area)
    _check_threshold(threshold, block_size, offset)
    region = check_region(box, mask, grey.shape)
    out = np.zeros(grey.shape, CANDIDATE_DTYPE)
    window: tuple[slice, ...] = (slice(None), slice(None))
    if region is not None:  # work on the region's bounding box only
        window = ndi.find_objects(region.astype(np.uint8))[0]
        region = region[window]
    crop = grey[window]
    if sigma > 0:
        crop = ndi.gaussian_filter(crop, sigma)
    fg = _foreground(crop, region, threshold, block_size=block_size, offset=offset)
    if region is not None:
        fg &= region
    labels = _split(fg, min_distance)
    out[window] = filter_labels(labels, min_area=low, max_area=high)
    return out
