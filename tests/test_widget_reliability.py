"""The annotator under stress: autosave and resume through the panel, impatient
clicking, cancel during export, closing and re-displaying mid-job, running out of
memory. No races, no deadlocks, no lost prompts."""

from __future__ import annotations

import contextlib
import threading
import time
import warnings

import numpy as np
import pytest
from elsewhere import hold, kill
from harness import open_annotator
from waits import wait_until

from sam2_jupyter import AutosaveWarning
from sam2_jupyter.engine.autosave import Autosave
from sam2_jupyter.engine.autosave.codecs import Geometry
from sam2_jupyter.widget.messages import Point, parse_message


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AutosaveWarning)
        yield


def click(a, frame, y, x, label=1):
    a.controller.handle(Point(frame, float(y), float(x), label, True))


def test_reopening_the_data_resumes_and_start_fresh_keeps_the_old(model, video, tmp_path):
    folder = tmp_path / "work"
    a = open_annotator(video, model, autosave=folder)
    try:
        click(a, 2, 30, 30)
        click(a, 2, 60, 90, label=3)
        a.canvas.label = 3
        a.canvas.frame = 2
        a.wait(30)
        labels = a.session.labels
    finally:
        a.close()
    b = open_annotator(video, model, autosave=folder)
    try:
        b.wait(30)
        s = b.session
        assert np.array_equal(s.labels, labels)
        assert len(s.prompts) == 2
        assert (b.canvas.frame, b.canvas.label) == (2, 3)  # the view comes back
        assert "Resumed" in b.controls.status.status.value
        # The object list and timeline have the resumed labels before any edit.
        full = [c for c, _ in b.browser.of("timeline") if c["full"]]
        assert full
        assert full[-1]["labels"] == [1, 3]
        assert b.canvas.next_label == 4
        assert {m["label"] for m in b.canvas.prompts} == {1, 3}  # markers of frame 2
        assert b.controls.status.fresh.layout.display != "none"
        b.controls.status.fresh.click()
        b.wait(30)
        assert b.session.prompts == ()
        assert not b.session.labels.any()
        assert b.controls.status.fresh.layout.display == "none"
        assert b.canvas.label == 1  # the old session's label is not carried over
        assert b.canvas.next_label == 1
        (kept,) = tmp_path.glob("work.old-*")
        assert Autosave.read(kept, Geometry(len(video), video.shape[1:3])).labels.keys() == {2}
    finally:
        b.close()


def test_data_held_by_another_kernel_opens_read_only_and_says_who(model, video, tmp_path):
    """Two tabs of the app, or two notebooks, on one save: the second shows the
    work, saves nothing, and says in red who holds it, after every edit too."""
    folder = tmp_path / "work"
    a = open_annotator(video, model, autosave=folder)
    try:
        click(a, 2, 30, 30)
        a.wait(30)
        labels = a.session.labels
    finally:
        a.close()
    pid = hold(folder)
    b = open_annotator(video, model, autosave=folder)
    try:
        b.wait(30)
        assert np.array_equal(b.session.labels, labels)
        status = b.controls.status.status.value
        assert "Read-only" in status
        assert f"process {pid}" in status
        assert b.controls.status.fresh.layout.display == "none"  # nothing of its own to set aside
        click(b, 5, 60, 90, label=2)  # works in memory; the status still says so
        b.wait(30)
        assert "Read-only" in b.controls.status.status.value
    finally:
        b.close()
        kill(pid)
    saved = Autosave.read(folder, Geometry(len(video), video.shape[1:3]))
    assert [p.frame for p in saved.prompts] == [2]  # the second wrote nothing


def test_a_second_annotator_in_this_kernel_takes_over_and_the_first_says_so(model, video, tmp_path):
    """A re-run cell: the new annotator saves, the old one says in red that it no
    longer does."""
    folder = tmp_path / "work"
    a = open_annotator(video, model, autosave=folder)
    b = None
    try:
        click(a, 2, 30, 30)
        a.wait(30)
        b = open_annotator(video, model, autosave=folder)
        b.wait(30)
        assert [p.frame for p in b.session.prompts] == [2]
        click(a, 4, 30, 30)
        a.wait(30)
        assert "opened again in this kernel" in a.controls.status.status.value
        click(b, 6, 30, 30)
        b.wait(30)
        assert "Read-only" not in b.controls.status.status.value
    finally:
        a.close()
        if b is not None:
            b.close()
    saved = Autosave.read(folder, Geometry(len(video), video.shape[1:3]))
    assert [p.frame for p in saved.prompts] == [2, 6]


