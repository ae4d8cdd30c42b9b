"""Opening a session folder: resuming what it holds, or setting it aside, and keeping
it in step afterwards (see :mod:`.folder` for the format)."""

from __future__ import annotations

import logging
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from ...errors import AutosaveWarning
from ...io import Stack
from ...models import Model, inference
from ..core import SessionCore, Snapshot
from ..features import weights_digest
from ..replay import Send, replay_groups
from .codecs import Geometry
from .folder import Autosave
from .sam2_state import constants_of, restore_tracker, tracker_of
from .saved import SavedSession
from .where import SAME_SOURCE, default_folder, fingerprint

log = logging.getLogger(__name__)


def model_id(model: Model) -> str:
    """Which model made the labels: name, size and a digest of the encoder weights
    (computed once per loaded model)."""
    network = getattr(model, "predictor", None) or model.net  # SAM2's, or EdgeTAM's
    return f"{model.spec.label} {model.image_size}px weights {weights_digest(network)[:12]}"


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

    def open(
        self,
        where: str | Path | bool | None,
        resume: bool,
        read_only: bool = False,
        carry: SavedSession | None = None,
    ) -> None:
        """Open the session folder: resume what it holds (or, with ``carry``, the
        work another Session of the same data handed over), or set it aside.
        ``read_only`` reads the save without taking the folder or writing it."""
        if not where:  # work handed over, autosave off
            assert carry is not None
            self._resume(carry, adopt=False)
            return
        folder = default_folder(self.stack) if where is True else Path(where).expanduser()
        source = fingerprint(self.stack)
        geo = Geometry(self.stack.n_frames, self.stack.frame_shape)
        if read_only:
            saved = Autosave.read(folder, geo)
            if saved is not None and self._usable(saved, source, folder, move=False):
                self._resume(saved)
            self.note(f"opened {folder} read-only: edits made here are not saved", warn=False)
            return
        self.source, self.geo = source, geo
        self.autosave, saved, notes = Autosave.open(
            folder, source, model_id(self.model), geo, read=carry is None
        )
        for text in notes:
            self.note(text)
        if carry is not None:
            self._resume(carry, adopt=False)
            self.autosave._view = dict(carry.view)
        elif saved is not None and not self._usable(saved, source, folder):
            self._tell_damage(saved)  # nothing of it could be resumed; the copy is kept
        elif saved is not None:
            if resume:
                self._resume(saved)
            else:
                self._restart(f"started fresh; the saved session in {folder} is kept as")
        self.sync()

    def _usable(
        self, saved: SavedSession, source: dict[str, Any], folder: Path, move: bool = True
    ) -> bool:
        """Whether ``saved`` is work for this data (a save for other data is set
        aside, never overwritten)."""
        if not saved.source:
            self.note(
                f"the save in {folder} does not say which data it was made for (its "
                "description was lost); resumed because its frames fit this data"
            )
        else:
            differs = [k for k in SAME_SOURCE if saved.source.get(k) != source.get(k)]
            if differs:
                why = (
                    f"the session saved in {folder} was made for other data "
                    f"({', '.join(differs)} differ)"
                )
                if move:
                    self._restart(f"{why}; kept as")
                else:
                    self.note(f"{why}: not shown")
                return False
        return saved.holds_work

    def _restart(self, why: str) -> Path:
        """Move the folder aside (kept, never deleted) and begin a new one there."""
        old = self.autosave
        assert old is not None
        with old._lock:
            if old.store is not None:
                old.store.close()
                old.store = None
            moved = Autosave.set_aside(old.folder)  # the lock moves with it, still held
            try:
                self.autosave, _, _ = Autosave.open(old.folder, old.source, old.model, self.geo)
            finally:
                old.owner.release()
        self.note(f"{why} {moved}")
        return moved

    def _resume(self, saved: SavedSession, adopt: bool = True) -> None:
        live = self._restore(saved)
        if adopt and self.autosave is not None:
            self.autosave.adopt(saved, live)
        if not adopt:
            return  # work handed over from memory: nothing to tell
        self.note(f"resumed from {saved.folder}: {saved.summary()}", warn=False)
        self._tell_damage(saved)
        orphans = self._adopt_orphans() if saved.problems else []
        if orphans:
            self.note(
                f"labels {', '.join(map(str, orphans))} have pixels but their prompts were "
                "lost: kept as labels drawn by hand, which you can correct or clear"
            )
        if saved.tracker_problem:
            self.note(
                f"SAM2's saved state in {saved.folder} {saved.tracker_problem}: the "
                "prompts were sent again, so each prompted frame is decoded from its "
                "prompts alone"
            )

    def _tell_damage(self, saved: SavedSession) -> None:
        if saved.problems:
            listed = "; ".join(saved.problems[:8]) + ("; ..." if len(saved.problems) > 8 else "")
            kept = f"; the save as it was is kept as {saved.kept}" if saved.kept else ""
            self.note(
                f"the save in {saved.folder} has damaged parts, left out ({listed}); "
                f"everything readable was resumed{kept}"
            )

    def _adopt_orphans(self) -> list[int]:
        """Labels with pixels that no prompt or hand edit accounts for (their rows
        were damaged) become drawn labels: shown and, above all, deletable."""
        core = self.core
        with core.lock:
            known = core.label_ids()
            seen: set[int] = set()
            for t in core.labels.snapshot():
                seen.update(int(v) for v in np.unique(core.labels.get(t)) if v)
            orphans = sorted(seen - known)
            if orphans:
                core.update(drawn=core.record.drawn | set(orphans))
        return orphans

    def _restore(self, saved: SavedSession) -> dict[str, Any] | None:
        """Bring back SAM2's prompt state, then show exactly the labels that were
        saved (they also hold propagated frames, which SAM2 would only recompute
        on propagation).

        With the same model, SAM2's saved conditioning outputs are put back as they
        were (corrections included), and with them each prompted frame's base;
        returns them by name. Otherwise the saved prompts are sent again in their
        original groups and order: every prompted frame is again a conditioning
        frame, decoded from its prompts by this model, and each field of the record
        keeps what its ``replayed`` rule says (see :data:`~..fields.FIELDS`)."""
        core = self.core
        n = self.stack.n_frames
        labels = {t: b for t, b in saved.labels.items() if t < n}
        record = saved.record.within(n)
        this_model = model_id(self.model)
        with core.lock, inference(self.model):
            self.resumed = saved
            if saved.tracker is not None and saved.model == this_model:
                bases, live = restore_tracker(self.model.predictor, core.sam, saved.tracker)
                core.update(**record.replace(bases=bases).values())
                core.labels.restore(labels)
                return live
            replay_groups(self.send, record.prompts)
            core.update(**record.replayed_over(core.record).values())
            if saved.model and saved.model != this_model:
                # Another model made the saved labels: prompted frames show this
                # model's masks; propagated ones stay until propagated again. (Not
                # known which: the labels stay as the person last saw them.)
                replayed = core.labels.snapshot()
                prompted = {p.frame for p in record.prompts}
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

    def sync(self) -> None:
        """Write what changed (the core calls it after every committed change)."""
        if self.autosave is not None:
            core = self.core
            self.autosave.sync(Snapshot(core.sam, core.labels.snapshot(), core.record))

    def write_frame(self, t: int) -> None:
        """One propagated frame, before anyone sees it."""
        if self.autosave is not None:
            core = self.core
            self.autosave.write_frame(t, Snapshot(core.sam, core.labels.frames, core.record))

    def set_aside(self) -> Path | None:
        """The folder is moved aside (kept, never deleted) and a new one started
        (None without a folder of ours: off, or taken over by a newer session)."""
        if not self.saving:
            return None
        return self._restart("started fresh; the saved session is kept as")

    def carry(self) -> SavedSession:
        """The work in memory, as a resume reads it: for a Session rebuilt on the
        same data (another memory mode, other channels) to take over without the
        disk, which may be full or behind."""
        core = self.core
        with core.lock:
            snap = core.snapshot()
            return SavedSession(
                self.autosave.folder if self.saving else Path(),
                {},
                record=snap.record,
                labels=dict(snap.labels),
                view=dict(self.autosave._view) if self.autosave else {},
                model=model_id(self.model),
                tracker=tracker_of(snap, constants_of(core.sam)),
            )

    @property
    def saving(self) -> bool:
        """Whether this session writes a folder (not off, not taken over)."""
        return self.autosave is not None and self.autosave.store is not None

    def close(self) -> None:
        """Stop saving and free the folder for another session: a last save first,
        and a warning if the work in memory is still not all on the disk."""
        if self.autosave is None:
            return
        if self.saving:
            self.sync()
            if self.autosave.error:
                self.note(f"closed with work not saved: {self.autosave.error}")
        self.autosave.close()
        self.autosave = None
