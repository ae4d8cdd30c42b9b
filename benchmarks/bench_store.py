"""Edit latency with the autosave store against the autosave it replaced (issue 22).

The autosave was one file per kind of state, written one after another (commit
2b9f394 and before); it is now one SQLite store per session folder, one transaction
per edit, ``synchronous=FULL`` (``engine/autosave/store.py``). This benchmark times,
in the kernel at 1024 px, untrained SAM2.1 tiny on the CPU:

- clicks (``add_point``, each a new object, on frames whose image features are
  cached) and strokes (``paint(..., track=False)``, a disc of radius 40 px), from
  the call to its return, the autosave included;
- the autosave's own share of each edit: the Session's ``Resumer.sync``, which the
  core calls after every committed change, timed in place;
- one propagated frame's write (``Resumer.write_frame`` after the frame's labels
  changed), the write propagation makes per frame.

Variants, each in a process of its own running this file with ``--worker``: "no
autosave" (the floor), "files (before)" (the package from a git worktree of 2b9f394,
removed at the end), "store FULL" (the code as it is) and "store NORMAL" (the same
with ``store.SYNCHRONOUS = "NORMAL"``). In each round the four processes start fresh
and make each edit in turn, in another order for each edit, 0.3 s apart, so that
drift and other load on the machine reach all of them alike; ratios are taken both
of the medians and edit by edit (an edit against the same edit of the other variant,
made a second or so apart).

Goal (issue 22): click and stroke latency with the store <= 1.1x the files'; the cost
of synchronous=FULL against NORMAL reported.
Usage: python benchmarks/bench_store.py [--rounds 3] [--clicks 8] [--strokes 8]
       [--dir FOLDER_FOR_THE_SAVES]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parent.parent
BEFORE = "2b9f394"  # the last commit with one file per kind of state
VARIANTS = ["no autosave", "files (before)", "store FULL", "store NORMAL"]
SIZE = 1024
FRAMES = 12
PREFIX = "@bench_store "  # the worker's answers, among whatever else it prints


def moving_discs(n: int, size: int, seed: int = 0) -> np.ndarray:
    """(T, Y, X, 3) uint8: coloured discs drifting over a textured background."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:size, 0:size]
    background = rng.integers(20, 90, (size, size, 3), dtype=np.uint8)
    frames = np.empty((n, size, size, 3), np.uint8)
    s = size / 128
    for t in range(n):
        img = background.copy()
        for cy, cx, r, vy, vx, colour in (
            (30, 30, 14, 2, 3, (230, 60, 40)),
            (65, 95, 12, -1, -3, (40, 200, 230)),
            (100, 40, 10, -2, 1, (90, 230, 70)),
        ):
            disc = (yy - s * (cy + vy * t)) ** 2 + (xx - s * (cx + vx * t)) ** 2 <= (s * r) ** 2
            img[disc] = colour
        frames[t] = img
    return frames


def disc(size: int, cy: float, cx: float, r: float) -> np.ndarray:
    yy, xx = np.mgrid[0:size, 0:size]
    return (yy - cy) ** 2 + (xx - cx) ** 2 <= r * r


# -- one variant, in its own process ---------------------------------------------------
def say(message: dict[str, Any]) -> None:
    print(PREFIX + json.dumps(message), flush=True)