def test_a_memory_mode_switch_keeps_hand_edits_and_divisions_with_a_full_disk(
    model, video, tmp_path
):
    """The out-of-memory advice says to switch the memory mode: doing so rebuilds
    the sessions from the work in memory, not from a save the full disk left behind."""
    a = open_annotator(video, model, autosave=tmp_path / "work")
    try:
        click(a, 0, 30, 30)
        a.wait(30)
        s = a.session
        conn = s.autosave.store.conn
        conn.execute(f"PRAGMA max_page_count={conn.execute('PRAGMA page_count').fetchone()[0]}")
        yy, xx = np.ogrid[:96, :128]
        s.paint(4, (yy - 20) ** 2 + (xx - 100) ** 2 < 25, 7, track=False)
        s.set_parent(7, 1)
        click(a, 3, 60, 90, label=2)
        a.wait(30)
        assert "full" in s.autosave.error
        assert "full" in a.controls.status.status.value  # a click does not clear the warning
        before = (s.labels, [p.to_json() for p in s.prompts], dict(s.record.manual))
        a.controller.set_model(model, "low")
        a.wait(30)
        new = a.session
        assert new is not s
        assert new.memory_mode.name == "low"
        assert np.array_equal(new.labels, before[0])
        assert [p.to_json() for p in new.prompts] == before[1]
        assert dict(new.record.manual) == before[2]
        assert new.parents == {7: 1}
    finally:
        a.close()


@pytest.mark.slow
def test_repeated_propagate_presses_run_once(model, video):
    a = open_annotator(np.concatenate([video] * 3), model, autosave=False)
    try:
        click(a, 0, 30, 30)
        a.wait(30)
        runs = []
        original = a.session.propagate

        def counted(*args, **kw):
            runs.append(1)
            return original(*args, **kw)

        a.session.propagate = counted
        for _ in range(5):
            a.controls.propagate.propagate.click()
        assert "already running" in a.canvas.status
        a.wait(120)
        assert len(runs) == 1
        a.controls.propagate.propagate.click()  # after it finished, a new press works
        a.wait(120)
        assert len(runs) == 2
    finally:
        a.close()


@pytest.mark.slow
def test_cancel_during_export_leaves_a_whole_file(model, video, tmp_path):
    a = open_annotator(video, model, autosave=False)
    try:
        click(a, 0, 30, 30)
        a.wait(30)
        a.session.run_propagation()
        a.controls.files.export_path.value = str(tmp_path / "movie")
        a.controls.files.export_overlay.click()
        a.controls.propagate.cancel.click()  # while the export is queued or running
        a.wait(120)
        import imageio.v3 as iio

        frames = iio.imread(tmp_path / "movie.mp4")
        assert len(frames) == len(video)
        assert not list(tmp_path.glob(".*tmp*"))
        # The cancel does not linger: the next propagation runs to the end.
        assert len(a.session.run_propagation()) == len(video)
    finally:
        a.close()


def test_close_during_propagation_stops_promptly_and_keeps_frames(model, video, tmp_path):
    a = open_annotator(np.concatenate([video] * 4), model, autosave=tmp_path / "s")
    click(a, 0, 30, 30)
    a.wait(30)
    a.controls.propagate.propagate.click()
    g = Geometry(4 * len(video), video.shape[1:3])
    wait_until(lambda: len(Autosave.read(tmp_path / "s", g).labels) >= 4, 60, 0.02)
    t0 = time.time()
    a.close()
    assert time.time() - t0 < 10
    saved = sorted(Autosave.read(tmp_path / "s", g).labels)
    assert 4 <= len(saved) < 4 * len(video)
    assert saved == list(range(len(saved)))


@pytest.mark.slow
def test_redisplay_during_propagation_and_clicks_are_not_lost(model, video):
    a = open_annotator(np.concatenate([video] * 3), model, autosave=False)
    try:
        click(a, 0, 30, 30)
        a.wait(30)
        a.controls.propagate.propagate.click()
        wait_until(lambda: a.controls.propagate.progress.value >= 1, 60)
        # A second view renders (another cell, a reloaded page) mid-propagation.
        a.controller.receive({"type": "ready"}, [])
        click(a, 5, 60, 90, label=2)  # queued behind the propagation
        a.wait(120)
        assert [(p.frame, p.label) for p in a.session.prompts] == [(0, 1), (5, 2)]
        assert not a.controller.jobs.worker.pending
    finally:
        a.close()


