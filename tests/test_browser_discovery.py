"""The *Find objects* group in a real JupyterLab + Chromium: Segment everything
outlines the candidates over the image, a click in the canvas on one drops it (its
outline goes, no prompt is made), Add all makes the rest objects and one Ctrl+Z takes
them all back. The search is injected (untrained weights give noise)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import moving_discs
from lab import View, annotator_cells, browser_available, notebook_page
from waits import wait_until

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not browser_available(), reason="needs playwright and chromium"),
]

SHAPE = (96, 128)
DISCS = ((25, 30, 10), (30, 95, 10), (70, 60, 12))  # (y, x, radius): candidates 1, 2, 3
FAKE = (
    "_yy, _xx = np.mgrid[0:96, 0:128]\n_cands = np.zeros((96, 128), np.int32)\n"
    f"for _i, (_y, _x, _r) in enumerate({DISCS!r}, 1):\n"
    "    _cands[(_yy - _y) ** 2 + (_xx - _x) ** 2 <= _r * _r] = _i\n"
    "a.session.segment_everything = lambda frame, **options: _cands.copy()"
)
# Whether the marks canvas shows the outline colour within 3 px of an image point.
OUTLINED_JS = """([y, x]) => {
  const c = document.querySelector('.sam2j-marks');
  const { view, dpr } = document.querySelector('.sam2j-canvas').sam2jDebug.renderer.state;
  const px = Math.round(dpr * (view.tx + x * view.scale));
  const py = Math.round(dpr * (view.ty + y * view.scale));
  const d = c.getContext('2d').getImageData(px - 3, py - 3, 7, 7).data;
  for (let o = 0; o < d.length; o += 4) {
    if (d[o + 3] > 200 && d[o] > 200 && d[o + 1] > 170 && d[o + 2] < 90) return true;
  }
  return false;
}"""


def outlined(page, disc) -> bool:
    """The outline drawn at the left edge of a candidate disc."""
    y, x, r = disc
    return page.evaluate(OUTLINED_JS, [y + 0.5, x - r])


@pytest.fixture(scope="module")
def lab(jupyterlab, chromium):
    video = moving_discs(6, seed=5)
    with notebook_page(
        jupyterlab, chromium, "find/find.ipynb", annotator_cells(), files={"video.npy": video}
    ) as (lab_, page):
        page.wait_for_selector(".sam2j-canvas[data-lossless='true']", timeout=30_000)
        yield lab_, page


def test_segment_drop_one_by_a_click_add_the_rest_and_undo(lab):
    lab_, page = lab
    lab_.kernel(FAKE)
    page.get_by_text("Find objects", exact=True).click()  # the folded group opens
    page.get_by_role("button", name="Segment everything").click()
    page.wait_for_selector(".sam2j-canvas[data-candidates='3']", timeout=30_000)
    view = View(page, *SHAPE)
    wait_until(lambda: outlined(page, DISCS[1]), 10)
    assert outlined(page, DISCS[0])
    y, x, _ = DISCS[1]
    page.mouse.click(*view.page_xy(y, x))  # on candidate 2: dropped, not a prompt
    page.wait_for_selector(".sam2j-canvas[data-candidates='2']", timeout=10_000)
    wait_until(lambda: not outlined(page, DISCS[1]), 10)
    assert outlined(page, DISCS[0])
    shown = lab_.kernel("print(np.unique(a.controller.discovery.candidates).tolist())")
    assert shown.strip() == "[0, 1, 3]"
    assert lab_.kernel("print(len(a.session.prompts))").strip() == "0"
    page.get_by_role("button", name="Add all").click()
    lab_.wait_kernel("a.session.label_ids == [1, 3]", timeout=60)
    page.wait_for_selector(".sam2j-canvas[data-candidates='0']", timeout=10_000)
    code = "import json; print(json.dumps(a.session.label_frame(0).tolist()))"
    labels = np.array(json.loads(lab_.kernel(code)))
    assert set(np.unique(labels)) <= {0, 1, 3}
    page.locator(".sam2j-canvas").focus()
    page.keyboard.press("Control+z")  # one undo: every added object goes
    lab_.wait_kernel("a.session.label_ids == []", timeout=30)
