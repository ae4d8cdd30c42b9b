"""Checkpoint download, verification and loading, against a local HTTP server.

The server (127.0.0.1 only) serves bytes from memory, honours ``Range: bytes=N-``
unless told to ignore it, and can cut the connection part-way through its first
response, which is how a flaky link looks to the client.
"""

from __future__ import annotations

import dataclasses
import hashlib
import http.server
import random
import re
import socket
import threading
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch
from httpd import serving

from sam2_jupyter.errors import ModelError, describe
from sam2_jupyter.models import (
    MODEL_NAMES,
    UntrainedModelWarning,
    ensure_checkpoint,
    get_spec,
    load_model,
    pick_device,
)

IMAGE_SIZE = 256
# 2.5 MiB of seeded random bytes: more than the downloader's 1 MiB chunk, so an
# interrupted transfer has whole chunks to keep; random, so any wrong offset shows.
PAYLOAD = random.Random(0).randbytes(5 * 2**19)
CUT = 3 * 2**19  # the first response hangs up after 1.5 MiB


class _State:
    """What the server serves and how it misbehaves; what it was asked."""

    def __init__(self) -> None:
        self.data = b""
        self.cut_after: int | None = None  # first GET: send only this many bytes
        self.ignore_range = False
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.lock = threading.Lock()


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: object) -> None:  # keep pytest output quiet
        pass

    def _headers_for(self, data: bytes) -> tuple[int, bytes, dict[str, str]]:
        state = self.server.state
        rng = self.headers.get("Range")
        if rng and not state.ignore_range:
            m = re.fullmatch(r"bytes=(\d+)-", rng.strip())
            assert m, f"unexpected Range header {rng!r}"
            start = int(m.group(1))
            if start >= len(data):
                return 416, b"", {"Content-Range": f"bytes */{len(data)}"}
            body = data[start:]
            return 206, body, {"Content-Range": f"bytes {start}-{len(data) - 1}/{len(data)}"}
        return 200, data, {}

    def _respond(self, send_body: bool) -> None:
        state = self.server.state
        with state.lock:
            state.requests.append((self.command, dict(self.headers.items())))
            n_get = sum(1 for method, _ in state.requests if method == "GET")
            cut = state.cut_after if send_body and n_get == 1 else None
        status, body, extra = self._headers_for(state.data)
        self.send_response(status)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(body)))
        for key, value in extra.items():
            self.send_header(key, value)
        if cut is not None:
            self.send_header("Connection", "close")
        self.end_headers()
        if not send_body:
            return
        if cut is None:
            self.wfile.write(body)
        else:
            # Announce the whole length, deliver part of it, hang up.
            self.wfile.write(body[:cut])
            self.wfile.flush()
            self.close_connection = True

    def do_GET(self) -> None:
        self._respond(send_body=True)

    def do_HEAD(self) -> None:
        self._respond(send_body=False)


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.state = _State()

    @property
    def base_url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"

    def gets(self) -> list[dict[str, str]]:
        return [h for method, h in self.state.requests if method == "GET"]


@pytest.fixture
def server() -> Iterator[_Server]:
    with serving(_Server()) as srv:
        yield srv


def _url(server: _Server, spec_name: str = "sam2.1_hiera_tiny.pt") -> str:
    return f"{server.base_url}/weights/{spec_name}"


# -- ensure_checkpoint ---------------------------------------------------------------


def test_fresh_download_writes_exact_bytes(server: _Server, tmp_path: Path) -> None:
    server.state.data = PAYLOAD
    spec = get_spec("tiny")
    path = ensure_checkpoint(spec, tmp_path / "models", url=_url(server), progress=False)
    assert path == tmp_path / "models" / spec.filename
    assert path.read_bytes() == PAYLOAD
    assert sorted(p.name for p in path.parent.iterdir()) == [spec.filename]
    assert len(server.gets()) == 1
    assert "Range" not in server.gets()[0]


def test_interrupted_download_keeps_part_and_resumes(server: _Server, tmp_path: Path) -> None:
    server.state.data = PAYLOAD
    server.state.cut_after = CUT
    spec = get_spec("tiny")
    folder = tmp_path / "models"
    part = folder / (spec.filename + ".part")

    with pytest.raises(ModelError, match=spec.filename):
        ensure_checkpoint(spec, folder, url=_url(server), progress=False)
    assert not (folder / spec.filename).exists()
    assert part.is_file()
    partial = part.read_bytes()
    # What arrived is kept, except possibly the last chunk the client was assembling.
    assert 0 < len(partial) <= CUT
    assert partial == PAYLOAD[: len(partial)]

    path = ensure_checkpoint(spec, folder, url=_url(server), progress=False)
    gets = server.gets()
    assert len(gets) == 2
    assert gets[1].get("Range") == f"bytes={len(partial)}-"
    assert path.read_bytes() == PAYLOAD
    assert not part.exists()


