"""The session record is one table of fields: a new kind of state is one entry and
its codec, registered through ``FIELDS.register``, and then it is updated, dropped
with its label, saved, resumed after a kill, undone and redone by the machinery
that is already there (no other module knows of it)."""

from __future__ import annotations

import contextlib
import shutil
import sqlite3
import warnings
from collections.abc import Iterable, Iterator
from types import MappingProxyType
from typing import Any

import pytest

from sam2_jupyter import AutosaveWarning, Session
from sam2_jupyter.engine.autosave import STORE_NAME
from sam2_jupyter.engine.core import FIELDS, SessionState
from sam2_jupyter.engine.fields import Field, drop_key, frozen_mapping
from sam2_jupyter.engine.prompts import check_label
from sam2_jupyter.engine.rows import BAD, Codec, Reading, Rows


class NameRows(Codec):
    """Object names: one row per label, its name as UTF-8."""

    kind = "names"

    def write(self, snap: Any) -> Rows:
        names = snap.record.names
        return {str(label): (name, lambda n=name: n.encode()) for label, name in names.items()}

    def read(self, rows: Iterable[tuple[str, bytes]], reading: Reading) -> dict[str, Any]:
        names = {}
        for key, data in rows:
            try:
                names[check_label(int(key))] = data.decode()
            except BAD as exc:
                reading.problems.append(f"name {key}: {exc}")
        return {"names": names}


NAMES = Field("names", MappingProxyType({}), frozen_mapping, drop=drop_key, codec=NameRows())


@pytest.fixture
def names() -> Iterator[Field]:
    FIELDS.register(NAMES)
    try:
        yield NAMES
    finally:
        FIELDS.unregister("names")


@pytest.fixture(autouse=True)
def _quiet_autosave_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AutosaveWarning)
        yield


def rename(session: Session, label: int, name: str) -> None:
    """What a feature's Session verb does: one undoable edit of the record."""
    core = session._core
    with core.edit(contextlib.nullcontext):
        core.update(names={**core.record.names, label: name})


def query(folder, sql: str) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(f"file:{folder / STORE_NAME}?mode=ro", uri=True)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def saved_names(folder) -> dict[str, str]:
    rows = query(folder, "SELECT key, data FROM items WHERE kind='names'")
    return {k: bytes(d).decode() for k, d in rows}


def row_ids(folder) -> dict[str, int]:
    return dict(query(folder, "SELECT key, rowid FROM items WHERE kind='names'"))


def killed_copy(folder, where):
    """The session folder as a kill leaves it: the store and its log as they are
    (every edit is committed when it returns), without the writer's lock."""
    where.mkdir()
    for suffix in ("", "-wal"):
        src = folder / f"{STORE_NAME}{suffix}"
        if src.exists():
            shutil.copyfile(src, where / src.name)
    return where


def test_a_registered_field_is_updated_dropped_saved_resumed_and_undone(
    names, model, video, tmp_path
):
    folder = tmp_path / "s"
    s = Session(video, model, autosave=folder)
    s.add_point(1, 30, 30, 1)
    s.add_point(4, 60, 90, 2)
    rename(s, 1, "mother")
    rename(s, 2, "daughter")
    assert dict(s.record.names) == {1: "mother", 2: "daughter"}
    assert saved_names(folder) == {"1": "mother", "2": "daughter"}  # saved with the edit

    # Undone and redone with the record, and the save follows.
    assert s.undo()
    assert dict(s.record.names) == {1: "mother"}
    assert saved_names(folder) == {"1": "mother"}
    assert s.redo()
    assert dict(s.record.names) == {1: "mother", 2: "daughter"}

    # Dropped with its label.
    s.clear_label(2)
    assert dict(s.record.names) == {1: "mother"}
    assert saved_names(folder) == {"1": "mother"}
    assert s.undo()  # the label and its name come back together
    assert dict(s.record.names) == {1: "mother", 2: "daughter"}
    assert 2 in s.label_ids

    # Resumed after a kill: a new session on what the disk held.
    copy = killed_copy(folder, tmp_path / "killed")
    before = row_ids(copy)
    r = Session(video, model, autosave=copy)
    assert r.resumed is not None
    assert not r.resumed.problems
    assert dict(r.record.names) == {1: "mother", 2: "daughter"}
    assert dict(r.resumed.names) == {1: "mother", 2: "daughter"}
    assert [p.to_json() for p in r.prompts] == [p.to_json() for p in s.prompts]
    # The resume adopted the rows it read (not deleted and written again), and an
    # edit elsewhere does not rewrite them.
    assert row_ids(copy) == before
    written: list[str] = []
    r.autosave.store.conn.set_trace_callback(written.append)
    r.add_point(6, 20, 20, 3)
    r.autosave.store.conn.set_trace_callback(None)
    assert not any("'names'" in w for w in written if w.startswith(("INSERT", "DELETE")))
    rename(r, 3, "new")
    assert saved_names(copy) == {"1": "mother", "2": "daughter", "3": "new"}

    # Handed over in memory by reopen, as every field is.
    s.close()
    again = s.reopen()
    assert dict(again.record.names) == {1: "mother", 2: "daughter"}
    again.close()
    r.close()


