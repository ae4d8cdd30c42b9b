"""Many objects: each figure a ratio measured side by side in one run.

1. Seeding N objects from a label image: ``Session.seed_from_labels`` vs sam2's
   ``add_new_mask`` called once per object directly. Goal: <= 1.1.
2. Propagation per frame with 1, 16 and 64 objects: a Session vs sam2 driven
   directly (same untrained model, same frames, same masks as prompts), runs
   alternating, medians compared. Goal: <= 1.03.
3. Discovery during propagation (``discover_every=10``, the threshold method): its
   added cost per propagated frame.

The objects are discs on a grid, seeded on frame 0 as masks. Defaults are sized for
a 2-core CPU; the issue's figures are at 512 px (``--image-size 512 --frame-size
512``).

Usage: python benchmarks/bench_objects.py [--frames 8] [--objects 1 16 64]
       [--seed-only-above 64]
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

CFG = {"image_size": 256, "frame_size": 256}


def grid_labels(n: int, size: int) -> np.ndarray:
    """``n`` discs on a grid over a (size, size) frame, ids 1..n."""
    side = int(np.ceil(np.sqrt(n)))
    step = size / side
    r = max(2.0, step * 0.3)
    yy, xx = np.mgrid[0:size, 0:size]
    out = np.zeros((size, size), np.int32)
    for i in range(n):
        cy, cx = (i // side + 0.5) * step, (i % side + 0.5) * step
        out[(yy - cy) ** 2 + (xx - cx) ** 2 <= r * r] = i + 1
    return out


def video(n_frames: int, labels: np.ndarray) -> np.ndarray:
    """Bright discs (the labels' pixels) drifting one pixel per frame on texture."""
    rng = np.random.default_rng(0)
    size = labels.shape[0]
    frames = np.empty((n_frames, size, size, 3), np.uint8)
    base = rng.integers(10, 60, (size, size, 3), dtype=np.uint8)
    for t in range(n_frames):
        img = base.copy()
        img[np.roll(labels, t, axis=1) > 0] = (220, 220, 220)
        frames[t] = img
    return frames


def jpegs(frames: np.ndarray) -> Path:
    import imageio.v3 as iio

    folder = Path(tempfile.mkdtemp(prefix="bench_objects_"))
    for t, frame in enumerate(frames):
        iio.imwrite(folder / f"{t}.jpg", frame, quality=95)
    return folder


def model():
    from sam2_jupyter.models import UntrainedModelWarning, load_model

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UntrainedModelWarning)
        return load_model("tiny", untrained=True, image_size=CFG["image_size"], device="cpu")


def quiet() -> None:
    import functools

    import sam2.sam2_video_predictor as vp

    vp.tqdm = functools.partial(vp.tqdm, disable=True)
    warnings.filterwarnings("ignore")


def one_count(m, n: int, frames_n: int, repeats: int, propagate: bool = True) -> tuple[dict, dict]:
    """Seeding and propagation medians for ``n`` objects (runs alternating);
    ``propagate`` False: seeding only."""
    import torch

    from sam2_jupyter import Session

    labels = grid_labels(n, CFG["frame_size"])
    frames = video(frames_n, labels)
    folder = jpegs(frames)
    p = m.predictor

    def direct_seed():
        state = p.init_state(video_path=str(folder))
        t0 = time.perf_counter()
        with torch.inference_mode():
            for i in range(1, n + 1):
                p.add_new_mask(state, frame_idx=0, obj_id=i, mask=labels == i)
        return time.perf_counter() - t0, state

    def our_seed():
        s = Session(frames, m)
        s.precompute.frame(0)  # sam2's init_state encodes frame 0 too (untimed)
        t0 = time.perf_counter()
        s.seed_from_labels(0, labels)
        return time.perf_counter() - t0, s

    def direct_run(state):
        t0 = time.perf_counter()
        with torch.inference_mode():
            for _ in p.propagate_in_video(state, start_frame_idx=0):
                pass
        return (time.perf_counter() - t0) / frames_n

    def our_run(s, **kw):
        t0 = time.perf_counter()
        s.run_propagation(progress=False, **kw)
        return (time.perf_counter() - t0) / frames_n

    runs: dict[str, list[float]] = {"sam2": [], "ours": [], "discover": []}
    seeds: dict[str, list[float]] = {"sam2": [], "ours": []}
    for _ in range(repeats):
        dt, state = direct_seed()
        seeds["sam2"].append(dt)
        dt, s = our_seed()
        seeds["ours"].append(dt)
        if not propagate:
            continue
        runs["sam2"].append(direct_run(state))
        runs["ours"].append(our_run(s))
        _, s = our_seed()
        runs["discover"].append(our_run(s, discover_every=10, discover_method="threshold"))
    med = {k: statistics.median(v) for k, v in seeds.items()}
    return med, {k: statistics.median(v) for k, v in runs.items() if v}


def bench(frames_n: int, counts: list[int], repeats: int, seed_only: int | None = None) -> dict:
    quiet()
    m = model()
    out: dict = {"seed": {}, "propagate": {}, "discover": {}}
    for n in counts:
        propagate = seed_only is None or n <= seed_only
        med, rm = one_count(m, n, frames_n, repeats, propagate)
        out["seed"][n] = {**med, "ratio": med["ours"] / med["sam2"]}
        if not propagate:
            print(
                f"{n:>4} objects  seed ours/sam2 {med['ours']:.2f}/{med['sam2']:.2f} s "
                f"= {med['ours'] / med['sam2']:.3f}   (not propagated)",
                flush=True,
            )
            continue
        out["propagate"][n] = {**{k: rm[k] for k in ("sam2", "ours")}}
        out["propagate"][n]["ratio"] = rm["ours"] / rm["sam2"]
        out["discover"][n] = {"added_per_frame": rm["discover"] - rm["ours"]}
        print(
            f"{n:>4} objects  seed ours/sam2 {med['ours']:.2f}/{med['sam2']:.2f} s "
            f"= {med['ours'] / med['sam2']:.3f}   propagate per frame ours/sam2 "
            f"{rm['ours']:.3f}/{rm['sam2']:.3f} s = {rm['ours'] / rm['sam2']:.3f}   "
            f"discover_every=10 adds {1000 * (rm['discover'] - rm['ours']):+.0f} ms/frame",
            flush=True,
        )
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--frames", type=int, default=8)
    ap.add_argument("--objects", type=int, nargs="+", default=[1, 16, 64])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--image-size", type=int, default=CFG["image_size"])
    ap.add_argument("--frame-size", type=int, default=CFG["frame_size"])
    ap.add_argument("--json", type=Path)
    ap.add_argument(
        "--seed-only-above", type=int, help="counts above this are seeded, not propagated"
    )
    args = ap.parse_args()
    CFG.update(image_size=args.image_size, frame_size=args.frame_size)
    print(f"{platform.processor() or platform.machine()}, {CFG}, {args.frames} frames")
    result = bench(args.frames, args.objects, args.repeats, args.seed_only_above)
    if args.json:
        args.json.write_text(json.dumps({"config": CFG, **result}, indent=1))


if __name__ == "__main__":
    main()