def test_server_ignoring_range_restarts_cleanly(server: _Server, tmp_path: Path) -> None:
    server.state.data = PAYLOAD
    server.state.cut_after = CUT
    server.state.ignore_range = True
    spec = get_spec("tiny")
    folder = tmp_path / "models"
    with pytest.raises(ModelError):
        ensure_checkpoint(spec, folder, url=_url(server), progress=False)
    assert (folder / (spec.filename + ".part")).stat().st_size > 0

    path = ensure_checkpoint(spec, folder, url=_url(server), progress=False)
    assert server.gets()[1].get("Range", "").startswith("bytes=")  # asked, was ignored
    assert path.read_bytes() == PAYLOAD
    assert not (folder / (spec.filename + ".part")).exists()


def test_complete_part_file_is_finished_without_refetching(server: _Server, tmp_path: Path) -> None:
    # A run that died between the last byte and the rename left a whole .part.
    server.state.data = PAYLOAD
    spec = get_spec("tiny")
    folder = tmp_path / "models"
    folder.mkdir()
    (folder / (spec.filename + ".part")).write_bytes(PAYLOAD)
    path = ensure_checkpoint(spec, folder, url=_url(server), progress=False)
    assert path.read_bytes() == PAYLOAD
    assert sorted(p.name for p in folder.iterdir()) == [spec.filename]
    assert server.gets()[0].get("Range") == f"bytes={len(PAYLOAD)}-"


def test_part_file_longer_than_remote_is_discarded(server: _Server, tmp_path: Path) -> None:
    server.state.data = PAYLOAD
    spec = get_spec("tiny")
    folder = tmp_path / "models"
    folder.mkdir()
    part = folder / (spec.filename + ".part")
    part.write_bytes(PAYLOAD + b"stale tail")
    with pytest.raises(ModelError, match="did not match"):
        ensure_checkpoint(spec, folder, url=_url(server), progress=False)
    assert list(folder.iterdir()) == []
    # and the next attempt starts from scratch
    path = ensure_checkpoint(spec, folder, url=_url(server), progress=False)
    assert path.read_bytes() == PAYLOAD
    assert "Range" not in server.gets()[-1]


def test_sha256_mismatch_discards_everything(server: _Server, tmp_path: Path) -> None:
    expected = b"the real checkpoint" * 100
    server.state.data = PAYLOAD  # something else
    spec = dataclasses.replace(get_spec("tiny"), sha256=hashlib.sha256(expected).hexdigest())
    folder = tmp_path / "models"
    with pytest.raises(ModelError, match="corrupted"):
        ensure_checkpoint(spec, folder, url=_url(server), progress=False)
    assert list(folder.iterdir()) == []


def test_sha256_match_passes_and_is_reused(server: _Server, tmp_path: Path) -> None:
    server.state.data = PAYLOAD
    spec = dataclasses.replace(get_spec("tiny"), sha256=hashlib.sha256(PAYLOAD).hexdigest())
    folder = tmp_path / "models"
    path = ensure_checkpoint(spec, folder, url=_url(server), progress=False)
    assert path.read_bytes() == PAYLOAD
    assert len(server.gets()) == 1
    # A file that still matches its hash is not fetched again.
    assert ensure_checkpoint(spec, folder, url=_url(server), progress=False) == path
    assert len(server.gets()) == 1


def test_existing_file_is_reused_without_request(server: _Server, tmp_path: Path) -> None:
    server.state.data = PAYLOAD
    spec = get_spec("tiny")
    folder = tmp_path / "models"
    folder.mkdir()
    (folder / spec.filename).write_bytes(b"already here")
    path = ensure_checkpoint(spec, folder, url=_url(server), progress=False)
    assert path == folder / spec.filename
    assert path.read_bytes() == b"already here"
    assert server.state.requests == []


