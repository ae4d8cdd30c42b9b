"""Autosave and resume: the session folder always holds what was shown, written
incrementally, one transaction per edit; reopening the data brings the work back,
and a kernel killed with SIGKILL during propagation loses at most the frame in
flight. (Kill points inside an edit, damage, the lock and migration: test_store.)"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
import warnings

import numpy as np
import pytest
import tifffile
from conftest import IMAGE_SIZE, moving_discs
from sam2_state import assert_same_outputs, state_of
from waits import wait_until

from sam2_jupyter import AutosaveWarning, Session
from sam2_jupyter.engine.autosave import where as where_mod
from sam2_jupyter.engine.autosave.store import STORE_NAME


@pytest.fixture(autouse=True)
def _quiet_autosave_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AutosaveWarning)
        yield


def same(a, b):
    """Prompts compare equal (their unused coordinates are NaN, which never does)."""
    return [p.to_json() for p in a] == [p.to_json() for p in b]


def rows(folder, kind):
    """The keys of one kind of row in a session folder's store, read as another
    process would (committed rows only)."""
    conn = sqlite3.connect(f"file:{folder / 'session.sqlite'}?mode=ro", uri=True)
    try:
        return [k for (k,) in conn.execute("SELECT key FROM items WHERE kind=?", (kind,))]
    finally:
        conn.close()


def label_files(folder):
    return sorted(int(k) for k in rows(folder, "labels"))


def test_each_edit_rewrites_only_what_changed(model, video, tmp_path):
    s = Session(video, model, autosave=tmp_path / "s")
    folder = tmp_path / "s"
    s.add_point(2, 30, 30, 1)
    assert label_files(folder) == [2]
    written = []
    s.autosave.store.conn.set_trace_callback(written.append)
    s.add_point(5, 60, 90, 2)
    assert label_files(folder) == [2, 5]
    changed = [w for w in written if w.startswith("INSERT")]
    assert any("'labels', '5'" in w for w in changed)
    assert not any("'labels', '2'" in w for w in changed)  # not rewritten
    assert sum("'prompts'" in w for w in changed) == 1  # the new prompt only
    assert [w for w in written if w in ("BEGIN IMMEDIATE", "COMMIT")] == [
        "BEGIN IMMEDIATE",
        "COMMIT",
    ]  # one transaction
    assert rows(folder, "prompts") == ["p0000000", "p0000001"]
    s.undo()
    assert label_files(folder) == [2]


@pytest.mark.slow
def test_resume_rebuilds_prompt_state_exactly(model, video, tmp_path):
    """Clicks, a batch, a box and a removal: the resumed session's SAM2 state equals
    the original's, so propagating from either gives the same masks."""
    folder = tmp_path / "s"
    a = Session(video, model, autosave=folder)
    a.add_point(0, 30, 30, 1)
    a.add_point(0, 40, 36, 1, positive=False)
    a.add_box(3, 50, 80, 80, 110, 2)
    a.auto_segment = False
    a.add_point(3, 70, 95, 2)
    a.add_point(6, 20, 20, 3)
    a.segment()
    a.add_point(8, 10, 10, 3)  # left pending
    a.auto_segment = True
    a.remove_prompt(0, 40, 36)
    a.close()
    with warnings.catch_warnings():
        warnings.simplefilter("error", AutosaveWarning)  # a plain resume is not a warning
        b = Session(video, model, autosave=folder)
    assert b.resumed is not None
    assert any("resumed" in n for n in b.notes)
    assert same(b.prompts, a.prompts)
    assert same(b.pending, a.pending)
    assert np.array_equal(b.labels, a.labels)
    assert assert_same_outputs(state_of(b), state_of(a)) > 0
    assert b.run_propagation() == a.run_propagation()
    assert np.array_equal(b.labels, a.labels)


