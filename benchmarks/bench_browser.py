"""Annotator latency measured in a real browser (JupyterLab + headless Chromium).

- click-to-paint: from the mouse event in the page to the canvas having drawn the
  new labels, minus the time the kernel spent in the model for that click
  (what is left is our overhead: messages, queueing, encoding, decoding, drawing).
  Goal: median <= 30 ms at 1024×1024.
- frame switch: from the key press to the new frame drawn. Goal: median <= 50 ms.
- bytes per frame: what the kernel sent for each message kind.

Frames are 1024×1024 RGB; the model is untrained SAM2.1 tiny at 256 px input (the
model's own time is subtracted, so its size does not change the overhead).

Usage: python benchmarks/bench_browser.py [--clicks 15] [--switches 30]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from lab import lab_page

SIZE = 1024
CELLS = [
    "import warnings\nwarnings.simplefilter('ignore')\nimport numpy as np\n"
    "import sam2_jupyter as sj\nvideo = np.load('video.npy', mmap_mode='r')\n"
    "model = sj.load_model('tiny', untrained=True, image_size=256, device='cpu')",
    "a = sj.Annotator(video, model=model, view_height=600)\na",
]

INSTALL_JS = """() => {
  const c = document.querySelector('.sam2j-canvas');
  window.__draws = [];
  new MutationObserver(() => window.__draws.push(
      {t: performance.now(), seq: +c.dataset.seq, frame: +c.dataset.frame}))
    .observe(c, {attributes: true, attributeFilter: ['data-seq']});
}"""

CLICK_JS = """async ([x, y, right]) => {
  const c = document.querySelector('.sam2j-canvas');
  const r = c.getBoundingClientRect();
  const opts = {bubbles: true, clientX: r.left + x, clientY: r.top + y, button: right ? 2 : 0};
  const seq = +c.dataset.seq;
  const t0 = performance.now();
  c.dispatchEvent(new MouseEvent('mousedown', opts));
  window.dispatchEvent(new MouseEvent('mouseup', opts));
  while (!window.__draws.some((d) => d.seq > seq && d.t > t0)) {
    await new Promise((res) => setTimeout(res, 1));
  }
  return window.__draws.find((d) => d.seq > seq && d.t > t0).t - t0;
}"""

SWITCH_JS = """async (target) => {
  const c = document.querySelector('.sam2j-canvas');
  c.focus();
  const t0 = performance.now();
  c.dispatchEvent(new KeyboardEvent('keydown', {key: 'ArrowRight', bubbles: true}));
  while (!window.__draws.some((d) => d.frame === target && d.t > t0)) {
    await new Promise((res) => setTimeout(res, 1));
  }
  return window.__draws.find((d) => d.frame === target && d.t > t0).t - t0;
}"""


def make_video(path: Path, n: int) -> None:
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:SIZE, 0:SIZE]
    texture = rng.integers(30, 100, (SIZE, SIZE, 3), dtype=np.uint8)
    video = np.lib.format.open_memmap(path, mode="w+", dtype=np.uint8, shape=(n, SIZE, SIZE, 3))
    for t in range(n):
        frame = texture.copy()
        disc = (yy - 400 - 5 * t) ** 2 + (xx - 500 - 8 * t) ** 2 < 150**2
        frame[disc] = (220, 80, 60)
        video[t] = frame
    video.flush()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clicks", type=int, default=15)
    parser.add_argument("--switches", type=int, default=30)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="bench_browser_"))
    make_video(root / "video.npy", args.switches + 2)
    with lab_page(root, "bench.ipynb", CELLS) as (lab, page):
        page.wait_for_selector(".sam2j-canvas[data-lossless='true']", timeout=60_000)
        page.evaluate(INSTALL_JS)
        box = page.locator(".sam2j-canvas").bounding_box()
        scale = min(box["width"] / SIZE, box["height"] / SIZE)
        tx = (box["width"] - SIZE * scale) / 2
        ty = (box["height"] - SIZE * scale) / 2
        rng = np.random.default_rng(1)
        totals, models, overheads = [], [], []
        for k in range(args.clicks):
            y, x = rng.uniform(100, SIZE - 100, 2)
            total = page.evaluate(CLICK_JS, [tx + x * scale, ty + y * scale, k % 3 == 2])
            lab.kernel("a.wait(60)")
            model_s = float(lab.kernel("print(a.controller.last_model_seconds)"))
            totals.append(total)
            models.append(model_s * 1000)
            overheads.append(total - model_s * 1000)
        switches = []
        for target in range(1, args.switches + 1):
            switches.append(page.evaluate(SWITCH_JS, target))
            time.sleep(0.05)
        sent = json.loads(lab.kernel("import json; print(json.dumps(a.controller.sent_bytes))"))
    by_kind: dict[str, list[int]] = {}
    for kind, n in sent:
        by_kind.setdefault(kind, []).append(n)
    print(
        f"# Annotator in the browser — {SIZE}×{SIZE} frames, Chromium headless, JupyterLab "
        "on 127.0.0.1, untrained SAM2.1 tiny (256 px input), CPU"
    )
    print("\n| measure | median (ms) | p90 (ms) | goal |")
    print("|---|---|---|---|")

    def row(name: str, values: list[float], goal: str) -> None:
        p90 = float(np.percentile(values, 90))
        print(f"| {name} | {statistics.median(values):.1f} | {p90:.1f} | {goal} |")

    row(f"click-to-paint, total ({args.clicks} clicks)", totals, "")
    row("kernel model time per click", models, "")
    row("click-to-paint minus model time", overheads, "<= 30")
    row(f"frame switch ({args.switches} switches)", switches, "<= 50")
    print("\n| message | count | median bytes |")
    print("|---|---|---|")
    for kind, sizes in sorted(by_kind.items()):
        print(f"| {kind} | {len(sizes)} | {int(statistics.median(sizes))} |")
    raw = SIZE * SIZE * 3
    print(f"\n(raw RGB frame: {raw} bytes; raw uint16 labels: {SIZE * SIZE * 2} bytes)")


if __name__ == "__main__":
    main()