def serve(variant: str, folder: str | None, clicks: int) -> None:
    """One Session under ``variant``, doing one edit per line read, each answered with
    its timings (seconds): ``click K``, ``stroke K``, ``frame T``, ``end``."""
    import torch

    import sam2_jupyter as sj

    if variant == "store NORMAL":
        from sam2_jupyter.engine.autosave import store

        store.SYNCHRONOUS = "NORMAL"
    model = sj.load_model("tiny", untrained=True, image_size=SIZE, device="cpu", seed=0)
    session = sj.Session(moving_discs(FRAMES, SIZE), model, autosave=folder)
    saving = session._saving
    synced: list[float] = []  # the autosave's time since the edit began
    original = saving.sync

    def timed_sync() -> None:
        t0 = time.perf_counter()
        original()
        synced.append(time.perf_counter() - t0)

    # The core holds the bound method itself: replace it there.
    on_change = session._core.on_change
    on_change[on_change.index(original)] = timed_sync

    def edit(call: Any) -> dict[str, float]:
        synced.clear()
        t0 = time.perf_counter()
        call()
        return {"total": time.perf_counter() - t0, "sync": sum(synced)}

    def click(k: int) -> dict[str, float]:  # a new object each, on frames 0 and 1 in turn
        return edit(lambda: session.add_point(k % 2, 150 + 90 * k, 250 + 70 * k, k + 2))

    def stroke(k: int) -> dict[str, float]:
        mask = disc(SIZE, 200 + 80 * k, 700 - 50 * k, 40)
        return edit(lambda: session.paint(k % 2, mask, k % clicks + 2, track=False))

    def frame(t: int) -> dict[str, float]:  # new labels on frame t, written as propagation does
        labels = np.zeros((SIZE, SIZE), np.uint16)
        for j in range(4):
            labels[disc(SIZE, 150 + 200 * j + 5 * t, 300 + 40 * j + 8 * t, 60 + 10 * j)] = j + 2
        session._core.labels.set(t, labels)
        t0 = time.perf_counter()
        saving.write_frame(t)
        return {"total": time.perf_counter() - t0}

    session.precompute_frame(1)
    for t in (0, 1):  # warm up (and encode frame 0)
        edit(lambda t=t: session.add_point(t, 200, 200, 1))
        edit(lambda t=t: session.paint(t, disc(SIZE, 900, 900, 40), 1, track=False))
    say({"ready": True})
    actions = {"click": click, "stroke": stroke, "frame": frame}
    for line in sys.stdin:
        action, _, arg = line.partition(" ")
        if action in actions:
            say(actions[action](int(arg)))
            continue
        store_ = getattr(saving.autosave, "store", None)
        say(
            {
                "synchronous": store_.pragma("synchronous") if store_ is not None else None,
                "package": str(Path(sj.__file__).resolve().parent),
                "threads": torch.get_num_threads(),
                "saved_bytes": sum(
                    p.stat().st_size for p in Path(folder or ".").rglob("*") if p.is_file()
                )
                if folder
                else 0,
            }
        )
        getattr(session, "close", lambda: None)()
        return


# -- the run ---------------------------------------------------------------------------
class Worker:
    """A variant's process, driven one edit at a time."""

    def __init__(self, variant: str, old: Path, folder: Path, clicks: int) -> None:
        self.variant = variant
        env = dict(os.environ)
        env.pop("PYTHONPATH", None)
        if variant == "files (before)":
            env["PYTHONPATH"] = str(old)
        cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", variant]
        cmd += ["--clicks", str(clicks)]
        if variant != "no autosave":
            cmd += ["--folder", str(folder)]
        self.log = open(folder.with_suffix(".log"), "w+")  # noqa: SIM115 (closed in close)
        self.proc = subprocess.Popen(
            cmd,
            env=env,
            cwd=folder.parent,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.log,
            text=True,
        )
        self.expected = (old if variant == "files (before)" else REPO).resolve()

    def read(self) -> dict[str, Any]:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            if line.startswith(PREFIX):
                return json.loads(line[len(PREFIX) :])
        self.log.seek(0)
        sys.stderr.write(self.log.read())
        raise RuntimeError(f"{self.variant}: worker failed (exit {self.proc.wait()})")

    def ask(self, command: str) -> dict[str, Any]:
        assert self.proc.stdin is not None
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()
        return self.read()

    def end(self) -> dict[str, Any]:
        info = self.ask("end")
        if not Path(info["package"]).is_relative_to(self.expected):
            raise RuntimeError(f"{self.variant}: imported {info['package']}, not {self.expected}")
        self.proc.wait(60)
        return info

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


def one_round(
    r: int, root: Path, old: Path, clicks: int, strokes: int, gap: float
) -> dict[str, dict[str, list[float]]]:
    """Fresh processes, all variants; each edit is made by every variant in turn (in
    another order for each edit), so that they meet the same load."""
    workers = {
        v: Worker(
            v, old, root / f"save-{r}-{''.join(c if c.isalnum() else '-' for c in v)}", clicks
        )
        for v in VARIANTS
    }
    out: dict[str, dict[str, list[float]]] = {v: {} for v in VARIANTS}
    try:
        for w in workers.values():
            w.read()  # ready
        plan = [("click", k) for k in range(clicks)] + [("stroke", k) for k in range(strokes)]
        plan += [("frame", t) for t in range(2, min(FRAMES, 2 + strokes))]
        for i, (action, k) in enumerate(plan):
            shift = (i + r) % len(VARIANTS)
            for v in VARIANTS[shift:] + VARIANTS[:shift]:
                got = workers[v].ask(f"{action} {k}")
                out[v].setdefault(action, []).append(got["total"])
                if "sync" in got:
                    out[v].setdefault(f"{action}_sync", []).append(got["sync"])
                time.sleep(gap)  # a person's pace, and the last one's threads gone idle
        for v, w in workers.items():
            info = w.end()
            print(
                f"round {r + 1}, {v}: click {cell(out[v]['click'])}, stroke "
                f"{cell(out[v]['stroke'])} ms; synchronous={info['synchronous']}, "
                f"{info['saved_bytes'] / 1e6:.1f} MB saved, {info['threads']} threads",
                flush=True,
            )
    finally:
        for w in workers.values():
            w.close()
    return out


