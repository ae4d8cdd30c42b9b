"""Opening a session folder: resuming what it holds, or setting it aside, and keeping
it in step afterwards (see :mod:`.folder` for the format)."""

from __future__ import annotations

import logging
import warnings
from pathlib import Path
from typing import Any

from ...errors import AutosaveError, AutosaveWarning
from ...io import Stack
from ...models import Model, inference
from ..core import SessionCore, Snapshot
from ..features import weights_digest
from ..replay import Send, replay_groups
from .folder import SAME_SOURCE, Autosave, SavedSession, default_folder, fingerprint
from .sam2_state import restore_tracker

log = logging.getLogger(__name__)


def model_id(model: Model) -> str:
    """Which model made the labels: name, size and a digest of the encoder weights
    (computed once per loaded model)."""
    return f"{model.spec.label} {model.image_size}px weights {weights_digest(model.predictor)[:12]}"


class Resumer:
    """A session's autosave: opens the folder, resumes it into the core, and writes
    every committed change. ``send`` resends prompts (the model may differ)."""

    def __init__(self, core: SessionCore, model: Model, stack: Stack, send: Send) -> None:
        self.core = core
        self.model = model
        self.stack = stack
        self.send = send
        self.autosave: Autosave | None = None
        self.resumed: SavedSession | None = None
        self.notes: list[str] = []

    def note(self, text: str, warn: bool = True) -> None:
        """Record what happened to saved work. Set-aside saves and damaged frames
        warn; a plain resume is news, not a problem, so it is only logged (the
        annotator shows every note in its status line)."""
        self.notes.append(text)
        if warn:
            warnings.warn(text, AutosaveWarning, stacklevel=4)
        else:
            log.info(text)

    def open(self, where: str | Path | bool, resume: bool) -> None:
        folder = default_folder(self.stack) if where is True else Path(where).expanduser()
        source = fingerprint(self.stack)
        try:
            saved = Autosave.read(folder, self.stack.frame_shape)
        except AutosaveError as exc:
            self.note(f"{exc}; kept as {Autosave.set_aside(folder)}")
            saved = None
        if saved is not None:
            differs = [k for k in SAME_SOURCE if saved.source.get(k) != source.get(k)]
            if differs:
                moved = Autosave.set_aside(folder)
                self.note(
                    f"the session saved in {folder} was made for other data "
                    f"({', '.join(differs)} differ); kept as {moved}"
                )
                saved = None
            elif not (saved.prompts or saved.pending or saved.labels):
                saved = None  # nothing to bring back
            elif not resume:
                moved = Autosave.set_aside(folder)
                self.note(f"started fresh; the saved session is kept as {moved}")
                saved = None
        self.autosave = Autosave(folder, source, model_id(self.model))
        if saved is not None:
            self._resume(saved)
        self.sync()

    def _resume(self, saved: SavedSession) -> None:
        live = self._restore(saved)
        constants = self.core.sam["constants"].get("maskmem_pos_enc")
        assert self.autosave is not None
        self.autosave.adopt(saved, live, constants)
        self.note(f"resumed from {saved.folder}: {saved.summary()}", warn=False)
        for problem in saved.problems:
            self.note(f"skipped a damaged saved frame: {problem}")
        if saved.tracker_problem:
            self.note(
                f"SAM2's saved state in {saved.folder / 'sam2'} {saved.tracker_problem}: the "
                "prompts were sent again, so each prompted frame is decoded from its "
                "prompts alone"
            )

    def _restore(self, saved: SavedSession) -> dict[str, Any] | None:
        """Bring back SAM2's prompt state, then show exactly the labels that were
        saved (they also hold propagated frames, which SAM2 would only recompute
        on propagation).

        With the same model, SAM2's saved conditioning outputs are put back as they
        were (corrections included); returns them by name. Otherwise the saved
        prompts are sent again in their original groups and order: every prompted
        frame is again a conditioning frame, decoded from its prompts by this model."""
        core = self.core
        n = self.stack.n_frames
        labels = {t: b for t, b in saved.labels.items() if t < n}
        group = max((p.group for p in [*saved.prompts, *saved.pending]), default=0)
        this_model = model_id(self.model)
        with core.lock, inference(self.model):
            self.resumed = saved
            if saved.tracker is not None and saved.model == this_model:
                bases, live = restore_tracker(self.model.predictor, core.sam, saved.tracker)
                core.update(
                    prompts=saved.prompts,
                    pending=saved.pending,
                    bases=bases,
                    group=group,
                    quality={t: q for t, q in saved.quality.items() if t < n},
                    **self._hand(saved),
                )
                core.labels.restore(labels)
                return live
            replay_groups(self.send, saved.prompts)
            # Frames the replay produced have this model's quality; the rest, the saved.
            quality = {t: q for t, q in saved.quality.items() if t < n}
            quality.update(core.record.quality)
            core.update(
                prompts=saved.prompts,
                pending=saved.pending,
                group=group,
                quality=quality,
                **self._hand(saved),
            )
            if saved.model != this_model:
                # Another model made the saved labels: prompted frames show this
                # model's masks; propagated ones stay until propagated again.
                replayed = core.labels.snapshot()
                prompted = {p.frame for p in saved.prompts}
                labels = {t: b for t, b in labels.items() if t not in prompted}
                labels.update({t: replayed[t] for t in prompted if t in replayed})
                if prompted:
                    self.note(
                        f"prompted frames were segmented again with {this_model} "
                        f"(saved with {saved.model or 'another model'}); propagate to update "
                        "the others"
                    )
            core.labels.restore(labels)
            return None

    def _hand(self, saved: SavedSession) -> dict[str, Any]:
        n = self.stack.n_frames
        manual = {k: e for k, e in saved.manual.items() if k[0] < n}
        return {"manual": manual, "drawn": saved.drawn, "parents": saved.parents}

    def sync(self) -> None:
        """Write what changed (the core calls it after every committed change)."""
        if self.autosave is not None:
            core = self.core
            self.autosave.sync(Snapshot(core.sam, core.labels.snapshot(), core.record))

    def write_frame(self, t: int) -> None:
        """One propagated frame, before anyone sees it."""
        if self.autosave is not None:
            self.autosave.write_frame(t, self.core.labels.blob(t), self.core.record.quality.get(t))

    def set_aside(self) -> Path | None:
        """The folder is moved aside (kept, never deleted) and a new one started."""
        if self.autosave is None:
            return None
        old = self.autosave
        moved = Autosave.set_aside(old.folder)
        self.autosave = Autosave(old.folder, old.source, old.model)
        return moved
