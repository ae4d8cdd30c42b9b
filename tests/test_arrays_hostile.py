"""Hostile inputs to the data layer, 1: arrays of every dtype and shape, failing
array-likes, frames larger than memory. Every case ends in a StackError naming the
problem or in data that is right: never an unrelated exception, a numpy
RuntimeWarning (turned into errors here), a hang, or silently wrong values."""

from __future__ import annotations

import math
import os
import warnings
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from hostile import FUZZ
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from sam2_jupyter import StackError
from sam2_jupyter.io import Stack, open_stack

pytestmark = pytest.mark.usefixtures("quiet_tifffile")

# ======================================================================================
# 1. Arrays of every dtype and shape
# ======================================================================================

NUMERIC = [
    np.bool_,
    np.int8,
    np.int16,
    np.int32,
    np.int64,
    np.uint8,
    np.uint16,
    np.uint32,
    np.uint64,
    np.float16,
    np.float32,
    np.float64,
    np.longdouble,
]
_F64_MAX = float(np.finfo(np.float64).max)


def _ndim_ok(shape: tuple[int, ...]) -> bool:
    return 2 <= len(shape) <= 5


def _as_f64(values: np.ndarray) -> np.ndarray:
    if values.dtype.kind == "f" and values.dtype.itemsize > 8:
        values = np.clip(values, -_F64_MAX, _F64_MAX)
    return values.astype(np.float64)


def _check_display(stack: Stack, i: int) -> None:
    """Frame ``i`` is uint8 (Y, X, 3), and each channel is a monotonic map of the
    raw values with NaN at 0, +inf at 255, -inf at 0, and the limits respected."""
    lo, hi = stack.contrast_limits
    raw = stack.raw_frame(i)
    shown = stack.display_frame(i)
    assert shown.dtype == np.uint8
    assert shown.shape == (*stack.frame_shape, 3)
    channels = [raw[..., c] for c in range(3)] if stack.rgb else [raw] * 3
    for c, r in enumerate(channels):
        d = shown[..., c].ravel()
        r = r.ravel()
        if r.dtype == np.bool_:
            r = r.view(np.uint8)
        if r.dtype.kind == "f":
            assert (d[np.isnan(r)] == 0).all()
            assert (d[np.isposinf(r)] == 255).all()
            assert (d[np.isneginf(r)] == 0).all()
        finite = np.isfinite(r) if r.dtype.kind == "f" else np.ones(r.shape, bool)
        rf, df = r[finite], d[finite]
        order = np.argsort(rf, kind="stable")
        assert (np.diff(df[order].astype(int)) >= 0).all(), "display not monotonic in raw"
        rf = _as_f64(rf)  # compared in float16, the limits would be rounded first
        assert (df[rf >= hi] == 255).all()
        assert (df[rf <= lo] == 0).all()


def _check_array(a: np.ndarray) -> Stack | None:
    """Open ``a``: a StackError naming the shape problem, or a Stack that displays."""
    shape = a.shape
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        if 0 in shape:
            with pytest.raises(StackError, match="empty data") as info:
                open_stack(a)
            assert str(shape) in str(info.value)
            return None
        if not _ndim_ok(shape):
            with pytest.raises(StackError, match="cannot guess the axes") as info:
                open_stack(a)
            assert str(shape) in str(info.value)
            return None
        s = open_stack(a)
        lo, hi = s.contrast_limits
        assert math.isfinite(lo)
        assert math.isfinite(hi)
        assert lo < hi
        assert s.with_contrast(s.contrast_limits).contrast_limits == (lo, hi)
        for i in sorted({0, s.n_frames - 1}):
            _check_display(s, i)
        return s


_SHAPES = [
    (),
    (7,),
    (0,),
    (0, 0),
    (3, 0, 4),
    (1, 1),
    (1, 1, 1),
    (2, 1, 5000),
    (2, 4000, 1),
    (4, 5),
    (3, 6, 7),
    (2, 6, 7, 3),
    (2, 6, 7, 4),
    (2, 3, 6, 7),
    (2, 2, 6, 7, 3),
    (2, 2, 2, 6, 7),
    (2, 2, 2, 2, 6, 7),
    (1, 1, 1, 1, 1, 1, 1),
]


