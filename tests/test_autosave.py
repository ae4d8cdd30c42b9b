"""Autosave and resume: the session folder always holds what was shown, written
incrementally and atomically; reopening the data brings the work back, and a kernel
killed with SIGKILL during propagation loses at most the frame in flight."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
import warnings

import numpy as np
import pytest
import tifffile
from conftest import IMAGE_SIZE, moving_discs
from sam2_state import assert_same_outputs

from sam2_jupyter import AutosaveWarning, Session
from sam2_jupyter.engine.autosave import codecs as codecs_mod
from sam2_jupyter.engine.autosave import folder as folder_mod
from sam2_jupyter.engine.autosave import sam2_state as sam2_mod


@pytest.fixture(autouse=True)
def _quiet_autosave_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AutosaveWarning)
        yield


def same(a, b):
    """Prompts compare equal (their unused coordinates are NaN, which never does)."""
    return [p.to_json() for p in a] == [p.to_json() for p in b]


def label_files(folder):
    return sorted(int(p.stem) for p in (folder / "labels").glob("*.zlib"))


def test_each_edit_rewrites_only_what_changed(model, video, tmp_path):
    s = Session(video, model, autosave=tmp_path / "s")
    folder = tmp_path / "s"
    s.add_point(2, 30, 30, 1)
    assert label_files(folder) == [2]
    before = (folder / "labels" / "2.zlib").stat().st_mtime_ns
    time.sleep(0.01)
    s.add_point(5, 60, 90, 2)
    assert label_files(folder) == [2, 5]
    assert (folder / "labels" / "2.zlib").stat().st_mtime_ns == before  # not rewritten
    saved = json.loads((folder / "prompts.json").read_text())
    assert [(p["frame"], p["label"]) for p in saved["prompts"]] == [(2, 1), (5, 2)]
    s.undo()
    assert label_files(folder) == [2]
    assert not list(folder.rglob("*.tmp"))


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
    with warnings.catch_warnings():
        warnings.simplefilter("error", AutosaveWarning)  # a plain resume is not a warning
        b = Session(video, model, autosave=folder)
    assert b.resumed is not None
    assert any("resumed" in n for n in b.notes)
    assert same(b.prompts, a.prompts)
    assert same(b.pending, a.pending)
    assert np.array_equal(b.labels, a.labels)
    assert assert_same_outputs(b._state, a._state) > 0
    assert b.run_propagation() == a.run_propagation()
    assert np.array_equal(b.labels, a.labels)


def test_resume_shows_propagated_labels_and_view(model, video, tmp_path):
    folder = tmp_path / "s"
    a = Session(video, model, autosave=folder)
    a.add_point(1, 30, 30, 1)
    a.run_propagation(direction="both")
    a.autosave.set_view(frame=7, label=4)
    b = Session(video, model, autosave=folder)
    assert np.array_equal(b.labels, a.labels)
    assert len(b.labels.nonzero()[0]) > 0
    assert b.resumed.view == {"frame": 7, "label": 4}
    b.add_point(4, 60, 90, 2)  # and work goes on, saved again
    c = Session(video, model, autosave=folder)
    assert np.array_equal(c.labels, b.labels)


def test_save_for_other_data_is_kept_aside_not_resumed(model, video, tmp_path):
    folder = tmp_path / "s"
    Session(video, model, autosave=folder).add_point(1, 30, 30, 1)
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
    Session(video, model, autosave=folder).add_point(1, 30, 30, 1)
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
    assert s.prompts == ()
    assert label_files(folder) == []
    s.undo()
    assert label_files(folder) == [1]


def test_damaged_frame_is_skipped_and_named(model, video, tmp_path):
    folder = tmp_path / "s"
    a = Session(video, model, autosave=folder)
    a.add_point(1, 30, 30, 1)
    a.add_point(4, 60, 90, 2)
    (folder / "labels" / "4.zlib").write_bytes(b"garbage")
    with pytest.warns(AutosaveWarning, match=r"4\.zlib"):
        b = Session(video, model, autosave=folder)
    assert np.array_equal(b.label_frame(1), a.label_frame(1))
    assert same(b.prompts, a.prompts)  # its prompts survive; propagation restores the frame


def test_unreadable_prompts_file_is_kept_aside(model, video, tmp_path):
    folder = tmp_path / "s"
    Session(video, model, autosave=folder).add_point(1, 30, 30, 1)
    (folder / "prompts.json").write_text("{not json")
    with pytest.warns(AutosaveWarning, match="unreadable"):
        s = Session(video, model, autosave=folder)
    assert s.prompts == ()
    (aside,) = tmp_path.glob("s.old-*")
    assert (aside / "prompts.json").read_text() == "{not json"


def test_failing_disk_never_interrupts_work(model, video, tmp_path, monkeypatch):
    s = Session(video, model, autosave=tmp_path / "s")

    def full_disk(path, data):
        raise OSError(28, "No space left on device")

    for mod in (codecs_mod, folder_mod, sam2_mod):
        monkeypatch.setattr(mod, "write_atomic", full_disk)
    labels = s.add_point(1, 30, 30, 1)
    assert labels.any()
    assert "No space left" in s.autosave.error
    monkeypatch.undo()
    s.add_point(2, 30, 30, 1)  # the disk is back: everything is written again
    assert s.autosave.error is None
    assert label_files(tmp_path / "s") == [1, 2]


def test_default_folder_beside_the_file_else_per_user(model, video, tmp_path, monkeypatch):
    path = tmp_path / "movie.tif"
    tifffile.imwrite(path, video, photometric="rgb")
    s = Session(path, model, autosave=True)
    assert s.autosave.folder == tmp_path / "movie.tif.sam2"
    monkeypatch.setenv(folder_mod.ENV_SESSION_DIR, str(tmp_path / "per-user"))
    a = Session(video, model, autosave=True)
    assert a.autosave.folder.parent == tmp_path / "per-user"
    assert Session(video, model, autosave=True).autosave.folder == a.autosave.folder


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
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UntrainedModelWarning)
        other = load_model("tiny", untrained=True, image_size=IMAGE_SIZE, device="cpu", seed=1)
    with pytest.warns(AutosaveWarning, match="segmented again"):
        b = Session(video, other, autosave=folder)
    fresh = Session(video, other)
    assert np.array_equal(b.label_frame(1), fresh.add_point(1, 30, 30, 1))
    for t in range(2, len(video)):  # propagated frames are kept until propagated again
        assert np.array_equal(b.label_frame(t), a.label_frame(t))
