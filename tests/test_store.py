"""The session store: every edit is one transaction (a kill anywhere reopens to the
state before or after it), one writer at a time, damage contained and named, old
folder saves moved in once, and rebuilding a Session keeps the work in memory."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import warnings
import zlib
from pathlib import Path

import numpy as np
import pytest
import torch
from elsewhere import hold, kill
from sam2_state import assert_same_outputs, state_of

from sam2_jupyter import AutosaveWarning, Session
from sam2_jupyter.engine.autosave import STORE_NAME, Autosave, SaveLockedError
from sam2_jupyter.engine.autosave.codecs import Geometry


@pytest.fixture(autouse=True)
def _quiet_autosave_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AutosaveWarning)
        yield


def geo(video):
    return Geometry(len(video), video.shape[1:3])


def disc(shape, cy, cx, r):
    yy, xx = np.ogrid[: shape[0], : shape[1]]
    return (yy - cy) ** 2 + (xx - cx) ** 2 <= r * r


def execute(folder, sql, *params):
    conn = sqlite3.connect(folder / STORE_NAME)
    try:
        conn.execute(sql, params)
        conn.commit()
    finally:
        conn.close()


# -- kill points ------------------------------------------------------------------------
def state(folder, g):
    """Everything a reopen would bring back, as plain comparable values (label frames
    and SAM2's tensors as arrays)."""
    saved = Autosave.read(folder, g)
    if saved is None:
        return None
    assert not saved.problems, saved.problems  # a kill is never damage
    tracker = saved.tracker
    return {
        "labels": {
            t: np.frombuffer(zlib.decompress(b), np.uint16) for t, b in saved.labels.items()
        },
        "prompts": [p.to_json() for p in saved.prompts],
        "pending": [p.to_json() for p in saved.pending],
        "manual": {k: (e.add, e.remove) for k, e in saved.manual.items()},
        "drawn": saved.drawn,
        "parents": saved.parents,
        "quality": {t: q.tobytes() for t, q in saved.quality.items()},
        "tracker": None
        if tracker is None
        else {
            name: {k: None if v is None else bits(v) for k, v in payload.items()}
            for name, payload in tracker.payloads.items()
        },
        "tracked": None if tracker is None else tracker.tracked,
    }


def bits(t):
    """A tensor as its exact bytes (bfloat16 has no numpy type)."""
    return (str(t.dtype), tuple(t.shape), t.contiguous().flatten().view(torch.uint8).numpy())


def equal(a, b):
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(equal(a[k], b[k]) for k in a)
    if isinstance(a, tuple) and isinstance(b, tuple):
        return len(a) == len(b) and all(equal(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and np.array_equal(a, b)
    return a == b


FRAME = 24 + 4096  # a log frame: its header and one page


def log_cuts(start: int, end: int) -> list[int]:
    """Where to cut the log a commit appended (``start``..``end``) to stand for a
    kill while it was written: in and around each of the last 8 frames (the commit
    frame is the last) every 512 bytes, and every 32nd frame boundary before."""
    tail = max(start, end - 8 * FRAME)
    cuts = set(range(start, tail, 32 * FRAME)) | set(range(tail, end, 512))
    cuts |= {f + d for f in range(tail, end, FRAME) for d in (-1, 0, 1) if start <= f + d < end}
    return sorted(cuts)


def crash_images(session, edit, where: Path) -> list[Path]:
    """The store's files as a kill would leave them at every write point of ``edit``:
    before each SQL statement it runs (SQLite's trace calls back before a statement
    runs), after it returns, and inside its commit: the log cut where
    :func:`log_cuts` says (a kill in the middle of writing it)."""
    store = session.autosave.store
    images: list[Path] = []
    last: dict[str, object] = {}

    def image(_sql=None, wal_bytes=None, db_from=None):
        d = where / f"k{len(images):04d}"
        d.mkdir(parents=True)
        db = store.path if db_from is None else db_from / store.path.name
        stat = db.stat()
        seen = (db, stat.st_size, stat.st_mtime_ns)
        if last.get("seen") == seen:  # unchanged (only a checkpoint writes it): share it
            os.link(last["copy"], d / STORE_NAME)
        else:
            shutil.copyfile(db, d / STORE_NAME)
            last.update(seen=seen, copy=d / STORE_NAME)
        wal = store.path.with_name(store.path.name + "-wal")
        if wal.exists():
            data = wal.read_bytes()
            (d / f"{STORE_NAME}-wal").write_bytes(data if wal_bytes is None else data[:wal_bytes])
        images.append(d)

    store.conn.set_trace_callback(image)
    try:
        edit()
    finally:
        store.conn.set_trace_callback(None)
    last_before_commit = images[-1]
    wal_before = last_before_commit / f"{STORE_NAME}-wal"
    start = wal_before.stat().st_size if wal_before.exists() else 0
    end = store.path.with_name(store.path.name + "-wal").stat().st_size
    for cut in log_cuts(start, end):
        image(wal_bytes=cut, db_from=last_before_commit)
    image()  # after
    return images


def test_a_kill_at_any_write_point_of_an_edit_reopens_before_or_after_it(model, video, tmp_path):
    """A click, a stroke, a seed of 50 objects, a division and a correction (a click
    on a tracked frame, with its SAM2 state): over every kill point, each reopens to
    the state before the edit or after it, array by array; never a mix."""
    folder = tmp_path / "s"
    s = Session(video, model, autosave=folder)
    g = geo(video)
    s.add_point(0, 30, 30, 1)
    s.run_propagation(stop=4, progress=False)
    seeds = np.zeros(video.shape[1:3], np.uint16)
    for i in range(50):  # 50 small objects on a grid
        seeds[2 + 9 * (i // 10) : 7 + 9 * (i // 10), 3 + 12 * (i % 10) : 9 + 12 * (i % 10)] = i + 10
    stroke = disc(video.shape[1:3], 70, 100, 6)
    edits = {
        "click": lambda: s.add_point(6, 60, 90, 2),
        "stroke": lambda: s.paint(7, stroke, 3, track=False),
        "seed of 50": lambda: s.seed_from_labels(8, seeds),
        "division": lambda: s.set_parent(3, 1),
        "correction": lambda: s.add_point(2, 40, 40, 1, positive=False),
    }
    report = {}
    for name, edit in edits.items():
        before = state(folder, g)
        images = crash_images(s, edit, tmp_path / name.replace(" ", "-"))
        after = state(folder, g)
        assert not equal(before, after), name  # the edit changed what is saved
        seen = {"before": 0, "after": 0, "mixed": 0}
        for d in images:
            got = state(d, g)
            key = "before" if equal(got, before) else "after" if equal(got, after) else "mixed"
            seen[key] += 1
        report[name] = seen
        assert seen["mixed"] == 0, (name, seen)
        assert seen["before"], (name, seen)
        assert seen["after"], (name, seen)
        shutil.rmtree(tmp_path / name.replace(" ", "-"))
    assert sum(v["before"] + v["after"] for v in report.values()) > 40, report
    # The last image is what a Session opens: the correction is back exactly.
    s.close()
    r = Session(video, model, autosave=folder)
    assert np.array_equal(r.labels, s.labels)
    assert assert_same_outputs(state_of(r), state_of(s)) > 0
    assert r.parents == {3: 1}


# -- one writer -----------------------------------------------------------------------------
def test_a_second_writer_in_this_kernel_takes_over_and_the_first_is_told(model, video, tmp_path):
    """A re-run cell (or a second annotator) in the same kernel: the new session
    saves, the earlier one stops saving and says why; the save is never written by
    both."""
    folder = tmp_path / "s"
    a = Session(video, model, autosave=folder)
    a.add_point(1, 30, 30, 1)
    b = Session(video, model, autosave=folder)
    assert any("took over" in n for n in b.notes)
    assert "opened again in this kernel" in a.autosave.error
    a.add_point(7, 30, 30, 2)  # in memory only now
    assert "opened again in this kernel" in a.autosave.error
    b.add_point(3, 30, 30, 1)
    b.close()
    saved = Autosave.read(folder, geo(video))
    assert [(p.frame, p.label) for p in saved.prompts] == [(1, 1), (3, 1)]


def test_a_session_taken_over_never_writes_the_folder_again(model, video, tmp_path):
    """Neither rebuilding it (another memory mode) nor *Start fresh* on the older
    session touches the newer one's save."""
    folder = tmp_path / "s"
    a = Session(video, model, autosave=folder)
    a.add_point(1, 30, 30, 1)
    b = Session(video, model, autosave=folder)
    b.add_point(3, 30, 30, 1)
    low = a.reopen(memory_mode="low")
    assert low.autosave is None  # the work goes on in memory only
    assert a.discard_autosave() is None
    assert not list(tmp_path.glob("s.old-*"))
    b.add_point(5, 30, 30, 1)
    b.close()
    saved = Autosave.read(folder, geo(video))
    assert [(p.frame, p.label) for p in saved.prompts] == [(1, 1), (3, 1), (5, 1)]


def test_a_save_with_nothing_readable_is_kept_and_told(model, video, tmp_path):
    folder = tmp_path / "s"
    with Session(video, model, autosave=folder) as a:
        a.add_point(1, 30, 30, 1)
    for kind in ("prompts", "labels", "meta"):
        execute(folder, "UPDATE items SET data=? WHERE kind=?", b"\xff garbage", kind)
    s = Session(video, model, autosave=folder)
    assert s.prompts == ()
    (kept,) = folder.glob(f"{STORE_NAME}.damaged-*")
    assert any("damaged parts" in n and str(kept) in n for n in s.notes)


def test_a_live_process_holds_the_save_and_a_dead_one_is_taken_over(model, video, tmp_path):
    folder = tmp_path / "s"
    with Session(video, model, autosave=folder) as a:
        a.add_point(1, 30, 30, 1)
    pid = hold(folder)
    try:
        with pytest.raises(SaveLockedError, match=rf"process {pid}.*since 20\d\d-") as err:
            Session(video, model, autosave=folder)
        assert "close it there" in err.value.sentence()
        look = Session(video, model, autosave=folder, read_only=True)
        assert [(p.frame, p.label) for p in look.prompts] == [(1, 1)]
        assert look.autosave is None
        look.add_point(5, 60, 90, 2)  # in memory only
    finally:
        kill(pid)
    b = Session(video, model, autosave=folder)  # the lock died with its process
    assert any(f"took over {folder} from process {pid}" in n for n in b.notes)
    assert [(p.frame, p.label) for p in b.prompts] == [(1, 1)]


# -- damage ---------------------------------------------------------------------------------
def test_damaged_rows_are_named_set_aside_and_the_rest_resumed(model, video, tmp_path):
    folder = tmp_path / "s"
    shape = video.shape[1:3]
    with Session(video, model, autosave=folder) as a:
        a.add_point(1, 30, 30, 1)
        a.add_point(4, 60, 90, 2)
        a.paint(6, disc(shape, 50, 50, 5), 3, track=False)
        a.set_parent(3, 1)
    bad_prompt = json.loads(
        sqlite3.connect(folder / STORE_NAME)
        .execute("SELECT data FROM items WHERE kind='prompts' AND key='p0000001'")
        .fetchone()[0]
    )
    bad_prompt["frame"] = 999
    execute(
        folder,
        "UPDATE items SET data=? WHERE kind='prompts' AND key='p0000001'",
        json.dumps(bad_prompt).encode(),
    )
    execute(
        folder,
        "UPDATE items SET data=? WHERE kind='hand' AND key='edit-6-3'",
        json.dumps({"shape": list(shape), "add": "eJwDAAAAAAE=", "remove": "eJwDAAAAAAE="}),
    )
    execute(
        folder, "UPDATE items SET data=? WHERE kind='hand' AND key='parents'", b'{"3": 1, "1": 3}'
    )
    execute(folder, "UPDATE items SET data=? WHERE kind='labels' AND key='1'", b"garbage")
    b = Session(video, model, autosave=folder)
    told = " ".join(b.notes)
    for part in (
        "prompt p0000001",
        "frame 999",
        "hand edits edit-6-3",
        "division 3 -> 1",
        "labels of frame 1",
    ):
        assert part in told, part
    (kept,) = folder.glob(f"{STORE_NAME}.damaged-*")
    assert f"kept as {kept}" in told
    assert [(p.frame, p.label) for p in b.prompts] == [(1, 1)]
    assert b.parents == {1: 3}  # the division that closed the cycle is the one dropped
    assert 2 in b.label_ids
    assert "labels 2 have pixels" in told
    b.clear_label(2)  # an orphan label can be removed
    assert not (b.labels == 2).any()
    with pytest.raises(Exception, match="cycle"):
        b.set_parent(3, 1)  # refused at once, no hang
    assert b.label_frame(6)[50, 50] == 3  # the painted pixels are still shown
    b.run_propagation(progress=False)  # SAM2's state was replayed from the good prompts
    # The copy kept holds the damaged rows as they were.
    conn = sqlite3.connect(kept)
    assert (
        conn.execute("SELECT data FROM items WHERE kind='labels' AND key='1'").fetchone()[0]
        == b"garbage"
    )
    conn.close()


def test_a_file_that_is_no_store_is_kept_aside_and_a_new_one_begun(model, video, tmp_path):
    folder = tmp_path / "s"
    folder.mkdir()
    (folder / STORE_NAME).write_bytes(b"not a database at all" * 100)
    s = Session(video, model, autosave=folder)
    (moved,) = folder.glob(f"{STORE_NAME}.damaged-*")
    assert moved.read_bytes() == b"not a database at all" * 100
    assert any(str(moved) in n for n in s.notes)
    s.add_point(1, 30, 30, 1)
    s.close()
    assert len(Session(video, model, autosave=folder).prompts) == 1


def test_a_damaged_page_loses_its_rows_not_the_save(model, video, tmp_path):
    folder = tmp_path / "s"
    with Session(video, model, autosave=folder) as a:
        for t in range(len(video)):
            a.add_point(t, 30 + 4 * t, 30, 1 + t % 3)
        labels = a.labels
    conn = sqlite3.connect(folder / STORE_NAME)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    path = folder / STORE_NAME
    data = bytearray(path.read_bytes())
    page = 4096
    data[page * 3 : page * 4] = os.urandom(page)  # one page of noise
    path.write_bytes(bytes(data))
    s = Session(video, model, autosave=folder)  # opens, whatever the page held
    told = " ".join(s.notes)
    assert "damaged" in told or "unreadable" in told
    kept = [t for t in range(len(video)) if np.array_equal(s.label_frame(t), labels[t])]
    assert kept, "nothing readable was recovered"


# -- format 1 -------------------------------------------------------------------------------
def to_format1(folder: Path) -> None:
    """Rewrite a store as the folder of files the first format wrote."""
    conn = sqlite3.connect(folder / STORE_NAME)
    rows = {(k, key): bytes(d) for k, key, d in conn.execute("SELECT kind, key, data FROM items")}
    conn.close()
    meta = {key: json.loads(d) for (k, key), d in rows.items() if k == "meta"}
    (folder / "session.json").write_text(json.dumps({"format": 1, **meta}))
    prompts = {"prompts": [], "pending": []}
    for (k, key), d in sorted(rows.items()):
        if k == "prompts":
            prompts["pending" if key.startswith("q") else "prompts"].append(json.loads(d))
    (folder / "prompts.json").write_text(json.dumps(prompts, indent=0))
    manual = []
    for (k, key), d in rows.items():
        if k == "hand" and key.startswith("edit-"):
            _, t, label = key.split("-")
            manual.append({"frame": int(t), "label": int(label), **json.loads(d)})
    hand = {
        "manual": manual,
        "drawn": json.loads(rows[("hand", "drawn")]),
        "parents": json.loads(rows[("hand", "parents")]),
    }
    (folder / "hand.json").write_text(json.dumps(hand))
    for kind, suffix in (("labels", ".zlib"), ("quality", ".npy")):
        (folder / kind).mkdir()
        for (k, key), d in rows.items():
            if k == kind:
                (folder / kind / f"{key}{suffix}").write_bytes(d)
    (folder / "sam2").mkdir()
    for (k, key), d in rows.items():
        if k == "sam2":
            name = {"index": "index.json", "constants": "constants.pt"}.get(key, f"{key}.1.pt")
            (folder / "sam2" / name).write_bytes(d)
    index = json.loads(rows[("sam2", "index")])
    index["files"] = {name: f"{name}.1.pt" for name in index["files"]}
    (folder / "sam2" / "index.json").write_text(json.dumps(index))
    for suffix in ("", "-wal", "-shm"):
        (folder / f"{STORE_NAME}{suffix}").unlink(missing_ok=True)
    (folder / "owner.lock").unlink()  # format 1 had no lock


def _work(video, model, folder):
    s = Session(video, model, autosave=folder)
    s.add_point(0, 30, 30, 1)
    s.add_box(3, 50, 80, 80, 110, 2)
    s.run_propagation(progress=False)
    s.add_point(5, 40, 40, 1, positive=False)  # a correction
    s.paint(6, disc(video.shape[1:3], 20, 100, 5), 4, track=False)
    s.set_parent(4, 2)
    s.close()
    return s


def test_a_format1_save_is_moved_into_the_store_once_the_original_kept(model, video, tmp_path):
    folder = tmp_path / "s"
    a = _work(video, model, folder)
    to_format1(folder)
    original = {p.relative_to(folder): p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    b = Session(video, model, autosave=folder)
    assert any("original files are kept" in n for n in b.notes)
    assert [p.to_json() for p in b.prompts] == [p.to_json() for p in a.prompts]
    assert np.array_equal(b.labels, a.labels)
    assert b.record.manual == a.record.manual
    assert b.parents == {4: 2}
    assert assert_same_outputs(state_of(b), state_of(a)) > 0  # the correction, exactly
    kept = {
        p.relative_to(folder / "format1"): p.read_bytes()
        for p in (folder / "format1").rglob("*")
        if p.is_file()
    }
    assert kept == original
    b.close()
    c = Session(video, model, autosave=folder)
    assert not any("original files" in n for n in c.notes)  # once
    assert np.array_equal(c.labels, a.labels)


def test_a_format1_save_without_session_json_is_resumed_not_wiped(model, video, tmp_path):
    folder = tmp_path / "s"
    a = _work(video, model, folder)
    to_format1(folder)
    (folder / "session.json").unlink()
    prompts = json.loads((folder / "prompts.json").read_text())
    prompts["prompts"][1]["frame"] = 999  # valid JSON, a bad value
    (folder / "prompts.json").write_text(json.dumps(prompts))
    b = Session(video, model, autosave=folder)
    told = " ".join(b.notes)
    assert "does not say which data" in told
    assert "frame 999" in told
    assert len(b.prompts) == len(a.prompts) - 1
    assert np.array_equal(b.labels, a.labels)  # every labelled frame is back


# -- rebuilding a Session -------------------------------------------------------------------
def test_reopen_hands_over_the_work_in_memory_even_when_the_disk_is_full(model, video, tmp_path):
    folder = tmp_path / "s"
    s = Session(video, model, autosave=folder)
    s.add_point(0, 30, 30, 1)
    s.run_propagation(progress=False)
    conn = s.autosave.store.conn
    conn.execute(f"PRAGMA max_page_count={conn.execute('PRAGMA page_count').fetchone()[0]}")
    s.add_point(4, 40, 40, 1, positive=False)  # a correction, not saved
    s.paint(6, disc(video.shape[1:3], 20, 100, 5), 4, track=False)
    s.add_point(2, 60, 90, 5)
    s.set_parent(5, 1)
    assert "full" in s.autosave.error
    low = s.reopen(memory_mode="low")
    assert low.memory_mode.name == "low"
    assert [p.to_json() for p in low.prompts] == [p.to_json() for p in s.prompts]
    assert np.array_equal(low.labels, s.labels)
    assert low.record.manual == s.record.manual
    assert low.parents == {5: 1}
    assert assert_same_outputs(state_of(low), state_of(s)) > 0
    assert low.autosave.error is None  # and the store caught up
    low.close()
    back = Session(video, model, autosave=folder)
    assert np.array_equal(back.labels, s.labels)
    assert back.parents == {5: 1}


def test_reopen_without_autosave_keeps_hand_edits_and_divisions(video, session):
    session.add_point(0, 30, 30, 1)
    session.paint(6, disc(video.shape[1:3], 20, 100, 5), 4, track=False)
    session.set_parent(4, 1)
    low = session.reopen(memory_mode="low")
    assert low.autosave is None
    assert np.array_equal(low.labels, session.labels)
    assert low.record.manual == session.record.manual
    assert low.parents == {4: 1}
    assert 4 in low.label_ids
