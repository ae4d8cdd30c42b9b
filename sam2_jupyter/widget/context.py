"""What a widget feature may use of the annotator: the :class:`Context` protocol.

Features (prompting, propagation, precompute, files, model loading) import this,
the messages and the engine, never the controller or one another; the controller
implements it. The import graph is a DAG: context ← features ← controller.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import numpy as np

    from ..engine import Session
    from ..io import Stack
    from ..models import Model
    from .view import View

Job = Callable[[], Any]


class Context(Protocol):
    # The one writer of what the browser shows (traits, status, progress, frames).
    view: View

    def session(self) -> Session:
        """The Session of the sequence in view (built on first use)."""
        ...

    def peek(self) -> Session | None:
        """The Session in view if one exists (never builds one)."""
        ...

    @property
    def model(self) -> Model | None:
        """The model every Session uses (None until one is loaded)."""
        ...

    @property
    def memory_mode(self) -> str:
        """The memory mode every Session uses."""
        ...

    @property
    def data(self) -> Stack:
        """The whole data (every sequence), as the sessions see it."""
        ...

    def set_stack(self, stack: Stack) -> None:
        """Another view of the same data (channels): the sessions open again on it."""
        ...

    def cancel(self) -> None:
        """Stop a running propagation now."""
        ...

    def submit(self, job: Job) -> Future[Any]:
        """Run ``job`` on the annotator's worker, after what is queued."""
        ...

    def later(self, key: str, task: Callable[[Callable[[], None]], Any]) -> None:
        """Run ``task(pause)`` on the background thread while the user is idle; it
        calls ``pause`` between pieces of work (see :mod:`.background`). Replaces
        a queued task of the same ``key``."""
        ...

    def status(self, text: str, level: str = "info") -> None:
        """The status line ("info", "ok" or "error")."""
        ...

    def clear_status(self) -> None:
        """Clear the status line, except for a standing warning (a failing or
        read-only save), which stays."""
        ...

    def safe(self, fn: Callable[[], Any]) -> Callable[..., None]:
        """A button handler that reports exceptions as a status sentence."""
        ...

    def refresh(self, frame: int | None = None, labels: np.ndarray | None = None) -> float:
        """Send the labels and markers of the frame in view (``labels``: an edit's
        result for ``frame``, sent as they are when that frame is in view), the
        timeline and the rest of the session's view. Returns the labels' encode
        seconds."""
        ...
