"""The Session: prompts, SAM2 state, propagation and labels for one frame sequence.

It drives sam2's own ``SAM2VideoPredictor`` with exactly the calls a script would
make (so its masks equal sam2's, which the parity tests check), and adds what an
annotation tool needs around it: validated input, a label volume, exact undo/redo,
cancellable streaming propagation, bounded-memory modes, and exports.

Thread model: every method takes the session lock, so one notebook thread and one
worker thread can share a Session. While a propagation runs, prompt edits raise
:class:`SessionBusyError` (the propagation would otherwise read a state changing
under it); ``cancel()`` is the one call meant for another thread.
"""

from __future__ import annotations

import contextlib
import threading
from collections import OrderedDict, deque
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ..errors import OutOfMemoryError, PromptError, SessionBusyError
from ..io import Stack, open_stack
from ..models import Model, inference
from .autosave import (
    Autosave,
    SavedSession,
)
from .conditioned import CorrectionCache, install
from .conditioned import default_budget as correction_budget
from .features import FeatureCache, default_budget
from .files import SessionFiles
from .frames import SamFrames
from .labels import LabelStore, composite
from .memory import MemoryMode, memory_window, release_outside_window
from .precompute import SessionFeatures
from .prompts import (
    Prompt,
    check_box,
    check_frame,
    check_label,
    check_point,
)
from .propagation import Plan, Propagation, make_plan
from .resume import SessionAutosave
from .state import (
    Base,
    base_pixels,
    capture_base,
    has_output,
    new_inference_state,
    reset_to_base,
    restore_state,
    snapshot_state,
)

# Running out of host (MemoryError) or GPU (torch.OutOfMemoryError) memory.
OUT_OF_MEMORY = (torch.OutOfMemoryError, MemoryError)


@dataclass
class _Snapshot:
    sam: dict[str, Any]
    labels: dict[int, bytes]
    prompts: list[Prompt]
    pending: list[Prompt]
    bases: dict[tuple[int, int], Base]


