"""SAM2's prompt state in the session folder, for a resume that keeps corrections.

Replaying the saved prompts rebuilds SAM2's state only for prompts given on frames
nothing had tracked yet. A correction (a click on a tracked frame) was decoded with
SAM2's memory of the other frames and its earlier mask there, which a replay in a
fresh session does not have: the resumed frame would show the saved labels, but
the next propagation would keep and track from another mask. So the folder also
holds, under ``sam2/``, every conditioning output SAM2 keeps (its mask logits,
memory features, object pointer and score, as sam2 stores them, bit for bit), the
prompt inputs sam2 holds, which frames each object was tracked on and in which
direction, and each prompted frame's base (:class:`~.state.Base`). Resuming with
the same model puts them back as they were; the next propagation then keeps every
correction exactly. The memory of propagated, unprompted frames is not saved (about
0.8 MB per frame and object at 1024 px); the next propagation recomputes it.

``index.json`` is written last and names the files of one consistent state, with a
digest of the prompts it belongs to: a folder whose files or prompts disagree is
not restored (the prompts are replayed instead).
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import io
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from ..._atomic import write_atomic
from ..core import Snapshot
from ..state import EDITABLE_KEYS, Base
from .codecs import prompts_json

FORMAT = 1
OUTPUT_KEYS = ("maskmem_features", "pred_masks", "obj_ptr", "object_score_logits")
ON_STORAGE = ("maskmem_features", "pred_masks")  # the rest stays on the compute device


def prompts_digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:32]


def _compact(t: torch.Tensor) -> torch.Tensor:
    """torch.save writes a view's whole storage: copy views of larger buffers."""
    t = t.detach()
    if t.untyped_storage().nbytes() > t.numel() * t.element_size():
        t = t.clone()
    return t.cpu()


def _output_payload(out: dict[str, Any]) -> dict[str, torch.Tensor]:
    return {k: _compact(out[k]) for k in OUTPUT_KEYS if out.get(k) is not None}


def _identity(value: dict[str, Any]) -> tuple[int, ...]:
    """Ids of the entry's tensors: sam2 replaces tensors, never writes into them, and
    undo snapshots copy the dicts but share the tensors."""
    if "points" in value:
        points = value["points"] or {}
        return (id(points.get("point_coords")), id(points.get("point_labels")), id(value["mask"]))
    return tuple(id(value.get(k)) for k in OUTPUT_KEYS)


def entries(state: dict[str, Any], bases: Mapping[tuple[int, int], Base]) -> Iterator[tuple]:
    """``(name, value, payload)`` for every entry to save; ``value`` is what identifies
    it in memory, ``payload()`` builds what is written."""
    for idx, obj_id in state["obj_idx_to_id"].items():
        for where, key in (("out", "output_dict_per_obj"), ("temp", "temp_output_dict_per_obj")):
            for frame, out in state[key][idx]["cond_frame_outputs"].items():
                yield f"{where}-{obj_id}-{frame}", out, (lambda o=out: _output_payload(o))
        points = state["point_inputs_per_obj"][idx]
        masks = state["mask_inputs_per_obj"][idx]
        for frame in sorted(set(points) | set(masks)):
            value = {"points": points.get(frame), "mask": masks.get(frame)}

            def payload(v: dict[str, Any] = value) -> dict[str, Any]:
                p, m = v["points"], v["mask"]
                return {
                    "point_coords": None if p is None else _compact(p["point_coords"]),
                    "point_labels": None if p is None else _compact(p["point_labels"]),
                    "mask": None if m is None else _compact(m > 0.5),
                }

            yield f"inputs-{obj_id}-{frame}", value, payload
    for (frame, label), base in bases.items():
        if base.output is not None:
            yield f"base-{label}-{frame}", base.output, (lambda o=base.output: _output_payload(o))


