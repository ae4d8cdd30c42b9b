"""Kernel → browser messages and kernel time per click and per propagated frame, and
the first click's wait while the precompute starts (REVIEW N4).

Everything is measured in the kernel with the tests' stand-in browser
(``tests/harness.py``), which acknowledges frames as the front end does. What the
browser would receive is counted at the comm: every ``Widget._send`` of any widget
(trait updates of the canvas and of the panel's widgets) and every custom message of
the canvas, by kind.

1. Click: a point on the frame in view, its features already computed (the
   precompute has finished), autosave on. Per click: messages by kind; kernel time
   from the message's arrival to the worker being idle again, and the part of it
   outside the engine's ``add_point``.
2. Propagation over every frame from frame 0, with "follow" on and off: messages
   per propagated frame by kind; kernel time per frame, and the part of it outside
   the engine's propagation step.
3. First click on a fresh annotator, made as soon as its session is being opened
   (the pool's lock is held: by the background precompute before the change, by
   the user's worker after it), on a new save and on saved work that is resumed
   (prompts on three frames replayed through SAM2): from the click's message to its
   labels being sent. The reference: the same with the precompute never started.

Untrained SAM2.1 tiny at 256 px, CPU. Usage: python benchmarks/bench_messages.py
[--clicks 12] [--frames 12] [--size 256] [--repeat 5]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
import warnings
from collections import Counter
from pathlib import Path
from typing import Any

import ipywidgets as w
import numpy as np

from sam2_jupyter.models import UntrainedModelWarning, load_model

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from harness import open_annotator


class Wire:
    """Counts what the kernel sends: trait updates of every widget (the comm) and the
    canvas' custom messages (through the stand-in browser), with when they went."""

    def __init__(self) -> None:
        self.log: list[tuple[float, str, dict[str, Any]]] = []
        self._lock = threading.Lock()
        self._original = w.Widget._send
        wire = self

        def send(widget: w.Widget, msg: dict[str, Any], buffers: Any = None) -> None:
            if msg.get("method") == "update":
                keys = ",".join(sorted(msg.get("state", {})))
                canvas = widget.__class__.__name__ == "AnnotatorCanvas"
                kind = "canvas." + keys if canvas else "panel"
                wire.note(kind, {})
            return wire._original(widget, msg, buffers)

        w.Widget._send = send  # type: ignore[method-assign]

    def attach(self, annotator: Any) -> None:
        record = annotator.canvas.send

        def custom(content: dict[str, Any], buffers: Any = None) -> None:
            self.note(str(content.get("type")), content)
            record(content, buffers)

        annotator.canvas.send = custom

    def note(self, kind: str, content: dict[str, Any]) -> None:
        with self._lock:
            self.log.append((time.perf_counter(), kind, content))

    def mark(self) -> int:
        with self._lock:
            return len(self.log)

    def since(self, mark: int) -> list[tuple[float, str, dict[str, Any]]]:
        with self._lock:
            return list(self.log[mark:])

    def close(self) -> None:
        w.Widget._send = self._original  # type: ignore[method-assign]


def discs(n: int, size: int) -> np.ndarray:
    """Two discs drifting over a textured background, (n, size, size, 3) uint8."""
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:size, 0:size]
    out = np.empty((n, size, size, 3), np.uint8)
    background = rng.integers(20, 90, (size, size, 3))
    for t in range(n):
        img = background.copy()
        for cy, cx, r, v in ((0.3, 0.3, 0.12, 0.01), (0.65, 0.7, 0.1, -0.01)):
            disc = (yy - size * (cy + v * t)) ** 2 + (xx - size * (cx + v * t)) ** 2
            img[disc <= (r * size) ** 2] = (230, 60, 40)
        out[t] = img
    return out


