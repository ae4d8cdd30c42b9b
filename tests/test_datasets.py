"""Demo data: the fetch path against a local HTTP server, the offline stand-ins, and
the generators' shapes, determinism and dynamics.

The server (127.0.0.1 only) serves bytes from memory and counts the GETs, so a test
can tell a download from a cache hit. Registry entries pointing at it are added to
``DATASETS`` for the duration of a test; the cache folder is a tmp folder.
"""

from __future__ import annotations

import hashlib
import http.server
import io
import re
import socket
import threading
import time
import warnings
import zipfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import tifffile
from httpd import serving
from scipy import ndimage as ndi
from skimage import filters, measure

import sam2_jupyter as sj
from sam2_jupyter import datasets
from sam2_jupyter.datasets import DATASETS, Dataset, DatasetError, DemoDataWarning
from sam2_jupyter.datasets._registry import read_cells3d, read_frames


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        with self.server.lock:
            self.server.gets.append(self.path)
        body = self.server.files.get(self.path)
        status = 200 if body is not None else 404
        body = body if body is not None else b"not found"
        self.send_response(status)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.files: dict[str, bytes] = {}
        self.gets: list[str] = []
        self.lock = threading.Lock()

    def url(self, path: str) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}{path}"


@pytest.fixture
def server() -> Iterator[_Server]:
    with serving(_Server()) as srv:
        yield srv


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv(datasets.ENV_DATA_DIR, str(folder))
    return folder


def _tiff_bytes(array: np.ndarray) -> bytes:
    buf = io.BytesIO()
    tifffile.imwrite(buf, array)
    return buf.getvalue()


VOLUME = np.arange(3 * 2 * 8 * 8, dtype=np.uint16).reshape(3, 2, 8, 8)  # Z C Y X
STAND_IN = np.full((3, 8, 8), 7, dtype=np.uint16)


def _register(monkeypatch: pytest.MonkeyPatch, url: str, sha256: str, **kw: object) -> Dataset:
    fields: dict = {
        "name": "test_volume",
        "description": "a tiny ZCYX volume served locally",
        "url": url,
        "sha256": sha256,
        "licence": "CC0",
        "source": "this test",
        "axes": "ZYX",
        "fname": "volume.tif",
        "reader": read_cells3d,
        "fallback": STAND_IN.copy,
    }
    fields.update(kw)
    ds = Dataset(**fields)
    monkeypatch.setitem(DATASETS, ds.name, ds)
    return ds


def _closed_port_url() -> str:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # nothing listens there now: connection refused, like no network
    return f"http://127.0.0.1:{port}/volume.tif"


# -- fetch against the local server --------------------------------------------------


def test_fetch_verifies_caches_and_load_reads_it(server, cache, monkeypatch):
    payload = _tiff_bytes(VOLUME)
    server.files["/data/volume.tif"] = payload
    _register(monkeypatch, server.url("/data/volume.tif"), hashlib.sha256(payload).hexdigest())
    path = datasets.fetch("test_volume", progress=False)
    assert path == cache / "volume.tif"
    assert path.read_bytes() == payload
    assert sorted(p.name for p in cache.iterdir()) == ["volume.tif"]  # no .part left
    with warnings.catch_warnings():
        warnings.simplefilter("error", DemoDataWarning)
        data = datasets.load("test_volume")
    np.testing.assert_array_equal(data, VOLUME[:, 1])  # the nuclei channel, ZYX
    assert len(server.gets) == 1  # the second use read the cache


def test_wrong_checksum_is_refused_and_discarded(server, cache, monkeypatch):
    server.files["/data/volume.tif"] = _tiff_bytes(VOLUME)
    _register(monkeypatch, server.url("/data/volume.tif"), "0" * 64)
    with pytest.raises(DatasetError, match="does not match its published SHA-256"):
        datasets.fetch("test_volume", progress=False)
    assert not (cache / "volume.tif").exists()
    with pytest.raises(DatasetError, match="SHA-256"):
        datasets.load("test_volume", offline=False)
    # The default falls back to the stand-in and says why.
    with pytest.warns(DemoDataWarning, match="SHA-256") as record:
        data = datasets.load("test_volume")
    np.testing.assert_array_equal(data, STAND_IN)
    assert "generated stand-in" in str(record[0].message)
    assert not (cache / "volume.tif").exists()


