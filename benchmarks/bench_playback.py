"""Playback in a real browser, play after play in one page (JupyterLab + headless
Chromium; the annotator of ``bench_browser.py``, 1024² frames).

Each play starts at frame 0 after a rest there (so the previews of the frames ahead
are prepared, as after a user's pause), lasts ``--seconds`` at 30 fps asked, and
reports: frames drawn per second; the browser's moves drawn without the copy sent
ahead (each one waits for the kernel to send that frame again); the gaps between
draws (median, p90, max; 33 ms at 30 fps); previews the kernel encoded during the
play and their median time; how long copies waited in the kernel for the browser's
capacity (flow control) before they left. Plays move by a fifth between them on a
2-core machine: the spread is the point of running several.

Usage: python benchmarks/bench_playback.py [--plays 6] [--seconds 3] [--image-size 128]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
from bench_browser import CELLS, INSTALL_JS, PLAY_JS, STOP_PRECOMPUTE, lab_page, make_video

# Kernel-side probes: each preview encoded, each move the browser claimed, and how long
# each copy sent ahead waited in the outbox.
PROBES = """
import time as _t
_st = a.controller.stream
_probe = {"encodes": [], "claims": [], "queued": []}
_posted = {}
_real_jpeg, _real_claimed = _st._jpeg, _st.claimed
_real_post, _real_send = _st.out.post, _st.out._send
def _jpeg(t, k):
    make = _real_jpeg(t, k)
    def timed():
        t0 = _t.perf_counter(); out = make(); _probe["encodes"].append(_t.perf_counter() - t0)
        return out
    return timed
def _claimed(frame, seq):
    _probe["claims"].append(seq)
    return _real_claimed(frame, seq)
def _post(slot, content, buffers):
    _posted[slot] = _t.perf_counter()
    return _real_post(slot, content, buffers)
def _send(content, buffers):
    if content.get("type") == "ahead":
        now = _t.perf_counter()
        _probe["queued"].append(now - _posted.pop("ahead%d" % content["frame"], now))
    return _real_send(content, buffers)
_st._jpeg, _st.claimed, _st.post, _st.out.post = _jpeg, _claimed, _post, _post
_st.out._send = _send
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--plays", type=int, default=6)
    ap.add_argument("--seconds", type=float, default=3.0)
    ap.add_argument("--image-size", type=int, default=128, help="the model's input size")
    args = ap.parse_args()
    root = Path(tempfile.mkdtemp(prefix="bench_playback_"))
    make_video(root / "video.npy", int(args.seconds * 30) + 60)
    cells = [c.replace("{image_size}", str(args.image_size)) for c in CELLS]
    print("| play | fps | moves without their copy | gap median / p90 / max (ms) "
          "| previews encoded (median ms) | copies queued, median / p90 (ms) |")  # fmt: skip
    print("|---|---|---|---|---|---|")
    with lab_page(root, "playback.ipynb", cells) as (lab, page):
        page.wait_for_selector(".sam2j-canvas[data-lossless='true']", timeout=60_000)
        page.evaluate(INSTALL_JS)
        lab.wait_kernel("a.session.features_ready() >= 1", timeout=600)
        lab.kernel(STOP_PRECOMPUTE)
        lab.kernel(PROBES)
        for k in range(args.plays):
            lab.kernel("a.frame = 0; a.wait(10)")
            time.sleep(3.0)  # a rest: the upgrade, then the previews ahead are prepared
            lab.kernel("for _v in _probe.values(): _v.clear()")
            start = page.evaluate("window.__draws.length")
            played, secs = page.evaluate(PLAY_JS, args.seconds)
            lab.wait_kernel("not a.canvas.playing")
            probe = json.loads(lab.kernel("import json; print(json.dumps(_probe))"))
            draws = page.evaluate(f"window.__draws.slice({start})")
            gaps = np.diff([d["t"] for d in draws]) if len(draws) > 1 else np.zeros(1)
            enc = [1000 * s for s in probe["encodes"]]
            queued = [1000 * s for s in probe["queued"]] or [0.0]
            missing = sum(1 for seq in probe["claims"] if seq < 0)
            print(
                f"| {k + 1} | {played / secs:.1f} | {missing} of {len(probe['claims'])} | "
                f"{np.median(gaps):.1f} / {np.percentile(gaps, 90):.1f} / {gaps.max():.0f} | "
                f"{len(enc)} ({statistics.median(enc) if enc else 0:.1f}) | "
                f"{np.median(queued):.0f} / {np.percentile(queued, 90):.0f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
