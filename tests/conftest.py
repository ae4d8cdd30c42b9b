"""Shared fixtures: one untrained SAM2.1 tiny model at 256 px, small synthetic videos,
one JupyterLab server and one Chromium for the browser tests; and how the suite is
spread over both cores (pytest-xdist, ``--dist loadgroup``).

The model has random weights (real weights cannot be fetched in CI), so masks are
noise; correctness is shown by parity with sam2's own predictor on the same weights.

Spreading: a module whose tests share a module- or class-scoped fixture runs on one
worker (one xdist group per file), the tests on the shared JupyterLab server on one
worker (group ``jupyterlab``), every other test wherever a worker is free. The
longest units are queued first so no worker is left with a long one at the end; the
tests marked ``alone`` come last, in one group, with nothing beside them
(:mod:`alone`).
"""

from __future__ import annotations

import logging
import os
import warnings
from collections.abc import Iterator
from pathlib import Path

import alone
import imageio.v3 as iio
import numpy as np
import pytest
import torch
from hypothesis import settings
from timings import Recorder

from sam2_jupyter import Session
from sam2_jupyter.models import Model, UntrainedModelWarning, load_model

IMAGE_SIZE = 128

# Under xdist each worker gets its share of the cores; the servers, kernels and dask
# workers the tests start inherit it. Two workers of two OpenMP threads each on two
# cores spin against each other: the same tests took 47 % more CPU time.
_WORKERS = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "0"))
if _WORKERS:
    _THREADS = max(1, (os.cpu_count() or 1) // _WORKERS)
    for _name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ.setdefault(_name, str(_THREADS))
    torch.set_num_threads(_THREADS)

# CI runs the same examples every time (a failure there is reproducible by rerunning);
# elsewhere hypothesis explores, and its example database replays what it found.
settings.register_profile("ci", derandomize=True, print_blob=True)
settings.register_profile("dev")
settings.load_profile("ci" if os.environ.get("CI") else "dev")

# Units of work that take longest, queued first (longest first); measured with
# --timings (README, Tests). The rest follow in collection order, ``alone`` last.
LONGEST_FIRST = (
    "jupyterlab",
    "tests/test_install.py",
    "tests/test_notebooks.py::test_notebook_runs[video_tracking]",
    "tests/test_notebooks.py::test_notebook_runs[quickstart]",
    "tests/test_batch.py",
    "tests/test_hub.py",
    "tests/test_notebooks.py::test_notebook_runs[batch]",
    "tests/test_app.py",
)
# Session-scoped fixtures that are too costly to build on both workers: their tests
# form one group.
SHARED_SESSION_FIXTURES = {"jupyterlab": "jupyterlab"}


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--timings",
        metavar="FILE",
        help="write each test's wall and machine CPU time to FILE (tests/timings.py)",
    )


def pytest_configure(config: pytest.Config) -> None:
    if config.getoption("timings"):
        config.pluginmanager.register(Recorder(Path(config.getoption("timings"))), "timings")


def _unit(item: pytest.Item) -> str:
    """The xdist group of a test (see the module's docstring)."""
    if item.get_closest_marker("alone"):
        return "alone"
    defs = item._fixtureinfo.name2fixturedefs
    for name, group in SHARED_SESSION_FIXTURES.items():
        if name in defs:
            return group
    if any(d[-1].scope in ("module", "class", "package") for d in defs.values()):
        return item.nodeid.split("::")[0]
    return item.nodeid


@pytest.hookimpl(tryfirst=True)  # before xdist turns the marks into groups
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.pluginmanager.hasplugin("xdist"):
        for item in items:
            unit = _unit(item)
            if unit != item.nodeid:
                item.add_marker(pytest.mark.xdist_group(unit))


@pytest.hookimpl(tryfirst=True)  # after all reordering, before xdist reads the order
def pytest_collection_finish(session: pytest.Session) -> None:
    """Queue the longest units first (the scheduler takes units in this order)."""
    if getattr(session.config.option, "loadgroup", False):
        split = [
            i.nodeid
            for i in session.items
            if i.get_closest_marker("xdist_group") and "@" not in i.nodeid
        ]
        if split:
            raise pytest.UsageError(
                f"pytest-xdist did not group {split[0]} (and {len(split) - 1} more): this "
                "pytest and pytest-xdist do not work together; see pyproject.toml"
            )

    def rank(item: pytest.Item) -> int:
        unit = _unit(item)
        if unit == "alone":
            return len(LONGEST_FIRST) + 1
        return LONGEST_FIRST.index(unit) if unit in LONGEST_FIRST else len(LONGEST_FIRST)

    session.items.sort(key=rank)  # stable: the order within a unit is kept


_held: list[object] = []


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None):
    """Every test holds the run's lock: shared, or exclusive for ``alone`` tests, kept
    over a run of consecutive ``alone`` tests (the other worker waits once)."""
    exclusive = item.get_closest_marker("alone") is not None
    if not _held:
        lock = alone.held(exclusive)
        lock.__enter__()
        _held.append(lock)
    yield
    keep = exclusive and nextitem is not None and nextitem.get_closest_marker("alone")
    if not keep:
        _held.pop().__exit__(None, None, None)


