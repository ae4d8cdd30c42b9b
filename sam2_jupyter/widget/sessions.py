"""A Session per 3D sequence of the data, built when first needed.

4D data (say T×Z) is annotated one sequence at a time, each with its own Session,
SAM2 state and autosave subfolder; switching the second slider switches sessions
without losing any. Changing the model, memory mode or channels rebuilds them,
each taking over the work in memory of the one it replaces (with or without
autosave, whatever the disk did). A save another kernel holds opens read-only.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from .._threads import TimedLock
from ..engine import MemoryMode, Session
from ..engine.autosave import SaveLockedError
from ..errors import Sam2JupyterError
from ..io import Stack
from ..models import Model


@dataclass(frozen=True)
class SessionOptions:
    """What every Session of an annotator is built with, checked when made: a bad
    value is an error when the Annotator is made, not at the first click."""

    memory_mode: str = "normal"
    auto_segment: bool = True
    feature_cache: int | str | None = "auto"
    feature_dir: str | Path | bool | None = None
    autosave: str | Path | bool | None = True
    resume: bool = True

    def __post_init__(self) -> None:
        object.__setattr__(self, "memory_mode", MemoryMode.parse(self.memory_mode).name)
        for name in ("auto_segment", "resume"):
            if not isinstance(getattr(self, name), bool):
                raise TypeError(f"{name} must be True or False, got {getattr(self, name)!r}")
        budget = self.feature_cache
        is_bytes = isinstance(budget, int) and not isinstance(budget, bool)
        if not (budget in ("auto", None) or (is_bytes and budget >= -1)):  # -1: old "auto"
            raise ValueError(f"feature_cache must be bytes, 'auto' or None, got {budget!r}")
        for name in ("feature_dir", "autosave"):
            if not isinstance(getattr(self, name), str | Path | bool | type(None)):
                raise TypeError(
                    f"{name} must be a folder, True, False or None, got {getattr(self, name)!r}"
                )


class SessionPool:
    """Sessions by index along the data's other axis; ``index`` is the one in view."""

    def __init__(
        self,
        stack: Stack,
        model: Model | None,
        options: SessionOptions,
        on_open: Callable[[Session, int], None],
    ) -> None:
        self.stack = stack
        self.model = model
        self.options = options
        self.on_open = on_open
        self.sessions: dict[int, Session] = {}
        self.locked: dict[int, SaveLockedError] = {}  # opened read-only, and why
        self.index = stack.other_index
        # The notebook (annotator.session) and the worker may both ask first: one
        # Session per sequence, or two would write one autosave folder.
        self._lock = TimedLock("the sessions")

    @property
    def view_stack(self) -> Stack:
        if self.stack.other_axis is None:
            return self.stack
        return self.stack.select(self.index)

    def peek(self) -> Session | None:
        """The Session in view if it exists (never builds one)."""
        return self.sessions.get(self.index)

    def current(self) -> Session:
        return self.get(self.index)

    def get(self, index: int) -> Session:
        with self._lock:
            return self._get(index)

    def _get(self, index: int) -> Session:
        session = self.sessions.get(index)
        if session is None:
            if self.model is None:
                raise Sam2JupyterError("Load a model first (Load model button).")
            stack = self.stack if self.stack.other_axis is None else self.stack.select(index)
            o = self.options
            build = functools.partial(
                Session,
                stack,
                self.model,
                o.memory_mode,
                auto_segment=o.auto_segment,
                feature_cache=o.feature_cache,
                feature_dir=o.feature_dir,
                autosave=o.autosave,
                resume=o.resume,
            )
            try:
                session = build()
            except SaveLockedError as exc:
                # Another kernel (a second tab, a second notebook) writes this save:
                # show its work, save nothing, and say so for as long as it lasts.
                session = build(read_only=True)
                self.locked[index] = exc
            self.sessions[index] = session
            self.on_open(session, index)
        return session

    def set_auto(self, value: bool) -> None:
        self.options = replace(self.options, auto_segment=value)
        for session in self.sessions.values():
            session.auto_segment = value

    def set_stack(self, stack: Stack) -> None:
        """Another view of the same data (channels): sessions open again on it."""
        self.stack = stack
        self._reopen()

    def set_model(self, model: Model, memory_mode: str | None = None) -> None:
        """Use another model (or memory mode) for every sequence."""
        self.model = model
        self.options = replace(self.options, memory_mode=memory_mode or self.options.memory_mode)
        self._reopen()

    def _reopen(self) -> None:
        """Every open session again, its work handed over from memory (never read
        back from the save, which a full disk may have left behind); a sequence not
        yet opened opens from its save when first shown."""
        with self._lock:
            for index, session in list(self.sessions.items()):
                stack = self.stack if self.stack.other_axis is None else self.stack.select(index)
                self.sessions[index] = session.reopen(self.model, self.options.memory_mode, stack)

    def close(self) -> None:
        """Every session's save closed (the sessions stay usable in memory)."""
        for session in self.sessions.values():
            session.close()

    def cancel(self) -> None:
        for session in self.sessions.values():
            session.cancel()
