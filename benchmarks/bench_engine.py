"""Engine benchmarks, each figure a ratio measured side by side in one run.

1. Propagation wall time: a Session vs sam2's predictor driven directly, same
   untrained model, same frames (a JPEG folder, sam2's own input), same click.
   Runs alternate and the median of each is compared. Goal: ratio <= 1.03.
   Then one more click and a re-propagation on both: the Session reuses cached
   image features. Goal: >= 1.8× faster than sam2.
2. Click latency, prompt to mask in the kernel: sam2 direct, a Session on an
   uncached frame, on a cached frame, and on a frame whose features a previous
   session left on disk (a reopened notebook).
3. Peak memory (RSS, and CUDA when the model runs there) of propagation at two
   frame counts for each memory mode, each in a fresh process. Frames are
   synthesised on demand (as a decoder or a memory-mapped file would deliver them),
   so the input itself occupies no memory. Goal: low mode grows <= 5%.

Defaults are this project's CPU settings (untrained tiny at 256 px). On a GPU:
    python benchmarks/bench_engine.py --device cuda --image-size 1024 \
        --frame-size 1024 --model small [--compile]

Usage: python benchmarks/bench_engine.py [--frames 60] [--repeats 3] [--quick]
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

# Set from the command line (and handed to the memory subprocesses).
CFG = {
    "device": "cpu",
    "model": "tiny",
    "image_size": 256,
    "frame_size": 256,
    "compile": False,
    "objects": 1,  # the memory runs: 1 click, or N discs on a grid seeded as masks
}


class SyntheticVideo:
    """A lazily generated (T, Y, X, 3) uint8 video: a disc moving over texture."""

    def __init__(self, n_frames: int, shape: tuple[int, int] | None = None) -> None:
        shape = shape or (CFG["frame_size"], CFG["frame_size"])
        self.shape = (n_frames, *shape, 3)
        self.dtype = np.dtype(np.uint8)
        self.ndim = 4
        rng = np.random.default_rng(0)
        self._background = rng.integers(20, 90, (*shape, 3), dtype=np.uint8)
        self._yy, self._xx = np.mgrid[0 : shape[0], 0 : shape[1]]

    def frame(self, t: int) -> np.ndarray:
        img = self._background.copy()
        h, w = self.shape[1:3]
        cy = h / 2 + h / 4 * np.sin(t / 15)
        cx = w / 2 + w / 4 * np.cos(t / 20)
        img[(self._yy - cy) ** 2 + (self._xx - cx) ** 2 <= (h / 8) ** 2] = (230, 60, 40)
        return img

    def __getitem__(self, key: tuple) -> np.ndarray:
        key = key if isinstance(key, tuple) else (key,)
        return self.frame(int(key[0]))[key[1:]] if len(key) > 1 else self.frame(int(key[0]))


def jpeg_folder(n_frames: int) -> Path:
    """The synthetic video as <index>.jpg files: the input sam2's own loader takes."""
    import imageio.v3 as iio

    video = SyntheticVideo(n_frames)
    folder = Path(tempfile.mkdtemp(prefix="bench_jpeg_"))
    for t in range(n_frames):
        iio.imwrite(folder / f"{t}.jpg", video.frame(t), quality=95)
    return folder


def _model():
    from sam2_jupyter.models import UntrainedModelWarning, load_model

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UntrainedModelWarning)
        return load_model(
            CFG["model"],
            untrained=True,
            image_size=CFG["image_size"],
            device=CFG["device"],
            compile=CFG["compile"],
        )


def _centre() -> float:
    return CFG["frame_size"] / 2


def _quiet_tqdm() -> None:
    """sam2 prints progress bars and a CPU warning per run; keep the table readable."""
    import functools

    import sam2.sam2_video_predictor as vp
    import sam2.utils.misc as misc

    vp.tqdm = functools.partial(vp.tqdm, disable=True)
    misc.tqdm = functools.partial(misc.tqdm, disable=True)
    warnings.filterwarnings("ignore", message="(?s).*Skipping the post-processing")