@pytest.fixture(autouse=True)
def _private_user_folders(tmp_path_factory, monkeypatch):
    """Autosaved sessions and disk features go to a fresh folder per test: tests
    must neither resume each other's work nor write into the real home."""
    root = tmp_path_factory.mktemp("user")
    monkeypatch.setenv("SAM2_JUPYTER_SESSION_DIR", str(root / "sessions"))
    monkeypatch.setenv("SAM2_JUPYTER_FEATURE_DIR", str(root / "features"))


@pytest.fixture(scope="module")
def chromium():
    """A headless Chromium for a test module (each test opens its own context in it).
    Not one per session: Playwright's sync API keeps its event loop current in the main
    thread while it is open, and an Annotator built then schedules its timers on that
    loop, which runs only inside Playwright calls (the lossless upgrades of later,
    browserless tests never fired)."""
    from lab import browser_available, launch_chromium

    if not browser_available():
        pytest.skip("needs playwright and chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = launch_chromium(pw)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture(scope="session")
def jupyterlab(tmp_path_factory):
    """One JupyterLab server for the browser tests; each module opens a fresh notebook
    (its own kernel) on it with ``lab.notebook_page``."""
    from lab import Lab

    server = Lab(tmp_path_factory.mktemp("jupyterlab"))
    try:
        yield server
    finally:
        server.close()


@pytest.fixture(scope="session")
def model() -> Model:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UntrainedModelWarning)
        return load_model("tiny", untrained=True, image_size=IMAGE_SIZE, device="cpu", seed=0)


@pytest.fixture
def encoder_calls(model, monkeypatch):
    """Batch sizes of every image-encoder pass of the shared model (sam2 driven
    directly counts too: it uses the same predictor)."""
    calls = []
    original = model.predictor.forward_image

    def counted(img_batch):
        calls.append(img_batch.shape[0])
        return original(img_batch)

    monkeypatch.setattr(model.predictor, "forward_image", counted)
    return calls


@pytest.fixture
def oom_after(monkeypatch):
    """``oom_after(predictor, n)``: its n-th tracking step runs out of GPU memory.
    ``monkeypatch.undo()`` gives the memory back."""

    def patch(predictor, n):
        original = predictor.track_step
        calls = []

        def failing(*args, **kwargs):
            calls.append(1)
            if len(calls) == n:
                raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
            return original(*args, **kwargs)

        monkeypatch.setattr(predictor, "track_step", failing)

    return patch


def moving_discs(
    n_frames: int = 10, shape: tuple[int, int] = (96, 128), seed: int = 0
) -> np.ndarray:
    """(T, Y, X, 3) uint8: two coloured discs drifting over a textured background."""
    rng = np.random.default_rng(seed)
    h, w = shape
    yy, xx = np.mgrid[0:h, 0:w]
    frames = np.empty((n_frames, h, w, 3), np.uint8)
    background = rng.integers(20, 90, (h, w, 3))
    for t in range(n_frames):
        img = background.copy()
        for cy, cx, r, vy, vx, colour in (
            (30, 30, 14, 2, 3, (230, 60, 40)),
            (65, 95, 12, -1, -3, (40, 200, 230)),
        ):
            disc = (yy - (cy + vy * t)) ** 2 + (xx - (cx + vx * t)) ** 2 <= r * r
            img[disc] = colour
        frames[t] = img
    return frames


@pytest.fixture(scope="session")
def video() -> np.ndarray:
    return moving_discs()


@pytest.fixture
def session(model: Model, video: np.ndarray) -> Iterator[Session]:
    """A Session on the shared model and video, closed when the test ends (so a test
    that fails half-way leaves no propagation or worker behind)."""
    s = Session(video, model)
    yield s
    s.close()


@pytest.fixture(scope="session")
def jpeg_folder(tmp_path_factory: pytest.TempPathFactory, video: np.ndarray) -> Path:
    """The video as a folder of <index>.jpg, the input sam2's own loader takes."""
    folder = tmp_path_factory.mktemp("jpegs")
    for t, frame in enumerate(video):
        iio.imwrite(folder / f"{t}.jpg", frame, quality=95)
    return folder


@pytest.fixture
def annotator(model, video):
    """An Annotator on the test video with a FakeBrowser (``annotator.browser``)."""
    from harness import open_annotator

    a = open_annotator(video, model)
    yield a
    a.close()


@pytest.fixture
def quiet_tifffile() -> Iterator[None]:
    """tifffile logs a warning for each damaged IFD it skips; hundreds of them here."""
    logger = logging.getLogger("tifffile")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    yield
    logger.setLevel(level)


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One folder for the fuzzed files of a module (hypothesis reuses a test's
    tmp_path across examples; each example writes a fresh file name here)."""
    return tmp_path_factory.mktemp("hostile")
