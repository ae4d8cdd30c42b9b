"""Opening stacks from arrays and files: axes, frame selection, contrast, laziness."""

from __future__ import annotations

import pathlib
import re
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

from sam2_jupyter.errors import StackError
from sam2_jupyter.io import Stack, open_stack


def _grey_rgb(frame: np.ndarray) -> np.ndarray:
    return np.repeat(frame[:, :, None], 3, axis=2)


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(1234)


@pytest.fixture(scope="module")
def skimage_data() -> Path:
    skimage = pytest.importorskip("skimage")
    return pathlib.Path(skimage.__file__).parent / "data"


# -- numpy arrays: axes and frames ---------------------------------------------------


def test_2d_array(rng: np.random.Generator) -> None:
    a = rng.integers(0, 256, (12, 16), dtype=np.uint8)
    s = open_stack(a)
    assert s.axes == "YX"
    assert s.prop_axis is None
    assert s.other_axis is None
    assert s.n_frames == len(s) == 1
    assert s.frame_shape == (12, 16)
    np.testing.assert_array_equal(s.raw_frame(0), a)
    np.testing.assert_array_equal(s.display_frame(0), _grey_rgb(a))
    with pytest.raises(StackError, match="frame 1 out of range"):
        s.raw_frame(1)


def test_2d_rgb_and_rgba(rng: np.random.Generator) -> None:
    a = rng.integers(0, 256, (12, 16, 3), dtype=np.uint8)
    s = open_stack(a)
    assert s.axes == "YXC"
    assert s.rgb
    assert s.n_frames == 1
    assert s.frame_shape == (12, 16)
    np.testing.assert_array_equal(s.display_frame(0), a)

    rgba = rng.integers(0, 256, (12, 16, 4), dtype=np.uint8)
    s = open_stack(rgba)
    assert s.axes == "YXC"
    assert s.display_frame(0).shape == (12, 16, 3)
    np.testing.assert_array_equal(s.display_frame(0), rgba[:, :, :3])


def test_3d_tyx(rng: np.random.Generator) -> None:
    a = rng.integers(0, 256, (5, 12, 16), dtype=np.uint8)
    s = open_stack(a)
    assert (s.axes, s.prop_axis, s.n_frames, s.frame_shape) == ("TYX", "T", 5, (12, 16))
    for t in range(5):
        np.testing.assert_array_equal(s.raw_frame(t), a[t])
        np.testing.assert_array_equal(s.display_frame(t), _grey_rgb(a[t]))
    np.testing.assert_array_equal(s.raw_frame(-1), a[4])
    for bad in (5, -6):
        with pytest.raises(StackError, match="out of range"):
            s.raw_frame(bad)


def test_3d_rgb(rng: np.random.Generator) -> None:
    a = rng.integers(0, 256, (4, 12, 16, 3), dtype=np.uint8)
    s = open_stack(a)
    assert (s.axes, s.n_frames, s.frame_shape, s.rgb) == ("TYXC", 4, (12, 16), True)
    for t in range(4):
        np.testing.assert_array_equal(s.display_frame(t), a[t])


def test_4d_tzyx_prop_t_and_z(rng: np.random.Generator) -> None:
    a = rng.integers(0, 60000, (3, 4, 10, 14), dtype=np.uint16)
    s = open_stack(a)
    assert (s.axes, s.prop_axis, s.other_axis) == ("TZYX", "T", "Z")
    assert (s.n_frames, s.n_other, s.other_index) == (3, 4, 0)
    for t in range(3):
        np.testing.assert_array_equal(s.raw_frame(t), a[t, 0])

    s2 = open_stack(a, other_index=2)
    for t in range(3):
        np.testing.assert_array_equal(s2.raw_frame(t), a[t, 2])

    s3 = s.select(3)
    assert s3.other_index == 3
    assert s.other_index == 0  # select returns a new Stack
    for t in range(3):
        np.testing.assert_array_equal(s3.raw_frame(t), a[t, 3])
    with pytest.raises(StackError, match="Z index 4 out of range"):
        s.select(4)
    with pytest.raises(StackError, match="out of range"):
        open_stack(a, other_index=-1)

    z = open_stack(a, prop_axis="z")
    assert (z.prop_axis, z.other_axis, z.n_frames, z.n_other) == ("Z", "T", 4, 3)
    for k in range(4):
        np.testing.assert_array_equal(z.raw_frame(k), a[0, k])
    z1 = z.select(1)
    for k in range(4):
        np.testing.assert_array_equal(z1.raw_frame(k), a[1, k])
    z2 = open_stack(a, prop_axis="Z", other_index=2)
    np.testing.assert_array_equal(z2.raw_frame(3), a[2, 3])


