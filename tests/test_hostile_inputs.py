"""Hostile inputs to the data layer: odd arrays, damaged files, malformed prompt CSVs.

Every case ends in one of two ways: a sam2_jupyter error (StackError, PromptFileError,
PromptError) whose message names the file or the problem, or data that is right. Never
an unrelated exception (IndexError, struct.error, zlib.error, KeyError ...), a numpy
RuntimeWarning (they are turned into errors here), a hang, or silently wrong values.

Truncated files are read lazily, so what is decided here is:

* a file whose header is gone or damaged does not open (StackError naming it);
* a file cut after some whole frames opens with what its metadata still describes,
  and every frame read is either the original frame or a StackError naming the file
  (never zeros or another frame's pixels). Contrast limits come from the sample
  frames that are readable, so a stack whose last frame is damaged still opens;
* a file truncated *after* it was opened (overwritten in place) gives StackError on
  the next read, not SIGBUS from its memory map.
"""

from __future__ import annotations

import csv
import io
import logging
import math
import os
import time
import uuid
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import imageio.v3 as iio
import numpy as np
import pytest
import tifffile
import zarr
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from sam2_jupyter import PromptError, PromptFileError, StackError
from sam2_jupyter.engine import read_prompts_csv, write_prompts_csv
from sam2_jupyter.engine.prompts import BoxPrompt, PointPrompt, Prompt
from sam2_jupyter.io import Stack, open_stack

