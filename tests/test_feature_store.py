"""Image features on disk: a second session on the same data (a reopened notebook)
runs the image encoder zero times, and its masks still equal sam2 driven directly."""

from __future__ import annotations

import os

import numpy as np
import pytest
import torch
from sam2_state import assert_same_outputs, ref_click, ref_propagate, reference_state, state_of

from sam2_jupyter import Session, open_stack
from sam2_jupyter.engine.features import keys as feature_keys
from sam2_jupyter.engine.features import store as feature_store
from sam2_jupyter.engine.features.store import FeatureStore, frame_digest, weights_digest


def _entries(root):
    return sorted(p.name for p in root.glob("*/*.zarr"))


@pytest.mark.slow
def test_reopened_data_skips_the_encoder_and_matches_sam2(
    model, jpeg_folder, tmp_path, encoder_calls
):
    first = Session(jpeg_folder, model, feature_dir=tmp_path)
    first.add_point(0, 32, 36, 1)
    first.run_propagation()
    first.flush_features()
    n = first.n_frames
    assert len(encoder_calls) == n
    assert len(_entries(tmp_path)) == n
    assert not list(tmp_path.glob("*/.tmp-*"))  # no half-written entries left

    ref = reference_state(model, jpeg_folder)
    expected_click = ref_click(model, ref, 0, 32, 36, 1)
    expected = ref_propagate(model, ref)  # sam2 itself uses the same (counted) encoder
    encoder_calls.clear()
    second = Session(jpeg_folder, model, feature_dir=tmp_path)
    assert np.array_equal(second.add_point(0, 32, 36, 1), expected_click)
    ours = dict(second.propagate())
    assert encoder_calls == []
    assert second.features.store.loaded == n
    for t in expected:
        assert np.array_equal(ours[t], expected[t])
    assert_same_outputs(state_of(second), ref)


def test_loaded_features_are_bit_identical(model, jpeg_folder, tmp_path):
    s = Session(jpeg_folder, model, feature_dir=tmp_path)
    assert s.precompute_frame(3)
    s.flush_features()
    computed = s.features.get(3)
    loaded = s.features.store.load(3)
    for key in ("backbone_fpn", "vision_pos_enc"):
        for a, b in zip(computed[1][key], loaded[1][key], strict=True):
            assert a.dtype == b.dtype
            assert torch.equal(a, b)
            assert a.stride() == b.stride()  # channels-last kept: kernels round by layout
    assert torch.equal(computed[1]["vision_features"], loaded[1]["vision_features"])
    assert torch.equal(computed[0], loaded[0])


def test_bfloat16_round_trips(tmp_path):
    t = torch.randn(1, 4, 5, 6).to(torch.bfloat16)
    pixels = torch.zeros(3, 8, 8, dtype=torch.uint8)
    store = FeatureStore(tmp_path, "m", lambda _: pixels, lambda _: t, torch.device("cpu"))
    value = (t, {"backbone_fpn": [t.float(), t], "vision_pos_enc": [t, t], "vision_features": t})
    store.save(0, value)
    store.flush()
    _, out = store.load(0)
    assert out["backbone_fpn"][1].dtype == torch.bfloat16
    assert torch.equal(out["backbone_fpn"][1], t)
    assert out["backbone_fpn"][0].dtype == torch.float32


def test_key_follows_pixels_not_files(model, jpeg_folder, tmp_path, encoder_calls):
    """The same pixels from another container hit; other contrast limits miss."""
    s = Session(jpeg_folder, model, feature_dir=tmp_path)
    s.precompute_frame(0)
    s.flush_features()
    as_array = np.stack([s.stack.display_frame(t) for t in range(s.n_frames)])
    encoder_calls.clear()
    same = Session(as_array, model, feature_dir=tmp_path)
    assert same.precompute_frame(0)
    assert encoder_calls == []
    brighter = Session(open_stack(as_array, contrast_limits=(0, 128)), model, feature_dir=tmp_path)
    brighter.precompute_frame(0)
    assert len(encoder_calls) == 1