def _fills(dtype: np.dtype, shape: tuple[int, ...]) -> Iterator[tuple[str, np.ndarray]]:
    """Zeros, a ramp, constant extremes, alternating extremes, NaN/inf, subnormals."""
    size = math.prod(shape)
    yield "zeros", np.zeros(shape, dtype)
    if dtype == np.bool_:
        yield "alternating", (np.arange(size) % 2 == 0).reshape(shape)
        yield "ones", np.ones(shape, dtype)
        return
    info = np.iinfo(dtype) if dtype.kind in "iu" else np.finfo(dtype)
    yield "ramp", (np.arange(size) % 251).astype(dtype).reshape(shape)
    yield "const max", np.full(shape, info.max, dtype)
    yield "const min", np.full(shape, info.min, dtype)
    extremes = np.resize(np.array([info.min, info.max, 0], dtype), size).reshape(shape)
    yield "min/max", extremes
    if dtype.kind == "f":
        specials = np.array([np.nan, np.inf, -np.inf, info.max, 1, -1, 0], dtype)
        yield "nan/inf", np.resize(specials, size).reshape(shape)
        yield "all nan", np.full(shape, np.nan, dtype)
        tiny = np.array([0, info.smallest_subnormal, 2 * info.smallest_subnormal], dtype)
        yield "subnormal", np.resize(tiny, size).reshape(shape)
        yield "tiny normal", np.resize(np.array([0, info.tiny], dtype), size).reshape(shape)
    if dtype == np.longdouble and np.finfo(np.longdouble).max > _F64_MAX:
        huge = np.array([np.longdouble("1e4000"), -np.longdouble("1e4000"), 0], dtype)
        yield "beyond float64", np.resize(huge, size).reshape(shape)


@pytest.mark.parametrize("dtype", NUMERIC, ids=lambda d: np.dtype(d).name)
def test_every_numeric_dtype_shape_and_fill(dtype: type) -> None:
    """Each numeric dtype × the shapes that must open or be refused × extreme fills."""
    dtype = np.dtype(dtype)
    failures = []
    for shape in _SHAPES:
        for fill, a in _fills(dtype, shape):
            try:
                _check_array(a)
            except Exception as exc:  # collect all, so one run shows every bad case
                failures.append(f"{dtype} {shape} {fill}: {type(exc).__name__}: {exc}")
    assert not failures, "\n".join(failures[:30])


def test_flat_extremes_keep_finite_limits_that_round_trip() -> None:
    """A frame of float64 max used to get limits (max - pad, inf); -max raised an
    'invalid value' RuntimeWarning; limits must stay usable with with_contrast."""
    for value in (_F64_MAX, -_F64_MAX, float(np.finfo(np.float32).max)):
        s = open_stack(np.full((2, 3, 4), value))
        lo, hi = s.contrast_limits
        assert math.isfinite(lo)
        assert math.isfinite(hi)
        assert lo < hi
        s.with_contrast((lo, hi))


def test_full_float_range_is_spread_not_collapsed() -> None:
    """Data from -max to +max: percentiles and the mapping used to overflow (inf - inf,
    scale 0), giving all-black frames and RuntimeWarnings."""
    for dtype in (np.float32, np.float64):
        big = float(np.finfo(dtype).max)
        a = np.array([[-big, -big / 2, 0, big / 2, big]], dtype)
        with warnings.catch_warnings():
            warnings.simplefilter("error", RuntimeWarning)
            s = open_stack(a, contrast_limits=(-big, big))
            shown = s.display_frame(0)[0, :, 0]
        np.testing.assert_array_equal(shown, [0, 64, 128, 191, 255])


def test_denormal_data_is_resolved() -> None:
    """Limits a denormal apart: 255 / span overflowed, and the clamped scale mapped
    every pixel to 0."""
    a = np.array([[0.0, 5e-324, 1e-323]])
    shown = open_stack(a, contrast_limits=(0.0, 1e-323)).display_frame(0)[0, :, 0]
    np.testing.assert_array_equal(shown, [0, 128, 255])


@st.composite
def _hostile_arrays(draw: st.DrawFn) -> np.ndarray:
    dtype = np.dtype(draw(st.sampled_from(NUMERIC)))
    shape = draw(
        st.one_of(
            hnp.array_shapes(min_dims=0, max_dims=6, min_side=0, max_side=5),
            st.sampled_from([(1, 1, 1), (2, 1, 300), (2, 300, 1), (1, 2), (3, 1)]),
        )
    )
    base = dtype if dtype != np.longdouble else np.dtype(np.float64)
    mode = draw(st.sampled_from(["random", "constant", "sparse"]))
    if mode == "random":
        a = draw(hnp.arrays(base, shape, elements=hnp.from_dtype(base)))
    elif mode == "constant":
        a = np.full(shape, draw(hnp.from_dtype(base)), base)
    else:  # mostly one value with a few others: percentiles meet the extremes
        fill = draw(hnp.from_dtype(base))
        a = draw(hnp.arrays(base, shape, elements=hnp.from_dtype(base), fill=st.just(fill)))
    if dtype == np.longdouble:
        scale = draw(st.sampled_from(["1", "1e400", "1e-400"]))
        with np.errstate(all="ignore"):
            a = a.astype(np.longdouble) * np.longdouble(scale)
    return a