class Sam2Codec:
    """Keeps ``<folder>/sam2`` in step with SAM2's prompt state, writing only the
    entries that changed since the last call."""

    def __init__(self, folder: Path) -> None:
        self.dir = folder / "sam2"
        self._written: dict[str, tuple[tuple[int, ...], str, Any]] = {}
        self._constants: Any = None
        self._count = 0

    def adopt(self, files: dict[str, str], live: dict[str, Any], constants: Any) -> None:
        """After a resume: these files hold exactly the entries now in memory."""
        self._written = {
            name: (_identity(live[name]), file, live[name])
            for name, file in files.items()
            if name in live
        }
        self._constants = constants

    def write(self, snap: Snapshot) -> None:
        """Write changed entries, then the index; then delete files no longer named.
        Raises OSError (the caller reports it and keeps working)."""
        state, bases, prompts = snap.sam, snap.record.bases, prompts_json(snap.record)
        self.dir.mkdir(parents=True, exist_ok=True)
        current: dict[str, tuple[tuple[int, ...], str, Any]] = {}
        for name, value, payload in entries(state, bases):
            ident = _identity(value)
            old = self._written.get(name)
            if old is not None and old[0] == ident:
                current[name] = old
                continue
            self._count += 1
            file = f"{name}.{self._count}.pt"
            _save(self.dir / file, payload())
            current[name] = (ident, file, value)  # holding value keeps ids unique
        constants = state["constants"].get("maskmem_pos_enc")
        if constants is not None and constants is not self._constants:
            _save(self.dir / "constants.pt", [_compact(c) for c in constants])
            self._constants = constants
        index = {
            "format": FORMAT,
            "prompts": prompts_digest(prompts),
            "obj_ids": [int(o) for o in state["obj_ids"]],
            "tracked": {
                str(obj_id): {
                    str(t): bool(v.get("reverse", False))
                    for t, v in state["frames_tracked_per_obj"][idx].items()
                }
                for idx, obj_id in state["obj_idx_to_id"].items()
            },
            "files": {name: file for name, (_, file, _) in current.items()},
            "bases": [
                {
                    "frame": frame,
                    "label": label,
                    "output": base.output is not None,
                    "tracked": None if base.tracked is None else bool(base.tracked["reverse"]),
                    "pixels": None
                    if base.pixels is None
                    else base64.b64encode(base.pixels).decode("ascii"),
                }
                for (frame, label), base in bases.items()
            ],
        }
        write_atomic(self.dir / "index.json", json.dumps(index).encode())
        keep = {file for _, file, _ in current.values()} | {"index.json", "constants.pt"}
        for path in self.dir.iterdir():
            if path.name not in keep and not path.name.startswith("."):
                with contextlib.suppress(OSError):
                    path.unlink()
        self._written = current

    def read(self, prompts: bytes) -> dict[str, Any]:
        """The saved state if it belongs to these prompts (else a problem to tell)."""
        try:
            tracker = read_tracker(self.dir.parent)
        except TrackerError as exc:
            return {"tracker": None, "tracker_problem": f"is unusable ({exc})"}
        if tracker is not None and tracker.prompts != prompts_digest(prompts):
            # A kill between the two writes.
            return {"tracker": None, "tracker_problem": "was written for other prompts"}
        return {"tracker": tracker, "tracker_problem": None}


def _save(path: Path, obj: Any) -> None:
    buf = io.BytesIO()
    torch.save(obj, buf)
    write_atomic(path, buf.getvalue())


@dataclass
class SavedTracker:
    """``<folder>/sam2`` read back (tensors on the CPU)."""

    prompts: str
    obj_ids: list[int]
    tracked: dict[int, dict[int, bool]]
    files: dict[str, str]
    payloads: dict[str, Any]
    bases: list[dict[str, Any]]
    constants: list[torch.Tensor] | None = None


class TrackerError(ValueError):
    """``sam2/`` exists but cannot be used (the prompts are replayed instead)."""