def test_5d_tzcyx_channel(rng: np.random.Generator) -> None:
    a = rng.integers(0, 4000, (2, 3, 2, 10, 14), dtype=np.uint16)
    s = open_stack(a, channel=1, other_index=2)
    assert s.axes == "TZCYX"
    assert not s.rgb
    assert (s.n_frames, s.n_channels, s.frame_shape) == (2, 2, (10, 14))
    for t in range(2):
        np.testing.assert_array_equal(s.raw_frame(t), a[t, 2, 1])
        assert s.display_frame(t).shape == (10, 14, 3)
    np.testing.assert_array_equal(open_stack(a).raw_frame(1), a[1, 0, 0])
    with pytest.raises(StackError, match="channel 2 out of range"):
        open_stack(a, channel=2)


def test_explicit_axes_lower_case(rng: np.random.Generator) -> None:
    a = rng.integers(0, 256, (10, 14, 5), dtype=np.uint8)  # would be guessed (T=10, Y=14, X=5)
    s = open_stack(a, "yxt")
    assert (s.axes, s.n_frames, s.frame_shape) == ("YXT", 5, (10, 14))
    for t in range(5):
        np.testing.assert_array_equal(s.raw_frame(t), a[:, :, t])

    z = open_stack(a[..., 0], "xy")  # transposed storage comes back as (Y, X)
    assert z.frame_shape == (14, 10)
    np.testing.assert_array_equal(z.raw_frame(0), a[..., 0].T)

    c = open_stack(np.stack([a[..., 0], a[..., 1]]), "cyx", channel=1)
    assert (c.prop_axis, c.n_frames, c.rgb) == (None, 1, False)
    np.testing.assert_array_equal(c.raw_frame(0), a[..., 1])

    s_is_c = open_stack(rng.integers(0, 256, (3, 10, 14, 3), dtype=np.uint8), "tyxs")
    assert s_is_c.axes == "TYXC"
    assert s_is_c.rgb


def test_guess_treats_trailing_3_as_colour_only_for_images() -> None:
    # (5, 12, 3): a trailing 3 on a 12x5 image is RGB ...
    assert open_stack(np.zeros((5, 12, 3), np.uint8)).axes == "YXC"
    # ... but a 4x3 "image" is too small to be colour: 5 frames of 4x3 pixels.
    assert open_stack(np.zeros((5, 4, 3), np.uint8)).axes == "TYX"


@pytest.mark.parametrize(
    ("shape", "axes", "match"),
    [
        ((8, 9), "TYX", "3 letters but the data has 2"),
        ((4, 8, 9), "YX", "2 letters but the data has 3"),
        ((4, 8, 9), "YYX", "repeat"),
        ((4, 8, 9), "QYX", "unknown axis letter"),
        ((4, 8, 9), "TZY", "need both Y and X"),
        ((4, 8, 9), "TZX", "need both Y and X"),
    ],
)
def test_bad_axes(shape: tuple[int, ...], axes: str, match: str) -> None:
    with pytest.raises(StackError, match=match):
        open_stack(np.zeros(shape, np.uint8), axes)


def test_guess_fails_for_6d() -> None:
    with pytest.raises(StackError, match="cannot guess the axes"):
        open_stack(np.zeros((2, 2, 2, 2, 8, 8), np.uint8))