def test_no_network_falls_back_and_says_so(cache, monkeypatch):
    url = _closed_port_url()
    _register(monkeypatch, url, "0" * 64)
    with pytest.raises(DatasetError, match=r"no connection to 127\.0\.0\.1"):
        datasets.fetch("test_volume", progress=False)
    with pytest.warns(DemoDataWarning, match=re.escape(url)):
        data = datasets.load("test_volume")
    np.testing.assert_array_equal(data, STAND_IN)
    with pytest.raises(DatasetError, match="no connection"):
        datasets.load("test_volume", offline=False)


def test_server_error_falls_back(server, cache, monkeypatch):
    _register(monkeypatch, server.url("/missing.tif"), "0" * 64)
    with pytest.warns(DemoDataWarning, match="404"):
        data = datasets.load("test_volume")
    np.testing.assert_array_equal(data, STAND_IN)


def test_offline_uses_a_verified_cached_copy_and_never_the_network(server, cache, monkeypatch):
    payload = _tiff_bytes(VOLUME)
    server.files["/volume.tif"] = payload
    _register(monkeypatch, server.url("/volume.tif"), hashlib.sha256(payload).hexdigest())
    # Nothing cached yet: the stand-in, with a warning, and no request at all.
    with pytest.warns(DemoDataWarning, match="offline=True"):
        np.testing.assert_array_equal(datasets.load("test_volume", offline=True), STAND_IN)
    assert server.gets == []
    datasets.fetch("test_volume", progress=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DemoDataWarning)
        np.testing.assert_array_equal(datasets.load("test_volume", offline=True), VOLUME[:, 1])
    assert len(server.gets) == 1
    # A cached file that no longer matches its checksum is not used.
    damaged = bytearray(payload)
    damaged[len(damaged) // 2] ^= 0xFF
    (cache / "volume.tif").write_bytes(bytes(damaged))
    with pytest.warns(DemoDataWarning):
        np.testing.assert_array_equal(datasets.load("test_volume", offline=True), STAND_IN)


def test_zip_archive_members_are_extracted_and_read_as_frames(server, cache, monkeypatch):
    frames = np.arange(3 * 6 * 5, dtype=np.uint16).reshape(3, 6, 5)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for t, frame in enumerate(frames):
            zf.writestr(f"Seq/01/t{t:03d}.tif", _tiff_bytes(frame))
        zf.writestr("Seq/01_GT/TRA/man_track000.tif", _tiff_bytes(frames[0]))
        zf.writestr("Seq/02/t000.tif", _tiff_bytes(frames[0]))
    payload = buf.getvalue()
    server.files["/Seq.zip"] = payload
    _register(
        monkeypatch,
        server.url("/Seq.zip"),
        hashlib.sha256(payload).hexdigest(),
        fname="Seq.zip",
        members="*/01/t*.tif",
        reader=read_frames,
        axes="TYX",
    )
    folder = datasets.fetch("test_volume", progress=False)
    assert folder == cache / "Seq.zip.d" / "Seq" / "01"
    assert sorted(p.name for p in folder.iterdir()) == ["t000.tif", "t001.tif", "t002.tif"]
    assert not (cache / "Seq.zip.d" / "Seq" / "02").exists()
    np.testing.assert_array_equal(datasets.load("test_volume"), frames)
    assert sj.open_stack(folder).n_frames == 3  # the folder itself opens as a stack
    assert len(server.gets) == 1


# -- the API -------------------------------------------------------------------------


def test_api_is_exposed_and_names_are_the_table():
    assert sj.datasets is datasets
    assert datasets.names() == tuple(DATASETS)
    assert {"fluo_timelapse", "nuclei_3d", "natural_video"} <= set(datasets.names())
    with pytest.raises(DatasetError, match="unknown dataset 'nope'"):
        datasets.load("nope")


def test_every_entry_documents_source_checksum_and_licence():
    for name, ds in DATASETS.items():
        assert ds.name == name
        assert ds.licence
        assert ds.source
        assert ds.description
        assert set(ds.axes) <= set("TZCYX")
        if ds.url is not None:
            assert re.fullmatch(r"[0-9a-f]{64}", ds.sha256 or ""), name
            assert ds.fname
            assert ds.reader is not None
            assert name in (datasets.__doc__ or "")


def test_generated_only_dataset_needs_no_network_and_does_not_warn(cache):
    with pytest.raises(DatasetError, match="no file to fetch"):
        datasets.fetch("natural_video")
    with warnings.catch_warnings():
        warnings.simplefilter("error", DemoDataWarning)
        video = datasets.load("natural_video")
    assert video.shape == (40, 256, 256, 3)
    assert not cache.exists()


def test_open_dataset_uses_the_entry_axes(cache, monkeypatch):
    _register(monkeypatch, _closed_port_url(), "0" * 64)
    with pytest.warns(DemoDataWarning):
        stack = datasets.open_dataset("test_volume", offline=True)
    assert stack.axes == "ZYX"
    assert stack.n_frames == 3


@pytest.mark.parametrize("name", ["fluo_timelapse", "nuclei_3d"])
def test_real_entries_fall_back_offline_with_their_stand_in(name, cache):
    with pytest.warns(DemoDataWarning, match=name):
        data = datasets.load(name, offline=True)
    assert data.ndim == len(DATASETS[name].axes)
    np.testing.assert_array_equal(data, DATASETS[name].fallback())


# -- the generators ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "shape", "dtype"),
    [
        (datasets.fluorescence_timelapse, (40, 256, 256), np.uint16),
        (datasets.nuclei_3d, (60, 256, 256), np.uint16),
        (datasets.natural_video, (40, 256, 256, 3), np.uint8),
    ],
)
def test_generators_default_shape_dtype_speed_and_determinism(make, shape, dtype):
    start = time.perf_counter()
    a = make()
    elapsed = time.perf_counter() - start
    assert a.shape == shape
    assert a.dtype == dtype
    assert elapsed < 5  # about 0.2-0.6 s here; generous for loaded CI machines
    np.testing.assert_array_equal(a, make())
    assert not np.array_equal(a, make(seed=1))
    assert a.std() > 0


