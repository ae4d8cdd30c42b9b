"""CUDA: the Session under bf16 autocast equals sam2 driven directly under the same
autocast. Skipped on machines without CUDA."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from sam2_state import (
    assert_same_outputs,
    ref_click,
    ref_propagate,
    reference_state,
    state_of,
    storage_device,
)

from sam2_jupyter import Session
from sam2_jupyter.models import UntrainedModelWarning, load_model

pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA"),
]


@pytest.fixture(scope="module")
def cuda_model():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UntrainedModelWarning)
        return load_model("tiny", untrained=True, image_size=256, device="cuda")


def test_cuda_session_matches_sam2_direct(cuda_model, jpeg_folder):
    assert cuda_model.device.type == "cuda"
    s = Session(jpeg_folder, cuda_model)
    with torch.autocast("cuda", dtype=torch.bfloat16):
        ref = reference_state(cuda_model, jpeg_folder)
        expected = ref_click(cuda_model, ref, 1, 32, 36, 1)
    assert np.array_equal(s.add_point(1, 32, 36, 1), expected)
    ours = dict(s.propagate())
    with torch.autocast("cuda", dtype=torch.bfloat16):
        theirs = ref_propagate(cuda_model, ref)
    for t in theirs:
        assert np.array_equal(ours[t], theirs[t])
    assert_same_outputs(state_of(s), ref)


@pytest.mark.parametrize("mode", ["low", "super-low"])
def test_cuda_low_memory_modes_match_normal(cuda_model, jpeg_folder, mode):
    normal = Session(jpeg_folder, cuda_model)
    low = Session(jpeg_folder, cuda_model, memory_mode=mode)
    for s in (normal, low):
        s.add_point(1, 32, 36, 1)
        s.run_propagation(direction="both")
    assert np.array_equal(normal.labels, low.labels)
    expected = "cpu" if mode == "super-low" else "cuda"
    assert storage_device(state_of(low)).type == expected


def test_cuda_features_on_disk_match_a_fresh_encode(cuda_model, jpeg_folder, tmp_path):
    """bf16-autocast features round-trip the disk store bit for bit."""
    first = Session(jpeg_folder, cuda_model, feature_dir=tmp_path)
    first.add_point(1, 32, 36, 1)
    first.run_propagation()
    first.flush_features()
    second = Session(jpeg_folder, cuda_model, feature_dir=tmp_path)
    second.add_point(1, 32, 36, 1)
    second.run_propagation()
    assert second.features.store.loaded == second.n_frames
    assert np.array_equal(first.labels, second.labels)


def test_compiled_model_agrees_with_the_plain_one(cuda_model, jpeg_folder):
    """sam2's vos_optimized predictor: same masks up to rounding (compiled kernels
    are not bit-identical), so at least 99% of pixels agree."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UntrainedModelWarning)
        compiled = load_model("tiny", untrained=True, image_size=256, device="cuda", compile=True)
    assert compiled.compiled
    plain = Session(jpeg_folder, cuda_model)
    fast = Session(jpeg_folder, compiled)
    for s in (plain, fast):
        s.add_point(1, 32, 36, 1)
        s.run_propagation(direction="both")
    agree = (plain.labels == fast.labels).mean()
    assert agree >= 0.99, agree