def test_bad_prop_axis_and_other_index(rng: np.random.Generator) -> None:
    a = rng.integers(0, 256, (3, 8, 8), dtype=np.uint8)
    with pytest.raises(StackError, match="prop_axis 'C'"):
        open_stack(a, prop_axis="C")
    with pytest.raises(StackError, match="prop_axis 'Z'"):
        open_stack(a, prop_axis="Z")  # no Z in TYX
    with pytest.raises(StackError, match="other_index"):
        open_stack(a, other_index=1)
    with pytest.raises(StackError, match="no second sequence axis"):
        open_stack(a).select(0)


def test_other_sources() -> None:
    s = open_stack([[0, 1], [2, 3]])
    assert s.axes == "YX"
    np.testing.assert_array_equal(s.raw_frame(0), [[0, 1], [2, 3]])
    assert open_stack(s) is s
    with pytest.raises(StackError, match="cannot open int"):
        open_stack(42)


# -- dtypes and contrast -------------------------------------------------------------


def test_uint16_narrow_range_is_stretched(rng: np.random.Generator) -> None:
    a = rng.integers(1000, 1301, (4, 32, 32), dtype=np.uint16)
    s = open_stack(a)
    lo, hi = s.contrast_limits
    assert 1000 <= lo < 1010
    assert 1290 < hi <= 1300
    frames = np.stack([s.display_frame(t) for t in range(4)])
    assert frames.dtype == np.uint8
    assert frames.min() <= 1
    assert frames.max() >= 254
    assert np.unique(frames).size > 200  # the ~300 grey levels stay distinguishable


def test_percentiles_parameter(rng: np.random.Generator) -> None:
    a = rng.integers(0, 10001, (2, 40, 40), dtype=np.uint16)
    lo, hi = open_stack(a, percentiles=(10, 90)).contrast_limits
    exp_lo, exp_hi = np.percentile(a.astype(np.float64), (10, 90))
    assert lo == pytest.approx(exp_lo)
    assert hi == pytest.approx(exp_hi)


# (value, expected display value for limits (1000, 1300)): 255 * (v - 1000) / 300, clipped
_MAPPED = [(1000, 0), (1020, 17), (1100, 85), (1200, 170), (1300, 255), (900, 0), (1400, 255)]


def test_user_contrast_limits() -> None:
    values = np.array([[v for v, _ in _MAPPED]], np.uint16)
    expected = np.array([[e for _, e in _MAPPED]], np.uint8)
    s = open_stack(values, contrast_limits=(1000, 1300))
    assert s.contrast_limits == (1000.0, 1300.0)
    np.testing.assert_array_equal(s.display_frame(0)[..., 0], expected)

    auto = open_stack(values)
    assert auto.contrast_limits != (1000.0, 1300.0)
    moved = auto.with_contrast((1000, 1300))
    np.testing.assert_array_equal(moved.display_frame(0)[..., 0], expected)
    assert auto.contrast_limits != moved.contrast_limits  # the original is unchanged

    # every channel of the grey frame is the same
    d = s.display_frame(0)
    assert (d[..., 0] == d[..., 1]).all()
    assert (d[..., 1] == d[..., 2]).all()


@pytest.mark.parametrize("limits", [(5, 5), (10, 1), (0, float("nan")), (0, float("inf")), "ab"])
def test_bad_contrast_limits(limits: Any) -> None:
    a = np.zeros((4, 4), np.uint16)
    with pytest.raises(StackError, match="contrast limits"):
        open_stack(a, contrast_limits=limits)
    with pytest.raises(StackError, match="contrast limits"):
        open_stack(a).with_contrast(limits)


def test_float_nan_and_inf() -> None:
    a = np.linspace(0.0, 1.0, 64, dtype=np.float32).reshape(1, 8, 8)
    a[0, 0, 0] = np.nan
    a[0, 0, 1] = np.inf
    a[0, 0, 2] = -np.inf
    s = open_stack(a)
    lo, hi = s.contrast_limits
    assert np.isfinite(lo)
    assert np.isfinite(hi)
    assert 0.0 <= lo < hi <= 1.0
    d = s.display_frame(0)[..., 0]
    assert d[0, 0] == 0  # NaN
    assert d[0, 1] == 255  # +inf
    assert d[0, 2] == 0  # -inf
    assert d[-1, -1] == 255  # the maximum finite value