def bench_speed(n_frames: int, repeats: int) -> dict[str, float]:
    from sam2_jupyter import Session

    _quiet_tqdm()
    model = _model()
    folder = jpeg_folder(n_frames)
    c = _centre()
    click = {"points": [[c, c]], "labels": [1]}

    recl = {"points": [[c * 0.47, c * 0.47]], "labels": [0]}

    def direct() -> tuple[float, float, float]:
        t0 = time.perf_counter()
        p = model.predictor
        state = p.init_state(video_path=str(folder))
        p.add_new_points_or_box(state, frame_idx=0, obj_id=1, **click)
        _sync()
        t1 = time.perf_counter()
        for _ in p.propagate_in_video(state):
            pass
        _sync()
        t2 = time.perf_counter()
        # Re-prompt, then re-propagate: what users do many times.
        p.add_new_points_or_box(state, frame_idx=0, obj_id=1, clear_old_points=False, **recl)
        _sync()
        t3 = time.perf_counter()
        for _ in p.propagate_in_video(state):
            pass
        _sync()
        return t2 - t1, t2 - t0, time.perf_counter() - t3

    def ours() -> tuple[float, float, float]:
        t0 = time.perf_counter()
        s = Session(folder, model)
        s.add_point(0, c, c, 1)
        t1 = time.perf_counter()
        for _ in s.propagate():
            pass
        t2 = time.perf_counter()
        s.add_point(0, c * 0.47, c * 0.47, 1, positive=False)
        t3 = time.perf_counter()
        for _ in s.propagate():
            pass
        return t2 - t1, t2 - t0, time.perf_counter() - t3

    direct()  # warm-up (allocator, kernels)
    runs: dict[str, list[tuple[float, float, float]]] = {"direct": [], "ours": []}
    for _ in range(repeats):
        runs["direct"].append(direct())
        runs["ours"].append(ours())
    med = {k: tuple(statistics.median(r[i] for r in v) for i in range(3)) for k, v in runs.items()}
    return {
        "frames": n_frames,
        "direct_propagate_s": med["direct"][0],
        "ours_propagate_s": med["ours"][0],
        "ratio_propagate": med["ours"][0] / med["direct"][0],
        "direct_total_s": med["direct"][1],
        "ours_total_s": med["ours"][1],
        "ratio_total": med["ours"][1] / med["direct"][1],
        "direct_repropagate_s": med["direct"][2],
        "ours_repropagate_s": med["ours"][2],
        "repropagate_speedup": med["direct"][2] / med["ours"][2],
    }


def bench_clicks(n_frames: int = 12) -> dict[str, float]:
    """Median click latency (prompt -> mask, in the kernel) on frames whose image
    features are cached vs not, next to sam2 direct (which re-encodes on every
    change of frame)."""
    from sam2_jupyter import Session

    _quiet_tqdm()
    model = _model()
    folder = jpeg_folder(n_frames)

    def timed(fn) -> float:
        t0 = time.perf_counter()
        fn()
        _sync()
        return time.perf_counter() - t0

    c = _centre()

    p = model.predictor
    state = p.init_state(video_path=str(folder))
    direct = [
        timed(
            lambda t=t: p.add_new_points_or_box(
                state, frame_idx=t, obj_id=1, points=[[c, c]], labels=[1]
            )
        )
        for t in range(1, n_frames)
    ]
    uncached = Session(folder, model, feature_cache=None)
    cold = [timed(lambda t=t: uncached.add_point(t, c, c, 1)) for t in range(1, n_frames)]
    cached = Session(folder, model)
    for t in cached.precompute_order():
        cached.precompute_frame(t)
    warm = [timed(lambda t=t: cached.add_point(t, c, c, 1)) for t in range(1, n_frames)]
    with tempfile.TemporaryDirectory(prefix="bench_session_") as folder_s:
        saving = Session(folder, model, autosave=folder_s)
        for t in saving.precompute_order():
            saving.precompute_frame(t)
        saved = [timed(lambda t=t: saving.add_point(t, c, c, 1)) for t in range(1, n_frames)]
    with tempfile.TemporaryDirectory(prefix="bench_features_") as store:
        writer = Session(folder, model, feature_dir=store)
        for t in writer.precompute_order():
            writer.precompute_frame(t)
        writer.flush_features()
        wstore = writer.features.store
        disk_bytes = (wstore.nbytes() - _dir_bytes(wstore.dir / "positions")) / n_frames
        reopened = Session(folder, model, feature_dir=store, feature_cache=0)
        disk = [timed(lambda t=t: reopened.add_point(t, c, c, 1)) for t in range(1, n_frames)]
    return {
        "direct_ms": statistics.median(direct) * 1000,
        "uncached_ms": statistics.median(cold) * 1000,
        "cached_ms": statistics.median(warm) * 1000,
        "autosave_ms": statistics.median(saved) * 1000,
        "disk_ms": statistics.median(disk) * 1000,
        "disk_mb_per_frame": disk_bytes / 2**20,
        "clicks": n_frames - 1,
    }