def timed(obj: Any, name: str, into: list[float]) -> None:
    """Wrap ``obj.name`` so each call's seconds go to ``into``."""
    original = getattr(obj, name)

    def call(*args: Any, **kwargs: Any) -> Any:
        t0 = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            into.append(time.perf_counter() - t0)

    setattr(obj, name, call)


def timed_steps(session: Any, into: list[float]) -> None:
    """Wrap the session's propagations so each step's seconds go to ``into``."""
    original = session.propagate

    def propagate(*args: Any, **kwargs: Any) -> Any:
        run = original(*args, **kwargs)
        frames = run._frames

        def steps() -> Any:
            while True:
                t0 = time.perf_counter()
                try:
                    item = next(frames)
                except StopIteration:
                    return
                finally:
                    into.append(time.perf_counter() - t0)
                yield item

        run._frames = steps()
        return run

    session.propagate = propagate


def per(counts: Counter[str], n: int) -> str:
    return ", ".join(f"{k} {v / n:.2f}" for k, v in sorted(counts.items())) or "none"


def ms(values: list[float]) -> str:
    return f"{1000 * statistics.median(values):.1f}"


def clicks(model: Any, video: np.ndarray, wire: Wire, n: int) -> None:
    a = open_annotator(video, model)
    wire.attach(a)
    stop = a.browser.auto_ack()
    try:
        a.session.add_point(0, 10, 10, 9)  # the session built, frame 0 encoded
        a.wait()
        a.controller.jobs.background.idle(120)
        engine: list[float] = []
        timed(a.session, "add_point", engine)
        counts: Counter[str] = Counter()
        total: list[float] = []
        h, wd = video.shape[1:3]
        rng = np.random.default_rng(1)
        for k in range(n):
            time.sleep(0.05)  # acknowledgements and lossless upgrades settle
            mark = wire.mark()
            y, x = rng.uniform(0.1, 0.9) * h, rng.uniform(0.1, 0.9) * wd
            t0 = time.perf_counter()
            a.browser.click(0, y, x, label=1 + k % 3)
            a.wait()
            total.append(time.perf_counter() - t0)
            counts.update(kind for _t, kind, _c in wire.since(mark))
        rest = [t - e for t, e in zip(total, engine, strict=True)]
        print(f"\n## Click ({n} clicks, frame cached, autosave on)")
        print(f"messages per click: {per(counts, n)} (total {sum(counts.values()) / n:.2f})")
        print(
            f"kernel ms per click (median): total {ms(total)}, engine {ms(engine)}, rest {ms(rest)}"
        )
    finally:
        stop.set()
        a.close()


def propagation(model: Any, video: np.ndarray, wire: Wire, follow: bool) -> None:
    a = open_annotator(video, model)
    wire.attach(a)
    stop = a.browser.auto_ack()
    try:
        h, wd = video.shape[1:3]
        a.session.add_point(0, 0.3 * h, 0.3 * wd, 1)
        a.session.add_point(0, 0.65 * h, 0.7 * wd, 2)
        a.wait()
        a.controller.jobs.background.idle(300)
        time.sleep(0.5)
        steps: list[float] = []
        timed_steps(a.session, steps)
        a.controls.propagate.follow.value = follow
        mark = wire.mark()
        t0 = time.perf_counter()
        a.controller.propagator.propagate("forward", 0)
        a.wait()
        wall = time.perf_counter() - t0
        counts = Counter(kind for _t, kind, _c in wire.since(mark))
        n = len(steps) - 1  # the last call ends the iteration
        print(f"\n## Propagation, follow {'on' if follow else 'off'} ({n} frames)")
        print(f"messages per frame: {per(counts, n)} (total {sum(counts.values()) / n:.2f})")
        print(
            f"kernel ms per frame: total {1000 * wall / n:.1f}, "
            f"engine {1000 * sum(steps) / n:.1f}, rest {1000 * (wall - sum(steps)) / n:.1f}"
        )
    finally:
        stop.set()
        a.close()


