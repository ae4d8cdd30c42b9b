"""A browser stand-in for widget tests: it records what the kernel sends (from any
thread), acknowledges it like the front end does, and sends messages through the
controller's public entry point."""

from __future__ import annotations

import threading
import time
from typing import Any

from sam2_jupyter import Annotator


class FakeBrowser:
    """Attached to one Annotator's canvas: ``messages`` holds the frame stream's
    (content, buffers), ``other`` the rest (timeline)."""

    def __init__(self, annotator: Annotator) -> None:
        self.a = annotator
        # The frame stream's messages (flow-controlled, acknowledged) ...
        self.messages: list[tuple[dict[str, Any], list[bytes]]] = []
        # ... and the others (the timeline), in the order they came.
        self.other: list[tuple[dict[str, Any], list[bytes]]] = []
        # ... and both, in the one order they came.
        self.log: list[tuple[dict[str, Any], list[bytes]]] = []
        self._lock = threading.Lock()
        self._acking: threading.Event | None = None
        annotator.canvas.send = self._record

    def _record(self, content: dict[str, Any], buffers: Any = None) -> None:
        with self._lock:
            into = self.messages if "seq" in content else self.other
            into.append((content, list(buffers or [])))
            self.log.append(into[-1])

    def send(self, buffers: list[bytes] | None = None, **content: Any) -> None:
        """A message from the front end (``type=...`` and its fields, and the binary
        buffers it carries)."""
        self.a.controller.receive(content, buffers or [])

    def ready(self) -> None:
        self.send(type="ready")

    def of(self, kind: str) -> list[tuple[dict[str, Any], list[bytes]]]:
        with self._lock:
            return [(c, b) for c, b in self.messages + self.other if c["type"] == kind]

    def ack_all(self) -> None:
        with self._lock:
            seqs = [c["seq"] for c, _ in self.messages]
        for seq in seqs:
            self.send(type="ack", seqs=[seq])

    def auto_ack(self) -> threading.Event:
        """Acknowledge everything as it arrives until the returned event is set."""
        stop = threading.Event()

        def loop() -> None:
            while not stop.is_set():
                self.ack_all()
                time.sleep(0.01)

        threading.Thread(target=loop, daemon=True).start()
        return stop

    def click(self, frame: int, y: float, x: float, label: int = 1, positive: bool = True) -> None:
        self.send(type="point", frame=frame, y=float(y), x=float(x), label=label, positive=positive)


def open_annotator(source: Any, model: Any = None, **kw: Any) -> Annotator:
    """An Annotator with a FakeBrowser at ``.browser`` that has rendered (sent ready)."""
    a = Annotator(source, model=model, **kw)
    a.browser = FakeBrowser(a)  # type: ignore[attr-defined]
    a.browser.ready()  # type: ignore[attr-defined]
    return a


def encoder_done(a: Annotator, timeout: float = 30) -> None:
    """Wait until what is queued on the view's encoder thread (copies laid up, the
    lossless upgrade) has run: jobs joined by ``a.wait`` hand their frames to it."""
    done = threading.Event()
    a.controller.stream._encoded.run(done.set)
    if not done.wait(timeout):
        raise TimeoutError("the encoder thread did not come free")
