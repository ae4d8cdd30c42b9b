"""Correction clicks reuse the memory-conditioned features propagation computed,
only while the memory bank they read is unchanged; every mask and logit equals
computing afresh (a twin session with the cache off, driven the same way)."""

from __future__ import annotations

import numpy as np
import pytest
from sam2_state import assert_same_outputs, state_of

from sam2_jupyter import Session

FIX = 6


class Twins:
    """The same edits on a session with the cache and one without."""

    def __init__(self, video, model, **kwargs):
        self.cached = Session(video, model, **kwargs)
        self.plain = Session(video, model, **{**kwargs, "correction_cache": None})

    def __call__(self, name, *args, **kwargs):
        a = getattr(self.cached, name)(*args, **kwargs)
        b = getattr(self.plain, name)(*args, **kwargs)
        if isinstance(a, np.ndarray):
            assert np.array_equal(a, b)
        return a

    def counts(self):
        c = self.cached.corrections
        return c.hits, c.misses

    def click(self, frame, y, x, label=1, positive=True):
        before = self.counts()
        self("add_point", frame, y, x, label, positive=positive)
        assert np.array_equal(self.cached.labels, self.plain.labels)
        assert_same_outputs(state_of(self.cached), state_of(self.plain))
        hits, misses = self.counts()
        return "hit" if hits > before[0] else "miss" if misses > before[1] else "none"


@pytest.fixture
def twins(video, model):
    t = Twins(video, model)
    t("add_point", 0, 30, 30, 1)
    t("add_point", 0, 65, 95, 2)
    t("run_propagation")
    return t


def test_a_correction_click_reuses_propagation_and_a_second_click_the_first(twins):
    assert len(twins.cached.corrections) == 2 * 9  # frames 1..9 of both objects
    assert twins.click(FIX, 40, 40) == "hit"
    assert twins.click(FIX, 80, 110, positive=False) == "hit"
    assert twins.click(FIX, 70, 100, label=2) == "hit"
    assert twins.click(0, 30, 40) == "miss"  # a prompted frame was never tracked over
    assert twins.click(0, 32, 42) == "hit"  # ... but the first click there is kept


def test_a_new_conditioning_frame_anywhere_misses(twins):
    twins("add_point", 2, 40, 40, 1)  # a correction, not yet in the memory bank
    assert twins.click(FIX, 40, 40) == "hit"
    twins("run_propagation", start=2, stop=2)  # now it is (and object 2 is retracked there)
    assert twins.click(1, 40, 40) == "miss"  # object 1: a conditioning frame was added
    assert twins.click(1, 70, 100, label=2) == "hit"  # object 2's bank before frame 1 is as it was


def test_a_changed_neighbour_misses(twins):
    twins("run_propagation", start=3, stop=5)  # new outputs on frames 3..5
    assert twins.click(FIX, 40, 40) == "miss"  # it reads them
    assert twins.click(2, 40, 40) == "hit"  # it reads only frames 0..1


def test_undo_and_redo_of_a_propagation(twins):
    twins("run_propagation")  # new tensors on every tracked frame
    twins("undo")
    twins("redo")
    assert twins.click(FIX, 40, 40) == "hit"  # the second propagation's bank, restored
    twins("undo")  # the click
    twins("undo")  # the second propagation
    assert twins.click(FIX, 40, 40) == "miss"  # the first propagation's bank


@pytest.mark.slow
def test_low_memory_releases_miss(video, model):
    t = Twins(video, model, memory_mode="low")
    for s in (t.cached, t.plain):
        s._propagator.window = 2  # release as a long video would
    t("add_point", 0, 30, 30, 1)
    t("run_propagation")
    assert t.click(FIX, 40, 40) == "miss"  # its neighbours were released
    assert t.click(2, 40, 40) == "hit"  # those near a prompted frame are kept


@pytest.mark.slow
def test_the_budget_is_respected_and_disk_takes_the_rest(video, model, tmp_path):
    s = Session(video, model, correction_cache=1)
    s.add_point(0, 30, 30, 1)
    s.run_propagation()
    assert len(s.corrections) == 1  # only the newest entry stays
    entry = s.corrections.nbytes
    spill = Twins(video, model, correction_cache=3 * entry, feature_dir=tmp_path)
    spill("add_point", 0, 30, 30, 1)
    spill("run_propagation")
    c = spill.cached.corrections
    assert c.nbytes <= 3 * entry
    assert c.disk_bytes == 6 * entry
    assert len(list((tmp_path / "corrections").rglob("*.pt"))) == 6
    assert spill.click(2, 40, 40) == "hit"  # read back from disk, identical
    assert c.nbytes <= 3 * entry
    folder = c._spill
    del spill, c
    import gc

    gc.collect()
    assert not folder.exists()  # removed with the session


def test_bad_budget_is_refused(video, model):
    with pytest.raises(ValueError, match="correction_cache"):
        Session(video, model, correction_cache="lots")
