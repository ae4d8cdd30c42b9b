"""The Session's autosave and resume (see :mod:`.autosave` for the folder format).

A mixin of :class:`~sam2_jupyter.Session`, kept apart so that module stays about
SAM2 and editing.
"""

from __future__ import annotations

import logging
import warnings
from collections import OrderedDict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import AutosaveWarning
from ..models import inference
from .autosave import (
    SAME_SOURCE,
    Autosave,
    AutosaveError,
    SavedSession,
    default_folder,
    fingerprint,
)
from .feature_store import weights_digest
from .prompts import Prompt
from .state import Base
from .tracker_save import restore_tracker

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    import threading

    from ..io import Stack
    from ..models import Model
    from .labels import LabelStore


class SessionAutosave:
    """Mixed into :class:`~sam2_jupyter.Session`."""

    autosave: Autosave | None
    resumed: SavedSession | None
    notes: list[str]
    stack: Stack
    model: Model
    n_frames: int
    frame_shape: tuple[int, int]
    label_ids: list[int]
    _lock: threading.RLock
    _labels: LabelStore
    _prompts: list[Prompt]
    _pending: list[Prompt]
    _group: int
    _bases: dict[tuple[int, int], Base]
    _state: dict[str, Any]
    predictor: Any

    def _send(self, frame: int, label: int, prompts: list[Prompt], batched: bool) -> Any:
        raise NotImplementedError

    def _check_idle(self) -> None:
        raise NotImplementedError

    def _edit(self) -> Any:
        raise NotImplementedError

    def _drop_object(self, label: int) -> None:
        raise NotImplementedError

    def _open_autosave(self, where: str | Path | bool, resume: bool) -> None:
        folder = default_folder(self.stack) if where is True else Path(where).expanduser()
        source = fingerprint(self.stack)
        try:
            saved = Autosave.read(folder, self.frame_shape)
        except AutosaveError as exc:
            self._note(f"{exc}; kept as {Autosave.set_aside(folder)}")
            saved = None
        if saved is not None:
            differs = [k for k in SAME_SOURCE if saved.source.get(k) != source.get(k)]
            if differs:
                moved = Autosave.set_aside(folder)
                self._note(
                    f"the session saved in {folder} was made for other data "
                    f"({', '.join(differs)} differ); kept as {moved}"
                )
                saved = None
            elif not (saved.prompts or saved.pending or saved.labels):
                saved = None  # nothing to bring back
            elif not resume:
                moved = Autosave.set_aside(folder)
                self._note(f"started fresh; the saved session is kept as {moved}")
                saved = None
        self.autosave = Autosave(folder, source, self._model_id())
        if saved is not None:
            live = self._resume(saved)
            self.autosave.adopt(saved)
            if live is not None and saved.tracker is not None:
                self.autosave.tracker.adopt(
                    saved.tracker.files, live, self._state["constants"].get("maskmem_pos_enc")
                )
            self._note(f"resumed from {folder}: {saved.summary()}", warn=False)
            for problem in saved.problems:
                self._note(f"skipped a damaged saved frame: {problem}")
            if saved.tracker_problem:
                self._note(
                    f"SAM2's saved state in {folder / 'sam2'} {saved.tracker_problem}: the "
                    "prompts were sent again, so each prompted frame is decoded from its "
                    "prompts alone"
                )
        self._sync_autosave()

    def _model_id(self) -> str:
        """Which model made the labels: name, size and a digest of the encoder
        weights (computed once per loaded model)."""
        m = self.model
        return f"{m.spec.label} {m.image_size}px weights {weights_digest(m.predictor)[:12]}"

    def _note(self, text: str, warn: bool = True) -> None:
        """Record what happened to saved work. Set-aside saves and damaged frames
        warn; a plain resume is news, not a problem, so it is only logged (the
        annotator shows every note in its status line)."""
        self.notes.append(text)
        if warn:
            warnings.warn(text, AutosaveWarning, stacklevel=3)
        else:
            log.info(text)

    def _resume(self, saved: SavedSession) -> dict[str, Any] | None:
        """Bring back SAM2's prompt state, then show exactly the labels that were
        saved (they also hold propagated frames, which SAM2 would only recompute
        on propagation).

        With the same model, SAM2's saved conditioning outputs are put back as they
        were (corrections included, see :mod:`.tracker_save`); returns them by name.
        Otherwise the saved prompts are sent again in their original groups and
        order: every prompted frame is again a conditioning frame, decoded from its
        prompts by this model."""
        exact = saved.tracker is not None and saved.model == self._model_id()
        with self._lock, inference(self.model):
            prompts = list(saved.prompts)
            if exact:
                self._bases, live = restore_tracker(self.predictor, self._state, saved.tracker)
                self._prompts = prompts
                self._pending = list(saved.pending)
                self._group = max((p.group for p in prompts + self._pending), default=0)
                self._labels.restore({t: b for t, b in saved.labels.items() if t < self.n_frames})
                self.resumed = saved
                return live
            groups: OrderedDict[int, list[Prompt]] = OrderedDict()
            for p in prompts:
                groups.setdefault(p.group, []).append(p)
            for members in groups.values():
                frame, label = members[0].key
                if members[0].batched:
                    same = [q for q in prompts if q.key == (frame, label)]
                    upto = same[: max(same.index(p) for p in members) + 1]
                    self._send(frame, label, upto, batched=True)
                else:
                    self._send(frame, label, members, batched=False)
            self._prompts = prompts
            self._pending = list(saved.pending)
            self._group = max((p.group for p in prompts + self._pending), default=0)
            replayed = self._labels.snapshot()
            labels = {t: b for t, b in saved.labels.items() if t < self.n_frames}
            if saved.model != self._model_id():
                # Another model made the saved labels: prompted frames show this
                # model's masks; propagated ones stay until propagated again.
                prompted = {p.frame for p in prompts}
                labels = {t: b for t, b in labels.items() if t not in prompted}
                labels.update({t: replayed[t] for t in prompted if t in replayed})
                if prompted:
                    self._note(
                        f"prompted frames were segmented again with {self._model_id()} "
                        f"(saved with {saved.model or 'another model'}); propagate to update "
                        "the others"
                    )
            self._labels.restore(labels)
            self.resumed = saved
            return None

    def _sync_autosave(self) -> None:
        if self.autosave is not None:
            self.autosave.sync(
                self._labels.snapshot(), self._prompts, self._pending, self._state, self._bases
            )

    def discard_autosave(self) -> Path | None:
        """Start fresh: the session folder is moved aside (kept, never deleted) and
        every prompt and label is removed (one undoable step)."""
        with self._lock:
            if self.autosave is None:
                return None
            self._check_idle()
            moved = Autosave.set_aside(self.autosave.folder)
            self.autosave = Autosave(
                self.autosave.folder, self.autosave.source, self.autosave.model
            )
            with self._edit():
                for label in self.label_ids:
                    self._drop_object(label)
                self._pending = []
                self._labels.restore({})
            return moved
