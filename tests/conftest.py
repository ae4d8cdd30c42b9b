"""Shared fixtures: one untrained SAM2.1 tiny model at 256 px and small synthetic videos.

The model has random weights (real weights cannot be fetched in CI), so masks are
noise; correctness is shown by parity with sam2's own predictor on the same weights.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterator
from pathlib import Path

import imageio.v3 as iio
import numpy as np
import pytest
import torch

from sam2_jupyter.models import Model, UntrainedModelWarning, load_model

IMAGE_SIZE = 256


@pytest.fixture(autouse=True)
def _private_user_folders(tmp_path_factory, monkeypatch):
    """Autosaved sessions and disk features go to a fresh folder per test: tests
    must neither resume each other's work nor write into the real home."""
    root = tmp_path_factory.mktemp("user")
    monkeypatch.setenv("SAM2_JUPYTER_SESSION_DIR", str(root / "sessions"))
    monkeypatch.setenv("SAM2_JUPYTER_FEATURE_DIR", str(root / "features"))


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
