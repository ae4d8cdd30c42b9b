"""The timeline's cost over a long propagation: what keeping the browser's summary in
step costs the kernel per propagated frame, and whether it grows with the run.

A propagation stores one frame's quality record after another and the widget calls
``Timeline.sync()`` after each (as ``widget/propagation.py`` does). This drives a real
Session (the untrained tiny model at 256 px, no SAM2 call) over an N-frame synthetic
stack: each step replaces the frame's record under the session's lock exactly as
the tracker's ``store`` does, then syncs the timeline into a canvas stand-in that
counts bytes. It reports the total time in ``sync`` over the run and its median per
frame over the first and last 100 frames (a cost that grows with the run's length
makes the run quadratic), and the record update itself for scale.

Usage: python benchmarks/bench_timeline.py [--frames 2000] [--labels 10 100]
"""

from __future__ import annotations

import argparse
import statistics
import time
import warnings
from types import SimpleNamespace

import numpy as np

from sam2_jupyter.engine import Session
from sam2_jupyter.engine.prompts import PointPrompt
from sam2_jupyter.engine.quality import RECORD, with_frame
from sam2_jupyter.models import UntrainedModelWarning, load_model
from sam2_jupyter.widget.timeline import Timeline


def frame_record(t: int, n_labels: int, rng: np.random.Generator) -> np.ndarray:
    """What the tracker would record on frame ``t``: every label present, areas that
    drift, a rare jump (a flag) and a rare absence (a lost flag)."""
    rec = np.zeros(n_labels, RECORD)
    rec["label"] = np.arange(1, n_labels + 1)
    rec["present"] = np.where(rng.random(n_labels) < 0.01, 0.1, 0.95)
    rec["area"] = 400 + (t % 50) + np.arange(n_labels) * 3
    rec["area"][rng.random(n_labels) < 0.005] *= 5
    rec["cy"] = 100 + t * 0.01
    rec["cx"] = 50 + np.arange(n_labels)
    rec.setflags(write=False)
    return rec


def propagation(model, n_frames: int, n_labels: int, make=Timeline) -> dict[str, float]:
    stack = np.zeros((n_frames, 32, 32), np.uint8)
    session = Session(stack, model, feature_cache=None, correction_cache=None)
    core = session._core  # the tracker's view of the session: its record, its lock
    with core.lock:
        core.update(prompts=[PointPrompt(0, label, 16, 16) for label in range(1, n_labels + 1)])
    sent: list[int] = []
    canvas = SimpleNamespace(send=lambda content, buffers: sent.append(len(buffers[0])))
    timeline = make(canvas, lambda: session)
    timeline.sync()
    rng = np.random.default_rng(0)
    syncs, updates = [], []
    for t in range(n_frames):
        rec = frame_record(t, n_labels, rng)
        t0 = time.perf_counter()
        with core.lock:  # as Tracker.store does
            core.update(quality=with_frame(core.record.quality, t, rec))
        t1 = time.perf_counter()
        timeline.sync()
        t2 = time.perf_counter()
        updates.append(t1 - t0)
        syncs.append(t2 - t1)
    edge = min(100, n_frames // 4)
    return {
        "total_s": sum(syncs),
        "first_ms": statistics.median(syncs[:edge]) * 1000,
        "last_ms": statistics.median(syncs[-edge:]) * 1000,
        "update_first_ms": statistics.median(updates[:edge]) * 1000,
        "update_last_ms": statistics.median(updates[-edge:]) * 1000,
        "bytes": sum(sent[1:]) / max(1, len(sent) - 1),
        "edge": edge,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=2000)
    parser.add_argument("--labels", type=int, nargs="+", default=[10, 100])
    args = parser.parse_args()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UntrainedModelWarning)
        model = load_model("tiny", untrained=True, image_size=256, device="cpu", seed=0)
    print(f"## Timeline over a {args.frames}-frame propagation")
    print(
        "| labels | sync total (s) | sync per frame, first 100 (ms) | last 100 (ms) "
        "| bytes per message | record update, first / last (ms) |"
    )
    print("|---|---|---|---|---|---|")
    for n_labels in args.labels:
        r = propagation(model, args.frames, n_labels)
        print(
            f"| {n_labels} | {r['total_s']:.2f} | {r['first_ms']:.3f} | {r['last_ms']:.3f} "
            f"| {r['bytes']:.0f} | {r['update_first_ms']:.3f} / {r['update_last_ms']:.3f} |"
        )


if __name__ == "__main__":
    main()
