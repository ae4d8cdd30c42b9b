"""Two torch builds side by side on the CPU: which one should the project pin?

Runs one worker process per interpreter (each with its own torch, sam2 and the
project on its path), then alternates them task by task, round after round, and
reports medians, their ratio B / A and the median of each round's B / A. Only one
worker computes at a time, each task is short, and the order flips every round
(A B, B A, A B, ...), so the load that other jobs put on a shared machine falls on
both sides alike: the ratios are fair even when the absolute times are not.

Measured per interpreter, with the project's own model (untrained SAM2.1 tiny,
``load_model("tiny", untrained=True, image_size=S, device="cpu", seed=0)``):

1. image encoder, ms per frame (``Session.precompute_frame`` on fresh frames);
2. propagation with one object, ms per frame (``add_point`` on frame 0, then
   ``run_propagation`` over the following frames, each encoded once);
3. whether sam2's automatic mask generator and image predictor import, and the
   time of ``SAM2AutomaticMaskGenerator.generate`` on a 256 px image;
4. torch version, threads, oneDNN (mkldnn) availability and whether the encoder's
   convolutions run through it (profiler), BLAS, and the venv's size on disk.

Usage: python benchmarks/bench_torch.py PYTHON_A PYTHON_B [--rounds 8] [--budget 900]
    [--sizes 512 1024] [--measures encode propagate] [--encode-frames 1] [--frames 3]
    [--generator-points 16] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


# -- worker (runs inside each interpreter) -------------------------------------------


class Worker:
    """Answers one JSON task per line; models are built once per size."""

    def __init__(self) -> None:
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        from bench_engine import SyntheticVideo, _quiet_tqdm

        _quiet_tqdm()
        warnings.filterwarnings("ignore")
        self.video = SyntheticVideo
        self.models: dict[int, Any] = {}

    def model(self, size: int) -> Any:
        if size not in self.models:
            import sam2_jupyter

            self.models[size] = sam2_jupyter.load_model(
                "tiny", untrained=True, image_size=size, device="cpu", seed=0
            )
        return self.models[size]

    def info(self) -> dict[str, Any]:
        import platform

        import torch

        config = torch.__config__.show()
        blas = re.findall(r"BLAS_INFO=(\w+)", config)
        onednn = [ln.strip() for ln in config.splitlines() if "oneDNN" in ln or "MKL-DNN" in ln]
        try:
            import torchvision

            tv = torchvision.__version__
        except Exception as exc:  # what a user would see
            tv = f"does not import ({type(exc).__name__}: {str(exc).splitlines()[0][:120]})"
        return {
            "python": platform.python_version(),
            "prefix": sys.prefix,
            "torch": torch.__version__,
            "cuda_build": torch.version.cuda,
            "torchvision": tv,
            "threads": torch.get_num_threads(),
            "mkldnn_available": torch.backends.mkldnn.is_available(),
            "mkldnn_enabled": bool(torch.backends.mkldnn.enabled),
            "cpu_capability": torch.backends.cpu.get_cpu_capability(),
            "blas": blas[0] if blas else "?",
            "onednn": onednn[0] if onednn else "?",
            "encoder_ops": self.encoder_ops(),
        }

    def encoder_ops(self) -> list[str]:
        """Which convolution kernels one encode at 512 px dispatches to: oneDNN's
        (``aten::mkldnn_convolution``) or another."""
        from torch.profiler import ProfilerActivity, profile

        from sam2_jupyter import Session

        s = Session(self.video(1, (512, 512)), self.model(512))
        with profile(activities=[ProfilerActivity.CPU]) as prof:
            s.precompute_frame(0)
        names = [e.key for e in prof.key_averages()]
        return sorted({n for n in names if "conv" in n.lower() or "mkldnn" in n.lower()})

    def encode(self, size: int, n: int) -> float:
        from sam2_jupyter import Session

        s = Session(self.video(n, (size, size)), self.model(size))
        t0 = time.perf_counter()
        for t in range(n):
            s.precompute_frame(t)
        return (time.perf_counter() - t0) * 1000 / n

    def propagate(self, size: int, n: int) -> float:
        from sam2_jupyter import Session

        s = Session(self.video(n, (size, size)), self.model(size))
        s.add_point(0, size / 2, size / 2, 1)
        t0 = time.perf_counter()
        frames = s.run_propagation(progress=False)
        elapsed = time.perf_counter() - t0
        computed = [t for t in frames if t != 0]  # frame 0 is the prompted one
        return elapsed * 1000 / max(1, len(computed))

    def generator(self, size: int, image: int, points: int, fit: bool) -> dict[str, Any]:
        """sam2's generator on the project's model (``size`` px input) and an
        ``image`` px frame. sam2's image predictor assumes 1024 px backbone feature
        sizes; ``fit`` sets them from ``size`` (what any other input size needs)."""
        try:
            from sam2.automatic_mask_generator import SAM2AutomaticMaskGenerator
            from sam2.sam2_image_predictor import SAM2ImagePredictor
        except Exception as exc:
            return {"imports": False, "error": f"{type(exc).__name__}: {str(exc)[:160]}"}
        model = self.model(size)
        SAM2ImagePredictor(model.predictor)
        # No score thresholds: untrained scores would drop every mask, and the masks'
        # post-processing is part of the time a trained model's output costs.
        gen = SAM2AutomaticMaskGenerator(
            model.predictor, points_per_side=points, pred_iou_thresh=0, stability_score_thresh=0
        )
        if fit:
            gen.predictor._bb_feat_sizes = [(size // k, size // k) for k in (4, 8, 16)]
        frame = self.video(1, (image, image)).frame(0)
        t0 = time.perf_counter()
        try:
            masks = len(gen.generate(frame))
        except Exception as exc:
            return {"imports": True, "error": f"{type(exc).__name__}: {str(exc)[:100]}"}
        return {"imports": True, "s": time.perf_counter() - t0, "masks": masks}

    def serve(self) -> None:
        # The protocol keeps the real stdout; everything else printed goes to stderr.
        proto = os.fdopen(os.dup(1), "w")
        os.dup2(2, 1)
        for line in sys.stdin:
            task = json.loads(line)
            try:
                kind = task.pop("task")
                out = {"ok": True, "value": getattr(self, kind)(**task)}
            except Exception as exc:
                out = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
            proto.write(json.dumps(out) + "\n")
            proto.flush()


# -- parent --------------------------------------------------------------------------


class Child:
    """One interpreter's worker process."""

    def __init__(self, python: str, log: Path) -> None:
        env = dict(
            os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])
        )
        self.log = log.open("w")
        self.proc = subprocess.Popen(
            [python, str(Path(__file__).resolve()), "--worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.log,
            text=True,
            env=env,
            cwd=str(ROOT),
        )

    def ask(self, task: str, **kw: Any) -> Any:
        assert self.proc.stdin
        assert self.proc.stdout
        self.proc.stdin.write(json.dumps({"task": task, **kw}) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"worker died; see {self.log.name}")
        out = json.loads(line)
        if not out["ok"]:
            raise RuntimeError(f"{task}: {out['error']} (log: {self.log.name})")
        return out["value"]

    def close(self) -> None:
        assert self.proc.stdin
        self.proc.stdin.close()
        self.proc.wait(timeout=60)
        self.log.close()


def disk_mb(prefix: str) -> dict[str, float]:
    """The venv's size on disk, and that of its torch stack (torch, torchvision,
    triton, the nvidia-* CUDA libraries)."""

    def du(*paths: Path) -> float:
        if not paths:
            return 0.0
        out = subprocess.run(["du", "-sck", *map(str, paths)], capture_output=True, text=True)
        return int(out.stdout.strip().splitlines()[-1].split()[0]) / 1024

    site = next(Path(prefix, "lib").glob("python*/site-packages"))
    stack = [
        p
        for p in site.iterdir()
        if p.is_dir()
        and p.name.lower().startswith(("torch", "triton", "nvidia", "cuda"))
        and not p.name.endswith((".dist-info", ".egg-info"))
    ]
    return {"venv_mb": du(Path(prefix)), "torch_stack_mb": du(*stack)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("python_a")
    parser.add_argument("python_b")
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--budget", type=float, default=900, help="no new round after (s)")
    parser.add_argument("--sizes", type=int, nargs="+", default=[512, 1024])
    parser.add_argument("--measures", nargs="+", default=["encode", "propagate"])
    parser.add_argument("--encode-frames", type=int, default=1)
    parser.add_argument("--frames", type=int, default=3, help="video length (frame 0 prompted)")
    parser.add_argument("--generator-image", type=int, default=256)
    parser.add_argument("--generator-points", type=int, default=16, help="points_per_side; 0: skip")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()

    logs = Path(tempfile.mkdtemp(prefix="bench_torch_"))
    start = time.perf_counter()
    kids = {"A": Child(args.python_a, logs / "A.log"), "B": Child(args.python_b, logs / "B.log")}
    info = {k: c.ask("info") for k, c in kids.items()}
    for i in info.values():
        i.update(disk_mb(i["prefix"]))
    n = {"encode": args.encode_frames, "propagate": args.frames}
    tasks = [(kind, s, n[kind]) for kind in args.measures for s in args.sizes]
    for kind, size, _ in tasks:  # warm-up: model build, allocator, kernels
        for c in kids.values():
            c.ask(kind, size=size, n=2)
    runs: dict[tuple[str, int, str], list[float]] = {}
    done = 0
    for r in range(args.rounds):
        if r >= 2 and time.perf_counter() - start > args.budget:
            break
        order = ["A", "B"] if r % 2 == 0 else ["B", "A"]
        for kind, size, n in tasks:
            for k in order:
                runs.setdefault((kind, size, k), []).append(kids[k].ask(kind, size=size, n=n))
        done += 1
        print(
            f"round {r + 1}/{args.rounds} done, {time.perf_counter() - start:.0f} s",
            file=sys.stderr,
        )
    gen = (
        {}
        if not args.generator_points
        else {
            f"{k}, model {size} px{', feature sizes fitted' if fit else ''}": c.ask(
                "generator",
                size=size,
                image=args.generator_image,
                points=args.generator_points,
                fit=fit,
            )
            for k, c in kids.items()
            for size, fit in (
                ((1024, False), (256, False), (256, True)) if k == "B" else ((1024, False),)
            )
        }
    )
    for c in kids.values():
        c.close()

    a, b = info["A"], info["B"]
    print(f"# torch A = {a['torch']} vs B = {b['torch']}, CPU, untrained SAM2.1 tiny, fp32")
    print(
        f"{done} rounds; A and B alternate task by task, one at a time, the order "
        "flipping every round (A B, B A, ...), so other jobs' load on this shared machine "
        "falls on both alike: compare the ratios, not the absolute times.\n"
    )
    print("| | A | B |\n|---|---|---|")
    keys = "python torch cuda_build torchvision threads cpu_capability blas"
    for key in (*keys.split(), "mkldnn_available", "mkldnn_enabled", "onednn"):
        print(f"| {key} | {a[key]} | {b[key]} |")
    print(
        f"| conv kernels in the encoder | {', '.join(a['encoder_ops'])} "
        f"| {', '.join(b['encoder_ops'])} |"
    )
    print(f"| venv on disk (MB) | {a['venv_mb']:.0f} | {b['venv_mb']:.0f} |")
    print(f"| torch stack on disk (MB) | {a['torch_stack_mb']:.0f} | {b['torch_stack_mb']:.0f} |")
    print(
        "\n| measure | size | A median (ms/frame) | B median (ms/frame) | B / A "
        "| median of each round's B / A | A runs | B runs |"
    )
    print("|---|---|---|---|---|---|---|---|")
    rows = []
    for kind, size, _ in tasks:
        ra, rb = runs[(kind, size, "A")], runs[(kind, size, "B")]
        ma, mb = statistics.median(ra), statistics.median(rb)
        paired = statistics.median(y / x for x, y in zip(ra, rb, strict=True))
        row = {"measure": kind, "size": size, "a_ms": ma, "b_ms": mb, "ratio": mb / ma}
        rows.append({**row, "paired": paired, "a_runs": ra, "b_runs": rb})
        fmt = lambda v: " ".join(f"{x:.0f}" for x in v)  # noqa: E731
        print(
            f"| {kind} | {size} | {ma:.0f} | {mb:.0f} | {mb / ma:.3f} | {paired:.3f} "
            f"| {fmt(ra)} | {fmt(rb)} |"
        )
    if gen:
        print(
            f"\nsam2's automatic mask generator on a {args.generator_image} px frame "
            f"(points_per_side={args.generator_points}, no score thresholds, else defaults):"
        )
    for k, g in gen.items():
        if "s" in g:
            print(f"  {k}: generate() {g['s']:.2f} s, {g['masks']} masks (untrained weights)")
        else:
            print(f"  {k}: {g['error']}")
    print(f"\ntotal {time.perf_counter() - start:.0f} s; worker logs in {logs}")
    if args.json:
        args.json.write_text(json.dumps({"info": info, "rows": rows, "generator": gen}, indent=1))


if __name__ == "__main__":
    if sys.argv[1:] == ["--worker"]:
        Worker().serve()
    else:
        main()