def saved_work(model: Any, video: np.ndarray) -> str:
    """A session folder holding clicks on three frames (what a reopened annotator
    resumes by replaying them through SAM2)."""
    folder = tempfile.mkdtemp(prefix="sessions-")
    os.environ["SAM2_JUPYTER_SESSION_DIR"] = folder
    a = open_annotator(video, model)
    h, wd = video.shape[1:3]
    for t in (0, len(video) // 2, len(video) - 1):
        a.session.add_point(t, 0.3 * h, 0.3 * wd, 1)
    a.wait()
    a.close()
    return folder


def first_click(
    model: Any, video: np.ndarray, wire: Wire, repeat: int, precompute: bool, saved: str | None
) -> None:
    from sam2_jupyter.widget.precompute import Precompute

    original = Precompute.start
    if not precompute:
        Precompute.start = lambda self: None  # type: ignore[method-assign]
    waits: list[float] = []
    held: list[bool] = []
    try:
        for _ in range(repeat):
            # A folder of its own each run: a new save, or a copy of the saved work.
            folder = tempfile.mkdtemp(prefix="sessions-")
            if saved is not None:
                shutil.copytree(saved, folder, dirs_exist_ok=True)
            os.environ["SAM2_JUPYTER_SESSION_DIR"] = folder
            a = open_annotator(video, model)
            wire.attach(a)
            stop = a.browser.auto_ack()
            pool = a.controller.pool
            # Click as soon as the session is being opened (by whichever thread opens
            # it: the background precompute before, the user's worker since), or 1 s.
            deadline = time.monotonic() + 1.0
            while time.monotonic() < deadline and pool._lock.owner_name is None:
                time.sleep(0.0005)
            held.append(pool._lock.owner_name == "sam2j-background")
            mark = wire.mark()
            h, wd = video.shape[1:3]
            t0 = time.perf_counter()
            a.browser.click(0, h / 2, wd / 2, 1)
            sent = None
            while sent is None and time.perf_counter() - t0 < 120:
                for t, kind, c in wire.since(mark):
                    labelled = kind != "frame" or c.get("has_labels")
                    if kind in ("labels", "edit", "frame") and c.get("frame") == 0 and labelled:
                        sent = t
                        break
                time.sleep(0.0005)
            waits.append((sent or time.perf_counter()) - t0)
            a.wait()
            stop.set()
            a.close()
    finally:
        Precompute.start = original  # type: ignore[method-assign]
    what = "precompute starting" if precompute else "no precompute (reference)"
    print(
        f"first click, {'saved work resumed' if saved else 'new save'}, {what}: "
        f"{ms(waits)} ms median (runs {', '.join(f'{1000 * x:.0f}' for x in waits)}; "
        f"the background thread held the pool at the click in {sum(held)}/{len(held)})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clicks", type=int, default=12)
    parser.add_argument("--frames", type=int, default=12)
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--parts", default="click,propagation,first", help="which to run")
    args = parser.parse_args()
    parts = set(args.parts.split(","))
    os.environ.setdefault("SAM2_JUPYTER_SESSION_DIR", tempfile.mkdtemp(prefix="sessions-"))
    os.environ.setdefault("SAM2_JUPYTER_FEATURE_DIR", tempfile.mkdtemp(prefix="features-"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UntrainedModelWarning)
        model = load_model("tiny", untrained=True, image_size=256, device="cpu", seed=0)
    video = discs(args.frames, args.size)
    wire = Wire()
    try:
        if "click" in parts:
            clicks(model, video, wire, args.clicks)
        for follow in (True, False) if "propagation" in parts else ():
            propagation(model, video, wire, follow)
        if "first" not in parts:
            return
        print(f"\n## First click on a fresh annotator ({args.repeat} runs each)")
        saved = saved_work(model, video)
        for work in (None, saved):
            for precompute in (True, False):
                first_click(model, video, wire, args.repeat, precompute, work)
    finally:
        wire.close()


if __name__ == "__main__":
    main()
