"""The label ``M`` picks next, counting prompts still queued.

napari's rule: one more than the largest label in use. "In use" includes the
labels of clicks, boxes, strokes and fills the kernel has received but not yet run:
behind a propagation they wait in the worker's queue, and two cells clicked after
``M``, ``M`` must not both land on one label. The canvas's ``next_label`` trait
carries the answer to the browser, which applies ``M`` at once (the click that
follows must use the label the person saw) and adds the labels it sent since.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from .canvas import AnnotatorCanvas
from .messages import Box, Fill, Point, Stroke


def claimed_label(msg: Any) -> int | None:
    """The label an edit message adds objects to, or None (erasing adds none)."""
    if isinstance(msg, Point | Box | Fill) or (isinstance(msg, Stroke) and not msg.erase):
        return int(msg.label)
    return None


class NextLabel:
    """Keeps ``canvas.next_label`` equal to one more than the largest label in use or
    claimed by a queued edit. Called from the comm thread (claims) and the worker
    (releases, refreshes); the session's label ids are read without its lock."""

    def __init__(
        self,
        canvas: AnnotatorCanvas,
        session: Callable[[], Any],
        write: Callable[[Any, str, Any], None] = setattr,
    ) -> None:
        self._canvas = canvas
        self._session = session
        self._write = write  # the view's: the trait is written on the kernel's loop
        self._queued: Counter[int] = Counter()
        self._lock = threading.Lock()

    def claim(self, label: int) -> Callable[[Any], None]:
        """Count ``label`` as in use until the returned callback runs (with the
        edit's Future, or anything once the edit is over)."""
        with self._lock:
            self._queued[label] += 1
        self.publish()
        done = threading.Event()

        def release(_future: Any = None) -> None:
            if done.is_set():
                return
            done.set()
            with self._lock:
                self._queued[label] -= 1
                if self._queued[label] <= 0:
                    del self._queued[label]
            self.publish()

        return release

    def track(self, msg: Any, run: Callable[[], Any]) -> Any:
        """Run a message's handler with its label claimed while its edit is queued."""
        label = claimed_label(msg)
        if label is None:
            return run()
        release = self.claim(label)
        try:
            result = run()
        except BaseException:
            release()
            raise
        if isinstance(result, Future):
            result.add_done_callback(release)
        else:
            release()
        return result

    def value(self) -> int:
        session = self._session()
        with self._lock:
            queued = max(self._queued, default=0) + 1
        return max(session.next_unused_label() if session is not None else 1, queued)

    def publish(self) -> None:
        self._write(self._canvas, "next_label", self.value())
