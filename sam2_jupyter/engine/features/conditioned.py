"""Memory-conditioned features of tracked frames, kept so that correction clicks are
as fast as first clicks.

A click on a frame that propagation already tracked runs SAM2's memory attention
over the memory bank before decoding the mask: as costly as propagating that frame
(seconds per click at 1024 px on a CPU). Propagation has already computed that very
tensor (``pix_feat_with_mem`` in sam2's ``_prepare_memory_conditioned_features``):
it depends only on the frame's image features, the tracking direction, and the
entries of the object's memory bank it reads. So it is kept, per (object, frame,
direction), together with a fingerprint of every bank entry the computation may
read: all conditioning outputs of the object, and its non-conditioning outputs
within reach in the tracking direction (a superset of what sam2 reads, so a
fingerprint can only miss too often, never hit wrongly).

Entries are compared by tensor identity. sam2 replaces the tensors of an output,
never writes into them, and our undo snapshots share them, so the same tensor means
the same values; a new conditioning frame anywhere, a recomputed or released
neighbour, or an undo to another bank changes an identity, and the entry misses.
Weak references keep the fingerprint from holding the bank's memory alive.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from ..._sam2.patches import serving
from .budget import correction_budget, parse_budget

Ident = tuple[Any, Any] | None  # weak references to (maskmem_features, obj_ptr)


def _ident(out: dict[str, Any] | None) -> Ident:
    if out is None:
        return None
    mem = out.get("maskmem_features")
    return (weakref.ref(mem) if mem is not None else None, weakref.ref(out["obj_ptr"]))


def _same(recorded: Ident, out: dict[str, Any] | None) -> bool:
    """The output is the one fingerprinted (a dead reference never matches)."""
    if recorded is None or out is None:
        return recorded is None and out is None
    mem_ref, ptr_ref = recorded
    mem = out.get("maskmem_features")
    same_mem = mem is None if mem_ref is None else (mem is not None and mem_ref() is mem)
    return same_mem and ptr_ref() is out["obj_ptr"]


@dataclass
class _Entry:
    cond: tuple[tuple[int, Ident], ...]
    near: tuple[Ident, ...]
    value: torch.Tensor | None
    nbytes: int
    path: Path | None = None


def _fingerprint(
    output_dict: dict[str, Any], frame: int, reverse: bool, depth: int, num_frames: int
) -> tuple[tuple[tuple[int, Ident], ...], tuple[Ident, ...]]:
    cond = tuple((t, _ident(out)) for t, out in sorted(output_dict["cond_frame_outputs"].items()))
    non_cond = output_dict["non_cond_frame_outputs"]
    near = []
    for d in range(1, depth + 1):
        t = frame + d if reverse else frame - d
        if not 0 <= t < num_frames:
            break
        near.append(_ident(non_cond.get(t)))
    return cond, tuple(near)


def _matches(entry: _Entry, output_dict: dict[str, Any], frame: int, reverse: bool) -> bool:
    cond = output_dict["cond_frame_outputs"]
    if len(cond) != len(entry.cond):
        return False
    if not all(_same(ident, cond.get(t)) for t, ident in entry.cond):
        return False
    non_cond = output_dict["non_cond_frame_outputs"]
    for d, ident in enumerate(entry.near, 1):
        if not _same(ident, non_cond.get(frame + d if reverse else frame - d)):
            return False
    return True


class CorrectionCache:
    """Memory-conditioned features of one session within a byte budget.

    Values stay on ``device`` (sam2's storage device: the CPU in super-low mode).
    With ``spill_dir``, entries evicted from memory go to disk there (one file each,
    strides kept) up to ``disk_budget`` bytes; the folder is removed with the cache.
    """

    def __init__(
        self,
        state: dict[str, Any],
        depth: int,
        budget_bytes: int,
        device: torch.device,
        spill_dir: str | Path | None = None,
        disk_budget: int = 8 << 30,
    ) -> None:
        self.state = state
        self.budget_bytes = int(budget_bytes)
        self.device = device
        self._depth = int(depth)  # the tracker's memory reach (fingerprinted frames)
        self._entries: OrderedDict[tuple[int, int, bool], _Entry] = OrderedDict()
        self._lock = threading.Lock()
        self.nbytes = 0
        self.disk_bytes = 0
        self.disk_budget = int(disk_budget)
        self.hits = 0
        self.misses = 0
        self._spill: Path | None = None
        if spill_dir is not None and self.budget_bytes > 0:
            root = Path(spill_dir).expanduser()
            root.mkdir(parents=True, exist_ok=True)
            self._spill = Path(tempfile.mkdtemp(prefix="corrections-", dir=root))
            weakref.finalize(self, shutil.rmtree, self._spill, True)

    @contextlib.contextmanager
    def active(self) -> Iterator[None]:
        """sam2 calls inside this block read and fill this cache."""
        with serving(self):
            yield

    def clear(self) -> None:
        with self._lock:
            for entry in self._entries.values():
                if entry.path is not None:
                    entry.path.unlink(missing_ok=True)
            self._entries.clear()
            self.nbytes = self.disk_bytes = 0

    def __len__(self) -> int:
        return len(self._entries)

    # -- the hook -----------------------------------------------------------------
    def _label_of(self, output_dict: dict[str, Any]) -> int | None:
        for idx, d in self.state["output_dict_per_obj"].items():
            if d is output_dict:
                return int(self.state["obj_idx_to_id"][idx])
        return None

    def conditioned(
        self,
        compute: Callable[[], torch.Tensor],
        frame: int,
        output_dict: dict[str, Any],
        num_frames: int,
        reverse: bool,
        batch: int,
    ) -> torch.Tensor:
        """The cached tensor when the bank it read is unchanged, else ``compute()``
        (whose result is kept)."""
        label = self._label_of(output_dict)
        if label is None or self.budget_bytes <= 0 or batch != 1:
            return compute()
        key = (label, int(frame), bool(reverse))
        with self._lock:
            entry = self._entries.get(key)
        if entry is not None and _matches(entry, output_dict, frame, reverse):
            value = self._load(key, entry)
            if value is not None:
                self.hits += 1
                return value
        self.misses += 1
        cond, near = _fingerprint(output_dict, frame, reverse, self._depth, num_frames)
        value = compute()
        self._keep(key, _Entry(cond, near, value, value.numel() * value.element_size()))
        return value

    # -- storage ------------------------------------------------------------------
    def _load(self, key: tuple[int, int, bool], entry: _Entry) -> torch.Tensor | None:
        with self._lock:
            if entry.value is not None:
                self._entries.move_to_end(key)
                return entry.value
            path = entry.path
        if path is None:
            return None
        try:
            value = torch.load(path, map_location=self.device, weights_only=True)
        except (OSError, RuntimeError, EOFError):
            with self._lock:
                self._drop(key)
            return None
        with self._lock:
            if self._entries.get(key) is entry:
                self._unspill(entry)
                entry.value = value
                self.nbytes += entry.nbytes
                self._entries.move_to_end(key)
                self._evict()
        return value

    def _keep(self, key: tuple[int, int, bool], entry: _Entry) -> None:
        stored = entry.value
        if stored is not None and stored.device != self.device:
            entry.value = stored.to(self.device)
        with self._lock:
            self._drop(key)
            self._entries[key] = entry
            self.nbytes += entry.nbytes
            self._evict()

    def _drop(self, key: tuple[int, int, bool]) -> None:
        old = self._entries.pop(key, None)
        if old is None:
            return
        if old.value is not None:
            self.nbytes -= old.nbytes
        self._unspill(old)

    def _unspill(self, entry: _Entry) -> None:
        if entry.path is not None:
            entry.path.unlink(missing_ok=True)
            self.disk_bytes -= entry.nbytes
            entry.path = None

    def _evict(self) -> None:
        """Least recently used first: to disk when there is a spill folder, else
        away. The newest entry always stays (the click that made it reads it)."""
        in_memory = [k for k, e in self._entries.items() if e.value is not None]
        while self.nbytes > self.budget_bytes and len(in_memory) > 1:
            key = in_memory.pop(0)
            entry = self._entries[key]
            if self._spill is not None and entry.nbytes <= self.disk_budget:
                path = self._spill / f"{key[0]}_{key[1]}_{int(key[2])}.pt"
                try:
                    torch.save(entry.value, path)
                except OSError:
                    self._entries.pop(key)
                else:
                    entry.path = path
                    self.disk_bytes += entry.nbytes
            else:
                self._entries.pop(key)
            entry.value = None
            self.nbytes -= entry.nbytes
        on_disk = [k for k, e in self._entries.items() if e.path is not None]
        while self.disk_bytes > self.disk_budget and on_disk:
            self._drop(on_disk.pop(0))


def correction_cache_for(
    budget: int | str | None,
    state: dict[str, Any],
    depth: int,
    storage: torch.device,
    low: bool,
    store: Any = None,
) -> CorrectionCache:
    """A session's cache: ``budget`` bytes, or "auto" (:func:`.budget.correction_budget`),
    or None (off); values on ``storage`` (where the tracker keeps its state);
    spilled beside the feature store; ``depth``: the tracker's memory reach."""
    budget = parse_budget(budget, "correction_cache")
    if budget == "auto":
        budget = correction_budget(storage, low)
    spill = store.dir.parent / "corrections" if store is not None else None
    return CorrectionCache(state, depth, budget or 0, storage, spill)
