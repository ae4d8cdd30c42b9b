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
    from ..engine import Session
    from .canvas import AnnotatorCanvas
    from .sessions import SessionPool
    from .stream import FrameStream
    from .timeline import Timeline

Job = Callable[[], Any]


class Context(Protocol):
    canvas: AnnotatorCanvas
    stream: FrameStream
    timeline: Timeline
    pool: SessionPool

    def session(self) -> Session:
        """The Session of the sequence in view (built on first use)."""
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

    def refresh(self) -> None:
        """Send the labels and markers of the frame in view again."""
        ...