def test_all_nan_float_frame_does_not_raise() -> None:
    s = open_stack(np.full((2, 6, 6), np.nan, np.float64))
    assert (s.display_frame(1) == 0).all()


def test_signed_int16_negative_values(rng: np.random.Generator) -> None:
    a = rng.integers(-3000, -999, (2, 16, 16), dtype=np.int16)
    s = open_stack(a)
    lo, hi = s.contrast_limits
    assert -3000 <= lo < hi <= -1000
    raw = a[1].ravel()
    shown = s.display_frame(1)[..., 0].ravel()
    order = np.argsort(raw, kind="stable")
    assert (np.diff(shown[order].astype(int)) >= 0).all()  # monotonic in the raw value
    assert shown[raw.argmin()] == 0
    assert shown[raw.argmax()] == 255

    # (v, 255 * (v + 1000) / 2000): -1000 -> 0, -500 -> 63.75, 500 -> 191.25, 1000 -> 255
    b = np.array([[-1000, -500, 500, 1000]], np.int16)
    fixed = open_stack(b, contrast_limits=(-1000, 1000))
    np.testing.assert_array_equal(fixed.display_frame(0)[..., 0], [[0, 64, 191, 255]])


@pytest.mark.parametrize(
    ("dtype", "value"),
    [(np.uint16, 7), (np.int64, 2**60), (np.float32, 1e20), (np.float64, -3e300)],
)
def test_flat_frame_is_one_mid_grey(dtype: type, value: float) -> None:
    # A flat frame has no percentile range; it must not divide by zero, even where
    # value +- 0.5 rounds back to value.
    s = open_stack(np.full((2, 3, 4), value, dtype))
    lo, hi = s.contrast_limits
    assert lo < hi
    d = s.display_frame(1)
    assert (d == d[0, 0, 0]).all()
    assert 0 < d[0, 0, 0] < 255


def test_bool() -> None:
    a = np.zeros((2, 5, 6), bool)
    a[1, 2:4, 1:3] = True
    s = open_stack(a)
    assert s.contrast_limits == (0.0, 1.0)
    d = s.display_frame(1)
    np.testing.assert_array_equal(d, _grey_rgb(np.where(a[1], 255, 0).astype(np.uint8)))


@pytest.mark.parametrize(
    ("dtype", "offset"),
    [(np.int64, -(2**40)), (np.int64, 2**40), (np.uint32, 4_000_000_000), (np.float64, 1e12)],
)
def test_wide_dtypes_keep_grey_levels_far_from_zero(dtype: type, offset: float) -> None:
    # 256 distinct values far from zero, where float32 cannot tell them apart
    a = (offset + np.arange(256)).astype(dtype).reshape(1, 16, 16)
    assert np.unique(a).size == 256
    s = open_stack(a)
    lo, hi = s.contrast_limits
    assert offset <= lo < hi <= offset + 255
    d = s.display_frame(0)[..., 0].ravel()  # row-major: increases with the raw value
    assert (np.diff(d.astype(int)) >= 0).all()
    assert d[0] == 0
    assert d[-1] == 255
    assert np.unique(d).size > 240


def test_int64_wide_range(rng: np.random.Generator) -> None:
    a = rng.integers(-(10**12), 10**12, (3, 12, 12), dtype=np.int64)
    s = open_stack(a, contrast_limits=(-(10**12), 10**12))
    d = s.display_frame(2)[..., 0].astype(np.float64)
    expected = np.clip((a[2] + 1e12) * 255 / 2e12, 0, 255)
    assert np.abs(d - expected).max() <= 0.5 + 1e-6


@pytest.mark.parametrize("dtype", [np.complex64, np.complex128, "U3", object])
def test_non_image_dtypes_rejected(dtype: Any) -> None:
    with pytest.raises(StackError, match="not an image type"):
        open_stack(np.zeros((2, 4, 4), dtype))


@pytest.mark.parametrize("shape", [(0, 8, 8), (3, 0, 8), (0, 0)])
def test_empty_array_rejected(shape: tuple[int, ...]) -> None:
    with pytest.raises(StackError, match="empty"):
        open_stack(np.zeros(shape, np.uint8))


