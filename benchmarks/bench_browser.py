"""Annotator latency measured in a real browser (JupyterLab + headless Chromium).

- click-to-paint: from the click (the pointer's release, 80 ms after it went down, as
  a person's click) to the canvas having drawn the new labels, minus the time the
  kernel spent in the model for that click (what is left is our overhead: messages,
  queueing, encoding, decoding, drawing). Goal: median <= 30 ms at 1024×1024.
- click-to-marker: from the release to the click's marker shown (drawn in the
  browser before the kernel answers).
- frame switch: from the key press to the new frame drawn. Goal: median <= 50 ms.
- playback: frames drawn per second while playing at 30 fps (JPEG previews).
  Goal: >= 15 fps.
- timeline: drawing the strip for 10,000 frames × 100 labels, and its bytes.
- stroke: each pointer move of a brush stroke to the stroke drawn (goal <= 16 ms),
  and the release to the kernel's labels drawn, minus the model's time (goal
  <= 50 ms; the stroke becomes a mask prompt).
- bytes per frame: what the kernel sent for each message kind.
- the floor: in the same page and run, decoding and drawing the very JPEG previews the
  stream sends (``createImageBitmap`` + ``drawImage`` on a canvas of the annotator's
  size, then one animation frame; no widget code). Frame switches, playback and
  click-to-paint are also given as ratios to it (goals: switch median <= 1.5× and p90
  <= 2× the floor; playback >= 0.8× the rate the floor allows, capped at 30 fps;
  click-to-paint minus model <= 1.5× the floor).

Clicks and frame switches are measured at a person's pace (0.3–0.8 s between actions,
so the lossless upgrade of the frame in view goes out in between), in turn while the
background feature precompute runs (it is restarted before the action, so it is
encoding when the action comes) and while it is stopped. Every row gives the median,
p90 and max; each click's time is split into the kernel's wait (queue), model,
labels encode and send, the browser's decode and draw, and what is left (the comm
round trip). Goal: with the precompute running, p90 of click-to-paint minus model
<= 2× its median.

Frames are 1024×1024 RGB; the model is untrained SAM2.1 tiny at 256 px input, or
``--image-size 1024`` (the real input size; the model's own time is subtracted).

With ``--labels N`` it measures instead click-to-paint and frame switches with N labels
against 3 (goal: within 1.2×), in alternating blocks in one run: each block loads a
label volume (N, or 3, squares of one size on a grid on every frame, through
``session.load_labels``), then clicks and switches as above.

Usage: python benchmarks/bench_browser.py [--clicks 30] [--switches 30] [--play 6]
       [--image-size 256] [--raw times.json] [--labels 300 [--blocks 2] [--per-block 6]]
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
PRESS_MS = 80  # pointer down to up: a person's click; times count from the release
CELLS = [
    "import warnings\nwarnings.simplefilter('ignore')\nimport numpy as np\n"
    "import sam2_jupyter as sj\nvideo = np.load('video.npy', mmap_mode='r')\n"
    "model = sj.load_model('tiny', untrained=True, image_size={image_size}, device='cpu')",
    "a = sj.Annotator(video, model=model, view_height=600)\na.canvas.debug = True\na",
]
# The precompute encodes again: every frame's features but the clicked frame's go.
KEEP_BUSY = """
_features = a.session.features
_kept = _features.get(a.frame)
_features.clear()
if _kept is not None:
    _features.put(a.frame, _kept)