def _dir_bytes(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def bench_reopen(image_size: int = 1024, n_frames: int = 4) -> dict[str, float]:
    """Per frame at full model size: computing image features vs reading them back
    from the disk store (what reopening a notebook costs with and without it)."""
    from sam2_jupyter import Session
    from sam2_jupyter.models import UntrainedModelWarning, load_model

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UntrainedModelWarning)
        model = load_model(
            CFG["model"], untrained=True, image_size=image_size, device=CFG["device"]
        )
    video = SyntheticVideo(n_frames, (image_size, image_size))
    encode, load = [], []
    with tempfile.TemporaryDirectory(prefix="bench_features_") as store:
        writer = Session(video, model, feature_dir=store, feature_cache=0)
        for t in range(n_frames):
            t0 = time.perf_counter()
            writer.precompute_frame(t)
            _sync()
            encode.append(time.perf_counter() - t0)
        writer.flush_features()
        per_frame = (
            writer.features.store.nbytes() - _dir_bytes(writer.features.store.dir / "positions")
        ) / n_frames
        reader = Session(video, model, feature_dir=store, feature_cache=0)
        for t in range(n_frames):
            reader.features.store.key(t)  # hashing the pixels is part of opening the data
            t0 = time.perf_counter()
            assert reader.features.store.load(t) is not None
            _sync()
            load.append(time.perf_counter() - t0)
    return {
        "image_size": image_size,
        "encode_ms": statistics.median(encode) * 1000,
        "load_ms": statistics.median(load) * 1000,
        "mb_per_frame": per_frame / 2**20,
    }


def memory_run(mode: str, n_frames: int) -> dict[str, float]:
    """In this (fresh) process: RSS before and at its peak during propagation."""
    import psutil
    import torch

    from sam2_jupyter import Session

    _quiet_tqdm()
    proc = psutil.Process()
    model = _model()
    s = Session(SyntheticVideo(n_frames), model, memory_mode=mode)
    if CFG["objects"] > 1:
        from bench_objects import grid_labels

        s.seed_from_labels(0, grid_labels(CFG["objects"], CFG["frame_size"]))
    else:
        s.add_point(0, _centre(), _centre(), 1)
    cuda = model.device.type == "cuda"
    if cuda:
        torch.cuda.reset_peak_memory_stats(model.device)
    before = proc.memory_info().rss
    peak = before
    t0 = time.perf_counter()
    for _ in s.propagate():
        peak = max(peak, proc.memory_info().rss)
    return {
        "mode": mode,
        "frames": n_frames,
        "rss_before_mb": before / 2**20,
        "rss_peak_mb": peak / 2**20,
        "cuda_peak_mb": torch.cuda.max_memory_allocated(model.device) / 2**20 if cuda else None,
        "seconds": time.perf_counter() - t0,
    }


MODES = ("normal", "low", "super-low")


def _cfg_args() -> list[str]:
    args = [
        f"--device={CFG['device']}",
        f"--model={CFG['model']}",
        f"--image-size={CFG['image_size']}",
        f"--frame-size={CFG['frame_size']}",
        f"--objects={CFG['objects']}",
    ]
    return args + (["--compile"] if CFG["compile"] else [])


def _sync() -> None:
    """GPU work is asynchronous: time it only once it has finished."""
    if CFG["device"].startswith("cuda"):
        import torch

        torch.cuda.synchronize()