def test_uint8_shown_unchanged(rng: np.random.Generator) -> None:
    a = rng.integers(0, 256, (3, 9, 11), dtype=np.uint8)
    a[0, 0, 0], a[0, 0, 1] = 0, 255
    s = open_stack(a)
    assert s.contrast_limits == (0.0, 255.0)
    for t in range(3):
        np.testing.assert_array_equal(s.display_frame(t), _grey_rgb(a[t]))
    # narrow uint8 data is not stretched by default ...
    narrow = open_stack(np.full((1, 4, 4), 100, np.uint8))
    assert (narrow.display_frame(0) == 100).all()
    # ... but can be: 100 with limits (50, 150) is 127.5, rounded up
    assert (narrow.with_contrast((50, 150)).display_frame(0) == 128).all()


# -- scikit-image's bundled files ----------------------------------------------------


def test_skimage_multipage_tif(skimage_data: Path) -> None:
    path = skimage_data / "multipage.tif"
    with tifffile.TiffFile(path) as tif:
        assert tif.series[0].axes == "IYX"
    ref = tifffile.imread(path)
    s = open_stack(path)
    assert (s.axes, s.prop_axis, s.n_frames) == ("TYX", "T", ref.shape[0])
    assert s.frame_shape == ref.shape[1:]
    for t in range(s.n_frames):
        np.testing.assert_array_equal(s.raw_frame(t), ref[t])
        np.testing.assert_array_equal(s.display_frame(t), _grey_rgb(ref[t]))
    assert not np.array_equal(ref[0], ref[1])


def test_skimage_multipage_rgb_tif(skimage_data: Path) -> None:
    path = skimage_data / "multipage_rgb.tif"
    with tifffile.TiffFile(path) as tif:
        assert tif.series[0].axes == "QSYX"
    ref = tifffile.imread(path)  # (2, 3, Y, X) float64
    s = open_stack(path)
    assert s.axes == "TCYX"
    assert s.rgb
    assert s.dtype == np.float64
    assert s.n_frames == ref.shape[0]
    lo, hi = s.contrast_limits
    for t in range(s.n_frames):
        raw = s.raw_frame(t)
        np.testing.assert_array_equal(raw, np.moveaxis(ref[t], 0, -1))
        d = s.display_frame(t)
        assert d.dtype == np.uint8
        assert d.shape == (*ref.shape[2:], 3)
        expected = np.clip((raw - lo) * 255 / (hi - lo), 0, 255)
        assert np.abs(d - expected).max() <= 0.5 + 1e-4


def test_skimage_animated_gif(skimage_data: Path) -> None:
    path = skimage_data / "no_time_for_that_tiny.gif"
    ref = iio.imread(path, index=None)
    if ref.shape[-1] == 4:
        ref = ref[..., :3]
    assert ref.shape[0] == 24
    s = open_stack(path)
    assert (s.axes, s.n_frames, s.rgb) == ("TYXC", 24, True)
    assert s.frame_shape == ref.shape[1:3]
    for t in (0, 1, 12, 23, 5):  # out of order on purpose
        np.testing.assert_array_equal(s.display_frame(t), ref[t])


# -- files written here --------------------------------------------------------------


@pytest.mark.parametrize(
    ("axes", "shape"), [("TZCYX", (3, 4, 2, 10, 12)), ("ZCYX", (4, 2, 10, 12))]
)
def test_imagej_hyperstack(
    tmp_path: Path, rng: np.random.Generator, axes: str, shape: tuple[int, ...]
) -> None:
    data = rng.integers(0, 4000, shape, dtype=np.uint16)
    path = tmp_path / "hyper.tif"
    tifffile.imwrite(path, data, imagej=True, metadata={"axes": axes})
    s = open_stack(path, channel=1)
    assert s.axes == axes  # from the file; a 4D guess would be TZYX
    assert s.n_channels == 2
    if axes == "TZCYX":
        s = s.select(2)
        assert (s.prop_axis, s.other_axis, s.n_frames) == ("T", "Z", 3)
        for t in range(3):
            np.testing.assert_array_equal(s.raw_frame(t), data[t, 2, 1])
    else:
        assert (s.prop_axis, s.other_axis, s.n_frames) == ("Z", None, 4)
        for z in range(4):
            np.testing.assert_array_equal(s.raw_frame(z), data[z, 1])