@settings(FUZZ, max_examples=100)
@given(_hostile_arrays())
def test_any_array_opens_or_is_refused_by_shape(a: np.ndarray) -> None:
    s = _check_array(a)
    if s is None or s.n_frames != 1 or s.rgb or s.dtype in (np.uint8, np.bool_):
        return
    # One frame with at least two distinct finite values: the darkest is black and
    # the brightest white, whatever the range (it is the only sample frame).
    raw = s.raw_frame(0)
    finite = raw[np.isfinite(raw)] if raw.dtype.kind == "f" else raw.ravel()
    if np.unique(_as_f64(finite)).size >= 2:
        shown = s.display_frame(0)[..., 0]
        assert shown.min() == 0
        assert shown.max() == 255


@pytest.mark.parametrize(
    "dtype",
    [np.complex64, np.complex128, object, "U3", "S3", "datetime64[ns]", "timedelta64[s]", "V4"],
    ids=str,
)
@pytest.mark.parametrize("shape", [(2, 4, 4), (4, 4), (0, 3, 3), (7,)], ids=str)
def test_non_image_dtypes_are_named(dtype: Any, shape: tuple[int, ...]) -> None:
    """Refused for the dtype whatever the shape, and the message names the dtype."""
    a = np.zeros(shape, dtype)
    with pytest.raises(StackError, match="not an image type") as info:
        open_stack(a)
    assert str(a.dtype) in str(info.value)


def test_hostile_arguments() -> None:
    a = np.arange(2 * 3 * 2 * 8 * 8, dtype=np.uint16).reshape(2, 3, 2, 8, 8)
    with pytest.raises(StackError, match="nested list"):
        open_stack([[1, 2], [3]])
    with pytest.raises(StackError, match="channel must be an integer"):
        open_stack(a, channel=1.5)  # type: ignore[arg-type]
    with pytest.raises(StackError, match="other_index must be an integer"):
        open_stack(a, other_index=True)
    for bad in [(150, 200), (90, 10), (50, 50), (-1, 50), (float("nan"), 50), "ab"]:
        with pytest.raises(StackError, match="percentiles"):
            open_stack(a, percentiles=bad)  # type: ignore[arg-type]
    s = open_stack(a)
    for bad in (1.5, "0", None):
        with pytest.raises(StackError, match="frame index must be an integer"):
            s.raw_frame(bad)  # type: ignore[arg-type]
    np.testing.assert_array_equal(s.raw_frame(np.int64(1)), a[1, 0, 0])


class FaultyArray:
    """An array-like whose reads of some frames fail, or return the wrong shape."""

    def __init__(self, data: np.ndarray, bad: set[int], error: Exception | None) -> None:
        self._data, self._bad, self._error = data, bad, error
        self.shape, self.dtype = data.shape, data.dtype

    def __getitem__(self, key: Any) -> np.ndarray:
        if key[0] in self._bad:
            if self._error is not None:
                raise self._error
            return self._data[key][:-1]  # one row short
        return self._data[key]


@pytest.mark.parametrize(
    "error",
    [OSError(5, "Input/output error"), KeyError("0.0"), RuntimeError("codec"), None],
    ids=["OSError", "KeyError", "RuntimeError", "wrong shape"],
)
def test_failing_reads_of_an_array_like(error: Exception | None) -> None:
    """A source that fails on its last frame: opening uses the frames it can read;
    reading the bad one names the source and the frame."""
    data = np.arange(6 * 8 * 7, dtype=np.uint16).reshape(6, 8, 7)
    s = open_stack(FaultyArray(data, {5}, error))
    assert s.n_frames == 6
    np.testing.assert_array_equal(s.raw_frame(4), data[4])
    with pytest.raises(StackError, match=r"FaultyArray \(6, 8, 7\).*frame 5"):
        s.raw_frame(5)
    with pytest.raises(StackError, match="frame 5"):
        s.display_frame(-1)
    with pytest.raises(StackError, match="frame 0"):  # no sample frame readable
        open_stack(FaultyArray(data[:1], {0}, error))


def test_memory_error_is_not_disguised() -> None:
    data = np.zeros((2, 4, 4), np.uint16)
    with pytest.raises(MemoryError):
        open_stack(FaultyArray(data, {0, 1}, MemoryError()))


@pytest.mark.skipif(not hasattr(os, "sysconf"), reason="memory size unknown (Windows)")
def test_frame_larger_than_memory_is_refused_before_reading() -> None:
    """A header declaring billions of pixels: a sentence, not a MemoryError (or the
    kernel killed) on the first read."""
    huge = FaultyArray(np.zeros((1, 1, 1), np.uint16), set(), None)
    huge.shape = (3, 2_000_000, 3_000_000)
    with pytest.raises(StackError, match=r"2000000×3000000 uint16 needs .* GiB, more than"):
        open_stack(huge)