def bench_memory(counts: tuple[int, int], modes: tuple[str, ...]) -> list[dict[str, float]]:
    rows = []
    for mode in modes:
        for n in counts:
            out = subprocess.run(
                [sys.executable, __file__, *_cfg_args(), "--memory-run", mode, str(n)],
                check=True,
                capture_output=True,
                text=True,
            )
            rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=60)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="20 frames, 25/100 for memory")
    parser.add_argument("--memory-run", nargs=2, metavar=("MODE", "FRAMES"))
    parser.add_argument("--device", default=CFG["device"], help="cpu, cuda, cuda:1, ...")
    parser.add_argument("--model", default=CFG["model"], help="tiny, small, base_plus, large")
    parser.add_argument("--image-size", type=int, default=CFG["image_size"])
    parser.add_argument("--frame-size", type=int, default=CFG["frame_size"])
    parser.add_argument("--compile", action="store_true", help="sam2's vos_optimized (CUDA)")
    parser.add_argument("--objects", type=int, default=1, help="objects in the memory runs")
    parser.add_argument("--memory-only", action="store_true", help="only the memory rows")
    parser.add_argument("--modes", nargs="+", default=list(MODES), choices=MODES)
    parser.add_argument("--counts", type=int, nargs=2, help="frame counts of the memory rows")
    args = parser.parse_args()
    CFG.update(
        device=args.device,
        model=args.model,
        image_size=args.image_size,
        frame_size=args.frame_size,
        compile=args.compile,
        objects=args.objects,
    )
    if args.memory_run:
        print(json.dumps(memory_run(args.memory_run[0], int(args.memory_run[1]))))
        return
    import torch

    counts = tuple(args.counts or ((25, 100) if args.quick else (100, 400)))
    frames = 20 if args.quick else args.frames
    device = CFG["device"]
    if device.startswith("cuda"):
        device = torch.cuda.get_device_name(torch.device(device))
    compiled = ", compiled" if CFG["compile"] else ""
    print(
        f"# sam2_jupyter engine benchmark — {platform.processor() or platform.machine()}, "
        f"{torch.get_num_threads()} threads, {device}, torch {torch.__version__}, "
        f"untrained SAM2.1 {CFG['model']} at {CFG['image_size']} px{compiled}, "
        f"frames {CFG['frame_size']}×{CFG['frame_size']}"
    )
    if args.memory_only:
        print_memory(counts, tuple(args.modes))
        return
    speed = bench_speed(frames, args.repeats)
    print(
        "\n## Propagation wall time, Session vs sam2 direct (median of "
        f"{args.repeats}, {speed['frames']} frames)"
    )
    print("| measure | sam2 direct (s) | Session (s) | ratio | goal |")
    print("|---|---|---|---|---|")
    print(
        f"| propagate | {speed['direct_propagate_s']:.2f} | {speed['ours_propagate_s']:.2f} "
        f"| {speed['ratio_propagate']:.3f} | <= 1.03 |"
    )
    print(
        f"| open + click + propagate | {speed['direct_total_s']:.2f} | "
        f"{speed['ours_total_s']:.2f} | {speed['ratio_total']:.3f} | |"
    )
    print(
        f"| re-prompt + re-propagate | {speed['direct_repropagate_s']:.2f} | "
        f"{speed['ours_repropagate_s']:.2f} | {speed['repropagate_speedup']:.2f}× faster "
        "| >= 1.8× faster |"
    )

    clicks = bench_clicks()
    print(
        f"\n## Click latency, prompt to mask in the kernel (median of {clicks['clicks']} "
        "clicks, each on another frame)"
    )
    print("| measure | ms | ratio to sam2 direct |")
    print("|---|---|---|")
    print(f"| sam2 direct (re-encodes the frame) | {clicks['direct_ms']:.1f} | 1.00 |")
    print(
        f"| Session, frame not cached | {clicks['uncached_ms']:.1f} | "
        f"{clicks['uncached_ms'] / clicks['direct_ms']:.2f} |"
    )
    print(
        f"| Session, frame cached | {clicks['cached_ms']:.1f} | "
        f"{clicks['cached_ms'] / clicks['direct_ms']:.2f} |"
    )
    print(
        f"| Session, frame cached, autosave on | {clicks['autosave_ms']:.1f} | "
        f"{clicks['autosave_ms'] / clicks['direct_ms']:.2f} |"
    )
    print(
        f"| Session reopened, features on disk ({clicks['disk_mb_per_frame']:.1f} MB/frame) "
        f"| {clicks['disk_ms']:.1f} | {clicks['disk_ms'] / clicks['direct_ms']:.2f} |"
    )

    reopen = bench_reopen()
    print(
        f"\n## Image features of one frame at {reopen['image_size']} px: computed vs read "
        f"from the disk store ({reopen['mb_per_frame']:.1f} MB/frame)"
    )
    print("| computed (ms) | read from disk (ms) | speed-up |")
    print("|---|---|---|")
    print(
        f"| {reopen['encode_ms']:.0f} | {reopen['load_ms']:.1f} | "
        f"{reopen['encode_ms'] / reopen['load_ms']:.0f}× |"
    )

    print_memory(counts, MODES)


def print_memory(counts: tuple[int, int], modes: tuple[str, ...]) -> None:
    """The peak-memory rows: each mode at both frame counts, each in a fresh process."""
    objects = f", {CFG['objects']} objects" if CFG["objects"] > 1 else ""
    rows = bench_memory(counts, modes)
    print(f"\n## Peak memory of propagation, {counts[0]} vs {counts[1]} frames{objects}")
    print(
        f"| mode | frames | RSS before (MB) | peak RSS (MB) | RSS growth vs {counts[0]} "
        "| peak CUDA (MB) | goal |"
    )
    print("|---|---|---|---|---|---|---|")
    by = {(r["mode"], r["frames"]): r for r in rows}
    for mode in modes:
        small, large = by[(mode, counts[0])], by[(mode, counts[1])]
        growth = large["rss_peak_mb"] / small["rss_peak_mb"] - 1
        for r in (small, large):
            g = f"{growth * 100:+.1f}%" if r is large else ""
            goal = "<= 5%" if (mode != "normal" and r is large) else ""
            cuda = "n/a" if r["cuda_peak_mb"] is None else f"{r['cuda_peak_mb']:.0f}"
            print(
                f"| {mode} | {r['frames']} | {r['rss_before_mb']:.0f} | "
                f"{r['rss_peak_mb']:.0f} | {g} | {cuda} | {goal} |"
            )


if __name__ == "__main__":
    main()