a.controller.precompute.closed = False
a.controller.precompute.start()
"""
STOP_PRECOMPUTE = "a.controller.precompute.closed = True\na.controller.jobs.background.idle(600)"

INSTALL_JS = """() => {
  const c = document.querySelector('.sam2j-canvas');
  window.__draws = [];
  new MutationObserver(() => window.__draws.push(
      {t: performance.now(), seq: +c.dataset.seq, frame: +c.dataset.frame}))
    .observe(c, {attributes: true, attributeFilter: ['data-seq']});
}"""

CLICK_JS = """async ([x, y, right, press]) => {
  const c = document.querySelector('.sam2j-canvas');
  const r = c.getBoundingClientRect();
  const opts = {bubbles: true, clientX: r.left + x, clientY: r.top + y, button: right ? 2 : 0,
                pointerId: 1, pointerType: 'mouse', isPrimary: true};
  const seq = +c.dataset.seq;
  let marker = null;
  let t0 = Infinity;
  const watch = new MutationObserver(() => {
    if (marker === null && c.dataset.optimistic === '1') {
      requestAnimationFrame(() => { marker = performance.now() - t0; });  // drawn
    }
  });
  watch.observe(c, {attributes: true, attributeFilter: ['data-optimistic']});
  c.dispatchEvent(new PointerEvent('pointerdown', opts));
  await new Promise((res) => setTimeout(res, press));  // a person's click lasts this long
  t0 = performance.now();
  c.dispatchEvent(new PointerEvent('pointerup', opts));
  while (!window.__draws.some((d) => d.seq > seq && d.t > t0) || marker === null) {
    await new Promise((res) => setTimeout(res, 1));
  }
  watch.disconnect();
  return [window.__draws.find((d) => d.seq > seq && d.t > t0).t - t0, +c.dataset.drawMs, marker];
}"""

# Real input (Playwright's mouse goes through the browser's input pipeline, so moves
# are aligned with animation frames as a person's are); the page notes when the
# release happened and waits for the kernel's labels to be drawn after it.
STROKE_WATCH_JS = """() => {
  const c = document.querySelector('.sam2j-canvas');
  window.__up = null;
  window.__upSeq = +c.dataset.seq;
  c.addEventListener('pointerup', () => { window.__up = performance.now(); }, {once: true});
}"""

STROKE_DONE_JS = """async () => {
  const after = (d) => d.seq > window.__upSeq && d.t > window.__up;
  while (window.__up === null || !window.__draws.some(after)) {
    await new Promise((res) => setTimeout(res, 1));
  }
  return window.__draws.find(after).t - window.__up;
}"""

PLAY_JS = """async (seconds) => {
  const fps = document.querySelector('.sam2j-fps');
  fps.value = '30';
  fps.dispatchEvent(new Event('change', {bubbles: true}));
  const start = window.__draws.length;
  const t0 = performance.now();
  document.querySelector('.sam2j-play').click();
  await new Promise((res) => setTimeout(res, seconds * 1000));
  document.querySelector('.sam2j-play').click();
  const drawn = window.__draws.slice(start).filter((d) => d.t > t0);
  const frames = new Set(drawn.map((d) => d.frame));
  return [frames.size, (performance.now() - t0) / 1000];
}"""

SWITCH_JS = """async (target) => {
  const c = document.querySelector('.sam2j-canvas');
  c.focus();
  const t0 = performance.now();
  c.dispatchEvent(new KeyboardEvent('keydown', {key: 'ArrowRight', bubbles: true}));
  while (!window.__draws.some((d) => d.frame === target && d.t > t0)) {
    await new Promise((res) => setTimeout(res, 1));
  }
  return [window.__draws.find((d) => d.frame === target && d.t > t0).t - t0, +c.dataset.drawMs];
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


BIG_TIMELINE = """
import sys
sys.path.insert(0, {bench!r})
from bench_review import synthetic_record
from sam2_jupyter.engine.quality import QualityMatrix
from sam2_jupyter.widget.codec import encode_labels
from sam2_jupyter.widget.timeline import summary_bits
_m = QualityMatrix(synthetic_record(10_000, 100), list(range(1, 101)), 10_000)
_big = encode_labels(summary_bits(_m).astype(np.uint16))
a.canvas.send({{"type": "timeline", "full": True, "n_frames": 10_000,
                "labels": list(range(1, 101))}}, [_big])
print(len(_big))
"""


def big_timeline(lab, page) -> tuple[list[float], int]:
    """The strip at 10,000 frames × 100 labels: draw times of the first draw and of
    redraws as the frame moves (the real summary comes back with a Ready)."""
    bench = str(Path(__file__).resolve().parent)
    size = int(lab.kernel(BIG_TIMELINE.format(bench=bench)))
    page.wait_for_function(
        "document.querySelector('.sam2j-timeline').dataset.timelineFrames === '10000'"
    )
    times = []
    for frame in range(10):
        draws = page.locator(".sam2j-timeline").get_attribute("data-timeline-draws")
        if frame:
            lab.kernel(f"a.frame = {frame}")
            page.wait_for_function(
                f"document.querySelector('.sam2j-timeline').dataset.timelineDraws !== '{draws}'"
            )
        times.append(float(page.locator(".sam2j-timeline").get_attribute("data-timeline-ms")))
    lab.kernel("a.controller.timeline.reset()")
    return times, size


def strokes(lab, page, tx, ty, scale, n: int = 8) -> tuple[list[float], list[float]]:
    """Brush strokes (tracked: each becomes a mask prompt) of 12 moves each."""
    lab.kernel("a.wait(60); a.canvas.tool = 'brush'; a.canvas.brush_size = 20.0")
    page.wait_for_function("document.querySelector('.sam2j-canvas').dataset.tool === 'brush'")
    box = page.locator(".sam2j-canvas").bounding_box()
    moves, confirmed = [], []
    for k in range(n):
        x0, y0 = box["x"] + tx + (150 + 60 * k) * scale, box["y"] + ty + (200 + 70 * k) * scale
        page.evaluate(STROKE_WATCH_JS)
        page.mouse.move(x0, y0)
        page.mouse.down()
        for step in range(1, 13):
            page.mouse.move(x0 + 6 * step, y0 + 2 * step)
            page.evaluate("new Promise((res) => requestAnimationFrame(() => setTimeout(res, 0)))")
            moves.append(float(page.locator(".sam2j-canvas").get_attribute("data-stroke-draw-ms")))
        page.mouse.up()
        total = page.evaluate(STROKE_DONE_JS)
        lab.kernel("a.wait(60)")
        timing = json.loads(
            lab.kernel("import json; print(json.dumps(a.controller.stream.stats()['last_edit']))")
        )
        confirmed.append(total - timing["model_s"] * 1000)
    lab.kernel("a.canvas.tool = 'prompt'")
    return moves, confirmed


def last_timings(lab, key: str, n: int) -> list[dict[str, float]]:
    """The kernel's latest ``n`` timings of ``key`` ("edits" or "shows")."""
    code = f"import json; print(json.dumps(a.controller.stream.stats()[{key!r}][-{n}:]))"
    return json.loads(lab.kernel(code))


def background(lab, running: bool) -> None:
    """Start the precompute encoding again (every frame's features but the clicked
    frame's go) or stop it and wait until it has."""
    lab.kernel(KEEP_BUSY if running else STOP_PRECOMPUTE)


def clicks(lab, page, geometry, n: int) -> dict[bool, dict[str, list[float]]]:
    """``n`` clicks with the precompute running and ``n`` with it stopped, taken in
    turn (so both see the same machine), on the frame in view."""
    tx, ty, scale = geometry
    rng = np.random.default_rng(1)
    keys = ("marker", "total", "model", "overhead", "wait", "kernel", "draw", "rest")
    out = {running: {k: [] for k in keys} for running in (True, False)}
    for k in range(2 * n):
        running = k % 2 == 0
        background(lab, running)
        time.sleep(rng.uniform(0.3, 0.8))  # a person's pace
        y, x = rng.uniform(100, SIZE - 100, 2)
        total, draw_ms, marker = page.evaluate(
            CLICK_JS, [tx + x * scale, ty + y * scale, k % 3 == 2, PRESS_MS]
        )
        lab.kernel("a.wait(60)")
        (timing,) = last_timings(lab, "edits", 1)
        model = timing["model_s"] * 1000
        wait = timing["queued_s"] * 1000
        kernel = (timing["encode_s"] + timing["send_s"]) * 1000
        for key, value in (("marker", marker), ("total", total), ("model", model),
                           ("overhead", total - model), ("wait", wait), ("kernel", kernel),
                           ("draw", draw_ms),
                           ("rest", total - model - wait - kernel - draw_ms)):  # fmt: skip
            out[running][key].append(value)
    return out


# The very JPEG previews the stream sends for frames 1..n (same encoder, same scale),
# as base64: the floor below decodes and draws them in the annotator's page.
PREVIEWS = """
import base64, json
_stream = a.controller.stream
_k = _stream._preview_factor()
_out = []
for _t in range(1, {n} + 1):
    _bytes, _mime = _stream._jpeg(_t, _k)()
    _out.append(base64.b64encode(_bytes).decode())
print(json.dumps({{"mime": _mime, "images": _out}}))
"""

# Decode and draw each preview as a bare page would (no widget code), on a canvas of
# the annotator's own size, and wait for the animation frame that shows it.
FLOOR_JS = """async ([mime, images]) => {
  const shown = document.querySelector('.sam2j-canvas');
  const c = document.createElement('canvas');
  c.width = shown.width; c.height = shown.height;
  c.style.cssText = 'position:fixed;left:0;top:0;opacity:0.01;pointer-events:none';
  document.body.append(c);
  const ctx = c.getContext('2d');
  const out = [];
  for (const b64 of images) {
    const bytes = Uint8Array.from(atob(b64), (ch) => ch.charCodeAt(0));
    await new Promise((res) => setTimeout(res, 30));
    const t0 = performance.now();
    const bitmap = await createImageBitmap(new Blob([bytes], {type: mime}));
    ctx.drawImage(bitmap, 0, 0, c.width, c.height);
    await new Promise((res) => requestAnimationFrame(() => res()));
    out.push(performance.now() - t0);
    bitmap.close();
  }
  c.remove();
  return out;
}"""


def floor(lab, page, n: int = 20) -> list[float]:
    """Milliseconds to decode and draw each of ``n`` of our previews in this page."""
    previews = json.loads(lab.kernel(PREVIEWS.format(n=n), timeout=120))
    return page.evaluate(FLOOR_JS, [previews["mime"], previews["images"]])


def switches(lab, page, n: int) -> dict[bool, dict[str, list[float]]]:
    """``n`` frame switches (the right arrow key) with the precompute running and
    ``n`` with it stopped, in turn, at a person's pace (lossless upgrades go out)."""
    rng = np.random.default_rng(2)
    first = int(page.locator(".sam2j-canvas").get_attribute("data-frame"))
    out = {r: {"switch": [], "switch_draw": [], "switch_kernel": []} for r in (True, False)}
    for k, target in enumerate(range(first + 1, first + 2 * n + 1)):
        running = k % 2 == 0
        background(lab, running)
        time.sleep(rng.uniform(0.3, 0.8))
        total, draw_ms = page.evaluate(SWITCH_JS, target)
        (shown,) = last_timings(lab, "shows", 1)
        out[running]["switch"].append(total)
        out[running]["switch_draw"].append(draw_ms)
        out[running]["switch_kernel"].append((shown["encode_s"] + shown["send_s"]) * 1000)
    return out


LOAD_GRID = """
_n, _size, _frames = {n}, {size}, a.session.n_frames
_side = int(np.ceil(np.sqrt({most})))
_pitch = _size // _side
_vol = np.zeros((_frames, _size, _size), np.uint16)
for _i in range(_n):
    _y, _x = (_i // _side) * _pitch + _pitch // 4, (_i % _side) * _pitch + _pitch // 4
    _vol[:, _y : _y + _pitch // 2, _x : _x + _pitch // 2] = _i + 1
a.wait(60)
a.controller.start_fresh().result(600)  # no labels, prompts or undo steps of the last block
a.wait(60)
a.frame = 0
a.session.load_labels(_vol)
a.controller.refresh()
a.wait(600)
a.wait(600)
a.canvas.label = 1
"""


def many_labels(lab, page, geometry, args) -> dict[int, dict[str, list[float]]]:
    """Clicks and switches with 3 labels and with ``args.labels``, in alternating
    blocks (so both see the same machine), the precompute stopped."""
    out: dict[int, dict[str, list[float]]] = {}
    for block in range(2 * args.blocks):
        n = 3 if block % 2 == 0 else args.labels
        print(f"block {block + 1} of {2 * args.blocks}: {n} labels", file=sys.stderr, flush=True)
        lab.kernel(LOAD_GRID.format(n=n, size=SIZE, most=args.labels), timeout=900)
        print(lab.kernel("print(len(a.session.label_ids))"), file=sys.stderr, flush=True)
        page.wait_for_function(
            f"document.querySelector('.sam2j-objects').dataset.objects.split(',').length === {n}",
            timeout=120_000,
        )
        page.wait_for_function("document.querySelector('.sam2j-canvas').dataset.frame === '0'")
        got = out.setdefault(n, {})
        for phases in (clicks(lab, page, geometry, args.per_block),
                       switches(lab, page, args.per_block)):  # fmt: skip
            for key, values in phases[False].items():  # precompute stopped
                got.setdefault(key, []).extend(values)
        draw = page.locator(".sam2j-timeline").get_attribute("data-timeline-ms")
        got.setdefault("timeline", []).append(float(draw))
    return out


def report_labels(out: dict[int, dict[str, list[float]]], labels: int, image_size: int) -> None:
    print(
        f"# {labels} labels vs 3 in the browser — {SIZE}×{SIZE} frames, untrained SAM2.1 "
        f"tiny ({image_size} px input), CPU, precompute stopped, alternating blocks"
    )
    print(f"\n| measure (median ms) | 3 labels | {labels} labels | ratio | goal |")
    print("|---|---|---|---|---|")
    for key, name in (("overhead", "click-to-paint minus model time"),
                      ("total", "click-to-paint, total"), ("wait", "  kernel wait (queue)"),
                      ("kernel", "  kernel labels encode + send"),
                      ("draw", "  browser decode + draw"), ("switch", "frame switch"),
                      ("switch_draw", "  browser decode + draw"),
                      ("timeline", "timeline draw")):  # fmt: skip
        few, many = statistics.median(out[3][key]), statistics.median(out[labels][key])
        goal = "<= 1.2" if key in ("overhead", "switch") else ""
        ratio = many / few if few > 0 else float("nan")
        print(f"| {name} | {few:.1f} | {many:.1f} | {ratio:.2f} | {goal} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clicks", type=int, default=30)
    parser.add_argument("--switches", type=int, default=30)
    parser.add_argument("--play", type=float, default=6.0, help="seconds of playback")
    parser.add_argument("--image-size", type=int, default=256, help="the model's input size")
    parser.add_argument("--raw", type=Path, help="write every click's and switch's times (JSON)")
    parser.add_argument("--labels", type=int, default=0, help="compare N labels with 3 only")
    parser.add_argument("--blocks", type=int, default=2, help="--labels: blocks of each")
    parser.add_argument("--per-block", type=int, default=6, help="--labels: clicks per block")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="bench_browser_"))
    n_frames = max(2 * args.switches + 2, int(args.play * 30) + 10)
    if args.labels:
        n_frames = 2 * args.per_block + 2
    make_video(root / "video.npy", n_frames)
    cells = [c.replace("{image_size}", str(args.image_size)) for c in CELLS]
    with lab_page(root, "bench.ipynb", cells) as (lab, page):
        page.wait_for_selector(".sam2j-canvas[data-lossless='true']", timeout=60_000)
        page.evaluate(INSTALL_JS)
        lab.wait_kernel("a.session.features_ready() >= 1", timeout=600)  # the clicked frame
        box = page.locator(".sam2j-canvas").bounding_box()
        scale = min(box["width"] / SIZE, box["height"] / SIZE)
        tx = (box["width"] - SIZE * scale) / 2
        ty = (box["height"] - SIZE * scale) / 2
        if args.labels:
            background(lab, False)
            out = many_labels(lab, page, (tx, ty, scale), args)
            if args.raw:
                args.raw.write_text(json.dumps(out))
            report_labels(out, args.labels, args.image_size)
            return
        phases = clicks(lab, page, (tx, ty, scale), args.clicks)
        for running, times in switches(lab, page, args.switches).items():
            phases[running].update(times)
        background(lab, False)
        floor_ms = floor(lab, page)
        background(lab, False)
        stroke_moves, stroke_confirmed = strokes(lab, page, tx, ty, scale)
        lab.kernel("a.wait(60); a.frame = 0")
        page.wait_for_function("document.querySelector('.sam2j-canvas').dataset.frame === '0'")
        played, play_s = page.evaluate(PLAY_JS, args.play)
        lab.wait_kernel("not a.canvas.playing")
        timeline_ms, timeline_bytes = big_timeline(lab, page)
        # The untrained model's masks may be empty; time decoding and drawing a real
        # mask (three large objects) by sending it through the same channel.
        lab.kernel(
            "import numpy as np\nfrom sam2_jupyter.widget.codec import encode_labels\n"
            f"yy, xx = np.mgrid[0:{SIZE}, 0:{SIZE}]\n"
            f"_lab = np.zeros(({SIZE}, {SIZE}), np.uint16)\n"
            "for _i, (_cy, _cx) in enumerate([(300, 300), (600, 700), (800, 250)]):\n"
            "    _lab[(yy - _cy) ** 2 + (xx - _cx) ** 2 < 180 ** 2] = _i + 1\n"
            "_payload = encode_labels(_lab)"
        )
        mask_draws = []
        for _ in range(10):
            seq = int(page.locator(".sam2j-canvas").get_attribute("data-seq"))
            lab.kernel(
                "a.controller.stream.post('labels', {'type': 'labels', "
                "'frame': a.canvas.frame, **a.controller.stream.shape()}, [_payload])"
            )
            page.wait_for_function(f"+document.querySelector('.sam2j-canvas').dataset.seq > {seq}")
            mask_draws.append(float(page.locator(".sam2j-canvas").get_attribute("data-draw-ms")))
        mask_bytes = int(lab.kernel("print(len(_payload))"))
        sent = json.loads(
            lab.kernel("import json; print(json.dumps(a.controller.stream.stats()['sent']))")
        )
    if args.raw:
        args.raw.write_text(
            json.dumps({"running" if k else "stopped": v for k, v in phases.items()})
        )
    by_kind: dict[str, list[int]] = {}
    for kind, n in sent:
        by_kind.setdefault(kind, []).append(n)
    print(
        f"# Annotator in the browser — {SIZE}×{SIZE} frames, Chromium headless, JupyterLab "
        f"on 127.0.0.1, untrained SAM2.1 tiny ({args.image_size} px input), CPU"
    )
    print("\n| measure | median (ms) | p90 (ms) | max (ms) | goal |")
    print("|---|---|---|---|---|")

    def row(name: str, values: list[float], goal: str) -> None:
        p90, top = float(np.percentile(values, 90)), max(values)
        print(f"| {name} | {statistics.median(values):.1f} | {p90:.1f} | {top:.1f} | {goal} |")

    base = statistics.median(floor_ms)
    row("**floor**: decode + draw of our previews in this page, no widget code", floor_ms, "")
    for running in (True, False):
        m = phases[running]
        print(f"| **precompute {'running' if running else 'stopped'}** | | | | |")
        row(f"click-to-marker ({len(m['marker'])} clicks)", m["marker"], "")
        row("click-to-paint, total", m["total"], "")
        row("kernel model time per click", m["model"], "")
        ratio = float(np.percentile(m["overhead"], 90)) / statistics.median(m["overhead"])
        row(f"click-to-paint minus model time (p90/median {ratio:.2f}; "
            f"median / floor {statistics.median(m['overhead']) / base:.2f}×)", m["overhead"],
            "<= 30; p90 <= 2× median; <= 1.5× floor")  # fmt: skip
        row("  of which: kernel wait (queue)", m["wait"], "")
        row("  of which: kernel labels encode + send", m["kernel"], "")
        row("  of which: browser decode + draw", m["draw"], "")
        row("  of which: the rest (comm round trip)", m["rest"], "")
        row(f"frame switch ({len(m['switch'])} switches)", m["switch"], "<= 50")
        sw = m["switch"]
        print(
            f"| frame switch / floor: median {statistics.median(sw) / base:.2f}×, "
            f"p90 {float(np.percentile(sw, 90)) / base:.2f}× | | | | median <= 1.5×, p90 <= 2× |"
        )
        row("  of which: kernel encode + send", m["switch_kernel"], "")
        row("  of which: browser decode + draw", m["switch_draw"], "")
    row(f"labels with 3 large objects: decode + draw ({mask_bytes} bytes)", mask_draws, "")
    row("stroke: pointer move to stroke drawn", stroke_moves, "<= 16")
    row("stroke: release to labels drawn, minus model time", stroke_confirmed, "<= 50")
    row("timeline 10,000 frames × 100 labels: draw (10 redraws)", timeline_ms, "")
    allowed = min(30.0, 1000.0 / base)
    print(
        f"\nPlayback at 30 fps asked, 1024² frames: {played / play_s:.1f} frames drawn per second"
        f" ({played / play_s / allowed:.2f}× the {allowed:.1f} fps the floor allows; goal >= 0.8×)"
    )
    print(f"({played} distinct frames in {play_s:.1f} s; goal >= 15). Timeline summary of")
    print(f"10,000 × 100 cells on the wire: {timeline_bytes} bytes.")
    print("\n| message | count | median bytes |")
    print("|---|---|---|")
    for kind, sizes in sorted(by_kind.items()):
        print(f"| {kind} | {len(sizes)} | {int(statistics.median(sizes))} |")
    raw = SIZE * SIZE * 3
    print(f"\n(raw RGB frame: {raw} bytes; raw uint16 labels: {SIZE * SIZE * 2} bytes)")


if __name__ == "__main__":
    main()
