"""The tracker's calls for one session: prompts in, label frames out.

Every call here runs with the session's lock held (inside an edit or a
propagation step) and changes only what :class:`~.core.SessionCore` owns. The model
is reached only through :class:`~.tracking.TrackerModel` (SAM2's is
:class:`sam2_jupyter._sam2.Sam2Tracker`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import PromptError
from .core import SessionCore
from .labels import composite
from .masks import pin
from .prompts import BoxPrompt, MaskPrompt, PointPrompt, Prompt
from .quality import measure, with_frame
from .replay import batch_by_key, batch_members, merge_batch, replay_groups
from .state import base_pixels, capture_base
from .tracking import TrackerModel


class Tracker:
    """Sends prompts to the tracker model and turns its logits into label frames."""

    def __init__(
        self, core: SessionCore, model: TrackerModel, frame_shape: tuple[int, int]
    ) -> None:
        self.core = core
        self.model = model
        self.frame_shape = frame_shape

    def tracked(self) -> list[int]:
        """The objects the model tracks."""
        return self.core.sam.object_ids

    # -- labels -------------------------------------------------------------------
    def store(self, frame: int, obj_ids: list[int], masks: Any) -> np.ndarray:
        """Turn SAM2's per-object logits on ``frame`` into the frame's labels."""
        core, model = self.core, self.model
        sam, labels = core.sam, core.labels
        tracked = sam.object_ids
        known = [model.has_output(sam, o, frame) for o in obj_ids]
        logits = (
            masks[:, 0].float().cpu().numpy()
            if len(obj_ids)
            else np.zeros((0, *self.frame_shape), np.float32)
        )
        previous = labels.get(frame)
        out = composite(logits, list(obj_ids), known, previous)
        # Labels SAM2 does not track (loaded, painted by hand) keep their pixels
        # wherever no tracked label claims them; the frame's record lists them.
        before = core.record.quality.get(frame)
        if before is not None and set(before["label"].tolist()) - set(tracked):
            stray = (out == 0) & (previous != 0) & ~np.isin(previous, tracked)
            out[stray] = previous[stray]
        pin(out, frame, core.record.prompts, core.record.manual)
        labels.set(frame, out)
        # Quality as the frame is produced: SAM2's scores and one pass over the pixels.
        answered = [i for i, k in enumerate(known) if k]
        own = [np.count_nonzero(logits[i] > 0) for i in answered]  # 4× faster than axis=(1, 2)
        rec = measure(
            out,
            [obj_ids[i] for i in answered],
            [model.object_score(sam, obj_ids[i], frame) for i in answered],
            own,
        )
        core.update(quality=with_frame(core.record.quality, frame, rec))
        return out

    def refresh(self, frame: int) -> np.ndarray:
        """Recompute a frame's labels from what the model now holds (after removals)."""
        obj_ids = self.tracked()
        if not obj_ids:
            return self.store(frame, [], None)
        return self.store(frame, obj_ids, self.model.frame_masks(self.core.sam, frame))

    # -- sending ------------------------------------------------------------------
    def send(
        self, frame: int, label: int, prompts: list[Prompt], batched: bool, store: bool = True
    ) -> np.ndarray | None:
        """One sam2 call for one object on one frame.

        Batched: the box (if any) and every point, replacing SAM2's earlier inputs
        for this object on this frame (a mask replaces everything, as sam2 does).
        Not batched: one click added to them. The first prompt of an object on a
        frame records what it had there before (its base)."""
        core = self.core
        if (frame, label) not in core.record.bases:
            base = capture_base(self.model, core.sam, frame, label, core.labels.get(frame))
            core.update(bases={**core.record.bases, (frame, label): base})
        masks = [i for i, p in enumerate(prompts) if isinstance(p, MaskPrompt)]
        if masks:
            # A mask replaces everything before it (as sam2 does); what came after
            # it refines SAM2's mask, sent as one batch.
            mask = prompts[masks[-1]]
            obj_ids, logits = self.model.add_mask(core.sam, frame, label, mask.array())
            prompts = prompts[masks[-1] + 1 :]
            if not prompts:
                return self.store(frame, obj_ids, logits) if store else None
            batched = True
        points = [p for p in prompts if isinstance(p, PointPrompt)]
        boxes = [p for p in prompts if isinstance(p, BoxPrompt)]
        given: dict[str, Any] = {}
        if points:
            given["points"] = [[p.x, p.y] for p in points]
            given["labels"] = [1 if p.positive else 0 for p in points]
        if boxes:
            b = boxes[-1]
            given["box"] = [b.x0, b.y0, b.x1, b.y1]
        obj_ids, logits = self.model.add_points(core.sam, frame, label, clear_old=batched, **given)
        return self.store(frame, obj_ids, logits) if store else None

    def add(self, prompt: Prompt, auto_segment: bool) -> np.ndarray | None:
        """A new point or box: segmented at once (a point as a click, a box with the
        label's points there), or pending until ``segment`` (None)."""
        if not auto_segment:
            self.core.update(pending=[*self.core.record.pending, prompt])
            return None
        if isinstance(prompt, PointPrompt):
            return self.click(prompt)
        return self.batch(prompt.frame, prompt.label, [prompt])

    def click(self, prompt: Prompt) -> np.ndarray:
        """An auto-segmented click: refines the object's mask on its frame."""
        self.core.update(prompts=[*self.core.record.prompts, prompt])
        return self.send(prompt.frame, prompt.label, [prompt], batched=False)

    def batch(self, frame: int, label: int, new: list[Prompt], store: bool = True) -> Any:
        """Send ``new`` with the object's earlier prompts on the frame, as one batch.
        ``store=False`` leaves the frame's labels to a :meth:`refresh` after many
        batches on one frame (seeding hundreds of objects composites once)."""
        core = self.core
        held = merge_batch(core.record.prompts, new, core.new_group())
        core.update(prompts=held)
        return self.send(frame, label, batch_members(held, (frame, label)), True, store)

    def segment_pending(self) -> list[int]:
        """Send the pending prompts, each label's on a frame as one batch; returns
        the frames changed."""
        groups = batch_by_key(self.core.record.pending)
        for (frame, label), new in groups.items():
            self.batch(frame, label, new)
        self.core.update(pending=[])
        return sorted({f for f, _ in groups})

    # -- removing -----------------------------------------------------------------
    def remove_nearest(
        self, frame: int, y: float, x: float, label: int | None, tolerance: float
    ) -> Prompt:
        """Remove the prompt nearest to (y, x) on ``frame`` (pending ones first on a
        tie); the label's other prompts there are resent from its base."""
        rec = self.core.record
        candidates = [
            (p.distance(y, x), i, p)
            for i, p in enumerate(rec.pending + rec.prompts)
            if p.frame == frame and (label is None or p.label == label)
        ]
        candidates = [c for c in candidates if c[0] <= tolerance]
        if not candidates:
            raise PromptError(
                f"no prompt within {tolerance:g} px of (y={y:g}, x={x:g}) on frame {frame}"
            )
        _, i, removed = min(candidates, key=lambda c: (c[0], c[1]))
        if i < len(rec.pending):
            self.core.update(pending=rec.pending[:i] + rec.pending[i + 1 :])
            return removed
        j = i - len(rec.pending)
        self.core.update(prompts=rec.prompts[:j] + rec.prompts[j + 1 :])
        if not any(p.label == removed.label for p in self.core.record.prompts):
            self.drop_object(removed.label)
        else:
            self.replay_key(frame, removed.label)
        return removed

    def clear_all(self) -> None:
        """Every label, prompt and pixel gone (Start fresh)."""
        for label in sorted(self.core.label_ids()):
            self.drop_object(label)
        self.core.update(pending=[])
        self.core.labels.restore({})

    def replay_key(self, frame: int, label: int) -> None:
        """Resend the object's remaining prompts on ``frame`` from its base: what it
        had there before its first prompt (the tracked mask, for a correction)."""
        core = self.core
        base = core.record.bases.get((frame, label))
        output, tracked = (None, None) if base is None else (base.output, base.tracked)
        self.model.restart_frame(core.sam, frame, label, output, tracked)
        remaining = batch_members(core.record.prompts, (frame, label))
        if remaining:
            replay_groups(self.send, remaining)
            return
        core.update(bases={k: b for k, b in core.record.bases.items() if k != (frame, label)})
        labels = self.refresh(frame)
        if base is not None and base.output is None:
            # SAM2 holds nothing here: the object's pixels are what they were.
            labels[labels == label] = 0
            labels[base_pixels(base, labels.shape) & (labels == 0)] = label
            core.labels.set(frame, labels)

    def drop_object(self, label: int) -> None:
        """Remove an object: its prompts, its SAM2 memory, what was drawn of it, its
        daughters' link to it, and its labels everywhere."""
        core = self.core
        core.drop_label(label)  # every field of the record (see .fields.FIELDS)
        self.model.remove_object(core.sam, label)
        for t in core.labels.labelled_frames():
            frame = core.labels.get(t)
            if (frame == label).any():
                if self.tracked():
                    frame = self.refresh(t)
                frame[frame == label] = 0
                core.labels.set(t, frame)