@pytest.mark.parametrize("axes", ["TYX", "ZYX"])
def test_ome_tiff(tmp_path: Path, rng: np.random.Generator, axes: str) -> None:
    data = rng.integers(0, 65535, (5, 9, 13), dtype=np.uint16)
    path = tmp_path / "stack.ome.tif"
    tifffile.imwrite(path, data, metadata={"axes": axes})
    with tifffile.TiffFile(path) as tif:
        assert tif.is_ome
    s = open_stack(path)
    assert s.axes == axes
    assert s.prop_axis == axes[0]
    assert s.n_frames == 5
    for i in range(5):
        np.testing.assert_array_equal(s.raw_frame(i), data[i])


def test_compressed_tiff_read_page_by_page(tmp_path: Path, rng: np.random.Generator) -> None:
    data = rng.integers(0, 65535, (6, 20, 24), dtype=np.uint16)
    path = tmp_path / "packed.tiff"
    tifffile.imwrite(path, data, compression="zlib")
    s = open_stack(path)
    assert not isinstance(s.array, np.ndarray)  # not memory-mapped, nor loaded whole
    assert (s.axes, s.n_frames) == ("TYX", 6)
    for t in (5, 0, 3):
        np.testing.assert_array_equal(s.raw_frame(t), data[t])


def test_uncompressed_tiff_is_memory_mapped(tmp_path: Path, rng: np.random.Generator) -> None:
    data = rng.integers(0, 65535, (5, 8, 8), dtype=np.uint16)
    path = tmp_path / "plain.tif"
    tifffile.imwrite(path, data, photometric="minisblack")
    s = open_stack(path)
    assert isinstance(s.array, np.memmap)
    assert s.n_frames == 5
    np.testing.assert_array_equal(s.raw_frame(3), data[3])


def test_planar_rgb_tiff(tmp_path: Path, rng: np.random.Generator) -> None:
    data = rng.integers(0, 256, (2, 3, 10, 12), dtype=np.uint8)  # T, S, Y, X
    path = tmp_path / "planar.tif"
    tifffile.imwrite(path, data, photometric="rgb", planarconfig="separate")
    s = open_stack(path)
    assert s.rgb
    assert (s.n_frames, s.frame_shape) == (2, (10, 12))
    for t in range(2):
        np.testing.assert_array_equal(s.display_frame(t), np.moveaxis(data[t], 0, -1))


