"""What proposing divisions costs: ``session.proposed_divisions()``'s scan (every
frame's labels read from the session's compressed store) with N labels × T frames at
S², the case the widget recomputes after each edit and at the end of a propagation.

The labels are squares on a grid drifting down a little per frame (no division, so
the scan does all its work and proposes nothing), and one label that divides on the
middle frame, so the table is not empty. No model: the scan reads labels only.

Usage: python benchmarks/bench_divisions.py [--labels 300] [--frames 100] [--size 512]
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from sam2_jupyter.engine.discovery.divisions import DivisionRules, propose
from sam2_jupyter.engine.labels import LabelStore


def frames(n_labels: int, n_frames: int, size: int) -> LabelStore:
    """The store a session keeps, filled with the drifting grid."""
    side = int(np.ceil(np.sqrt(n_labels)))
    pitch = size // side
    half = max(2, pitch // 3)
    store = LabelStore(n_frames, (size, size))
    for t in range(n_frames):
        lab = np.zeros((size, size), np.uint16)
        for i in range(n_labels):
            y = (i // side) * pitch + pitch // 2 + (t * pitch) // (4 * n_frames)
            x = (i % side) * pitch + pitch // 2
            lab[max(0, y - half) : y + half, max(0, x - half) : x + half] = i + 1
        if t >= n_frames // 2:  # label 1 becomes two parts
            cut = lab[:, pitch // 2 - 1 : pitch // 2 + 1]
            cut[cut == 1] = 0
        store.set(t, lab)
    return store


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--labels", type=int, default=300)
    parser.add_argument("--frames", type=int, default=100)
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    store = frames(args.labels, args.frames, args.size)
    times, found = [], None
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        found = propose(store.get, args.frames, {}, (), DivisionRules())
        times.append(time.perf_counter() - t0)
    read = time.perf_counter()
    for t in range(args.frames):
        store.get(t)
    read = time.perf_counter() - read
    print(
        f"proposed_divisions: {args.labels} labels × {args.frames} frames at {args.size}²: "
        f"median {statistics.median(times):.2f} s (min {min(times):.2f}, of {args.repeats}); "
        f"reading the labels alone {read:.2f} s; {len(found)} proposed"
    )


if __name__ == "__main__":
    main()