def test_many_threads_clicking_lose_nothing(model, video):
    a = open_annotator(video, model, autosave=False)
    try:

        def worker(k):
            for j in range(3):
                a.browser.click(k, 20 + 10 * j, 30, label=k + 1)

        threads = [threading.Thread(target=worker, args=(k,)) for k in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        a.wait(120)
        got = sorted((p.frame, p.label, p.y) for p in a.session.prompts)
        assert got == sorted((k, k + 1, 20.0 + 10 * j) for k in range(4) for j in range(3))
    finally:
        a.close()


@pytest.mark.slow
def test_out_of_memory_during_propagation_keeps_the_session(model, video, oom_after, monkeypatch):
    a = open_annotator(video, model, autosave=False)
    try:
        click(a, 0, 30, 30)
        a.wait(30)
        oom_after(a.session.predictor, 4)
        a.controls.propagate.propagate.click()
        a.wait(60)
        monkeypatch.undo()
        status = a.controls.status.status.value
        assert "out of memory" in status
        assert "memory_mode=&#x27;low&#x27;" in status or "memory_mode='low'" in status
        kept = [t for t in range(len(video)) if a.session.label_frame(t).any()]
        assert kept
        assert len(kept) < len(video)
        assert not a.session.busy
        click(a, 3, 60, 90, label=2)  # the session still works
        a.wait(30)
        assert [p.label for p in a.session.prompts] == [1, 2]
        a.controls.propagate.propagate.click()
        a.wait(60)
        assert "done" in a.controls.status.status.value
    finally:
        a.close()


def test_messages_that_name_nothing_change_nothing(model, video):
    a = open_annotator(video, model, autosave=False)
    try:
        click(a, 1, 30, 30)
        a.wait(30)
        before = (a.session.prompts, a.session.labels.copy())
        for content in (
            {"type": "point", "frame": 99, "y": 1, "x": 1, "label": 1},
            {"type": "point", "frame": 1, "y": -5, "x": 1e9, "label": 1},
            {"type": "point", "frame": 1, "y": 1, "x": 1, "label": 0},
            {"type": "box", "frame": 1, "y0": 5, "x0": 5, "y1": 5, "x1": 5, "label": 1},
            {"type": "remove", "frame": 1, "y": 90, "x": 120},
            {"type": "teleport"},
            {"type": "point", "frame": "1", "y": None, "x": [], "label": {}},
        ):
            a.controller.receive(content, [])
            a.wait(30)
            assert a.canvas.status  # each is answered with a sentence
        assert a.session.prompts == before[0]
        assert np.array_equal(a.session.labels, before[1])
        a.controller.receive({"type": "ack", "seqs": [1]}, [b"x" * (65 << 20)])
        assert "too large" in a.canvas.status
    finally:
        a.close()


@pytest.mark.slow  # 300 examples
def test_parse_message_never_raises_anything_else():
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from sam2_jupyter.widget.messages import MessageError

    values = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-(2**70), 2**70),
        st.floats(allow_nan=True, allow_infinity=True),
        st.text(max_size=5),
        st.lists(st.integers(), max_size=3),
    )
    kinds = st.sampled_from(["point", "box", "remove", "undo", "ack", "ready", "x", ""])

    @settings(max_examples=300, deadline=None)
    @given(
        kinds,
        st.dictionaries(
            st.sampled_from(
                ["frame", "y", "x", "label", "y0", "x0", "y1", "x1", "seq", "positive", "tolerance"]
            ),
            values,
        ),
    )
    def check(kind, fields):
        with contextlib.suppress(MessageError):
            parse_message({"type": kind, **fields})

    check()


@pytest.mark.slow
def test_two_annotators_propagating_at_once_match_one_at_a_time(model, video):
    """Two annotators share the model, each on its own worker thread: running both
    propagations at the same time gives what each gives alone."""
    clips = [video, video[::-1].copy()]
    alone = []
    for clip in clips:
        s = open_annotator(clip, model, autosave=False)
        try:
            click(s, 0, 30, 30)
            s.wait(30)
            s.session.run_propagation()
            alone.append(s.session.labels)
        finally:
            s.close()
    both = [open_annotator(clip, model, autosave=False) for clip in clips]
    try:
        for a in both:
            click(a, 0, 30, 30)
            a.wait(30)
        for a in both:
            a.controls.propagate.propagate.click()
        for a in both:
            a.wait(120)
        for a, expected in zip(both, alone, strict=True):
            assert "done" in a.controls.status.status.value
            assert np.array_equal(a.session.labels, expected)
    finally:
        for a in both:
            a.close()