def test_the_view_is_written_soon_after_it_changes_once_per_period(model, video, tmp_path):
    """Stepping through frames writes the view at most once per ``view_delay``, off
    the caller's thread, so a kill loses only the last moments of where you looked."""
    folder = tmp_path / "s"
    s = Session(video, model, autosave=folder)
    s.add_point(1, 30, 30, 1)
    s.autosave.view_delay = 0.2
    writes = []
    write_meta = s.autosave._write_meta
    s.autosave._write_meta = lambda: (writes.append(threading.get_ident()), write_meta())

    def view_on_disk():
        with sqlite3.connect(folder / STORE_NAME) as conn:
            row = conn.execute("SELECT data FROM items WHERE kind='meta' AND key='view'")
            return json.loads(row.fetchone()[0])

    for t in range(8):  # stepping: no write waits for the disk
        s.autosave.set_view(t, 1)
    assert writes == []
    assert wait_until(lambda: view_on_disk() == {"frame": 7, "label": 1}, timeout=10)
    assert len(writes) == 1
    assert writes[0] != threading.get_ident()
    s.autosave.set_view(3, 1)
    s.autosave.set_view(3, 1)
    wait_until(lambda: view_on_disk() == {"frame": 3, "label": 1}, timeout=10)
    assert len(writes) == 2
    s.close()  # nothing new to write: no third
    assert len(writes) == 2


def test_resume_shows_propagated_labels_and_view(model, video, tmp_path):
    folder = tmp_path / "s"
    a = Session(video, model, autosave=folder)
    a.add_point(1, 30, 30, 1)
    a.run_propagation(direction="both")
    a.autosave.set_view(frame=7, label=4)
    a.close()
    b = Session(video, model, autosave=folder)
    assert np.array_equal(b.labels, a.labels)
    assert len(b.labels.nonzero()[0]) > 0
    assert b.resumed.view == {"frame": 7, "label": 4}
    b.add_point(4, 60, 90, 2)  # and work goes on, saved again
    b.close()
    c = Session(video, model, autosave=folder)
    assert np.array_equal(c.labels, b.labels)


def test_save_for_other_data_is_kept_aside_not_resumed(model, video, tmp_path):
    folder = tmp_path / "s"
    with Session(video, model, autosave=folder) as a:
        a.add_point(1, 30, 30, 1)
    other = video.copy()
    other[5] = 255 - other[5]  # a frame the fingerprint samples changed
    with pytest.warns(AutosaveWarning, match="other data .*digest"):
        s = Session(other, model, autosave=folder)
    assert s.resumed is None
    assert s.prompts == ()
    (aside,) = tmp_path.glob("s.old-*")
    assert label_files(aside) == [1]  # the earlier work is intact


def test_resume_false_sets_the_old_save_aside(model, video, tmp_path):
    folder = tmp_path / "s"
    with Session(video, model, autosave=folder) as a:
        a.add_point(1, 30, 30, 1)
    s = Session(video, model, autosave=folder, resume=False)
    assert s.prompts == ()
    assert len(list(tmp_path.glob("s.old-*"))) == 1
    assert label_files(folder) == []


def test_discard_autosave_keeps_the_old_folder_and_can_be_undone(model, video, tmp_path):
    folder = tmp_path / "s"
    s = Session(video, model, autosave=folder)
    s.add_point(1, 30, 30, 1)
    moved = s.discard_autosave()
    assert label_files(moved) == [1]
    assert Session(video, model, autosave=moved).prompts  # the moved save opens
    assert s.prompts == ()
    assert label_files(folder) == []
    s.undo()
    assert label_files(folder) == [1]


def test_failing_disk_never_interrupts_work(model, video, tmp_path):
    """A full disk (SQLite's own "database or disk is full", from a page limit):
    the edit goes on in memory, the warning stays until a save succeeds, and then
    everything missing is written."""
    s = Session(video, model, autosave=tmp_path / "s")
    s.add_point(1, 30, 30, 1)
    conn = s.autosave.store.conn
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    conn.execute(f"PRAGMA max_page_count={pages}")
    labels = s.add_point(2, 60, 90, 2)
    assert labels.any()
    assert "full" in s.autosave.error
    s.autosave.set_view(2, 2)  # a small write that may fit: the store is still behind
    s.add_point(3, 30, 30, 1)
    assert "full" in s.autosave.error
    conn.execute("PRAGMA max_page_count=1073741823")  # the disk is back
    s.add_point(4, 30, 30, 1)
    assert s.autosave.error is None
    assert label_files(tmp_path / "s") == [1, 2, 3, 4]
    s.close()
    assert same(Session(video, model, autosave=tmp_path / "s").prompts, s.prompts)


