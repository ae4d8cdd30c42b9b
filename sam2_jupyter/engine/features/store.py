"""Image-encoder outputs kept on disk (Zarr), so reopening a stack skips the encoder.

The image encoder is most of SAM2's cost, and its output depends only on the model
input and the model. Entries are therefore keyed by content, not by file name (a
folder per model, an entry per frame's pixels: :mod:`.keys`).

So the same data opened from a TIFF or from numpy hits the same entries, changing
the contrast limits misses them, and an edited frame misses only itself. Values are
stored bit for bit (no lossy compression), so masks equal those of a fresh encode.

Each entry is written to a temporary folder and renamed into place, so a crash
leaves either a whole entry or none. Writes happen on a background thread: the
caller only pays the copy to host memory.
"""

from __future__ import annotations

import contextlib
import os
import queue
import shutil
import threading
import uuid
import weakref
from pathlib import Path
from typing import Any

import numpy as np
import torch
import zarr

from ..._threads import at_exit, lower_priority
from .keys import FORMAT, frame_digest, model_key, weights_digest

__all__ = ["FeatureStore", "frame_digest", "model_key", "weights_digest"]

POSITIONS = "positions"  # the model folder's shared position encodings
WRITER_IDLE_S = 2.0


def _to_numpy(t: torch.Tensor) -> tuple[np.ndarray, dict[str, Any]]:
    """Host copy and what restores it exactly: dtype and strides. bfloat16 (which
    numpy and Zarr lack) travels as its int16 bits. Strides matter: sam2's features
    are channels-last, and kernels on another layout round differently."""
    meta = {"dtype": str(t.dtype).removeprefix("torch."), "stride": list(t.stride())}
    t = t.detach().contiguous().cpu()
    if t.dtype == torch.bfloat16:
        t = t.view(torch.int16)
    return t.numpy(), meta


def _to_tensor(a: np.ndarray, meta: dict[str, Any], device: torch.device) -> torch.Tensor:
    t = torch.from_numpy(np.ascontiguousarray(a))
    if meta["dtype"] == "bfloat16":
        t = t.view(torch.bfloat16)
    out = torch.empty_strided(t.shape, meta["stride"], dtype=t.dtype, device=device)
    return out.copy_(t)


def _read_group(path: Path, device: torch.device) -> list[torch.Tensor]:
    """The tensors ``a0``, ``a1``, ... of one entry, exactly as they were saved."""
    group = zarr.open_group(path, mode="r")
    meta = dict(group.attrs)
    if meta.get("format") != FORMAT:
        raise ValueError(f"unknown format {meta.get('format')!r}")
    return [_to_tensor(group[f"a{i}"][...], m, device) for i, m in enumerate(meta["layout"])]