def test_other_weights_use_another_folder(model):
    digest = weights_digest(model.predictor)
    p = next(model.predictor.image_encoder.parameters())
    with torch.no_grad():
        saved = p.clone()
        p.add_(1.0)
        try:
            feature_keys._digests.pop(model.predictor, None)
            assert weights_digest(model.predictor) != digest
        finally:
            p.copy_(saved)
            feature_keys._digests.pop(model.predictor, None)
    assert weights_digest(model.predictor) == digest


def test_damaged_entry_is_recomputed_not_loaded(model, jpeg_folder, tmp_path, encoder_calls):
    s = Session(jpeg_folder, model, feature_dir=tmp_path)
    s.precompute_frame(2)
    s.flush_features()
    (entry,) = tmp_path.glob("*/*.zarr")
    chunk = next(p for p in (entry / "a0" / "c").rglob("*") if p.is_file())
    chunk.write_bytes(chunk.read_bytes()[:10])  # truncated by a crash or a full disk
    encoder_calls.clear()
    again = Session(jpeg_folder, model, feature_dir=tmp_path)
    again.add_point(2, 30, 30, 1)
    assert len(encoder_calls) == 1
    assert again.features.store.errors  # reported, then recomputed and rewritten
    again.flush_features()
    assert again.features.store.load(2) is not None


@pytest.mark.slow
def test_low_memory_mode_with_disk_keeps_one_frame_in_memory(
    model, jpeg_folder, tmp_path, encoder_calls
):
    warm = Session(jpeg_folder, model, feature_dir=tmp_path)
    for t in range(warm.n_frames):
        warm.precompute_frame(t)
    warm.flush_features()
    encoder_calls.clear()
    low = Session(jpeg_folder, model, memory_mode="low", feature_dir=tmp_path)
    normal = Session(jpeg_folder, model, feature_cache=0)
    for s in (low, normal):
        s.add_point(0, 32, 36, 1)
        s.run_propagation()
    assert np.array_equal(low.labels, normal.labels)
    assert len(low.features) == 1
    assert len(encoder_calls) == normal.n_frames  # only the session without the store


def test_precompute_beyond_memory_goes_to_disk_only(model, jpeg_folder, tmp_path):
    probe = Session(jpeg_folder, model)
    probe.precompute_frame(0)
    per_frame = probe.features.nbytes
    s = Session(jpeg_folder, model, feature_cache=int(per_frame * 2.5), feature_dir=tmp_path)
    done = 0
    while order := s.precompute_order(center=0):
        assert s.precompute_frame(order[0])
        done += 1
    s.flush_features()
    assert done == s.n_frames
    assert len(s.features) == 2
    assert sorted(t for t, _ in s.features.items()) == [0, 1]  # nearest to the view kept
    assert s.features_ready() == s.n_frames
    assert len(_entries(tmp_path)) == s.n_frames


def test_store_is_trimmed_to_its_size_least_recent_first(model, jpeg_folder, tmp_path):
    s = Session(jpeg_folder, model, feature_dir=tmp_path)
    s.precompute_frame(0)
    s.flush_features()
    store = s.features.store
    one = feature_store._size(store._path(0))
    store.max_bytes = int(store.nbytes() + one * 1.5)  # positions + 2.5 frames
    old = store._path(0)
    os.utime(old, (1, 1))  # the oldest
    for t in (1, 2, 3):
        s.precompute_frame(t)
    s.flush_features()
    assert store.nbytes() <= store.max_bytes
    assert not old.exists()
    assert store._path(3).exists()


def test_frame_digest_sees_every_pixel():
    a = torch.zeros(3, 16, 16, dtype=torch.uint8)
    b = a.clone()
    b[2, 15, 15] = 1
    assert frame_digest(a) != frame_digest(b)
    assert frame_digest(a) == frame_digest(a.clone())
