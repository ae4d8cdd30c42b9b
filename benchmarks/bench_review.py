"""Cost of the review features in the kernel: quality records and the timeline summary.

- quality per frame: what recording a frame's quality adds to storing its labels
  (SAM2's scores, one pass over the labelled pixels, the record's update), at 512 and
  1024 px with 1, 4 and 16 objects, per frame and per object. Goal: <= 2 ms per frame
  and object.
- timeline at 10,000 frames × 100 labels: the whole summary (build, flags, encode;
  bytes on the wire) and one propagated frame's delta (bytes, time).

Runs on synthetic records (discs that drift, appear and vanish), no model needed.
Usage: python benchmarks/bench_review.py [--repeat 20]
"""

from __future__ import annotations

import argparse
import statistics
import time
from types import SimpleNamespace

import numpy as np

from sam2_jupyter.engine.labels import composite
from sam2_jupyter.engine.quality import RECORD, QualityMatrix, measure, with_frame
from sam2_jupyter.engine.quality_records import QualityRecords
from sam2_jupyter.engine.summary import QualitySummary
from sam2_jupyter.widget.codec import encode_labels
from sam2_jupyter.widget.timeline import Timeline, summary_bits


def discs(size: int, n: int, seed: int = 0) -> np.ndarray:
    """(n, size, size) float logits: n discs, positive inside."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:size, 0:size]
    out = np.empty((n, size, size), np.float32)
    for i in range(n):
        cy, cx = rng.uniform(0.1, 0.9, 2) * size
        r = size * rng.uniform(0.03, 0.12)
        out[i] = r - np.hypot(yy - cy, xx - cx)
    return out


def timed(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1000


def quality_row(size: int, n: int, repeat: int) -> str:
    logits = discs(size, n)
    ids = list(range(1, n + 1))
    scores = np.random.default_rng(1).normal(size=n).tolist()
    quality = {t: np.zeros(n, RECORD) for t in range(1000)}  # a long video's record
    out = composite(logits, ids, [True] * n, None)

    def quality_only() -> dict[int, np.ndarray]:  # what the tracker adds after compositing
        own = [np.count_nonzero(logits[i] > 0) for i in range(n)]
        q = dict(quality)
        q[5] = measure(out, ids, scores, own)
        return q

    base = timed(lambda: composite(logits, ids, [True] * n, None), repeat)
    extra = timed(quality_only, repeat)
    return f"| {size}² | {n} | {base:.2f} | {extra:.2f} | {extra / n:.3f} | <= 2 per object |"


def quality_cost(repeat: int) -> None:
    print(f"\n## Quality per frame (median of {repeat} runs)")
    print("| frame | objects | labels (ms) | + quality (ms) | per object (ms) | goal |")
    print("|---|---|---|---|---|---|")
    for size in (512, 1024):
        for n in (1, 4, 16):
            print(quality_row(size, n, repeat))


def synthetic_record(n_frames: int, n_labels: int) -> dict[int, np.ndarray]:
    """Labels that appear, drift and vanish over a long video, with a few odd frames."""
    rng = np.random.default_rng(2)
    starts = rng.integers(0, n_frames // 2, n_labels)
    ends = starts + rng.integers(n_frames // 10, n_frames // 2, n_labels)
    out = {}
    for t in range(n_frames):
        here = np.flatnonzero((starts <= t) & (t <= ends))
        rec = np.zeros(here.size, RECORD)
        rec["label"] = here + 1
        rec["present"] = 0.95
        rec["area"] = 500 + (here * 7) % 300
        rec["cy"] = 100 + t * 0.01
        rec["cx"] = 100 + here
        odd = rng.random(here.size) < 0.002
        rec["area"][odd] *= 5
        out[t] = rec
    return out


def timeline_cost(n_frames: int, n_labels: int, repeat: int) -> None:
    print(f"\n## Timeline summary at {n_frames} frames × {n_labels} labels")
    quality = synthetic_record(n_frames, n_labels)
    labels = list(range(1, n_labels + 1))

    def whole() -> bytes:
        m = QualityMatrix(quality, labels, n_frames)
        return encode_labels(summary_bits(m).astype(np.uint16))

    data = whole()
    build_ms = timed(whole, max(3, repeat // 4))
    # One propagated frame: the record changes on one frame, the timeline sends a delta.
    record = SimpleNamespace(quality=QualityRecords(quality), prompts=())
    session = SimpleNamespace(record=record, label_ids=labels, n_frames=n_frames)
    session.quality_summary = lambda: QualitySummary(lambda: (record, labels), n_frames)
    sent: list[int] = []
    canvas = SimpleNamespace(send=lambda content, buffers: sent.append(len(buffers[0])))
    timeline = Timeline(canvas, lambda: session)  # type: ignore[arg-type]
    timeline.sync()
    frames = iter(range(n_frames // 2, n_frames))

    def one_frame() -> None:
        t = next(frames)
        rec = record.quality[t].copy()
        rec["area"] += 1
        record.quality = with_frame(record.quality, t, rec)  # as the tracker stores it
        timeline.sync()

    delta_ms = timed(one_frame, repeat)
    print("| measure | value |")
    print("|---|---|")
    print(f"| cells (one byte each) | {n_frames * n_labels} |")
    print(f"| whole summary on the wire (run-length) | {len(data)} bytes |")
    print(f"| whole summary: build + flags + encode | {build_ms:.0f} ms |")
    print(f"| one propagated frame: delta on the wire | {statistics.median(sent[1:])} bytes |")
    print(f"| one propagated frame: record update + delta | {delta_ms:.2f} ms |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--frames", type=int, default=10_000)
    parser.add_argument("--labels", type=int, default=100)
    args = parser.parse_args()
    print("# Review features in the kernel")
    quality_cost(args.repeat)
    timeline_cost(args.frames, args.labels, args.repeat)


if __name__ == "__main__":
    main()