def ms(values: list[float]) -> tuple[float, float]:
    a = np.asarray(values) * 1000
    return float(np.median(a)), float(np.percentile(a, 90))


def cell(values: list[float]) -> str:
    median, p90 = ms(values)
    return f"{median:.1f} / {p90:.1f}"


def report(results: dict[str, dict[str, list[float]]], rounds: int) -> None:
    print(
        "\n| variant | click | of which autosave | stroke | of which autosave "
        "| propagated frame write |"
    )
    print("|---|---|---|---|---|---|")
    for v in VARIANTS:
        r = results[v]
        cells = [cell(r[k]) for k in ("click", "click_sync", "stroke", "stroke_sync")]
        print(f"| {v} | {' | '.join(cells)} | {cell(r['frame'])} |")
    print(f"\nms as median / p90 over {rounds} rounds.")
    med = {v: {k: ms(x)[0] for k, x in r.items()} for v, r in results.items()}
    rest = {
        v: {e: ms(list(np.subtract(r[e], r[f"{e}_sync"])))[0] for e in ("click", "stroke")}
        for v, r in results.items()
    }
    files, floor = med["files (before)"], med["no autosave"]
    print(
        '\nRatios to the files (before), of the medians (goal <= 1.1); "edit by edit": '
        'the median of the ratios of the same edits. "rest": the edit '
        "less its autosave share (the model and labels work, nearly the same code in all "
        'variants: its spread is mostly the machine\'s noise). "floor + share": the '
        "no-autosave edit plus each variant's autosave share.\n"
    )
    print(
        "| variant | click | stroke | click, edit by edit | stroke, edit by edit "
        "| click, rest | stroke, rest | click, floor + share | stroke, floor + share |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for v in ("store FULL", "store NORMAL"):
        m, cells = med[v], []
        cells += [f"{m[e] / files[e]:.3f}" for e in ("click", "stroke")]
        cells += [
            f"{np.median(np.divide(results[v][e], results['files (before)'][e])):.3f}"
            for e in ("click", "stroke")
        ]
        cells += [f"{rest[v][e] / rest['files (before)'][e]:.3f}" for e in ("click", "stroke")]
        cells += [
            f"{(floor[e] + m[f'{e}_sync']) / (floor[e] + files[f'{e}_sync']):.3f}"
            for e in ("click", "stroke")
        ]
        print(f"| {v} | {' | '.join(cells)} |")
    full, normal = med["store FULL"], med["store NORMAL"]
    print("\nsynchronous=FULL against NORMAL, the autosave's share (median ms):")
    for key, name in (
        ("click_sync", "per click"),
        ("stroke_sync", "per stroke"),
        ("frame", "per propagated frame"),
    ):
        print(
            f"- {name}: {full[key]:.2f} vs {normal[key]:.2f} "
            f"({full[key] - normal[key]:+.2f} ms, {full[key] / normal[key]:.2f}x); "
            f"files (before) {files[key]:.2f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--clicks", type=int, default=8)
    parser.add_argument("--strokes", type=int, default=8)
    parser.add_argument("--gap", type=float, default=0.3, help="seconds between edits")
    parser.add_argument("--dir", help="where the saves are written (default: the temp folder)")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--folder", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        serve(args.worker, args.folder, args.clicks)
        return
    root = Path(tempfile.mkdtemp(prefix="bench-store-", dir=args.dir))
    old = root / "before"
    results: dict[str, dict[str, list[float]]] = {v: {} for v in VARIANTS}
    start = time.perf_counter()
    try:
        subprocess.run(
            ["git", "-C", str(REPO), "worktree", "add", "--detach", str(old), BEFORE],
            check=True,
            capture_output=True,
        )
        print(
            f"# Autosave store vs files — {SIZE} px, untrained SAM2.1 tiny, CPU, "
            f"{FRAMES} frames; saves in {root}"
        )
        for r in range(args.rounds):
            for v, got in one_round(r, root, old, args.clicks, args.strokes, args.gap).items():
                for k, x in got.items():
                    results[v].setdefault(k, []).extend(x)
        report(results, args.rounds)
        print(f"\n{time.perf_counter() - start:.0f} s in all")
    finally:
        subprocess.run(
            ["git", "-C", str(REPO), "worktree", "remove", "--force", str(old)],
            capture_output=True,
        )
        subprocess.run(["git", "-C", str(REPO), "worktree", "prune"], capture_output=True)
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
