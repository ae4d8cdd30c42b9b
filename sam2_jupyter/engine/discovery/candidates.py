"""What every way of finding objects shares: the region searched, the area limits, a
label image of candidates painted from masks, and the candidates no label claims yet.

Pure numpy / scipy / scikit-image: a method (SAM2's generator, a threshold) only has
to produce masks or a label image; these helpers turn it into candidates the same way
for all of them, and check the user's parameters with messages that name them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from ...errors import PromptError
from ..labels import MAX_LABEL
from ..prompts import check_box

# Candidates are int32 label images: room for any count, and what scikit-image returns.
CANDIDATE_DTYPE = np.int32


def check_region(box: object, mask: object, shape: tuple[int, int]) -> np.ndarray | None:
    """The boolean (Y, X) region to search, or None for the whole frame.

    ``box`` is ``(y0, x0, y1, x1)``, pixel corners as :meth:`Session.add_box` takes
    them (in any order; a corner out of the frame is an error, not clipped, because a
    box beyond the frame means the user meant another frame or image size). The
    region is every pixel the box touches: rows ``floor(top) .. ceil(bottom) - 1``.
    ``mask`` is a boolean array of the frame's shape (0/1 integers are accepted too)
    with at least one pixel set.

    Raises
    ------
    PromptError
        Both given, or a bad one; the message names ``box`` or ``mask``.
    """
    if box is not None and mask is not None:
        raise PromptError("give box= or mask= to restrict the search, not both")
    h, w = shape
    if box is not None:
        if isinstance(box, (str, bytes)) or not isinstance(box, (Sequence, np.ndarray)):
            raise PromptError(f"box must be (y0, x0, y1, x1), got {box!r}")
        if len(box) != 4:
            raise PromptError(f"box must be 4 numbers (y0, x0, y1, x1), got {len(box)}")
        try:
            top, left, bottom, right = check_box(*box, shape)
        except PromptError as exc:
            raise PromptError(f"box: {exc}") from None
        region = np.zeros(shape, bool)
        rows = slice(math.floor(top), min(h, math.ceil(bottom)))
        region[rows, math.floor(left) : min(w, math.ceil(right))] = True
        return region
    if mask is None:
        return None
    arr = np.asarray(mask)
    if arr.shape != tuple(shape):
        raise PromptError(f"mask has shape {arr.shape}; the frame is {tuple(shape)}")
    if arr.dtype != bool:
        if arr.dtype.kind not in "iuf" or not np.isin(arr, (0, 1)).all():
            raise PromptError(f"mask must be boolean (or 0/1), got dtype {arr.dtype}")
        arr = arr != 0
    if not arr.any():
        raise PromptError("mask selects no pixel: nothing to search")
    return arr


def _whole(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise PromptError(f"{name} must be a whole number of pixels or None, got {value!r}")
    if value < 0:
        raise PromptError(f"{name} must be >= 0, got {value}")
    return int(value)


def check_areas(min_area: object, max_area: object) -> tuple[int, int | None]:
    """``(min_area, max_area)`` as pixel counts: None means no limit (0 and None).

    Raises
    ------
    PromptError
        Not a whole number >= 0, or ``max_area < min_area``; the message names it.
    """
    low = 0 if min_area is None else _whole("min_area", min_area)
    high = None if max_area is None else _whole("max_area", max_area)
    if high is not None and high < low:
        raise PromptError(f"max_area ({high}) is below min_area ({low})")
    return low, high


def _check_shape(shape: object) -> tuple[int, int]:
    try:
        h, w = (int(n) for n in shape)  # type: ignore[attr-defined]
    except (TypeError, ValueError):
        raise PromptError(f"shape must be (height, width), got {shape!r}") from None
    if h < 1 or w < 1:
        raise PromptError(f"shape must be positive, got {shape!r}")
    return h, w


def label_image(
    masks: Sequence[np.ndarray] | np.ndarray,
    scores: Sequence[float] | np.ndarray,
    shape: tuple[int, int],
    *,
    min_area: int | None = 0,
    max_area: int | None = None,
    region: np.ndarray | None = None,
) -> np.ndarray:
    """Paint overlapping masks into one non-overlapping int32 label image.

    Masks are painted by descending score (ties keep the given order), each only on
    pixels no better mask took: the best mask keeps contested pixels. A mask's area
    is counted inside ``region`` *before* overlap removal, as sam2's generator
    filters its masks on their own area (a mask that is mostly another's duplicate
    must not pass ``max_area`` by what is left of it); a mask outside
    ``[min_area, max_area]``, with no pixel in the region, or left with fewer than
    ``max(1, min_area)`` pixels once better masks took theirs is dropped, and its
    pixels stay free for the masks after it. Every id in the result thus has at least
    ``max(1, min_area)`` pixels, all inside the region.

    Parameters
    ----------
    masks
        N boolean (Y, X) masks (a list, or an (N, Y, X) array).
    scores
        N finite numbers, higher is better (sam2's ``predicted_iou``, say).
    shape
        (Y, X) of the frame.
    min_area, max_area
        Pixel counts as :func:`check_areas` takes them (None: no limit).
    region
        Boolean (Y, X) from :func:`check_region`, or None for the whole frame.

    Returns
    -------
    numpy.ndarray
        int32 (Y, X): 0 background, ids 1..n consecutive in the order painted.
    """
    shape = _check_shape(shape)
    low, high = check_areas(min_area, max_area)
    try:
        values = np.asarray(scores, dtype=float).ravel()
    except (TypeError, ValueError):
        raise PromptError(f"scores must be numbers, got {scores!r}") from None
    if len(values) != len(masks):
        raise PromptError(f"scores has {len(values)} values for {len(masks)} masks")
    if not np.isfinite(values).all():
        raise PromptError("scores must be finite numbers")
    if region is not None and (region.shape != shape or region.dtype != bool):
        raise PromptError(f"region must be a boolean array of shape {shape}")
    out = np.zeros(shape, CANDIDATE_DTYPE)
    free = np.ones(shape, bool) if region is None else region.copy()
    next_id = 1
    for i in np.argsort(-values, kind="stable"):
        mask = np.asarray(masks[i])
        if mask.shape != shape:
            raise PromptError(f"masks[{i}] has shape {mask.shape}; the frame is {shape}")
        mask = mask.astype(bool, copy=False)
        inside = mask if region is None else mask & region
        area = int(np.count_nonzero(inside))
        if area == 0 or area < low or (high is not None and area > high):
            continue
        own = inside & free
        if np.count_nonzero(own) < max(1, low):
            continue
        out[own] = next_id
        free &= ~own
        next_id += 1
    return out


def filter_labels(
    labels: np.ndarray,
    *,
    min_area: int | None = 0,
    max_area: int | None = None,
    region: np.ndarray | None = None,
) -> np.ndarray:
    """:func:`label_image`'s filtering for a label image whose objects do not overlap
    (a threshold's): clipped to ``region``, an object whose area inside it is outside
    ``[min_area, max_area]`` dropped, the rest renumbered 1..n keeping their order.
    """
    low, high = check_areas(min_area, max_area)
    labels = np.asarray(labels)
    if region is not None:
        labels = np.where(region, labels, 0)
    areas = np.bincount(labels.ravel())
    keep = areas >= max(1, low)
    if high is not None:
        keep &= areas <= high
    keep[0] = False
    lut = np.zeros(len(areas), CANDIDATE_DTYPE)
    lut[keep] = np.arange(1, np.count_nonzero(keep) + 1, dtype=CANDIDATE_DTYPE)
    return lut[labels]


def _check_labels(name: str, arr: object, shape: tuple[int, ...] | None = None) -> np.ndarray:
    a = np.asarray(arr)
    if a.ndim != 2 or a.dtype.kind not in "iu":
        raise PromptError(f"{name} must be an integer (Y, X) label image, got {a.dtype} {a.shape}")
    if shape is not None and a.shape != shape:
        raise PromptError(f"{name} has shape {a.shape}; the candidates have {shape}")
    if a.size and a.min() < 0:
        raise PromptError(f"{name} has negative ids (0 is background)")
    return a


def new_objects(
    candidates: np.ndarray,
    existing: np.ndarray,
    *,
    min_overlap: float = 0.2,
    first_id: int,
) -> np.ndarray:
    """The candidates that no existing label claims, with ids not yet used.

    A candidate is dropped when the fraction of its pixels on existing labels
    (``existing > 0``) is at least ``min_overlap``: ``covered / area >= min_overlap``,
    so 0.2 drops a candidate a fifth covered and keeps one covered less, and 1 drops
    only candidates wholly under existing labels. A kept candidate loses its pixels
    on existing labels (a new object never paints over one) and is renumbered
    ``first_id, first_id + 1, ...`` in the order of its candidate id.

    Raises
    ------
    PromptError
        ``min_overlap`` not in (0, 1]; ``first_id`` not above the existing ids on
        this frame (the caller passes one above every id of the session), or too
        high for the ids left; label images of other shapes or types.
    """
    cand = _check_labels("candidates", candidates)
    have = _check_labels("existing", existing, cand.shape)
    if isinstance(min_overlap, bool) or not isinstance(min_overlap, (int, float, np.number)):
        raise PromptError(f"min_overlap must be a number in (0, 1], got {min_overlap!r}")
    if not 0 < float(min_overlap) <= 1:
        raise PromptError(f"min_overlap must be in (0, 1], got {min_overlap}")
    if isinstance(first_id, bool) or not isinstance(first_id, (int, np.integer)):
        raise PromptError(f"first_id must be an integer, got {first_id!r}")
    top = int(have.max()) if have.size else 0
    if first_id < 1 or first_id <= top:
        raise PromptError(f"first_id must be above the existing ids (max {top}), got {first_id}")
    claimed = have > 0
    n = int(cand.max()) + 1 if cand.size else 1
    areas = np.bincount(cand.ravel(), minlength=n)
    covered = np.bincount(cand[claimed], minlength=n)
    ids = np.flatnonzero(areas)
    # The fraction itself, not min_overlap * area: 20 / 100 == 0.2 exactly as typed.
    ids = ids[(ids > 0) & (covered[ids] / areas[ids] < float(min_overlap))]
    if len(ids) and first_id + len(ids) - 1 > MAX_LABEL:
        raise PromptError(f"{len(ids)} new objects from first_id {first_id} pass {MAX_LABEL}")
    lut = np.zeros(n, CANDIDATE_DTYPE)
    lut[ids] = np.arange(first_id, first_id + len(ids), dtype=CANDIDATE_DTYPE)
    out = lut[cand]
    out[claimed] = 0
    return out
