"""The image-feature cache: re-propagation and clicks on visited frames skip the
image encoder, within a byte budget, and masks stay bit-identical."""

from __future__ import annotations

import numpy as np
import pytest
from sam2_state import assert_same_outputs, ref_click, ref_propagate, reference_state, state_of

from sam2_jupyter import Session


@pytest.mark.slow
def test_repropagation_skips_the_encoder_and_matches_sam2(model, jpeg_folder, encoder_calls):
    s = Session(jpeg_folder, model)
    ref = reference_state(model, jpeg_folder)
    assert s.features is not None
    s.add_point(0, 32, 36, 1)
    ref_click(model, ref, 0, 32, 36, 1)
    s.run_propagation()
    ref_propagate(model, ref)
    n = s.n_frames
    assert len(s.features) == n
    encoder_calls.clear()
    # Re-prompt on a visited frame, then re-propagate: no image-encoder pass at all.
    ours = s.add_point(4, 60, 90, 2)
    assert encoder_calls == []
    assert np.array_equal(ours, ref_click(model, ref, 4, 60, 90, 2))
    encoder_calls.clear()
    again = dict(s.propagate())
    assert encoder_calls == []
    expected = ref_propagate(model, ref)
    for t in expected:
        assert np.array_equal(again[t], expected[t])
    assert_same_outputs(state_of(s), ref)


def test_budget_bounds_the_cache(model, jpeg_folder, encoder_calls):
    probe = Session(jpeg_folder, model)
    probe.add_point(0, 32, 36, 1)
    per_frame = probe.features.nbytes
    s = Session(jpeg_folder, model, feature_cache=int(per_frame * 2.5))
    s.add_point(0, 32, 36, 1)
    s.run_propagation()
    assert len(s.features) == 2
    assert s.features.nbytes <= per_frame * 2.5
    # The two most recent frames are kept: clicking there needs no encoder pass.
    encoder_calls.clear()
    s.add_point(s.n_frames - 1, 40, 40, 1)
    assert encoder_calls == []
    s.add_point(0, 40, 40, 1)
    assert encoder_calls == [1]


def test_cache_off_and_low_modes_keep_one_frame(model, jpeg_folder):
    assert Session(jpeg_folder, model, feature_cache=None).features is None
    assert Session(jpeg_folder, model, memory_mode="low").features is None
    s = Session(jpeg_folder, model, memory_mode="low", feature_cache=10**9)
    s.add_point(0, 32, 36, 1)
    s.run_propagation()
    assert len(s.features) == s.n_frames


@pytest.mark.slow
def test_precomputed_features_equal_sam2s_and_serve_propagation(model, jpeg_folder, encoder_calls):
    s = Session(jpeg_folder, model)
    order = s.precompute_order(center=4)
    assert order[:3] == [4, 3, 5]
    assert sorted(order) == list(range(s.n_frames))
    for t in order:
        assert s.precompute_frame(t)
    assert not s.precompute_frame(4)  # already cached
    assert s.precompute_order() == []
    ref = reference_state(model, jpeg_folder)  # sam2 encodes frame 0 here
    encoder_calls.clear()
    ours = s.add_point(2, 32, 36, 1)
    ours_frames = dict(s.propagate())
    calls_ours = len(encoder_calls)
    assert np.array_equal(ours, ref_click(model, ref, 2, 32, 36, 1))
    expected = ref_propagate(model, ref)
    for t in expected:
        assert np.array_equal(ours_frames[t], expected[t])
    assert_same_outputs(state_of(s), ref)
    assert calls_ours == 0


def test_precompute_stops_at_the_budget(model, jpeg_folder):
    probe = Session(jpeg_folder, model)
    probe.precompute_frame(0)
    per_frame = probe.features.nbytes
    s = Session(jpeg_folder, model, feature_cache=int(per_frame * 3.5))
    done = [t for t in s.precompute_order(center=5) if s.precompute_frame(t)]
    assert done == [5, 4, 6]
    assert len(s.features) == 3