def test_mp4_video(tmp_path: Path) -> None:
    imageio_ffmpeg = pytest.importorskip("imageio_ffmpeg")
    n, h, w = 6, 64, 96
    colours = np.array(
        [(255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 0), (0, 255, 255), (255, 0, 255)]
    )
    frames = np.zeros((n, h, w, 3), np.uint8)
    for t in range(n):
        frames[t, :, : w // 2] = colours[t]
        frames[t, :, w // 2 :] = colours[(t + 3) % n]
    path = tmp_path / "clip.mp4"
    writer = imageio_ffmpeg.write_frames(str(path), (w, h), fps=5, macro_block_size=16)
    writer.send(None)
    for frame in frames:
        writer.send(np.ascontiguousarray(frame))
    writer.close()

    s = open_stack(path)
    assert (s.axes, s.n_frames, s.frame_shape, s.dtype) == ("TYXC", n, (h, w), np.uint8)
    for t in (3, 0, 5, 1):  # random access
        shown = s.display_frame(t).astype(int)
        # lossy: compare the inside of each flat block, away from the edge between them
        left = shown[8:-8, 8 : w // 2 - 8]
        right = shown[8:-8, w // 2 + 8 : -8]
        assert np.abs(left - colours[t]).max() <= 12, t
        assert np.abs(right - colours[(t + 3) % n]).max() <= 12, t


def test_png_folder_natural_order(tmp_path: Path, rng: np.random.Generator) -> None:
    images = {k: rng.integers(0, 256, (10, 12, 3), dtype=np.uint8) for k in (1, 2, 10)}
    for k, img in images.items():
        iio.imwrite(tmp_path / f"frame{k}.png", img)
    (tmp_path / "notes.txt").write_text("not an image")
    s = open_stack(tmp_path)
    assert (s.axes, s.n_frames, s.frame_shape) == ("TYXC", 3, (10, 12))
    for t, k in enumerate((1, 2, 10)):  # not frame1, frame10, frame2
        np.testing.assert_array_equal(s.raw_frame(t), images[k])


def test_grey_png_folder(tmp_path: Path, rng: np.random.Generator) -> None:
    images = [rng.integers(0, 65535, (10, 12), dtype=np.uint16) for _ in range(3)]
    for k, img in enumerate(images):
        iio.imwrite(tmp_path / f"img_{k:03d}.png", img)
    s = open_stack(tmp_path)
    assert (s.axes, s.n_frames, s.dtype) == ("TYX", 3, np.uint16)
    np.testing.assert_array_equal(s.raw_frame(2), images[2])


def test_folder_with_odd_size_image(tmp_path: Path) -> None:
    for k in (1, 2):
        iio.imwrite(tmp_path / f"frame{k}.png", np.full((10, 12), 40 * k, np.uint8))
    iio.imwrite(tmp_path / "frame3.png", np.zeros((8, 8), np.uint8))
    s = open_stack(tmp_path)  # uint8: opening needs no sample frames
    assert s.n_frames == 3
    assert (s.raw_frame(1) == 80).all()
    with pytest.raises(StackError, match=re.escape(str(tmp_path / "frame3.png"))):
        s.display_frame(2)


def test_empty_folder(tmp_path: Path) -> None:
    (tmp_path / "readme.txt").write_text("x")
    with pytest.raises(StackError, match="no images found"):
        open_stack(tmp_path)


def test_single_png(tmp_path: Path, rng: np.random.Generator) -> None:
    img = rng.integers(0, 256, (10, 12, 3), dtype=np.uint8)
    iio.imwrite(tmp_path / "one.png", img)
    s = open_stack(tmp_path / "one.png")
    assert (s.axes, s.n_frames) == ("YXC", 1)
    np.testing.assert_array_equal(s.display_frame(0), img)


def test_zarr_array_on_disk_and_in_memory(tmp_path: Path, rng: np.random.Generator) -> None:
    data = rng.integers(0, 65535, (4, 8, 10), dtype=np.uint16)
    path = tmp_path / "a.zarr"
    z = zarr.create_array(store=str(path), shape=data.shape, dtype=data.dtype, chunks=(1, 8, 10))
    z[:] = data
    for source in (path, str(path), z):
        s = open_stack(source)
        assert (s.axes, s.n_frames) == ("TYX", 4)
        for t in range(4):
            np.testing.assert_array_equal(s.raw_frame(t), data[t])


@pytest.mark.parametrize("names", [("t", "y", "x"), ("z", "y", "x")])
def test_ome_zarr_group(tmp_path: Path, rng: np.random.Generator, names: tuple[str, ...]) -> None:
    data = rng.integers(0, 65535, (4, 8, 10), dtype=np.uint16)
    path = tmp_path / "image.zarr"
    group = zarr.open_group(str(path), mode="w")
    group.attrs["multiscales"] = [
        {
            "version": "0.4",
            "axes": [{"name": n, "type": "time" if n == "t" else "space"} for n in names],
            "datasets": [{"path": "0"}, {"path": "1"}],
        }
    ]
    full = group.create_array("0", shape=data.shape, dtype=data.dtype, chunks=(1, 8, 10))
    full[:] = data
    half = group.create_array("1", shape=(4, 4, 5), dtype=data.dtype, chunks=(1, 4, 5))
    half[:] = data[:, ::2, ::2]
    s = open_stack(path)
    assert s.axes == "".join(names).upper()
    assert s.prop_axis == names[0].upper()
    assert s.frame_shape == (8, 10)  # the full-resolution level
    for i in range(4):
        np.testing.assert_array_equal(s.raw_frame(i), data[i])


def test_zarr_group_without_metadata(tmp_path: Path, rng: np.random.Generator) -> None:
    data = rng.integers(0, 255, (3, 6, 7), dtype=np.uint8)
    one = zarr.open_group(str(tmp_path / "one.zarr"), mode="w")
    one.create_array("img", shape=data.shape, dtype=data.dtype)[:] = data
    s = open_stack(tmp_path / "one.zarr")
    np.testing.assert_array_equal(s.raw_frame(2), data[2])

    two = zarr.open_group(str(tmp_path / "two.zarr"), mode="w")
    for name in ("a", "b"):
        two.create_array(name, shape=data.shape, dtype=data.dtype)[:] = data
    with pytest.raises(StackError, match="no OME multiscales"):
        open_stack(tmp_path / "two.zarr")


def test_missing_path_and_unknown_suffix(tmp_path: Path) -> None:
    with pytest.raises(StackError, match="no such file"):
        open_stack(tmp_path / "missing.tif")
    odd = tmp_path / "data.xyz"
    odd.write_bytes(b"\x00" * 16)
    with pytest.raises(StackError, match=r"unknown file type '\.xyz'"):
        open_stack(odd)


def test_broken_tiff(tmp_path: Path) -> None:
    bad = tmp_path / "broken.tif"
    bad.write_bytes(b"this is not a tiff")
    with pytest.raises(StackError, match="cannot read TIFF"):
        open_stack(bad)


# -- laziness ------------------------------------------------------------------------


class CountingArray:
    """An array-like that records every read."""

    def __init__(self, data: np.ndarray) -> None:
        self._data = data
        self.keys: list[Any] = []

    @property
    def shape(self) -> tuple[int, ...]:
        return self._data.shape

    @property
    def dtype(self) -> np.dtype:
        return self._data.dtype

    def __getitem__(self, key: Any) -> np.ndarray:
        self.keys.append(key)
        return self._data[key]


def test_open_and_display_read_only_what_they_need() -> None:
    data = np.arange(1000 * 6 * 7, dtype=np.uint16).reshape(1000, 6, 7)
    arr = CountingArray(data)
    s = open_stack(arr)
    assert s.n_frames == 1000
    # contrast from a few sample frames, each read as one frame
    assert 1 <= len(arr.keys) <= 10
    assert all(isinstance(k, tuple) and isinstance(k[0], int) for k in arr.keys)
    lo, hi = s.contrast_limits
    assert data.min() <= lo < hi <= data.max()

    arr.keys.clear()
    d = s.display_frame(617)
    assert len(arr.keys) == 1
    assert arr.keys[0][0] == 617
    assert d.shape == (6, 7, 3)

    arr.keys.clear()
    s.with_contrast((0, 10))
    assert arr.keys == []  # changing contrast reads nothing


def test_uint8_open_reads_nothing() -> None:
    arr = CountingArray(np.zeros((1000, 4, 4), np.uint8))
    open_stack(arr)
    assert arr.keys == []


# -- property: any small numeric stack displays ----------------------------------------


@st.composite
def _stacks(draw: st.DrawFn) -> np.ndarray:
    dtype = np.dtype(draw(st.sampled_from(["uint8", "uint16", "int16", "float32", "float64"])))
    shape = (
        draw(st.integers(1, 3)),
        draw(st.integers(1, 20)),
        draw(st.integers(1, 20)),
    )
    if dtype.kind == "f":
        elements = st.floats(
            allow_nan=True, allow_infinity=True, width=dtype.itemsize * 8, allow_subnormal=True
        )
    else:
        elements = None
    return draw(hnp.arrays(dtype, shape, elements=elements))


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(_stacks())
def test_display_frame_always_uint8_rgb(a: np.ndarray) -> None:
    s = open_stack(a, "TYX")
    assert isinstance(s, Stack)
    assert s.n_frames == a.shape[0]
    for t in range(a.shape[0]):
        d = s.display_frame(t)
        assert d.dtype == np.uint8
        assert d.shape == (a.shape[1], a.shape[2], 3)