def read_tracker(folder: Path) -> SavedTracker | None:
    """The saved prompt state, or None when there is none.

    Raises
    ------
    TrackerError
        Some part is unreadable or of another format.
    """
    d = folder / "sam2"
    if not (d / "index.json").is_file():
        return None
    try:
        index = json.loads((d / "index.json").read_text())
        if index.get("format") != FORMAT:
            raise TrackerError(f"format {index.get('format')!r} is not {FORMAT}")
        payloads = {
            name: torch.load(d / file, map_location="cpu", weights_only=True)
            for name, file in index["files"].items()
        }
        constants = None
        if (d / "constants.pt").is_file():
            constants = torch.load(d / "constants.pt", map_location="cpu", weights_only=True)
        return SavedTracker(
            index["prompts"],
            [int(o) for o in index["obj_ids"]],
            {
                int(o): {int(t): bool(r) for t, r in frames.items()}
                for o, frames in index["tracked"].items()
            },
            dict(index["files"]),
            payloads,
            list(index["bases"]),
            constants,
        )
    except TrackerError:
        raise
    except (OSError, ValueError, KeyError, TypeError, RuntimeError, EOFError) as exc:
        raise TrackerError(f"{type(exc).__name__}: {exc}") from exc


def restore_tracker(
    predictor: Any, state: dict[str, Any], saved: SavedTracker
) -> tuple[dict[tuple[int, int], Base], dict[str, Any]]:
    """Put the saved prompt state into ``state`` (emptied first). Returns the bases
    and the restored entry objects by name (for the writer to adopt)."""
    device, storage = state["device"], state["storage_device"]
    for key in EDITABLE_KEYS:
        state[key] = type(state[key])()
    state["obj_ids"] = []
    constants = saved.constants
    if constants is not None:
        state["constants"]["maskmem_pos_enc"] = [c.to(device) for c in constants]

    def output(payload: dict[str, torch.Tensor]) -> dict[str, Any]:
        out: dict[str, Any] = {k: None for k in OUTPUT_KEYS}
        for k, t in payload.items():
            out[k] = t.to(storage if k in ON_STORAGE else device)
        pos = state["constants"].get("maskmem_pos_enc")
        has_mem = out["maskmem_features"] is not None and pos is not None
        out["maskmem_pos_enc"] = [x.expand(1, -1, -1, -1) for x in pos] if has_mem else None
        return out

    live: dict[str, Any] = {}
    for obj_id in saved.obj_ids:
        idx = predictor._obj_id_to_idx(state, obj_id)
        state["frames_tracked_per_obj"][idx] = {
            t: {"reverse": r} for t, r in saved.tracked.get(obj_id, {}).items()
        }
    for name, payload in saved.payloads.items():
        kind, obj_id, frame = name.split("-")
        obj_id, frame = int(obj_id), int(frame)
        if kind == "base":
            continue
        idx = state["obj_id_to_idx"][obj_id]
        if kind in ("out", "temp"):
            store = state["output_dict_per_obj" if kind == "out" else "temp_output_dict_per_obj"]
            store[idx]["cond_frame_outputs"][frame] = live[name] = output(payload)
        elif kind == "inputs":
            value: dict[str, Any] = {"points": None, "mask": None}
            if payload["point_coords"] is not None:
                value["points"] = {
                    "point_coords": payload["point_coords"].to(device),
                    "point_labels": payload["point_labels"].to(device),
                }
                state["point_inputs_per_obj"][idx][frame] = value["points"]
            if payload["mask"] is not None:
                value["mask"] = payload["mask"].to(device).float()
                state["mask_inputs_per_obj"][idx][frame] = value["mask"]
            live[name] = value
    bases: dict[tuple[int, int], Base] = {}
    for b in saved.bases:
        frame, label = int(b["frame"]), int(b["label"])
        name = f"base-{label}-{frame}"
        out = None
        if b["output"]:
            out = live[name] = output(saved.payloads[name])
        tracked = None if b["tracked"] is None else {"reverse": bool(b["tracked"])}
        pixels = None if b["pixels"] is None else base64.b64decode(b["pixels"])
        bases[(frame, label)] = Base(out, tracked, pixels)
    return bases, live