def _unused_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_unreachable_server_is_a_model_error(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{_unused_port()}/x.pt"
    with pytest.raises(ModelError, match="could not be downloaded") as info:
        ensure_checkpoint(get_spec("tiny"), tmp_path, url=url, progress=False)
    assert not (tmp_path / get_spec("tiny").filename).exists()
    # One sentence with what to do, named the way the user gives options there: in
    # Python code, or on the no-code app's command line.
    in_code, in_app = describe(info.value), describe(info.value, where="app")
    assert "(no connection to 127.0.0.1" in in_code
    assert "checkpoint='path.pt'" in in_code
    assert str(tmp_path) in in_code
    assert "--checkpoint" not in in_code
    assert "--checkpoint FILE" in in_app
    assert "--untrained" in in_app
    assert "checkpoint=" not in in_app
    assert "Pool" not in in_code + in_app  # urllib3's text stays in the cause


# -- load_model through the server ---------------------------------------------------


@pytest.fixture(scope="module")
def checkpoint_bytes(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, bytes]:
    """An untrained tiny model's state dict and its saved checkpoint bytes."""
    with pytest.warns(UntrainedModelWarning):
        model = load_model("tiny", untrained=True, image_size=IMAGE_SIZE, device="cpu")
    state = {k: v.detach().clone() for k, v in model.predictor.state_dict().items()}
    path = tmp_path_factory.mktemp("ckpt") / "model.pt"
    torch.save({"model": state}, path)
    data = path.read_bytes()
    path.unlink()  # ~150 MB; pytest keeps the temporary folders of recent runs
    return state, data


@pytest.fixture
def ckpt_dir(tmp_path: Path) -> Iterator[Path]:
    """tmp_path, emptied of checkpoint-sized files afterwards."""
    yield tmp_path
    for path in tmp_path.rglob("*.pt"):
        path.unlink()


def _assert_same_weights(predictor: torch.nn.Module, state: dict) -> None:
    loaded = predictor.state_dict()
    assert loaded.keys() == state.keys()
    for key, value in state.items():
        assert torch.equal(loaded[key], value), key


def test_load_model_downloads_and_loads_weights(
    server: _Server, ckpt_dir: Path, checkpoint_bytes: tuple[dict, bytes]
) -> None:
    state, data = checkpoint_bytes
    server.state.data = data
    folder = ckpt_dir / "models"
    with warnings.catch_warnings():
        warnings.simplefilter("error", UntrainedModelWarning)
        model = load_model(
            "tiny",
            model_dir=folder,
            url=_url(server),
            image_size=IMAGE_SIZE,
            device="cpu",
            progress=False,
        )
    assert (folder / get_spec("tiny").filename).read_bytes() == data
    assert model.checkpoint == folder / get_spec("tiny").filename
    assert not model.untrained
    assert model.image_size == IMAGE_SIZE
    _assert_same_weights(model.predictor, state)


def test_load_model_from_local_checkpoint(
    ckpt_dir: Path, checkpoint_bytes: tuple[dict, bytes]
) -> None:
    state, data = checkpoint_bytes
    path = ckpt_dir / "mine.pt"
    path.write_bytes(data)
    # seed differs from the one the weights were made with: they must come from the file
    model = load_model("tiny", checkpoint=path, image_size=IMAGE_SIZE, device="cpu", seed=7)
    assert model.checkpoint == path
    _assert_same_weights(model.predictor, state)


def test_truncated_checkpoint_is_a_model_error(
    ckpt_dir: Path, checkpoint_bytes: tuple[dict, bytes]
) -> None:
    _, data = checkpoint_bytes
    path = ckpt_dir / "truncated.pt"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ModelError) as info:
        load_model("tiny", checkpoint=path, image_size=IMAGE_SIZE, device="cpu")
    assert str(path) in str(info.value)


def test_checkpoint_missing_a_key_is_a_model_error(
    ckpt_dir: Path, checkpoint_bytes: tuple[dict, bytes]
) -> None:
    state, _ = checkpoint_bytes
    dropped = sorted(state)[0]
    path = ckpt_dir / "incomplete.pt"
    torch.save({"model": {k: v for k, v in state.items() if k != dropped}}, path)
    with pytest.raises(ModelError, match="do not match") as info:
        load_model("tiny", checkpoint=path, image_size=IMAGE_SIZE, device="cpu")
    assert dropped in str(info.value)


def test_missing_checkpoint_file_is_a_model_error(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="not found"):
        load_model("tiny", checkpoint=tmp_path / "nope.pt", device="cpu")