class Session(SessionAutosave, SessionFeatures, SessionFiles):
    """Interactive SAM2 segmentation and tracking of one sequence of frames.

    Parameters
    ----------
    stack
        A :class:`~sam2_jupyter.io.Stack` or anything :func:`open_stack` accepts.
    model
        From :func:`~sam2_jupyter.load_model`.
    memory_mode
        "normal", "low" or "super-low" (see :class:`MemoryMode`). Low modes give the
        same propagation masks with memory that does not grow with the video length.
    auto_segment
        True: each point or box is segmented at once, conditioned on the masks of the
        previous clicks (SAM2's interactive refinement). False: prompts wait until
        :meth:`segment`, which sends each object's prompts on a frame together.
    history
        How many edits :meth:`undo` can take back.
    feature_cache
        Bytes of image-encoder outputs to keep, so that clicks on visited frames and
        re-propagation skip the image encoder (masks are identical). Default: a
        quarter of the free memory where the model runs (at most 8 GiB) in normal
        mode; in the low modes only the last frame, as sam2 does. 0 or None: off.
    feature_dir
        Also keep image features on disk (Zarr), keyed by the model and each
        frame's pixels, so that reopening the data, or another session on it,
        skips the image encoder. True: a per-user cache folder
        (``$SAM2_JUPYTER_FEATURE_DIR`` overrides). About 17 MB per frame at
        1024 px, for every model size; trimmed to 50 GiB per model.
    correction_cache
        Bytes of memory-conditioned features to keep from propagation, so that a
        click on a tracked frame (a correction) skips SAM2's memory attention; masks
        are identical. "auto": an eighth of the free memory where SAM2 keeps its
        state (at most 2 GiB) in normal mode, 256 MiB in the low modes. With
        ``feature_dir``, what does not fit in memory goes to a temporary folder
        there (removed with the session). 0 or None: off.
    autosave
        A session folder (or True for the default: ``<data file>.sam2`` beside the
        data when writable, else a per-user folder) that always holds the prompts
        and labels shown, written incrementally and atomically after every edit and
        every propagated frame. None: off (the Annotator turns it on).
    resume
        When the folder holds a session saved for the same data: True restores its
        prompts and labels (see :attr:`resumed`); False moves it aside (kept as
        ``<folder>.old-<time>``) and starts empty. A save made for other data is
        always moved aside, never overwritten. What happened is in :attr:`notes`.
    """

    def __init__(
        self,
        stack: Any,
        model: Model,
        memory_mode: str | MemoryMode = "normal",
        *,
        auto_segment: bool = True,
        history: int = 100,
        feature_cache: int | None = -1,
        feature_dir: str | Path | bool | None = None,
        correction_cache: int | str | None = "auto",
        autosave: str | Path | bool | None = None,
        resume: bool = True,
    ) -> None:
        self.stack: Stack = open_stack(stack)
        self.model = model
        self.memory_mode = MemoryMode.parse(memory_mode)
        self.auto_segment = bool(auto_segment)
        mode = self.memory_mode
        low = mode.frame_cache is not None
        cache_device = torch.device("cpu") if low else model.device
        self._frames = SamFrames(
            self.stack, model.image_size, model.device, mode.frame_cache, cache_device
        )
        h, w = self.stack.frame_shape
        if feature_cache == -1:
            feature_cache = None if low else default_budget(model.device)
        store = self._feature_store(feature_dir)
        self.features = FeatureCache(feature_cache or 0, store) if feature_cache or store else None
        self._on_disk: set[int] = set()  # frames found or written on disk
        self._state = new_inference_state(
            self._frames, h, w, model.device, low, mode.offload_state, self.features
        )
        self._labels = LabelStore(self.stack.n_frames, (h, w))
        self._prompts: list[Prompt] = []
        self._pending: list[Prompt] = []
        self._bases: dict[tuple[int, int], Base] = {}
        self.corrections = self._correction_cache(correction_cache, store)
        self._undo: deque[_Snapshot] = deque(maxlen=max(1, history))
        self._redo: list[_Snapshot] = []
        self._lock = threading.RLock()
        self._cancel = threading.Event()
        self._busy = False
        self._group = 0
        self._window = memory_window(model.predictor)
        self.autosave: Autosave | None = None
        self.resumed: SavedSession | None = None
        self.notes: list[str] = []
        if autosave:
            self._open_autosave(autosave, resume)

    def _correction_cache(self, budget: int | str | None, store: Any) -> CorrectionCache:
        storage = self._state["storage_device"]
        if budget == "auto":
            budget = correction_budget(storage, self.memory_mode.frame_cache is not None)
        elif budget is not None and (isinstance(budget, bool) or not isinstance(budget, int)):
            raise ValueError(f"correction_cache must be bytes, 'auto' or None, got {budget!r}")
        install(self.model.predictor)
        spill = store.dir.parent / "corrections" if store is not None else None
        return CorrectionCache(self._state, self.model.predictor, budget or 0, storage, spill)

    # -- read-only views ----------------------------------------------------------
    @property
    def predictor(self) -> Any:
        return self.model.predictor

    @property
    def n_frames(self) -> int:
        return self.stack.n_frames

    @property
    def frame_shape(self) -> tuple[int, int]:
        return self.stack.frame_shape

    @property
    def frame_axis(self) -> str:
        return self.stack.prop_axis or "T"

    @property
    def prompts(self) -> tuple[Prompt, ...]:
        """Prompts sent to SAM2, in the order they were given."""
        return tuple(self._prompts)

    @property
    def pending(self) -> tuple[Prompt, ...]:
        """Prompts waiting for :meth:`segment` (auto_segment=False)."""
        return tuple(self._pending)

    @property
    def busy(self) -> bool:
        return self._busy

    @property
    def label_ids(self) -> list[int]:
        """Object ids that have prompts or labelled pixels in SAM2's state."""
        ids = {p.label for p in self._prompts} | {p.label for p in self._pending}
        ids |= set(self._state["obj_ids"])
        return sorted(ids)

    def next_unused_label(self) -> int:
        """One more than the largest label in use (napari's M key convention)."""
        ids = self.label_ids
        return (max(ids) + 1) if ids else 1

    @property
    def labels(self) -> np.ndarray:
        """(frames, Y, X) uint16 label volume; 0 is background, label id = object id.

        Where objects overlap, a pixel goes to the object with the highest mask logit
        (see :func:`~sam2_jupyter.engine.labels.composite`). This builds a new array;
        :meth:`label_frame` reads one frame.
        """
        with self._lock:
            return self._labels.to_array()

    def label_frame(self, t: int) -> np.ndarray:
        return self._labels.get(check_frame(t, self.n_frames))

    def image_frame(self, t: int) -> np.ndarray:
        """Frame ``t`` as the uint8 RGB image SAM2 sees (before resizing)."""
        return self.stack.display_frame(check_frame(t, self.n_frames))

    # -- internals ------------------------------------------------------------------
    def _snapshot(self) -> _Snapshot:
        return _Snapshot(
            snapshot_state(self._state),
            self._labels.snapshot(),
            list(self._prompts),
            list(self._pending),
            dict(self._bases),
        )

    def _restore(self, snap: _Snapshot) -> None:
        restore_state(self._state, snap.sam)
        self._labels.restore(snap.labels)
        self._prompts = list(snap.prompts)
        self._pending = list(snap.pending)
        self._bases = dict(snap.bases)

    def _check_idle(self) -> None:
        if self._busy:
            raise SessionBusyError(
                "propagation is running; cancel it or wait before editing prompts"
            )

    @contextlib.contextmanager
    def _edit(self) -> Iterator[None]:
        """One undoable step: all of it happens, or none of it (state restored)."""
        with self._lock:
            self._check_idle()
            snap = self._snapshot()
            try:
                with inference(self.model), self.corrections.active():
                    yield
            except OUT_OF_MEMORY as exc:
                self._restore(snap)
                raise self._out_of_memory("during this edit, which was undone") from exc
            except BaseException:
                self._restore(snap)
                raise
            self._undo.append(snap)
            self._redo.clear()
            self._sync_autosave()

    def _new_group(self) -> int:
        self._group += 1
        return self._group

    def _store(self, frame: int, obj_ids: list[int], masks: Any) -> np.ndarray:
        """Turn SAM2's per-object logits on ``frame`` into the frame's labels."""
        idx = self._state["obj_id_to_idx"]
        known = [has_output(self._state, idx[o], frame) for o in obj_ids]
        logits = (
            masks[:, 0].float().cpu().numpy()
            if len(obj_ids)
            else np.zeros((0, *self.frame_shape), np.float32)
        )
        labels = composite(logits, list(obj_ids), known, self._labels.get(frame))
        self._labels.set(frame, labels)
        return labels

    def _refresh(self, frame: int) -> np.ndarray:
        """Recompute a frame's labels from what SAM2 now holds (after removals)."""
        obj_ids = list(self._state["obj_ids"])
        if not obj_ids:
            return self._store(frame, [], None)
        is_cond = any(
            frame in d["cond_frame_outputs"]
            for d in self._state["temp_output_dict_per_obj"].values()
        )
        out = self.predictor._consolidate_temp_output_across_obj(
            self._state, frame, is_cond=is_cond, consolidate_at_video_res=True
        )
        _, masks = self.predictor._get_orig_video_res_output(
            self._state, out["pred_masks_video_res"]
        )
        return self._store(frame, obj_ids, masks)

    def _send(self, frame: int, label: int, prompts: list[Prompt], batched: bool) -> np.ndarray:
        """One call of sam2's ``add_new_points_or_box``.

        Batched: the box (if any) and every point, replacing SAM2's earlier inputs for
        this object on this frame. Not batched: one click added to them. The first
        prompt of an object on a frame records what it had there before (its base).
        """
        if (frame, label) not in self._bases:
            self._bases[(frame, label)] = capture_base(
                self._state, frame, label, self._labels.get(frame)
            )
        points = [[p.x, p.y] for p in prompts if p.kind == "point"]
        signs = [1 if p.positive else 0 for p in prompts if p.kind == "point"]
        boxes = [p for p in prompts if p.kind == "box"]
        box = [boxes[-1].x0, boxes[-1].y0, boxes[-1].x1, boxes[-1].y1] if boxes else None
        _, obj_ids, masks = self.predictor.add_new_points_or_box(
            self._state,
            frame_idx=frame,
            obj_id=label,
            points=points or None,
            labels=signs or None,
            clear_old_points=batched,
            box=box,
        )
        return self._store(frame, list(obj_ids), masks)

    def _batch(self, frame: int, label: int, new: list[Prompt]) -> np.ndarray:
        """Send the new prompts with this object's earlier points on the frame; a new
        box replaces the old one (SAM2 takes one box per object and frame)."""
        key = (frame, label)
        new = [replace(p, batched=True) for p in new]
        new_box = any(p.kind == "box" for p in new)
        kept = [q for q in self._prompts if q.key != key or not (new_box and q.kind == "box")]
        self._prompts = kept + new
        return self._send(frame, label, [q for q in self._prompts if q.key == key], True)

    # -- prompts ----------------------------------------------------------------------
    def add_point(
        self, frame: int, y: float, x: float, label: int, positive: bool = True
    ) -> np.ndarray | None:
        """A positive (or negative) click at pixel (y, x) of ``frame`` for ``label``.

        Returns the frame's new labels in auto-segment mode, else None (pending).
        """
        frame = check_frame(frame, self.n_frames)
        label = check_label(label)
        y, x = check_point(y, x, self.frame_shape)
        with self._edit():
            p = Prompt(frame, label, "point", bool(positive), y=y, x=x, group=self._new_group())
            if not self.auto_segment:
                self._pending.append(p)
                return None
            self._prompts.append(p)
            return self._send(frame, label, [p], batched=False)

    def add_box(
        self, frame: int, y0: float, x0: float, y1: float, x1: float, label: int
    ) -> np.ndarray | None:
        """A box with corners (y0, x0) and (y1, x1) on ``frame`` for ``label``.

        It replaces this object's earlier box on the frame and is sent together with
        the object's points there (SAM2 wants the box first).
        """
        frame = check_frame(frame, self.n_frames)
        label = check_label(label)
        top, left, bottom, right = check_box(y0, x0, y1, x1, self.frame_shape)
        with self._edit():
            p = Prompt(
                frame,
                label,
                "box",
                True,
                y0=top,
                x0=left,
                y1=bottom,
                x1=right,
                group=self._new_group(),
            )
            if not self.auto_segment:
                self._pending.append(p)
                return None
            return self._batch(frame, label, [p])

    def segment(self) -> list[int]:
        """Send the pending prompts, each object's prompts on a frame as one batch.

        Returns the frames whose labels changed.
        """
        if not self._pending:
            return []
        with self._edit():
            groups: OrderedDict[tuple[int, int], list[Prompt]] = OrderedDict()
            for p in self._pending:
                groups.setdefault(p.key, []).append(p)
            for (frame, label), new in groups.items():
                g = self._new_group()
                self._batch(frame, label, [replace(p, group=g) for p in new])
            self._pending = []
            return sorted({f for f, _ in groups})

    def remove_point(
        self, frame: int, y: float, x: float, label: int | None = None, tolerance: float = 10.0
    ) -> Prompt:
        """Remove the point (or box corner) nearest to (y, x) on ``frame``.

        The object's remaining prompts on that frame are replayed in their original
        order and grouping, so the mask is what it would have been without the removed
        prompt. Removing an object's last prompt removes the object (as
        :meth:`clear_label`). Returns the removed prompt.
        """
        frame = check_frame(frame, self.n_frames)
        y, x = check_point(y, x, self.frame_shape)

        def dist(p: Prompt) -> float:
            if p.kind == "point":
                return float(np.hypot(p.y - y, p.x - x))
            return min(
                float(np.hypot(cy - y, cx - x)) for cy in (p.y0, p.y1) for cx in (p.x0, p.x1)
            )

        with self._edit():
            candidates = [
                (dist(p), i, p)
                for i, p in enumerate(self._pending + self._prompts)
                if p.frame == frame and (label is None or p.label == label)
            ]
            candidates = [c for c in candidates if c[0] <= tolerance]
            if not candidates:
                raise PromptError(
                    f"no prompt within {tolerance:g} px of (y={y:g}, x={x:g}) on frame {frame}"
                )
            _, i, removed = min(candidates, key=lambda c: (c[0], c[1]))
            if i < len(self._pending):
                del self._pending[i]
                return removed
            del self._prompts[i - len(self._pending)]
            if not any(p.label == removed.label for p in self._prompts):
                self._drop_object(removed.label)
            else:
                self._replay(frame, removed.label)
            return removed

    def _replay(self, frame: int, label: int) -> None:
        """Resend the object's remaining prompts on ``frame`` from its base: what it
        had there before its first prompt (the tracked mask for a correction)."""
        state = self._state
        self.predictor.clear_all_prompts_in_frame(state, frame, label, need_output=False)
        base = self._bases.get((frame, label))
        reset_to_base(state, frame, label, base)
        remaining = [p for p in self._prompts if p.key == (frame, label)]
        if not remaining:
            self._bases.pop((frame, label), None)
            labels = self._refresh(frame)
            if base is not None and base.output is None:
                # SAM2 holds nothing here: the object's pixels are what they were.
                labels[labels == label] = 0
                labels[base_pixels(base, labels.shape) & (labels == 0)] = label
                self._labels.set(frame, labels)
            return
        order = list(OrderedDict.fromkeys(p.group for p in remaining))
        for g in order:
            members = [p for p in remaining if p.group == g]
            if members[0].batched:
                upto = remaining[: max(remaining.index(p) for p in members) + 1]
                self._send(frame, label, upto, batched=True)
            else:
                self._send(frame, label, members, batched=False)

    def _drop_object(self, label: int) -> None:
        self._prompts = [p for p in self._prompts if p.label != label]
        self._pending = [p for p in self._pending if p.label != label]
        self._bases = {k: b for k, b in self._bases.items() if k[1] != label}
        if label in self._state["obj_id_to_idx"]:
            self.predictor.remove_object(self._state, label, need_output=False)
        for t in self._labels.labelled_frames():
            if (self._labels.get(t) == label).any():
                self._refresh(t)

    def clear_label(self, label: int) -> None:
        """Remove an object: its prompts, its SAM2 memory and its labels on every frame."""
        label = check_label(label)
        with self._edit():
            if label not in self.label_ids:
                raise PromptError(f"label {label} is not in use (labels: {self.label_ids})")
            self._drop_object(label)

    def undo(self) -> bool:
        """Take back the last edit or propagation exactly; False if nothing to undo."""
        with self._lock:
            self._check_idle()
            if not self._undo:
                return False
            self._redo.append(self._snapshot())
            self._restore(self._undo.pop())
            self._sync_autosave()
            return True

    def redo(self) -> bool:
        """Re-apply what :meth:`undo` took back; False if nothing to redo."""
        with self._lock:
            self._check_idle()
            if not self._redo:
                return False
            self._undo.append(self._snapshot())
            self._restore(self._redo.pop())
            self._sync_autosave()
            return True

    # -- propagation ------------------------------------------------------------------
    def propagate(
        self,
        reverse: bool = False,
        both: bool = False,
        start: int | None = None,
        stop: int | None = None,
        *,
        direction: str | None = None,
    ) -> Propagation:
        """Track every object from ``start`` (default: the earliest prompted frame).

        Returns a :class:`~sam2_jupyter.engine.propagation.Propagation`: iterate it
        for ``(frame, labels)`` as each frame is computed; its ``plan`` says which
        frames it will compute. ``direction`` "forward" (default) runs to ``stop``
        (default the last frame), "reverse" backwards to ``stop`` (default 0),
        "both" forward then backward from ``start``; ``reverse=True`` and
        ``both=True`` mean the same. Pending prompts are segmented first.
        :meth:`cancel` (from any thread) stops it before the next frame; every
        completed frame is kept. A propagation is one undoable step.

        Prompted frames are SAM2 conditioning frames for their object: propagation
        keeps their masks exactly and tracks from them (also a correction made on
        a tracked frame). Frames outside the plan are left as they are.

        Raises
        ------
        PromptError
            No prompts yet, or a start, stop or direction that does not fit.
        SessionBusyError
            Another propagation is running.
        """
        if direction is None:
            direction = "both" if both else "reverse" if reverse else "forward"
        with self._lock:
            self._check_idle()
            if self._pending:
                self.segment()
            if not self._prompts:
                raise PromptError("no prompts yet: add a point or a box before propagating")
            first = min(p.frame for p in self._prompts)
            plan = make_plan(self.n_frames, first, direction, start, stop)
            self._cancel.clear()
        return Propagation(plan, self._propagate(plan))

    def _propagate(self, plan: Plan) -> Iterator[tuple[int, np.ndarray]]:
        with self._lock:
            self._check_idle()
            self._busy = True
            snap = self._snapshot()
        pushed = False
        done: list[int] = []
        try:
            for reverse, count in plan.passes:
                gen = self.predictor.propagate_in_video(
                    self._state,
                    start_frame_idx=plan.start,
                    max_frame_num_to_track=count,
                    reverse=reverse,
                )
                try:
                    while not self._cancel.is_set():
                        with self._lock, self.model.autocast(), self.corrections.active():
                            try:
                                frame, obj_ids, masks = next(gen)
                            except StopIteration:
                                break
                            if not pushed:
                                self._undo.append(snap)
                                self._redo.clear()
                                pushed = True
                            labels = self._store(frame, list(obj_ids), masks)
                            if self.autosave is not None:  # before anyone sees it
                                self.autosave.write_frame(frame, self._labels.blob(frame))
                            if self.memory_mode.release_outputs:
                                release_outside_window(self._state, frame, self._window)
                        done.append(frame)
                        yield frame, labels
                finally:
                    gen.close()
                if self._cancel.is_set():
                    break
        except OUT_OF_MEMORY as exc:
            where = f"after frame {done[-1]}" if done else "on the first frame"
            raise self._out_of_memory(
                f"while propagating, {where}; the {len(done)} finished frames are kept"
            ) from exc
        finally:
            with self._lock:
                self._busy = False
                self._sync_autosave()

    def _out_of_memory(self, what: str) -> OutOfMemoryError:
        """The sentence a user needs after running out of memory: what was kept and
        what to switch to."""
        if self.model.device.type == "cuda":
            torch.cuda.empty_cache()
        advice = {
            "normal": "switch to memory_mode='low' (or 'super-low')",
            "low": "switch to memory_mode='super-low'",
        }.get(self.memory_mode.name, "use a smaller model or image_size")
        return OutOfMemoryError(
            f"out of memory on {self.model.device} {what}: {advice}, then try again"
        )

    def run_propagation(
        self,
        reverse: bool = False,
        both: bool = False,
        start: int | None = None,
        stop: int | None = None,
        *,
        direction: str | None = None,
    ) -> list[int]:
        """:meth:`propagate` to completion (or cancel); returns the frames computed."""
        run = self.propagate(reverse, both, start, stop, direction=direction)
        return [t for t, _ in run]

    def cancel(self) -> None:
        """Stop a running propagation before its next frame (safe from any thread)."""
        self._cancel.set()

    def add_prompts(self, prompts: list[Prompt], replace_all: bool = False) -> None:
        """Send many prompts at once, batched per object and frame, as one undoable
        step (what :meth:`load_prompts` does after reading the file)."""
        checked = []
        for p in prompts:
            frame = check_frame(p.frame, self.n_frames)
            label = check_label(p.label)
            if p.kind == "point":
                y, x = check_point(p.y, p.x, self.frame_shape)
                checked.append(Prompt(frame, label, "point", bool(p.positive), y=y, x=x))
            else:
                y0, x0, y1, x1 = check_box(p.y0, p.x0, p.y1, p.x1, self.frame_shape)
                checked.append(Prompt(frame, label, "box", True, y0=y0, x0=x0, y1=y1, x1=x1))
        with self._edit():
            if replace_all:
                for label in self.label_ids:
                    self._drop_object(label)
            groups: OrderedDict[tuple[int, int], list[Prompt]] = OrderedDict()
            for p in checked:
                groups.setdefault(p.key, []).append(p)
            for (frame, label), new in groups.items():
                g = self._new_group()
                self._batch(frame, label, [replace(p, group=g) for p in new])

    def __repr__(self) -> str:
        return (
            f"Session({self.stack.name}, {self.n_frames} frames, {self.model!r}, "
            f"memory={self.memory_mode.name}, objects={self.label_ids})"
        )