FUZZ = settings(
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture(autouse=True)
def _quiet_tifffile() -> Iterator[None]:
    """tifffile logs a warning for each damaged IFD it skips; hundreds of them here."""
    logger = logging.getLogger("tifffile")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    yield
    logger.setLevel(level)


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One folder for the fuzzed files of the module (hypothesis reuses a test's
    tmp_path across examples; each example writes a fresh file name here)."""
    return tmp_path_factory.mktemp("hostile")


def _fresh(folder: Path, suffix: str) -> Path:
    return folder / f"{uuid.uuid4().hex}{suffix}"


def _attempt(read: Any, *args: Any) -> tuple[Any, StackError | None]:
    """``read(*args)`` and None, or None and the StackError it raised."""
    try:
        return read(*args), None
    except StackError as exc:
        return None, exc


def _open_and_read_last(path: Path) -> np.ndarray:
    s = open_stack(path)
    return s.raw_frame(s.n_frames - 1)


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


@settings(FUZZ, max_examples=300)
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


# ======================================================================================
# 2. Damaged files
# ======================================================================================

_TIFF_DATA = np.random.default_rng(7).integers(0, 60000, (6, 16, 20), dtype=np.uint16)


@pytest.fixture(scope="module")
def tiffs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    """The bytes of a valid 6-frame uint16 TIFF, uncompressed and zlib-compressed."""
    folder = tmp_path_factory.mktemp("tiffs")
    out = {}
    for compression in ("none", "zlib"):
        path = folder / f"{compression}.tif"
        tifffile.imwrite(
            path,
            _TIFF_DATA,
            photometric="minisblack",
            compression=None if compression == "none" else compression,
        )
        out[compression] = path.read_bytes()
    return out


def _frames_are_original_or_refused(path: Path) -> None:
    """Open ``path``; each readable frame equals the original, others raise
    StackError naming the file."""
    s, error = _attempt(open_stack, path)
    if error is not None:
        assert str(path) in str(error)
        return
    assert s.n_frames <= len(_TIFF_DATA)
    for i in range(s.n_frames):
        frame, error = _attempt(s.raw_frame, i)
        if error is not None:
            assert str(path) in str(error)
            continue
        np.testing.assert_array_equal(frame, _TIFF_DATA[i])
        assert s.display_frame(i).shape == (16, 20, 3)


@pytest.mark.parametrize("compression", ["none", "zlib"])
def test_truncated_tiff_at_fixed_offsets(
    tiffs: dict[str, bytes], scratch: Path, compression: str
) -> None:
    raw = tiffs[compression]
    for cut in [0, 1, 4, 7, 8, 9, 16, 100, 255, 256, 600, len(raw) // 2, len(raw) - 1]:
        path = _fresh(scratch, ".tif")
        path.write_bytes(raw[:cut])
        if cut == 0:
            with pytest.raises(StackError, match="empty file"):
                open_stack(path)
        elif cut < 16:
            with pytest.raises(StackError, match="TIFF") as info:
                open_stack(path)
            assert str(path) in str(info.value)
        else:
            _frames_are_original_or_refused(path)


@settings(FUZZ, max_examples=120)
@given(compression=st.sampled_from(["none", "zlib"]), fraction=st.floats(0, 1))
def test_truncated_tiff_anywhere(
    tiffs: dict[str, bytes], scratch: Path, compression: str, fraction: float
) -> None:
    raw = tiffs[compression]
    path = _fresh(scratch, ".tif")
    path.write_bytes(raw[: int(fraction * (len(raw) - 1))])
    _frames_are_original_or_refused(path)


@settings(FUZZ, max_examples=250)
@given(
    compression=st.sampled_from(["none", "zlib"]),
    pos=st.integers(0, 255),  # the header and the first IFD; pixels start at 256
    xor=st.integers(1, 255),
)
def test_corrupted_tiff_header(
    tiffs: dict[str, bytes], scratch: Path, compression: str, pos: int, xor: int
) -> None:
    """A flipped header byte: StackError naming the file, or frames that display.
    (Pixel values may legitimately differ: a flipped tag can change their meaning.)"""
    data = bytearray(tiffs[compression])
    data[pos] ^= xor
    path = _fresh(scratch, ".tif")
    path.write_bytes(bytes(data))
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        s, error = _attempt(open_stack, path)
        for i in sorted({0, s.n_frames - 1}) if s is not None else []:
            shown, error = _attempt(s.display_frame, i)
            if error is None:
                assert shown.shape == (*s.frame_shape, 3)
        if error is not None:
            assert str(path) in str(error)
    assert time.perf_counter() - start < 10  # a damaged size tag once took 35 s


@pytest.mark.parametrize(
    "damage",
    [
        {"ImageWidth": 1},  # 20 -> 65300 pixels wide: the strip is too short
        {"ImageLength": 2},  # 16 -> 16711696 rows: a million strips, the file lists one
        {"ImageWidth": 3, "ImageLength": 3},  # 4e9 × 4e9 pixels: more than any memory
    ],
    ids=["width", "height", "width and height"],
)
def test_tiff_with_damaged_size_tags(
    tiffs: dict[str, bytes], scratch: Path, damage: dict[str, int]
) -> None:
    """A size tag with its byte ``k`` flipped: refused at once (the height case took
    35 s to fail with a KeyError, the last would try to allocate exabytes)."""
    path = _fresh(scratch, ".tif")
    path.write_bytes(tiffs["none"])
    with tifffile.TiffFile(path) as tif:
        tags = tif.pages[0].tags
        value_at = {name: tags[name].offset + 8 for name in damage}  # past code, type, count
    data = bytearray(tiffs["none"])
    for name, k in damage.items():
        data[value_at[name] + k] ^= 0xFF
    path.write_bytes(bytes(data))
    start = time.perf_counter()
    with pytest.raises(StackError) as info:
        _open_and_read_last(path)
    assert str(path) in str(info.value)
    assert time.perf_counter() - start < 5


def test_compressed_tiff_missing_its_last_frame_opens(scratch: Path) -> None:
    """Cut inside the last frame's compressed strip: frames 0..4 read, frame 5 is a
    StackError naming the file (it was a zlib.error from the decoder)."""
    path = _fresh(scratch, ".tif")
    tifffile.imwrite(path, _TIFF_DATA, photometric="minisblack", compression="zlib")
    raw = path.read_bytes()
    with tifffile.TiffFile(path) as tif:
        last = tif.series[0].pages[-1]
        end = last.dataoffsets[0] + last.databytecounts[0] // 2
    path.write_bytes(raw[:end])
    s = open_stack(path)
    assert s.n_frames == 6
    np.testing.assert_array_equal(s.raw_frame(4), _TIFF_DATA[4])
    with pytest.raises(StackError, match=r"cannot read frame 5") as info:
        s.raw_frame(5)
    assert str(path) in str(info.value)


@pytest.mark.parametrize("compression", ["none", "zlib"])
def test_tiff_truncated_after_opening(scratch: Path, compression: str) -> None:
    """Overwritten in place while open. The memory map read zeros where the file
    ended inside a memory page, and died of SIGBUS (the kernel killed, no exception)
    for pages wholly past the end; the compressed reader raised a decoder error.
    All must be a StackError naming the file."""
    data = np.random.default_rng(1).integers(0, 60000, (6, 128, 128), dtype=np.uint16)
    for size in (300, 4096 * 3):  # inside the first page; pages wholly past the end
        path = _fresh(scratch, ".tif")
        tifffile.imwrite(
            path,
            data,
            photometric="minisblack",
            compression=None if compression == "none" else compression,
        )
        s = open_stack(path)
        assert isinstance(s.array, np.memmap) == (compression == "none")
        np.testing.assert_array_equal(s.raw_frame(5), data[5])
        with open(path, "r+b") as f:
            f.truncate(size)
        for i in (0, 5):
            with pytest.raises(StackError) as info:
                s.raw_frame(i)
            assert str(path) in str(info.value)


@pytest.mark.parametrize(
    "suffix", [".tif", ".tiff", ".ome.tif", ".mp4", ".avi", ".png", ".jpg", ".gif", ".zarr"]
)
def test_zero_byte_files(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"empty{suffix}"
    path.write_bytes(b"")
    with pytest.raises(StackError, match="empty file") as info:
        open_stack(path)
    assert str(path) in str(info.value)


@pytest.mark.filterwarnings("ignore:The legacy `DICOM` plugin:DeprecationWarning")
@pytest.mark.parametrize(
    ("suffix", "match"),
    [
        (".tif", "cannot read TIFF"),
        (".png", "cannot read image"),
        (".jpg", "cannot read image"),
        (".gif", "cannot read GIF"),
        (".mp4", "cannot decode video"),
    ],
)
def test_text_file_renamed(tmp_path: Path, suffix: str, match: str) -> None:
    path = tmp_path / f"notes{suffix}"
    path.write_text("frame,label,y,x\n0,1,2,3\n" * 20)
    with pytest.raises(StackError, match=match) as info:
        open_stack(path)
    message = str(info.value)
    assert str(path) in message
    assert len(message.splitlines()) == 1  # not ffmpeg's banner or imageio's plugin list


def _write_mp4(path: Path, n: int, faststart: bool) -> np.ndarray:
    imageio_ffmpeg = pytest.importorskip("imageio_ffmpeg")
    frames = np.random.default_rng(3).integers(0, 255, (n, 48, 64, 3), dtype=np.uint8)
    params = ["-movflags", "+faststart"] if faststart else None
    writer = imageio_ffmpeg.write_frames(
        str(path), (64, 48), fps=5, macro_block_size=16, output_params=params
    )
    writer.send(None)
    for frame in frames:
        writer.send(np.ascontiguousarray(frame))
    writer.close()
    return frames


@pytest.mark.parametrize("faststart", [False, True], ids=["index-at-end", "index-at-start"])
def test_truncated_mp4(tmp_path: Path, faststart: bool) -> None:
    """An mp4 whose index (moov) is at the end is unreadable once cut: StackError
    naming it. With the index first (faststart), the whole frames before the cut
    are counted, and each of them decodes."""
    full = tmp_path / "full.mp4"
    _write_mp4(full, 12, faststart)
    raw = full.read_bytes()
    for fraction in (0.01, 0.3, 0.7, 0.97):
        path = tmp_path / f"cut{fraction}.mp4"
        path.write_bytes(raw[: int(len(raw) * fraction)])
        s, error = _attempt(open_stack, path)
        if error is not None:
            assert str(path) in str(error)
            assert len(str(error).splitlines()) == 1
            assert not (faststart and fraction > 0.5), str(error)
            continue
        assert faststart
        assert 1 <= s.n_frames < 12
        for i in (0, s.n_frames - 1):
            assert s.display_frame(i).shape == (48, 64, 3)
        with pytest.raises(StackError, match="out of range"):
            s.raw_frame(s.n_frames)


def test_mp4_truncated_after_opening(tmp_path: Path) -> None:
    """Cut while open: the last frame is the right frame (ffmpeg had read it) or a
    StackError naming the video, never an imageio/ffmpeg exception."""
    path = tmp_path / "clip.mp4"
    _write_mp4(path, 10, faststart=False)
    s = open_stack(path)
    assert s.n_frames == 10
    s.raw_frame(0)
    with open(path, "r+b") as f:
        f.truncate(path.stat().st_size // 3)
    for i in (9, 2):  # forwards past the cut, then a seek back (a new ffmpeg process)
        frame, error = _attempt(s.raw_frame, i)
        if error is None:
            assert frame.shape == (48, 64, 3)
        else:
            assert str(path) in str(error)
            assert f"frame {i}" in str(error)


def test_truncated_gif(tmp_path: Path) -> None:
    frames = np.stack([np.full((20, 30, 3), 25 * t, np.uint8) for t in range(8)])
    full = tmp_path / "full.gif"
    iio.imwrite(full, frames, loop=0, duration=100)
    raw = full.read_bytes()
    for cut in (6, 13, 50, len(raw) // 2, len(raw) - 5):
        path = tmp_path / f"cut{cut}.gif"
        path.write_bytes(raw[:cut])
        s, error = _attempt(open_stack, path)
        if error is not None:
            assert str(path) in str(error)
            continue
        for i in range(s.n_frames):
            frame, error = _attempt(s.raw_frame, i)
            if error is None:
                np.testing.assert_array_equal(frame, frames[i])
            else:  # was OSError('image file is truncated')
                assert str(path) in str(error)
                assert f"frame {i}" in str(error)


def _png_folder(folder: Path, n: int, dtype: type = np.uint16) -> list[np.ndarray]:
    folder.mkdir()
    rng = np.random.default_rng(5)
    images = [rng.integers(0, np.iinfo(dtype).max, (20, 30), dtype=dtype) for _ in range(n)]
    for k, img in enumerate(images):
        iio.imwrite(folder / f"f{k:02d}.png", img)
    return images


def test_folder_with_truncated_last_png(tmp_path: Path) -> None:
    """16-bit, so opening reads sample frames: the damaged one is skipped for the
    limits, then reading it names the file."""
    folder = tmp_path / "pngs"
    images = _png_folder(folder, 4)
    bad = folder / "f03.png"
    bad.write_bytes(bad.read_bytes()[:60])
    s = open_stack(folder)
    assert s.n_frames == 4
    np.testing.assert_array_equal(s.raw_frame(2), images[2])
    with pytest.raises(StackError, match="cannot read image") as info:
        s.raw_frame(3)
    assert str(bad) in str(info.value)


@pytest.mark.parametrize("damage", ["truncated", "zero bytes", "text"])
def test_folder_with_damaged_first_png(tmp_path: Path, damage: str) -> None:
    folder = tmp_path / "pngs"
    _png_folder(folder, 3)
    bad = folder / "f00.png"
    content = {"truncated": bad.read_bytes()[:60], "zero bytes": b"", "text": b"hello"}[damage]
    bad.write_bytes(content)
    with pytest.raises(StackError) as info:
        open_stack(folder)
    assert str(bad) in str(info.value)


def test_folder_with_mixed_dtypes(tmp_path: Path) -> None:
    """A 16-bit image among 8-bit ones was shown through 8-bit limits (saturated)."""
    folder = tmp_path / "mixed"
    folder.mkdir()
    iio.imwrite(folder / "f0.png", np.full((20, 30), 100, np.uint8))
    iio.imwrite(folder / "f1.png", np.full((20, 30), 30000, np.uint16))
    s = open_stack(folder)
    assert s.dtype == np.uint8
    with pytest.raises(StackError, match=r"dtype uint16 differs from f0\.png uint8") as info:
        s.display_frame(1)
    assert str(folder / "f1.png") in str(info.value)


def test_folder_with_grey_and_rgb(tmp_path: Path) -> None:
    folder = tmp_path / "mixed"
    folder.mkdir()
    iio.imwrite(folder / "f0.png", np.full((20, 30, 3), 9, np.uint8))
    iio.imwrite(folder / "f1.png", np.full((20, 30), 9, np.uint8))
    s = open_stack(folder)
    assert s.rgb
    with pytest.raises(StackError, match="all images of a folder must have one size"):
        s.raw_frame(1)


def test_folder_of_multipage_tiffs(tmp_path: Path) -> None:
    """A (3, 20, 30) TIFF in a folder was taken as one 20×30 image with 30 channels."""
    folder = tmp_path / "stacks"
    folder.mkdir()
    for k in range(2):
        tifffile.imwrite(
            folder / f"s{k}.tif", np.zeros((3, 20, 30), np.uint16), photometric="minisblack"
        )
    with pytest.raises(StackError, match=r"shape \(3, 20, 30\) is not one 2D") as info:
        open_stack(folder)
    assert str(folder / "s0.tif") in str(info.value)


@pytest.mark.parametrize("content", ["nothing", "subfolders", "hidden non-images"])
def test_folder_without_images(tmp_path: Path, content: str) -> None:
    folder = tmp_path / "data"
    folder.mkdir()
    if content == "subfolders":
        (folder / "a.png").mkdir()  # a folder named like an image
        (folder / "b").mkdir()
    elif content == "hidden non-images":
        (folder / ".DS_Store").write_bytes(b"\x00\x01")
        (folder / "list.csv").write_text("a,b\n")
    with pytest.raises(StackError, match="no images found") as info:
        open_stack(folder)
    assert str(folder) in str(info.value)


def test_missing_paths(tmp_path: Path) -> None:
    for path in (tmp_path / "no folder", tmp_path / "missing" / "x.png"):
        with pytest.raises(StackError, match="no such file or folder") as info:
            open_stack(path)
        assert str(path) in str(info.value)
    link = tmp_path / "dangling.tif"
    link.symlink_to(tmp_path / "gone.tif")
    with pytest.raises(StackError, match="no such file"):
        open_stack(link)


def test_zarr_group_without_arrays(tmp_path: Path) -> None:
    path = tmp_path / "empty.zarr"
    zarr.open_group(str(path), mode="w")
    with pytest.raises(StackError, match="Zarr group holds no arrays") as info:
        open_stack(path)
    assert str(path) in str(info.value)
    nested = tmp_path / "nested.zarr"
    zarr.open_group(str(nested), mode="w").create_group("sub")
    with pytest.raises(StackError, match="holds no arrays"):
        open_stack(nested)


@pytest.mark.parametrize(
    "attrs",
    [
        {"multiscales": [{}]},
        {"multiscales": "0"},
        {"multiscales": {"datasets": []}},
        {"multiscales": [{"datasets": []}]},
        {"multiscales": [{"datasets": [{"path": "missing"}]}]},
        {"multiscales": [{"datasets": [{"path": "0"}], "axes": [{"name": ""}, 3, None]}]},
        {"multiscales": [{"datasets": [{"path": "sub"}]}]},
        {"ome": "not a dict"},
    ],
    ids=str,
)
def test_malformed_ome_zarr_metadata(tmp_path: Path, attrs: dict[str, Any]) -> None:
    path = tmp_path / "image.zarr"
    group = zarr.open_group(str(path), mode="w")
    group.attrs.update(attrs)
    group.create_array("0", shape=(3, 8, 8), dtype="uint16")[:] = 5
    group.create_group("sub")
    if "ome" in attrs:  # no multiscales at all: the one array is used
        assert open_stack(path).n_frames == 3
        return
    with pytest.raises(StackError, match="OME-Zarr") as info:
        open_stack(path)
    assert str(path) in str(info.value)


def test_zarr_with_corrupt_chunk(tmp_path: Path) -> None:
    path = tmp_path / "c.zarr"
    z = zarr.create_array(store=str(path), shape=(3, 8, 8), dtype="uint16", chunks=(1, 8, 8))
    z[:] = np.arange(3 * 64, dtype=np.uint16).reshape(3, 8, 8)
    (path / "c" / "2" / "0" / "0").write_bytes(b"not zstd")
    s = open_stack(path)  # the damaged frame is skipped for the limits
    np.testing.assert_array_equal(s.raw_frame(1), z[1])
    with pytest.raises(StackError, match="cannot read frame 2") as info:
        s.raw_frame(2)
    assert str(path) in str(info.value)


def test_zarr_with_broken_metadata(tmp_path: Path) -> None:
    bad = tmp_path / "bad.zarr"
    bad.mkdir()
    (bad / "zarr.json").write_text("{not json")
    empty = tmp_path / "empty.zarr"
    empty.mkdir()
    for path in (bad, empty):
        with pytest.raises(StackError, match="cannot open Zarr") as info:
            open_stack(path)
        assert str(path) in str(info.value)


# ======================================================================================
# 3. Prompt CSVs
# ======================================================================================

N_FRAMES, SHAPE = 5, (10, 12)  # height 10, width 12
HEADER = ["frame", "label", "kind", "positive", "y", "x", "y0", "x0", "y1", "x1"]
BAD = "<bad>"  # a token's meaning, or a row's expected result, when it must be reported
BLANK = None  # a blank row's expected result: skipped

# token -> parsed value, or BAD
FRAME_TOKENS = {"0": 0, "4": 4, " 2 ": 2, "3.0": 3, "1e0": 1, "-0": 0, "5": BAD, "-1": BAD,
                "2.5": BAD, "nan": BAD, "inf": BAD, "": BAD, "x": BAD, "0x1": BAD, "1_0": BAD,
                "\u0661": BAD, "99999999999999999999999": BAD, "1e400": BAD}  # fmt: skip
LABEL_TOKENS = {"1": 1, "65535": 65535, "7.0": 7, "0": BAD, "65536": BAD, "-3": BAD,
                "2.5": BAD, "": BAD, "true": BAD, "1e30": BAD}  # fmt: skip
Y_TOKENS = {"0": 0.0, "10": 10.0, "3.5": 3.5, ".5": 0.5, "+2": 2.0, "-0.1": BAD,
            "10.5": BAD, "nan": BAD, "inf": BAD, "-inf": BAD, "": BAD, "abc": BAD,
            "1e400": BAD, "\uff13": BAD}  # fmt: skip
X_TOKENS = {**Y_TOKENS, "12": 12.0, "10.5": 10.5, "12.01": BAD}
KIND_TOKENS = {"": "point", "point": "point", " POINT ": "point", "box": "box", "Box": "box",
               "circle": BAD}  # fmt: skip
POSITIVE_TOKENS = {"": True, "true": True, "FALSE": False, "1": True, "0": False, "neg": False,
                   "maybe": BAD}  # fmt: skip


@st.composite
def _csv_files(draw: st.DrawFn) -> tuple[list[str], list[list[str]], list[Any]]:
    """A header (some columns optional, shuffled, odd case and spaces, an unknown
    column) and rows of tokens, some with missing or extra fields, some blank.
    Returns (header, rows, expected) with expected[i] a Prompt, BAD, or BLANK
    for a blank row)."""
    optional = [c for c in HEADER if c not in ("frame", "label", "y", "x")]
    columns = ["frame", "label", "y", "x"] + [c for c in optional if draw(st.booleans())]
    if draw(st.booleans()):
        columns.append("note")
    columns = draw(st.permutations(columns))
    spelled = [draw(st.sampled_from([c, c.upper(), f" {c} "])) for c in columns]
    rows, expected = [], []
    for _ in range(draw(st.integers(0, 8))):
        if draw(st.integers(0, 9)) == 0:
            rows.append([])
            expected.append(BLANK)
            continue
        tokens = {
            "frame": draw(st.sampled_from(sorted(FRAME_TOKENS))),
            "label": draw(st.sampled_from(sorted(LABEL_TOKENS))),
            "kind": draw(st.sampled_from(sorted(KIND_TOKENS))),
            "positive": draw(st.sampled_from(sorted(POSITIVE_TOKENS))),
            "note": draw(st.sampled_from(["", "a,b", 'say "hi"', "é"])),
        }
        for c in ("y", "y0", "y1"):
            tokens[c] = draw(st.sampled_from(sorted(Y_TOKENS)))
        for c in ("x", "x0", "x1"):
            tokens[c] = draw(st.sampled_from(sorted(X_TOKENS)))
        present = {c: (tokens[c] if c in columns else "") for c in [*HEADER, "note"]}
        fields = [tokens[c] for c in columns]
        fault = draw(st.sampled_from(["none"] * 6 + ["short", "extra", "extra empty"]))
        if fault == "short":
            cut = draw(st.integers(1, len(fields) - 1))
            for c in columns[cut:]:
                present[c] = ""
            fields = fields[:cut]
        elif fault == "extra":
            fields = [*fields, "5"]
        elif fault == "extra empty":
            fields = [*fields, "", " "]
        rows.append(fields)
        if not any(f.strip() for f in fields):
            expected.append(BLANK)  # nothing in it: a blank row, skipped
        else:
            expected.append(BAD if fault == "extra" else _expected_prompt(present))
    return spelled, rows, expected


def _expected_prompt(t: dict[str, str]) -> Any:
    frame, label = FRAME_TOKENS[t["frame"]], LABEL_TOKENS[t["label"]]
    kind, positive = KIND_TOKENS[t["kind"]], POSITIVE_TOKENS[t["positive"]]
    if BAD in (frame, label, kind, positive):
        return BAD
    if kind == "point":
        y, x = Y_TOKENS[t["y"]], X_TOKENS[t["x"]]
        if y is BAD or x is BAD or y > SHAPE[0] or x > SHAPE[1]:
            return BAD
        return PointPrompt(frame, label, y, x, positive)
    corners = [Y_TOKENS[t["y0"]], X_TOKENS[t["x0"]], Y_TOKENS[t["y1"]], X_TOKENS[t["x1"]]]
    if not positive or BAD in corners:
        return BAD
    y0, x0, y1, x1 = corners
    if max(y0, y1) > SHAPE[0] or max(x0, x1) > SHAPE[1]:
        return BAD
    if abs(y1 - y0) < 1 or abs(x1 - x0) < 1:
        return BAD
    top, bottom = sorted((y0, y1))
    left, right = sorted((x0, x1))
    return BoxPrompt(frame, label, top, left, bottom, right)


def _csv_text(header: list[str], rows: list[list[str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        if row:
            writer.writerow(row)
        else:
            out.write("\n")
    return out.getvalue()


@settings(FUZZ, max_examples=300)
@given(_csv_files(), st.sampled_from(["utf-8", "utf-8-sig", "utf-16"]))
def test_malformed_rows_are_each_reported(
    scratch: Path, case: tuple[list[str], list[list[str]], list[Any]], encoding: str
) -> None:
    """Against an independent oracle: exactly the bad rows are listed, numbered as a
    spreadsheet shows them (header row 1, blank rows counted); else every prompt is
    loaded with the right values."""
    header, rows, expected = case
    path = _fresh(scratch, ".csv")
    path.write_bytes(_csv_text(header, rows).encode(encoding))
    bad_rows = [i + 2 for i, e in enumerate(expected) if e is BAD]
    if bad_rows:
        with pytest.raises(PromptFileError) as info:
            read_prompts_csv(path, N_FRAMES, SHAPE)
        assert [row for row, _ in info.value.problems] == bad_rows
        assert str(path) in str(info.value)
        assert f"row {bad_rows[0]}:" in str(info.value)
    else:
        loaded = read_prompts_csv(path, N_FRAMES, SHAPE)
        assert loaded == [e for e in expected if e is not BLANK]


@settings(FUZZ, max_examples=300)
@given(st.binary(max_size=400))
def test_arbitrary_bytes_never_crash(scratch: Path, data: bytes) -> None:
    path = _fresh(scratch, ".csv")
    path.write_bytes(data)
    try:
        prompts = read_prompts_csv(path, N_FRAMES, SHAPE)
    except PromptFileError as exc:
        problems = exc.problems
        prompts = []
    else:
        problems = [(1, "")]
    assert problems
    assert all(row >= 1 for row, _ in problems)
    for p in prompts:
        assert 0 <= p.frame < N_FRAMES
        assert 1 <= p.label <= 65535
        assert p.kind in ("point", "box")


@settings(FUZZ, max_examples=60)
@given(
    st.lists(
        st.tuples(
            st.integers(0, N_FRAMES - 1),
            st.integers(1, 65535),
            st.booleans(),
            st.floats(0, SHAPE[0]),
            st.floats(0, SHAPE[1]),
        ),
        max_size=10,
    )
)
def test_written_prompts_read_back_exactly(
    scratch: Path, points: list[tuple[int, int, bool, float, float]]
) -> None:
    prompts = [PointPrompt(f, lab, y, x, pos) for f, lab, pos, y, x in points]
    path = write_prompts_csv(prompts, _fresh(scratch, ".csv"))
    assert read_prompts_csv(path, N_FRAMES, SHAPE) == prompts


def _read(tmp_path: Path, data: bytes | str) -> list[Prompt]:
    path = tmp_path / "p.csv"
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return read_prompts_csv(path, N_FRAMES, SHAPE)


def _problems(tmp_path: Path, data: bytes | str) -> list[tuple[int, str]]:
    with pytest.raises(PromptFileError) as info:
        _read(tmp_path, data)
    assert str(tmp_path / "p.csv") in str(info.value)
    return info.value.problems


H = ",".join(HEADER) + "\n"


def test_extra_fields_are_not_shifted_into_the_columns(tmp_path: Path) -> None:
    """pandas took a row with two extra fields as index + values: '0,1,3,4,5,6' was
    loaded as frame 3, label 4, y 5, x 6."""
    assert _problems(tmp_path, "frame,label,y,x\n0,1,3,4,5,6\n") == [
        (2, "6 values but the header has 4 columns")
    ]
    # trailing empty fields (a trailing comma) are harmless
    assert len(_read(tmp_path, "frame,label,y,x\n0,1,3,4,,\n")) == 1


def test_empty_and_header_only_files(tmp_path: Path) -> None:
    for empty in ("", "\n", "\r\n\r\n", "   \n"):
        [(row, message)] = _problems(tmp_path, empty)
        assert row == 1
        assert "the file is empty" in message
    assert _read(tmp_path, H) == []
    assert _read(tmp_path, H + "\n\n") == []


def test_encodings(tmp_path: Path) -> None:
    row = "0,1,point,true,3,4,,,,\n"
    expected = [PointPrompt(0, 1, 3.0, 4.0, True)]
    assert _read(tmp_path, ("\ufeff" + H + row).encode()) == expected  # Excel's CSV UTF-8
    assert _read(tmp_path, (H + row).encode("utf-16")) == expected  # "Unicode text"
    assert _read(tmp_path, (H + row).replace("\n", "\r\n")) == expected
    assert _read(tmp_path, (H + row).replace("\n", "\r")) == expected
    # Latin-1 on row 3: reported there, not as an unreadable file at row 1
    latin1 = (H + row + "0,2,point,tr\xfce,3,4,,,,\n").encode("latin-1")
    [(line, message)] = _problems(tmp_path, latin1)
    assert line == 3
    assert "0xfc is not UTF-8" in message


def test_header_variants(tmp_path: Path) -> None:
    assert len(_read(tmp_path, "Frame, Label, Y, X\n0,1,3,4\n")) == 1
    [(row, message)] = _problems(tmp_path, "frame,label,y,x,x\n0,1,3,4,5\n")
    assert (row, message) == (1, "column(s) ['x'] appear more than once")
    [(row, message)] = _problems(tmp_path, "frame;label;y;x\n0;1;3;4\n")
    assert row == 1
    assert "separate the columns with commas" in message


def test_bad_quoting_and_huge_fields(tmp_path: Path) -> None:
    [(row, message)] = _problems(tmp_path, 'frame,label,y,x\n0,1,3,4\n"0,1,3,4\n')
    assert row == 3
    assert "not valid CSV" in message
    [(row, message)] = _problems(tmp_path, "frame,label,y,x\n0,1,3," + "4" * 200_000 + "\n")
    assert row == 2


def test_not_a_file(tmp_path: Path) -> None:
    with pytest.raises(PromptError, match="no such file"):
        read_prompts_csv(tmp_path / "none.csv", N_FRAMES, SHAPE)
    with pytest.raises(PromptError, match="cannot read"):
        read_prompts_csv(tmp_path, N_FRAMES, SHAPE)


def test_exact_numbers_in_messages(tmp_path: Path) -> None:
    """Integers past 2**53 were rounded through float: '9007199254740993' was
    reported as frame 9007199254740992."""
    [(_, message)] = _problems(tmp_path, "frame,label,y,x\n9007199254740993,1,3,4\n")
    assert "frame 9007199254740993 out of range 0..4" in message


def test_negative_box_is_refused_not_flipped(tmp_path: Path) -> None:
    [(row, message)] = _problems(tmp_path, H + "0,1,box,false,,,1,1,5,5\n")
    assert row == 2
    assert "a box is always positive" in message


def test_100k_valid_rows_load_fast(tmp_path: Path) -> None:
    lines = (f"{i % N_FRAMES},{1 + i % 500},point,{i % 3 > 0},{i % 10},{i % 12}.5,,,,\n"
             for i in range(100_000))  # fmt: skip
    path = tmp_path / "big.csv"
    path.write_text(H + "".join(lines))
    start = time.perf_counter()
    prompts = read_prompts_csv(path, N_FRAMES, SHAPE)
    elapsed = time.perf_counter() - start
    assert len(prompts) == 100_000
    assert prompts[-1] == PointPrompt(4, 500, 9.0, 3.5, False)
    assert elapsed < 10, f"{elapsed:.1f} s for 100k rows"


def test_100k_rows_with_many_bad_ones(tmp_path: Path) -> None:
    lines = (f"{i % 7},{i % 100},point,true,3,4,,,,\n" for i in range(100_000))
    path = tmp_path / "big.csv"
    path.write_text(H + "".join(lines))
    with pytest.raises(PromptFileError) as info:
        read_prompts_csv(path, N_FRAMES, SHAPE)
    bad = [i + 2 for i in range(100_000) if i % 7 >= N_FRAMES or i % 100 == 0]
    assert [row for row, _ in info.value.problems] == bad
    message = str(info.value)
    assert f"... and {len(bad) - 20} more" in message
    assert len(message.splitlines()) == 22
