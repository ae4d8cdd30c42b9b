"""Hostile inputs to the data layer, 2: damaged files (TIFF, mp4, GIF, image
folders, Zarr). Truncated files are read lazily, so what is decided here is:

* a file whose header is gone or damaged does not open (StackError naming it);
* a file cut after some whole frames opens with what its metadata still describes,
  and every frame read is either the original frame or a StackError naming the file
  (never zeros or another frame's pixels). Contrast limits come from the sample
  frames that are readable, so a stack whose last frame is damaged still opens;
* a file truncated *after* it was opened (overwritten in place) gives StackError on
  the next read, not SIGBUS from its memory map.
"""

from __future__ import annotations

import time
import warnings
from pathlib import Path
from typing import Any

import imageio.v3 as iio
import numpy as np
import pytest
import tifffile
import zarr
from hostile import FUZZ, attempt, fresh, open_and_read_last
from hypothesis import given, settings
from hypothesis import strategies as st

from sam2_jupyter import StackError
from sam2_jupyter.io import open_stack

pytestmark = pytest.mark.usefixtures("quiet_tifffile")

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
    s, error = attempt(open_stack, path)
    if error is not None:
        assert str(path) in str(error)
        return
    assert s.n_frames <= len(_TIFF_DATA)
    for i in range(s.n_frames):
        frame, error = attempt(s.raw_frame, i)
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
        path = fresh(scratch, ".tif")
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
    path = fresh(scratch, ".tif")
    path.write_bytes(raw[: int(fraction * (len(raw) - 1))])
    _frames_are_original_or_refused(path)


@settings(FUZZ, max_examples=100)
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
    path = fresh(scratch, ".tif")
    path.write_bytes(bytes(data))
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        s, error = attempt(open_stack, path)
        for i in sorted({0, s.n_frames - 1}) if s is not None else []:
            shown, error = attempt(s.display_frame, i)
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
    path = fresh(scratch, ".tif")
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
        open_and_read_last(path)
    assert str(path) in str(info.value)
    assert time.perf_counter() - start < 5


def test_compressed_tiff_missing_its_last_frame_opens(scratch: Path) -> None:
    """Cut inside the last frame's compressed strip: frames 0..4 read, frame 5 is a
    StackError naming the file (it was a zlib.error from the decoder)."""
    path = fresh(scratch, ".tif")
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
        path = fresh(scratch, ".tif")
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
        s, error = attempt(open_stack, path)
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
        frame, error = attempt(s.raw_frame, i)
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
        s, error = attempt(open_stack, path)
        if error is not None:
            assert str(path) in str(error)
            continue
        for i in range(s.n_frames):
            frame, error = attempt(s.raw_frame, i)
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