def test_generators_take_sizes():
    assert datasets.fluorescence_timelapse(6, (64, 96)).shape == (6, 64, 96)
    assert datasets.nuclei_3d((12, 64, 80)).shape == (12, 64, 80)
    assert datasets.natural_video(3, (48, 64)).shape == (3, 48, 64, 3)
    with pytest.raises(ValueError, match="at least"):
        datasets.fluorescence_timelapse(2)


def _objects(frame: np.ndarray, threshold: float) -> list:
    return measure.regionprops(
        measure.label(ndi.gaussian_filter(frame.astype(float), 2) > threshold)
    )


def test_fluorescence_cells_move_divide_and_leave():
    movie = datasets.fluorescence_timelapse(30, (160, 160))
    threshold = filters.threshold_otsu(ndi.gaussian_filter(movie[0].astype(float), 2))
    per_frame = [_objects(frame, threshold) for frame in movie]
    counts = [len(objs) for objs in per_frame]
    assert min(counts) >= 5
    steps = np.diff(counts)
    assert (steps > 0).any(), counts  # a division adds an object
    assert (steps < 0).any(), counts  # leaving the field removes one
    # Nuclei move: each centroid of frame 10 is some distance from where it was at 0.
    first = np.array([o.centroid for o in per_frame[0]])
    later = np.array([o.centroid for o in per_frame[10]])
    nearest = np.sqrt(((later[:, None] - first[None]) ** 2).sum(-1)).min(1)
    assert np.median(nearest) > 1.0
    # Nuclei are textured, not flat discs: spread of intensities inside the biggest.
    big = max(per_frame[0], key=lambda o: o.area)
    inside = movie[0][tuple(big.coords.T)].astype(float)
    assert inside.std() / inside.mean() > 0.08


def test_nuclei_stack_has_nuclei_in_the_middle_planes():
    vol = datasets.nuclei_3d((30, 128, 128))
    profile = vol.reshape(30, -1).mean(1)
    assert profile.argmax() in range(8, 22)
    assert profile[0] < profile.max() * 0.7
    assert profile[-1] < profile.max() * 0.7
    mid = vol[int(profile.argmax())]
    threshold = filters.threshold_otsu(ndi.gaussian_filter(mid.astype(float), 2))
    assert len(_objects(mid, threshold)) >= 5


def test_natural_video_objects_move():
    video = datasets.natural_video(10, (128, 128))
    red = (video[..., 0] > 150) & (video[..., 1] < 80) & (video[..., 2] < 80)
    xs = [np.nonzero(r)[1].mean() for r in red]
    assert xs[-1] - xs[0] > 30  # the red ball crosses the frame to the right
    assert np.abs(np.diff(video.astype(int), axis=0)).mean() > 1