def test_a_damaged_row_of_a_registered_field_is_named_and_the_rest_kept(
    names, model, video, tmp_path
):
    folder = tmp_path / "s"
    with Session(video, model, autosave=folder) as s:
        s.add_point(1, 30, 30, 1)
        rename(s, 1, "cell")
    conn = sqlite3.connect(folder / STORE_NAME)
    conn.execute("INSERT INTO items VALUES ('names', 'not a label', ?)", (b"x",))
    conn.commit()
    conn.close()
    r = Session(video, model, autosave=folder)
    assert dict(r.record.names) == {1: "cell"}
    assert any("name not a label" in n for n in r.notes)
    r.close()


def test_a_save_without_the_field_reads_it_empty_and_one_with_it_reads_without(
    model, video, tmp_path
):
    """Saves made before a field existed resume with it empty; a process that does
    not know a field resumes the rest of a save that has it."""
    folder = tmp_path / "s"
    with Session(video, model, autosave=folder) as s:
        s.add_point(1, 30, 30, 1)
    FIELDS.register(NAMES)
    try:
        with Session(video, model, autosave=folder) as r:
            assert dict(r.record.names) == {}
            rename(r, 1, "cell")
    finally:
        FIELDS.unregister("names")
    with Session(video, model, autosave=folder) as plain:
        assert [p.frame for p in plain.prompts] == [1]
        assert not hasattr(plain.record, "names")
    assert saved_names(folder) == {"1": "cell"}  # its rows are left as they were


def test_the_table_checks_what_is_registered():
    with pytest.raises(ValueError, match="already has 'prompts'"):
        FIELDS.register(Field("prompts", ()))
    with pytest.raises(ValueError, match="already has 'replace'"):
        FIELDS.register(Field("replace", ()))
    with pytest.raises(ValueError, match="saved already"):
        FIELDS.register(Field("other", (), codec=type("Other", (NameRows,), {"kind": "hand"})()))
    with pytest.raises(ValueError, match="own fields"):
        FIELDS.unregister("prompts")
    with pytest.raises(TypeError, match="no field 'nonsense'"):
        SessionState(nonsense=1)
    with pytest.raises(AttributeError, match="immutable"):
        SessionState().prompts = ()  # type: ignore[misc]


def test_the_record_is_driven_by_the_table():
    """Update normalises, label removal and frame trimming go through every field."""
    from sam2_jupyter.engine.prompts import PointPrompt

    rec = SessionState().replace(
        prompts=[PointPrompt(0, 1, 5.0, 5.0), PointPrompt(3, 2, 5.0, 5.0)],
        drawn={7},
        parents={2: 1},
        manual={(9, 7): "edit"},
    )
    assert isinstance(rec.prompts, tuple)
    assert isinstance(rec.drawn, frozenset)
    assert rec.label_ids == {1, 2, 7}
    dropped = rec.without_label(1)
    assert [p.label for p in dropped.prompts] == [2]
    assert dict(dropped.parents) == {}
    assert rec.within(5).manual == {}
    same = rec.replace(parents=rec.parents)
    assert same.parents is rec.parents  # a value handed back keeps its identity