def test_default_folder_beside_the_file_else_per_user(model, video, tmp_path, monkeypatch):
    path = tmp_path / "movie.tif"
    tifffile.imwrite(path, video, photometric="rgb")
    s = Session(path, model, autosave=True)
    assert s.autosave.folder == tmp_path / "movie.tif.sam2"
    monkeypatch.setenv(where_mod.ENV_SESSION_DIR, str(tmp_path / "per-user"))
    a = Session(video, model, autosave=True)
    mine = a.autosave.folder
    assert mine.parent == tmp_path / "per-user"
    a.close()
    assert Session(video, model, autosave=True).autosave.folder == mine


CHILD = """
import sys, warnings
import numpy as np
warnings.simplefilter("ignore")
from sam2_jupyter import Session, load_model
model = load_model("tiny", untrained=True, image_size={size}, device="cpu", seed=0)
s = Session(np.load(sys.argv[1]), model, autosave=sys.argv[2])
s.add_point(0, 30, 30, 1)
print("ready", flush=True)
for t, _ in s.propagate():
    print(t, flush=True)
"""


@pytest.mark.slow
def test_sigkill_during_propagation_loses_at_most_the_frame_in_flight(model, tmp_path):
    frames = moving_discs(24)
    np.save(tmp_path / "video.npy", frames)
    folder = tmp_path / "session"
    child = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(CHILD.format(size=IMAGE_SIZE)),
            str(tmp_path / "video.npy"),
            str(folder),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    done = []
    try:
        assert child.stdout.readline().strip() == "ready"
        while len(done) < 6:
            done.append(int(child.stdout.readline()))
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.kill()
        child.wait(30)
    assert child.returncode == -signal.SIGKILL
    reference = Session(frames, model)
    reference.add_point(0, 30, 30, 1)
    expected = dict(reference.propagate())
    resumed = Session(frames, model, autosave=folder)
    saved = resumed.labels
    kept = [t for t in range(len(frames)) if saved[t].any()]
    assert set(done) <= set(kept)  # everything reported finished is there
    assert kept == list(range(len(kept)))  # a prefix: nothing torn in between
    assert len(kept) < len(frames)  # it really was killed mid-propagation
    for t in kept:
        assert np.array_equal(saved[t], expected[t]), t
    assert same(resumed.prompts, reference.prompts)


def test_resume_with_another_model_resegments_prompted_frames(model, video, tmp_path):
    from sam2_jupyter.models import UntrainedModelWarning, load_model

    folder = tmp_path / "s"
    a = Session(video, model, autosave=folder)
    a.add_point(1, 30, 30, 1)
    a.run_propagation()
    a.close()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UntrainedModelWarning)
        other = load_model("tiny", untrained=True, image_size=IMAGE_SIZE, device="cpu", seed=1)
    with pytest.warns(AutosaveWarning, match="segmented again"):
        b = Session(video, other, autosave=folder)
    fresh = Session(video, other)
    assert np.array_equal(b.label_frame(1), fresh.add_point(1, 30, 30, 1))
    for t in range(2, len(video)):  # propagated frames are kept until propagated again
        assert np.array_equal(b.label_frame(t), a.label_frame(t))


def test_resuming_rewrites_none_of_sam2s_state(model, video, tmp_path):
    """SAM2's entries can run to hundreds of MB (a field of nuclei at 1024 px): a
    resume adopts the rows it read instead of writing them all again."""
    folder = tmp_path / "s"
    with Session(video, model, autosave=folder) as a:
        a.add_point(0, 30, 30, 1)
        a.add_point(0, 60, 90, 2)
        a.add_point(3, 40, 40, 1, positive=False)

    def entries():
        conn = sqlite3.connect(f"file:{folder / 'session.sqlite'}?mode=ro", uri=True)
        try:
            query = "SELECT key, rowid FROM items WHERE kind='sam2' AND key NOT IN ('index')"
            return dict(conn.execute(query).fetchall())
        finally:
            conn.close()

    before = entries()
    assert len(before) >= 4
    b = Session(video, model, autosave=folder)
    assert b.resumed is not None
    assert entries() == before  # the same rows, not deleted and inserted again