# -- registry and devices ------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "key", "suffix"),
    [
        ("tiny", "tiny", "t"),
        ("small", "small", "s"),
        ("base_plus", "base_plus", "b+"),
        ("large", "large", "l"),
        ("b+", "base_plus", "b+"),
        (" Tiny ", "tiny", "t"),
    ],
)
def test_get_spec_names_and_versions(name: str, key: str, suffix: str) -> None:
    new = get_spec(name, "2.1")
    assert new.name == key
    assert new.version == "2.1"
    assert new.config == f"configs/sam2.1/sam2.1_hiera_{suffix}.yaml"
    assert new.filename == f"sam2.1_hiera_{key}.pt"
    assert new.url.endswith("/" + new.filename)
    assert new.sha256 is None

    old = get_spec(name, "2.0")
    assert old.name == key
    assert old.config == f"configs/sam2/sam2_hiera_{suffix}.yaml"
    assert old.filename == f"sam2_hiera_{key}.pt"
    assert old.url.endswith("/" + old.filename)
    assert old.url != new.url


def test_get_spec_configs_exist_in_sam2() -> None:
    import sam2

    root = Path(sam2.__file__).parent
    for name in MODEL_NAMES:
        for version in ("2.1", "2.0"):
            assert (root / get_spec(name, version).config).is_file(), (name, version)


@pytest.mark.parametrize(("name", "version"), [("huge", "2.1"), ("tiny", "3.0"), ("", "2.1")])
def test_get_spec_rejects_unknown(name: str, version: str) -> None:
    with pytest.raises(ModelError, match="unknown"):
        get_spec(name, version)


def test_untrained_model_warns(monkeypatch: pytest.MonkeyPatch) -> None:
    import sam2_jupyter.models.build as build
    import sam2_jupyter.models.download as download

    built = []
    monkeypatch.setattr(build, "_build", lambda *a, **k: built.append(a) or torch.nn.Linear(1, 1))
    monkeypatch.setattr(build, "_patch_sam2", lambda p: p)
    monkeypatch.setattr(
        download, "ensure_checkpoint", lambda *a, **k: pytest.fail("untrained must not download")
    )
    with pytest.warns(UntrainedModelWarning, match="RANDOM"):
        model = load_model("tiny", untrained=True, device="cpu")
    assert model.untrained
    assert model.checkpoint is None
    assert len(built) == 1


@pytest.mark.parametrize("size", [250, 48, 0, 1000])
def test_image_size_must_be_multiple_of_32(size: int) -> None:
    with pytest.raises(ModelError, match="multiple of 32"):
        load_model("tiny", untrained=True, image_size=size, device="cpu")


def test_pick_device_auto_is_cpu_here() -> None:
    if torch.cuda.is_available():
        pytest.skip("CUDA is available: auto picks it")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        pytest.skip("MPS is available: auto picks it")
    assert pick_device("auto") == torch.device("cpu")
    assert pick_device() == torch.device("cpu")
    assert pick_device("cpu") == torch.device("cpu")


def test_pick_device_cuda_without_cuda_is_a_model_error() -> None:
    if torch.cuda.is_available():
        pytest.skip("CUDA is available")
    with pytest.raises(ModelError, match="CUDA"):
        pick_device("cuda")
    with pytest.raises(ModelError, match="CUDA"):
        load_model("tiny", untrained=True, device="cuda:0")


def test_compile_without_cuda_is_a_clear_error() -> None:
    with pytest.raises(ModelError, match=r"compile=True needs a CUDA GPU.*cpu"):
        load_model("tiny", untrained=True, device="cpu", compile=True)


def test_precision_is_checked_and_bf16_runs_on_the_cpu(video) -> None:
    from sam2_jupyter import Session

    with pytest.raises(ModelError, match="precision must be one of auto, fp32, bf16"):
        load_model("tiny", untrained=True, device="cpu", precision="fp16")
    fp32 = load_model("tiny", untrained=True, image_size=256, device="cpu")
    bf16 = load_model("tiny", untrained=True, image_size=256, device="cpu", precision="bf16")
    assert (fp32.precision, bf16.precision) == ("fp32", "bf16")
    with bf16.autocast():
        assert torch.is_autocast_enabled("cpu")
        assert torch.get_autocast_dtype("cpu") == torch.bfloat16
    s = Session(video, bf16)
    s.add_point(0, 30, 30, 1)
    assert len(s.run_propagation()) == len(video)
    assert s.labels.any()