class FeatureStore:
    """Image features of frames on disk, for one model and one frame source.

    Parameters
    ----------
    root
        The cache folder (shared by all models and stacks).
    model_key
        From :func:`model_key`; entries of other models are never read.
    pixels
        ``pixels(t)``: frame ``t``'s resized uint8 model input (its digest is the key).
    image
        ``image(t)``: frame ``t`` as the (1, 3, S, S) float tensor sam2 stores
        beside the features.
    max_bytes
        The folder of this model is trimmed to this size, least recently used
        entries first.
    """

    def __init__(
        self,
        root: str | Path,
        model_key: str,
        pixels: Any,
        image: Any,
        device: torch.device,
        max_bytes: int = 50 << 30,
    ) -> None:
        self.dir = Path(root).expanduser() / model_key
        self.dir.mkdir(parents=True, exist_ok=True)
        self._pixels = _weakly(pixels)
        self._image = _weakly(image)
        self.device = device
        self.max_bytes = int(max_bytes)
        self._keys: dict[int, str] = {}
        self._queue: queue.Queue[tuple[str, dict[str, Any]]] = queue.Queue(maxsize=8)
        self._writer: threading.Thread | None = None
        self._lock = threading.Lock()
        self._total: int | None = None
        self._positions: list[torch.Tensor] | None = None
        self._positions_checked = False
        self.loaded = 0
        self.saved = 0
        self.errors: list[str] = []

    # -- keys -------------------------------------------------------------------
    def key(self, frame: int) -> str:
        key = self._keys.get(frame)
        if key is None:
            key = frame_digest(self._pixels(frame))
            self._keys[frame] = key
        return key

    def _path(self, frame: int) -> Path:
        return self.dir / f"{self.key(frame)}.zarr"

    def __contains__(self, frame: object) -> bool:
        return isinstance(frame, int) and self._path(frame).is_dir()

    # -- read -------------------------------------------------------------------
    def load(self, frame: int) -> tuple[torch.Tensor, dict[str, Any]] | None:
        """The (image, backbone_out) pair sam2 caches, or None when not on disk.

        An unreadable entry (a disk error, a foreign file) is removed and counts as
        a miss: the features are simply computed again."""
        path = self._path(frame)
        if not path.is_dir():
            return None
        try:
            pos = self._load_positions()
            fpn = _read_group(path, self.device)
        except Exception as exc:  # a damaged entry must never stop a session
            self.errors.append(f"{path.name}: {exc}")
            shutil.rmtree(path, ignore_errors=True)
            return None
        os.utime(path)  # recently used: trimmed last
        self.loaded += 1
        backbone_out = {"vision_features": fpn[-1], "vision_pos_enc": pos, "backbone_fpn": fpn}
        return self._image(frame), backbone_out

    def _load_positions(self) -> list[torch.Tensor]:
        """Position encodings depend only on the input size, so the model folder
        holds them once (at 1024 px they are 84 MB, five times a frame's features)."""
        if self._positions is None:
            self._positions = _read_group(self.dir / POSITIONS, self.device)
        return self._positions

    # -- write ------------------------------------------------------------------
    def save(self, frame: int, value: tuple[Any, dict[str, Any]]) -> None:
        """Queue frame ``frame``'s features for writing (no-op if already there)."""
        path = self._path(frame)
        if path.is_dir():
            return
        _, backbone_out = value
        if not self._positions_match(backbone_out["vision_pos_enc"]):
            return
        arrays = {f"a{i}": _to_numpy(t) for i, t in enumerate(backbone_out["backbone_fpn"])}
        self._enqueue((path.name, arrays))

    def _positions_match(self, pos: list[torch.Tensor]) -> bool:
        """Write the shared position encodings once; check them once per session."""
        if self._positions_checked:
            return True
        if not (self.dir / POSITIONS).is_dir():
            self._enqueue((POSITIONS, {f"a{i}": _to_numpy(t) for i, t in enumerate(pos)}))
            self.flush()
        try:
            on_disk = self._load_positions()
        except Exception as exc:
            self.errors.append(f"{POSITIONS}: {exc}")
            shutil.rmtree(self.dir / POSITIONS, ignore_errors=True)
            self._positions = None
            return False
        same = len(on_disk) == len(pos) and all(
            torch.equal(a, b.to(a.device)) for a, b in zip(on_disk, pos, strict=True)
        )
        if not same:
            self.errors.append(f"{POSITIONS}: differ from this model's; features not saved")
            return False
        self._positions_checked = True
        return True

    def _enqueue(self, item: tuple[str, dict[str, Any]]) -> None:
        """Queue an entry, starting the writer thread if it is not running. The
        thread ends once idle, so a closed session's store (and the session its
        callbacks belong to) can be freed."""
        with self._lock:
            if self._writer is None:
                self._writer = threading.Thread(
                    target=self._write_loop, name="sam2-feature-store", daemon=True
                )
                self._writer.start()
                at_exit(self, FeatureStore.flush)  # weakly held: sessions get freed
            self._queue.put(item)

    def _write_loop(self) -> None:
        lower_priority()  # nobody waits for these writes; the user's work comes first
        while True:
            try:
                item = self._queue.get(timeout=WRITER_IDLE_S)
            except queue.Empty:
                with self._lock:
                    if self._queue.empty():
                        self._writer = None
                        return
                continue
            try:
                self._write(*item)
            except Exception as exc:  # a full disk costs speed later, never the session
                self.errors.append(f"{item[0]}: {exc}")
            finally:
                self._queue.task_done()

    def _write(self, name: str, arrays: dict[str, Any]) -> None:
        final = self.dir / name
        if final.is_dir():
            return
        tmp = self.dir / f".tmp-{uuid.uuid4().hex}"
        try:
            group = zarr.open_group(tmp, mode="w")
            for key, (a, _) in arrays.items():
                # Features are dense floats: compression would cost time, not space.
                group.create_array(key, data=a, chunks=a.shape, compressors=None)
            layout = [m for _, m in arrays.values()]
            group.attrs.update({"format": FORMAT, "layout": layout})
            # Another writer may have got there first: theirs is identical.
            with contextlib.suppress(OSError):
                os.rename(tmp, final)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        self.saved += 1
        if self._total is None:
            self._total = self.nbytes()
        else:
            self._total += _size(final)
        if self._total > self.max_bytes:
            self._trim()

    def _trim(self) -> None:
        """Delete least recently used entries until the folder fits ``max_bytes``."""
        entries = sorted((p.stat().st_mtime, _size(p), p) for p in self.dir.glob("*.zarr"))
        total = self.nbytes()  # the shared position encodings count, and stay
        for _, size, path in entries:
            if total <= self.max_bytes:
                break
            shutil.rmtree(path, ignore_errors=True)
            total -= size
        self._total = total

    def flush(self) -> None:
        """Wait until every queued entry is on disk."""
        self._queue.join()

    def nbytes(self) -> int:
        """Bytes this model's entries take on disk."""
        return _size(self.dir)


def _weakly(fn: Any) -> Any:
    """A bound method held weakly: the store must not keep its session alive."""
    if not hasattr(fn, "__self__"):
        return fn
    ref = weakref.WeakMethod(fn)

    def call(*args: Any) -> Any:
        method = ref()
        if method is None:
            raise ReferenceError("the session of this feature store is gone")
        return method(*args)

    return call


def _size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())
