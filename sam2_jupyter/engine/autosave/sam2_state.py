"""SAM2's prompt state in the store, for a resume that keeps corrections.

Replaying the saved prompts rebuilds SAM2's state only for prompts given on frames
nothing had tracked yet. A correction (a click on a tracked frame) was decoded with
SAM2's memory of the other frames and its earlier mask there, which a replay in a
fresh session does not have: the resumed frame would show the saved labels, but
the next propagation would keep and track from another mask. So the store also
holds, as ``sam2`` rows, every conditioning output SAM2 keeps (its mask logits,
memory features, object pointer and score, as sam2 stores them, bit for bit), the
prompt inputs sam2 holds, which frames each object was tracked on and in which
direction, and each prompted frame's base (:class:`~.state.Base`). Resuming with
the same model puts them back as they were; the next propagation then keeps every
correction exactly. The memory of propagated, unprompted frames is not saved (about
0.8 MB per frame and object at 1024 px); the next propagation recomputes it.

The ``index`` row names the entries of one state and holds a digest of the prompts
it belongs to: when a damaged row was skipped, or prompts were, the state is not
restored (the prompts are replayed instead).
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import torch

from ..._sam2.calls import object_index
from ..._sam2.state import EDITABLE_KEYS
from ..core import Snapshot
from ..rows import Codec, Reading, Rows, prompts_json
from ..state import Base
from .codecs import record_prompts_json

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


def identity(value: dict[str, Any]) -> tuple[Any, ...]:
    """The entry's tensors (compared by identity): sam2 replaces tensors, never
    writes into them, and undo snapshots copy the dicts but share the tensors."""
    if "points" in value:
        points = value["points"] or {}
        return (points.get("point_coords"), points.get("point_labels"), value["mask"])
    return tuple(value.get(k) for k in OUTPUT_KEYS)


def is_sam2(state: Any) -> bool:
    """Whether ``state`` is SAM2's inference state. Another tracker's (EdgeTAM's)
    is not saved: a resume sends its prompts again (see ``resume.py``)."""
    return isinstance(state, dict) and "obj_idx_to_id" in state


def constants_of(state: Any) -> Any:
    """SAM2's memory position encodings (None for another tracker's state)."""
    return state["constants"].get("maskmem_pos_enc") if is_sam2(state) else None


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


class Sam2Codec(Codec):
    """SAM2's prompt state as rows of the ``sam2`` kind: one per entry (its tensors as
    ``torch.save`` writes them), the constants, and an ``index`` naming the entries
    of this state and the prompts it belongs to. All are written in the edit's
    transaction, so the index never names a missing entry."""

    kind = "sam2"

    def write(self, snap: Snapshot) -> Rows:
        state, bases = snap.sam, snap.record.bases
        rows: Rows = {}
        if not is_sam2(state):
            return rows  # no index row: a resume replays the prompts
        for name, value, payload in entries(state, bases):
            rows[name] = (identity(value), lambda p=payload: _dump(p()))
        constants = state["constants"].get("maskmem_pos_enc")
        if constants is not None:
            rows["constants"] = (constants, lambda: _dump([_compact(c) for c in constants]))
        index = json.dumps(_index(snap, [n for n in rows if n != "constants"])).encode()
        rows["index"] = (index, lambda: index)
        return rows

    def read(self, rows: Iterable[tuple[str, bytes]], reading: Reading) -> dict[str, Any]:
        """The saved state if it is whole and belongs to the prompts read (else why
        not: the prompts are replayed instead)."""
        values = reading.values
        prompts = prompts_json(values.get("prompts", ()), values.get("pending", ()))
        try:
            tracker = read_tracker(dict(rows))
        except TrackerError as exc:
            return {"tracker": None, "tracker_problem": f"is unusable ({exc})"}
        if tracker is not None and tracker.prompts != prompts_digest(prompts):
            return {"tracker": None, "tracker_problem": "was written for other prompts"}
        return {"tracker": tracker, "tracker_problem": None}

    def adopt(self, saved: Any, live: Mapping[str, Any] | None) -> dict[str, Any] | None:
        """The entries restored (``live``, by name) are the rows read: compared by the
        identity of their tensors. A migrated save's rows are named after its files,
        and rewritten once."""
        tracker = saved.tracker
        if live is None or not tracker or any(k != v for k, v in tracker.files.items()):
            return None
        return {name: identity(value) for name, value in live.items() if name in tracker.files}


def _index(snap: Snapshot, names: list[str]) -> dict[str, Any]:
    state, bases = snap.sam, snap.record.bases
    return {
        "format": FORMAT,
        "prompts": prompts_digest(record_prompts_json(snap.record)),
        "obj_ids": [int(o) for o in state["obj_ids"]],
        "tracked": {
            str(obj_id): {
                str(t): bool(v.get("reverse", False))
                for t, v in state["frames_tracked_per_obj"][idx].items()
            }
            for idx, obj_id in state["obj_idx_to_id"].items()
        },
        "files": {name: name for name in names},
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


def tracker_of(snap: Snapshot, constants: Any) -> SavedTracker | None:
    """SAM2's prompt state held in memory, as a resume reads it (tensors copied to
    the CPU): a Session rebuilt for another memory mode or channels takes it over
    without the disk. None for another tracker (its prompts are replayed)."""
    if not is_sam2(snap.sam):
        return None
    names, payloads = [], {}
    for name, _, payload in entries(snap.sam, snap.record.bases):
        names.append(name)
        payloads[name] = payload()
    index = _index(snap, names)
    return SavedTracker(
        index["prompts"],
        index["obj_ids"],
        {int(o): {int(t): r for t, r in f.items()} for o, f in index["tracked"].items()},
        index["files"],
        payloads,
        index["bases"],
        None if constants is None else [_compact(c) for c in constants],
    )


def _dump(obj: Any) -> bytes:
    buf = io.BytesIO()
    torch.save(obj, buf)
    return buf.getvalue()


def _load(data: bytes) -> Any:
    return torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)


@dataclass
class SavedTracker:
    """the store's ``sam2`` rows read back (tensors on the CPU)."""

    prompts: str
    obj_ids: list[int]
    tracked: dict[int, dict[int, bool]]
    files: dict[str, str]
    payloads: dict[str, Any]
    bases: list[dict[str, Any]]
    constants: list[torch.Tensor] | None = None


class TrackerError(ValueError):
    """the ``sam2`` rows exists but cannot be used (the prompts are replayed instead)."""


def read_tracker(rows: Mapping[str, bytes]) -> SavedTracker | None:
    """The saved prompt state from its rows (name -> bytes), or None when there is
    none.

    Raises
    ------
    TrackerError
        Some part is missing, unreadable or of another format.
    """
    if "index" not in rows:
        return None
    try:
        index = json.loads(rows["index"])
        if index.get("format") != FORMAT:
            raise TrackerError(f"format {index.get('format')!r} is not {FORMAT}")
        payloads = {name: _load(rows[file]) for name, file in index["files"].items()}
        constants = _load(rows["constants"]) if "constants" in rows else None
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
    except Exception as exc:  # a garbled blob fails in any of torch.load's ways
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
        idx = object_index(predictor, state, obj_id)
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
