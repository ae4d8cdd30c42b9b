"""A Session's save: closing it, starting fresh, and rebuilding the Session on the
same data without losing the work in memory.

:class:`SessionSaving` gives a Session these methods; the state they act on is the
Session's :class:`~.autosave.Resumer` (``_saving``) and core, so there is still one
owner of each piece of state.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .autosave import Autosave, Resumer, SavedSession
from .core import SessionCore


class SessionSaving:
    """Autosave members of :class:`~.session.Session`."""

    _saving: Resumer
    _core: SessionCore
    _options: dict[str, Any]
    stack: Any
    model: Any
    memory_mode: Any

    autosave: Autosave | None = property(lambda self: self._saving.autosave)  # type: ignore[assignment]
    resumed: SavedSession | None = property(lambda self: self._saving.resumed)  # type: ignore[assignment]
    notes: list[str] = property(lambda self: self._saving.notes)  # type: ignore[assignment]

    def discard_autosave(self) -> Path | None:
        """Start fresh: the session folder is moved aside (kept, never deleted) and
        every prompt and label is removed (one undoable step).

        Returns
        -------
        pathlib.Path or None
            Where the old folder is now (None without autosave).
        """
        with self._core.lock:
            if not self._saving.saving:
                return None
            self._core.check_idle()
            moved = self._saving.set_aside()
            self._clear_all()
            return moved

    def _clear_all(self) -> None:
        raise NotImplementedError

    def close(self) -> None:
        """Stop saving and let another session open the folder. Each edit is saved
        as it is made; a last save runs first, and a note (a warning) says if work
        is still not on the disk. The session stays usable, in memory only."""
        with self._core.lock:
            self._saving.close()

    def __enter__(self) -> SessionSaving:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def reopen(self, model: Any = None, memory_mode: Any = None, stack: Any = None) -> Any:
        """This session's work in a new Session with another model, memory mode or
        view of the same data (channels): prompts, hand edits, divisions and labels
        are handed over from memory, never read back from the save, which a full
        disk may have left behind. This session closes its save; on failure it keeps
        it. With the same model, SAM2's prompt state (corrections) is kept exactly.
        """
        with self._core.lock:
            self._core.check_idle()
            work = self._saving.carry()
            # Not a folder taken over by a newer session: that one's save is not ours.
            folder = self.autosave.folder if self._saving.saving else None
            self._saving.close()
            try:
                return type(self)(
                    self.stack if stack is None else stack,
                    self.model if model is None else model,
                    self.memory_mode if memory_mode is None else memory_mode,
                    autosave=folder,
                    _carry=work,
                    **self._options,
                )
            except BaseException:
                if folder is not None:
                    self._saving.open(folder, True, carry=work)
                raise
