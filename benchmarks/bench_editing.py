"""Editing by hand in the kernel: seeding many objects, and a stroke from message to
confirmed labels.

- seeding: ``Session.seed_from_labels`` with 25 / 100 objects against sam2's
  ``add_new_mask`` called directly once per object on a fresh state (time per object).
- stroke at 1024²: rasterising a 60-point stroke, applying it (manual pixels, and as a
  mask prompt), and encoding the frame's labels for the browser; for the mask prompt
  the model's own time (sam2's ``add_new_mask`` alone, measured apart) is subtracted.
  Goal: stroke to confirmed labels minus model time <= 50 ms.

Untrained SAM2.1 tiny at 256 px input, CPU. Usage: python benchmarks/bench_editing.py
"""

from __future__ import annotations

import statistics
import time
import warnings

import numpy as np
import torch

from sam2_jupyter import Session, load_model
from sam2_jupyter.engine.masks import rasterise_stroke
from sam2_jupyter.widget.codec import encode_labels


def grid_labels(shape: tuple[int, int], n: int) -> np.ndarray:
    side = int(np.ceil(np.sqrt(n)))
    h, w = shape
    out = np.zeros(shape, np.uint16)
    for k in range(n):
        y, x = divmod(k, side)
        cy, cx = (y + 0.5) * h / side, (x + 0.5) * w / side
        r = 0.35 * min(h, w) / side
        yy, xx = np.ogrid[0:h, 0:w]
        out[(yy - cy) ** 2 + (xx - cx) ** 2 <= r * r] = k + 1
    return out


def seeding(model, video: np.ndarray, n: int) -> tuple[float, float]:
    image = grid_labels(video.shape[1:3], n)
    s = Session(video, model)
    s.precompute_frame(0)  # both sides start with the frame's image features ready
    t0 = time.perf_counter()
    s.seed_from_labels(0, image)
    ours = (time.perf_counter() - t0) / n
    s2 = Session(video, model)  # a fresh sam2 state built the same way
    s2.precompute_frame(0)
    state = s2._core.sam
    t0 = time.perf_counter()
    with torch.inference_mode():
        for k in range(1, n + 1):
            model.predictor.add_new_mask(state, frame_idx=0, obj_id=k, mask=image == k)
    theirs = (time.perf_counter() - t0) / n
    return ours * 1000, theirs * 1000


def stroke_costs(model, repeat: int = 7) -> dict[str, float]:
    size = 1024
    rng = np.random.default_rng(0)
    video = rng.integers(0, 255, (3, size, size, 3), dtype=np.uint8)
    base = grid_labels((size, size), 4) == 1
    s, bare = Session(video, model), Session(video, model)
    for session in (s, bare):
        session.add_mask(0, base, 1)
    t = np.linspace(0, 1, 60)
    points = np.stack([200 + 500 * t, 300 + 200 * np.sin(6 * t)], axis=1)
    out: dict[str, list[float]] = {k: [] for k in ("rasterise", "manual", "encode")}
    out |= {"tracked": [], "model": []}
    for _ in range(repeat):
        t0 = time.perf_counter()
        mask = rasterise_stroke(points, 12.0, (size, size))
        out["rasterise"].append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        labels = s.paint(0, mask, 1, track=False)
        out["manual"].append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        encode_labels(labels)
        out["encode"].append(time.perf_counter() - t0)
        s.undo()
        t0 = time.perf_counter()
        s.paint(0, mask, 1, track=True)
        out["tracked"].append(time.perf_counter() - t0)
        s.undo()
        # The model's own part: the same add_new_mask on a twin session's state.
        t0 = time.perf_counter()
        with torch.inference_mode():
            model.predictor.add_new_mask(bare._core.sam, frame_idx=0, obj_id=1, mask=base | mask)
        out["model"].append(time.perf_counter() - t0)
    return {k: statistics.median(v) * 1000 for k, v in out.items()}


def main() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = load_model("tiny", untrained=True, image_size=256, device="cpu", seed=0)
    video = np.random.default_rng(1).integers(0, 255, (4, 512, 512, 3), dtype=np.uint8)
    print("# Editing by hand in the kernel — untrained SAM2.1 tiny at 256 px, CPU")
    print("\n## Seeding objects from a label image (512² frames), per object")
    print("| objects | Session.seed_from_labels (ms) | sam2 add_new_mask direct (ms) | ratio |")
    print("|---|---|---|---|")
    for n in (25, 100):
        ours, theirs = seeding(model, video, n)
        print(f"| {n} | {ours:.1f} | {theirs:.1f} | {ours / theirs:.2f} |")
    c = stroke_costs(model)
    confirmed_manual = c["rasterise"] + c["manual"] + c["encode"]
    confirmed_tracked = c["rasterise"] + c["tracked"] - c["model"] + c["encode"]
    print("\n## A stroke at 1024² (60 points, radius 12), median of 7")
    print("| step | ms |")
    print("|---|---|")
    print(f"| rasterise | {c['rasterise']:.1f} |")
    print(f"| apply, manual pixels (track=False) | {c['manual']:.1f} |")
    print(f"| apply as mask prompt (track=True), total | {c['tracked']:.1f} |")
    print(f"| of which sam2's add_new_mask alone | {c['model']:.1f} |")
    print(f"| encode the frame's labels | {c['encode']:.1f} |")
    print(f"| stroke to confirmed labels, manual (goal <= 50) | {confirmed_manual:.1f} |")
    name = "stroke to confirmed labels minus model, tracked (goal <= 50)"
    print(f"| {name} | {confirmed_tracked:.1f} |")


if __name__ == "__main__":
    main()
