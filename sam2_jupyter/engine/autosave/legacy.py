"""Saves of the first format (a folder of files, one per kind of state), moved into
the store once.

Format 1 wrote ``session.json``, ``prompts.json``, ``hand.json``,
``labels/<frame>.zlib``, ``quality/<frame>.npy`` and ``sam2/`` one file after
another. Each file becomes the rows the store would hold, so the one reader of
:mod:`.codecs` checks them (a damaged file loses its rows, named, not the save), and
all rows are committed in one transaction. The original files are then moved,
untouched, into ``format1/`` beside the store: a kill between the two steps leaves a
store that already holds them, and the move is done on the next open.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

from .store import Store

ORIGINAL = "format1"
FILES = ("session.json", "prompts.json", "hand.json", "labels", "quality", "sam2")
Rows = dict[tuple[str, str], bytes]


def present(folder: Path) -> bool:
    """Whether ``folder`` holds any part of a format-1 save (any part: a save whose
    ``session.json`` was lost still has prompts and labels to bring back)."""
    return any((folder / name).exists() for name in FILES)


def rows(folder: Path, problems: list[str]) -> Rows:
    """The store's rows for the format-1 save in ``folder``; an unreadable file is
    named in ``problems`` and left out."""
    out: Rows = {}

    def read(path: Path) -> bytes | None:
        try:
            return path.read_bytes()
        except OSError as exc:
            problems.append(f"{path.relative_to(folder)}: unreadable ({exc})")
            return None

    def load(name: str) -> object:
        path = folder / name
        data = read(path) if path.exists() else None
        if data is None:
            return None
        try:
            return json.loads(data)
        except ValueError as exc:
            problems.append(f"{name}: not JSON ({exc})")
            return None

    meta = load("session.json")
    if isinstance(meta, dict):
        for key in ("source", "model", "view", "saved_at"):
            if key in meta:
                out[("meta", key)] = json.dumps(meta[key]).encode()
    prompts = load("prompts.json")
    if isinstance(prompts, dict):
        for prefix, name in (("p", "prompts"), ("q", "pending")):
            for i, p in enumerate(prompts.get(name, [])):
                out[("prompts", f"{prefix}{i:07d}")] = json.dumps(p).encode()
    hand = load("hand.json")
    if isinstance(hand, dict):
        for e in hand.get("manual", []):
            if isinstance(e, dict):
                key = f"edit-{e.get('frame')}-{e.get('label')}"
                value = {k: e.get(k) for k in ("shape", "add", "remove")}
                out[("hand", key)] = json.dumps(value).encode()
        out[("hand", "drawn")] = json.dumps(hand.get("drawn", [])).encode()
        out[("hand", "parents")] = json.dumps(hand.get("parents", {})).encode()
    for kind, suffix in (("labels", ".zlib"), ("quality", ".npy")):
        for path in sorted((folder / kind).glob(f"*{suffix}")):
            if (data := read(path)) is not None:
                out[(kind, path.stem)] = data
    sam2 = folder / "sam2"
    for path in sorted(sam2.glob("*")):
        if path.name.startswith("."):
            continue
        key = {"index.json": "index", "constants.pt": "constants"}.get(path.name, path.name)
        if (data := read(path)) is not None:
            out[("sam2", key)] = data
    return out


def migrate(folder: Path, store: Store, problems: list[str]) -> None:
    """Copy a format-1 save into ``store`` (one transaction), then move its files
    into ``format1/``."""
    with store.transaction() as tx:
        for (kind, key), data in rows(folder, problems).items():
            Store.put(tx, kind, key, data)
    keep_original(folder)


def keep_original(folder: Path) -> Path:
    """Move the format-1 files (only those: sub-folders of 4D data stay) into
    ``format1/``, where a person can still find them."""
    target = folder / ORIGINAL
    target.mkdir(exist_ok=True)
    for name in FILES:
        src = folder / name
        if src.exists():
            dst = target / name
            if dst.exists():  # a second, later copy: keep both
                dst = target / f"{name}.{len(list(target.iterdir()))}"
            shutil.move(str(src), str(dst))
    return target


def holds_work(store: Store) -> bool:
    """Whether the store has prompts or labels (else a format-1 save beside it is
    what to bring back)."""
    try:
        return bool(store.keys("prompts") or store.keys("labels"))
    except sqlite3.DatabaseError:
        return True  # damaged, not empty: never replaced by the old files
