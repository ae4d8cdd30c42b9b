"""Corrections at the speed of a click: numbers users can plan with.

At each model input size (512 and 1024 px by default, frames of the same size),
side by side in one run:

1. Click latency in the kernel: a first click on an untracked frame whose image
   features are cached, a correction (first click on a tracked frame), a second
   correction on the same frame; the Session with its correction cache, without it,
   and sam2 driven directly. Goal: correction <= 1.5× the first click.
2. Propagation time per frame with 1, 4 and 16 objects, Session vs sam2 direct.
3. What conditioning frames cost: propagation per frame attending to 1, 4 and 8
   prompted frames (every correction becomes one; SAM2 attends to all of them).
4. Opt-in bf16 on CPUs with native bf16: click and propagation speed against fp32,
   and how far the masks agree with fp32's.

Untrained SAM2.1 tiny (cost does not depend on the weights' values).

Usage: python benchmarks/bench_corrections.py [--sizes 512 1024] [--frames 6]
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from bench_engine import CFG, SyntheticVideo, _quiet_tqdm, _sync, jpeg_folder


def _model(size: int, precision: str = "auto", cap: int | None = None):
    from sam2_jupyter.models import UntrainedModelWarning, load_model

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UntrainedModelWarning)
        return load_model(
            "tiny",
            untrained=True,
            image_size=size,
            device=CFG["device"],
            precision=precision,
            max_conditioning_frames=cap,
        )


def _timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    _sync()
    return (time.perf_counter() - t0) * 1000


def _grid(k: int, size: int) -> list[tuple[float, float]]:
    """k click positions spread over the frame (one per object)."""
    side = int(np.ceil(np.sqrt(k)))
    step = size / (side + 1)
    return [((i // side + 1) * step, (i % side + 1) * step) for i in range(k)]


def bench_clicks(size: int, n: int) -> dict[str, float]:
    from sam2_jupyter import Session

    model = _model(size)
    folder = jpeg_folder(n)
    c = size / 2
    frames = range(1, n)

    def session(**kw) -> Session:
        s = Session(folder, model, **kw)
        for t in s.precompute_order():
            s.precompute_frame(t)
        return s

    first = session()
    first_ms = [_timed(lambda t=t: first.add_point(t, c, c, 1)) for t in frames]
    rows = {"first": statistics.median(first_ms)}
    for name, kw in (("cached", {}), ("no cache", {"correction_cache": None})):
        s = session(**kw)
        s.add_point(0, c, c, 1)
        s.run_propagation()
        one = [
            _timed(lambda t=t, s=s: s.add_point(t, c * 0.6, c * 0.6, 1, positive=False))
            for t in frames
        ]
        two = [
            _timed(lambda t=t, s=s: s.add_point(t, c * 1.4, c * 0.6, 1, positive=False))
            for t in frames
        ]
        rows[f"correction, {name}"] = statistics.median(one)
        rows[f"second correction, {name}"] = statistics.median(two)
    p = model.predictor
    state = p.init_state(video_path=str(folder))
    direct_first = [
        _timed(lambda t=t: p.add_new_points_or_box(state, t, 1, points=[[c, c]], labels=[1]))
        for t in frames
    ]
    state = p.init_state(video_path=str(folder))
    p.add_new_points_or_box(state, 0, 1, points=[[c, c]], labels=[1])
    for _ in p.propagate_in_video(state):
        pass

    def direct_click(t: int, x: float) -> None:
        p.add_new_points_or_box(
            state, t, 1, points=[[x, c * 0.6]], labels=[0], clear_old_points=False
        )

    rows["sam2 direct: first"] = statistics.median(direct_first)
    rows["sam2 direct: correction"] = statistics.median(
        [_timed(lambda t=t: direct_click(t, c * 0.6)) for t in frames]
    )
    rows["sam2 direct: second correction"] = statistics.median(
        [_timed(lambda t=t: direct_click(t, c * 1.4)) for t in frames]
    )
    return rows


def _propagate_ms(run) -> float:
    t0 = time.perf_counter()
    count = sum(1 for _ in run)
    _sync()
    return (time.perf_counter() - t0) * 1000 / max(1, count)


def bench_objects(size: int, n: int, counts: tuple[int, ...]) -> list[tuple[int, float, float]]:
    """Per frame, the first propagation after prompting (both encode each frame once)."""
    from sam2_jupyter import Session

    model = _model(size)
    folder = jpeg_folder(n)
    p = model.predictor
    rows = []
    for k in counts:
        points = _grid(k, size)
        state = p.init_state(video_path=str(folder))
        for label, (y, x) in enumerate(points, 1):
            p.add_new_points_or_box(state, 0, label, points=[[x, y]], labels=[1])
        direct = _propagate_ms(p.propagate_in_video(state))
        s = Session(folder, model)
        for label, (y, x) in enumerate(points, 1):
            s.add_point(0, y, x, label)
        ours = _propagate_ms(s.propagate())
        rows.append((k, direct, ours))
    return rows


def bench_conditioning(
    size: int, n: int, counts: tuple[int, ...], cap: int | None = None
) -> list[tuple[int, float]]:
    """Per computed frame, a re-propagation (features cached) over frames 0..n of a
    video prompted on frame 0 and on its last k - 1 frames: every computed frame
    attends to all k conditioning frames."""
    from sam2_jupyter import Session

    model = _model(size, cap=cap)
    c = size / 2
    total = n + max(counts) + 1
    video = SyntheticVideo(total, (size, size))
    rows = []
    for k in counts:
        s = Session(video, model)
        for t in [0, *range(total - k + 1, total)]:
            s.add_point(t, c, c, 1)
        s.run_propagation(stop=n)
        t0 = time.perf_counter()
        s.run_propagation(stop=n)
        _sync()
        rows.append((k, (time.perf_counter() - t0) * 1000 / n))
    return rows


def bench_bf16(size: int, n: int) -> dict[str, float]:
    """One object (so that agreement is about its mask, not about which of two
    overlapping objects wins a pixel)."""
    from sam2_jupyter import Session

    c = size / 2
    video = SyntheticVideo(n, (size, size))
    out: dict[str, float] = {}
    masks = {}
    for precision in ("fp32", "bf16"):
        model = _model(size, precision)
        s = Session(video, model)
        t0 = time.perf_counter()
        for t in s.precompute_order():
            s.precompute_frame(t)
        _sync()
        out[f"{precision}_encode_ms"] = (time.perf_counter() - t0) * 1000 / n
        out[f"{precision}_click_ms"] = _timed(lambda s=s: s.add_point(0, c, c, 1))
        out[f"{precision}_frame_ms"] = _propagate_ms(s.propagate())
        masks[precision] = s.labels > 0
    a, b = masks["fp32"], masks["bf16"]
    out["same"] = float((a == b).mean())
    out["iou"] = float((a & b).sum() / max(1, (a | b).sum()))
    out["fg"] = float(a.mean())
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[512, 1024])
    parser.add_argument("--frames", type=int, default=6)
    parser.add_argument("--objects", type=int, nargs="+", default=[1, 4, 16])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--parts", nargs="+", default=["clicks", "objects", "conditioning", "bf16"])
    args = parser.parse_args()
    import torch

    CFG.update(device=args.device)
    _quiet_tqdm()
    cpu = platform.processor() or platform.machine()
    print(
        f"# Corrections benchmark — {cpu}, {torch.get_num_threads()} threads, {args.device}, "
        f"torch {torch.__version__}, untrained SAM2.1 tiny, {args.frames} frames"
    )
    for size in args.sizes:
        CFG.update(image_size=size, frame_size=size)
        print(f"\n## {size} px (model input and frames)")
        if "clicks" in args.parts:
            clicks = bench_clicks(size, args.frames)
            base = clicks["first"]
            print("\n| click (median over frames) | ms | × first click | goal |")
            print("|---|---|---|---|")
            for name, ms in clicks.items():
                goal = "<= 1.5" if name == "correction, cached" else ""
                print(f"| {name} | {ms:.1f} | {ms / base:.2f} | {goal} |")
        if "objects" in args.parts:
            print("\n| objects | sam2 direct (ms/frame) | Session (ms/frame) | ratio |")
            print("|---|---|---|---|")
            for k, direct, ours in bench_objects(size, args.frames, tuple(args.objects)):
                print(f"| {k} | {direct:.0f} | {ours:.0f} | {ours / direct:.3f} |")
        if "conditioning" in args.parts:
            print("\n| prompted frames | attended | re-propagation (ms/frame) | × one |")
            print("|---|---|---|---|")
            cond = bench_conditioning(size, args.frames, (1, 4, 8))
            for k, ms in cond:
                print(f"| {k} | all | {ms:.0f} | {ms / cond[0][1]:.2f} |")
            ((k, ms),) = bench_conditioning(size, args.frames, (8,), cap=4)
            print(f"| {k} | 4 nearest | {ms:.0f} | {ms / cond[0][1]:.2f} |")
        if "bf16" in args.parts and args.device == "cpu":
            b = bench_bf16(size, args.frames)
            print("\n| precision | encoder (ms/frame) | click (ms) | re-propagation (ms/frame) |")
            print("|---|---|---|---|")
            for p in ("fp32", "bf16"):
                print(
                    f"| {p} | {b[p + '_encode_ms']:.0f} | {b[p + '_click_ms']:.0f} "
                    f"| {b[p + '_frame_ms']:.0f} |"
                )
            print(
                f"\nbf16 vs fp32: image encoder {b['fp32_encode_ms'] / b['bf16_encode_ms']:.2f}× "
                f"faster, re-propagation {b['fp32_frame_ms'] / b['bf16_frame_ms']:.2f}× faster; "
                f"the mask agrees on {b['same'] * 100:.2f}% of pixels, "
                f"IoU {b['iou']:.4f} (one object covering {b['fg'] * 100:.0f}% of the "
                f"pixels, {args.frames} frames)"
            )


if __name__ == "__main__":
    main()
