"""Editing in a real JupyterLab + Chromium: a brush stroke drawn with the mouse changes
exactly the pixels a rasterisation of its polyline gives (computed here, independently
of the engine), the eraser removes them, fill fills, tool keys act only with focus,
and D over a label marks a division."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pytest
from conftest import moving_discs
from lab import View, annotator_cells, browser_available, notebook_page

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not browser_available(), reason="needs playwright and chromium"),
]

N_FRAMES = 6
SHAPE = (96, 128)
CELLS = annotator_cells()
# The kernel keeps the polyline of each stroke it receives (the test checks its pixels).
RECORD = (
    "import sam2_jupyter.widget.editing as _ed\n_strokes = []\n_raster = _ed.rasterise_stroke\n"
    "def _rec(points, radius, shape):\n"
    "    _strokes.append((np.asarray(points).tolist(), float(radius)))\n"
    "    return _raster(points, radius, shape)\n"
    "_ed.rasterise_stroke = _rec"
)


@pytest.fixture(scope="module")
def lab(jupyterlab, chromium):
    video = moving_discs(N_FRAMES, seed=5)
    with notebook_page(
        jupyterlab, chromium, "editing/editing.ipynb", CELLS, files={"video.npy": video}
    ) as (lab_, page):
        page.wait_for_selector(".sam2j-canvas[data-lossless='true']", timeout=30_000)
        lab_.kernel(RECORD)
        yield lab_, page


def capsules(points, radius, shape=SHAPE):
    """Pixels whose centre is within ``radius`` of the polyline, brute force."""
    yy, xx = np.mgrid[0 : shape[0], 0 : shape[1]] + 0.5
    pts = np.asarray(points, float)
    pairs = list(itertools.pairwise(pts)) or [(pts[0], pts[0])]
    out = np.zeros(shape, bool)
    for (ax, ay), (bx, by) in pairs:
        dx, dy = bx - ax, by - ay
        t = ((xx - ax) * dx + (yy - ay) * dy) / max(dx * dx + dy * dy, 1e-12)
        t = np.clip(t, 0, 1)
        out |= (xx - ax - t * dx) ** 2 + (yy - ay - t * dy) ** 2 <= radius * radius
    return out


def kernel_labels(lab_, frame=0):
    raw = lab_.kernel(f"import json; print(json.dumps(a.session.label_frame({frame}).tolist()))")
    return np.array(json.loads(raw), np.uint16)


def drag(page, start, moves):
    box = page.locator(".sam2j-canvas").bounding_box()
    page.mouse.move(box["x"] + start[0], box["y"] + start[1])
    page.mouse.down()
    for x, y in moves:
        page.mouse.move(box["x"] + x, box["y"] + y)
    page.mouse.up()


def last_stroke(lab_):
    return json.loads(lab_.kernel("import json; print(json.dumps(_strokes[-1]))"))


def test_tool_keys_act_only_with_focus(lab):
    lab_, page = lab
    page.locator(".sam2j-canvas").focus()
    page.keyboard.press("b")
    lab_.wait_kernel("a.canvas.tool == 'brush'", timeout=10)
    page.keyboard.press("e")
    lab_.wait_kernel("a.canvas.tool == 'eraser'", timeout=10)
    page.keyboard.press(">")
    lab_.wait_kernel("a.canvas.brush_size > 8", timeout=10)
    page.locator(".jp-Cell").first.click()
    page.keyboard.press("Escape")
    page.keyboard.press("p")
    page.wait_for_timeout(400)
    assert lab_.kernel("print(a.canvas.tool)").strip() == "eraser"
    page.locator(".sam2j-tool[data-tool='prompt']").click()
    lab_.wait_kernel("a.canvas.tool == 'prompt'", timeout=10)
    lab_.kernel("a.canvas.brush_size = 6.0")


def test_a_stroke_changes_exactly_its_rasterised_pixels_and_the_eraser_removes_them(lab):
    lab_, page = lab
    lab_.kernel("a.canvas.label = 3; a.canvas.track_fix = False")
    page.locator(".sam2j-tool[data-tool='brush']").click()
    lab_.wait_kernel("a.canvas.tool == 'brush'", timeout=10)
    before = kernel_labels(lab_)
    drag(page, (150, 120), [(170 + 9 * k, 125 + 4 * k) for k in range(15)])
    lab_.wait_kernel("len(_strokes) == 1", timeout=30)
    lab_.kernel("a.wait(30)")
    points, radius = last_stroke(lab_)
    assert len(points) > 5
    expected = capsules(points, radius)
    after = kernel_labels(lab_)
    assert expected.any()
    assert np.array_equal(after[expected], np.full(expected.sum(), 3))
    assert np.array_equal(after[~expected], before[~expected])
    # What the canvas shows is the kernel's answer.
    page.wait_for_function(
        f"document.querySelector('.sam2j-canvas').dataset.labelled === '{int((after > 0).sum())}'",
        timeout=10_000,
    )
    # The eraser over the middle of the stroke.
    page.locator(".sam2j-tool[data-tool='eraser']").click()
    lab_.wait_kernel("a.canvas.tool == 'eraser'", timeout=10)
    drag(page, (200, 132), [(230, 138)])
    lab_.wait_kernel("len(_strokes) == 2", timeout=30)
    lab_.kernel("a.wait(30)")
    points, radius = last_stroke(lab_)
    erased = capsules(points, radius)
    final = kernel_labels(lab_)
    assert (erased & expected).any()
    assert not (final[erased] == 3).any()
    assert np.array_equal(final[~erased], after[~erased])
    # Undo twice: exactly the labels before the stroke.
    page.locator(".sam2j-canvas").focus()
    page.keyboard.press("Control+z")
    page.keyboard.press("Control+z")
    lab_.wait_kernel("not (a.session.label_frame(0) == 3).any()", timeout=30)
    assert np.array_equal(kernel_labels(lab_), before)


def test_fill_fills_the_region_under_the_click(lab):
    lab_, page = lab
    ring = "((yy - 40) ** 2 + (xx - 60) ** 2 <= 400) & ((yy - 40) ** 2 + (xx - 60) ** 2 > 144)"
    lab_.kernel(
        f"yy, xx = np.mgrid[0:96, 0:128]\n_ring = {ring}\n"
        "a.session.add_mask(1, _ring, 4); a.canvas.frame = 1; a.canvas.label = 4"
    )
    page.wait_for_function("document.querySelector('.sam2j-canvas').dataset.frame === '1'")
    page.locator(".sam2j-tool[data-tool='fill']").click()
    lab_.wait_kernel("a.canvas.tool == 'fill'", timeout=10)
    page.mouse.click(*View(page, *SHAPE).page_xy(40.5, 60.5))
    lab_.wait_kernel("(a.session.label_frame(1) == 4).sum() > _ring.sum()", timeout=30)
    disc = lab_.kernel("print(int(((yy - 40) ** 2 + (xx - 60) ** 2 <= 400).sum()))")
    assert int(lab_.kernel("print(int((a.session.label_frame(1) == 4).sum()))")) == int(disc)
    page.locator(".sam2j-tool[data-tool='prompt']").click()


def test_d_over_a_label_marks_the_division(lab):
    lab_, page = lab
    lab_.kernel(
        "a.session.add_mask(2, (yy - 30) ** 2 + (xx - 30) ** 2 <= 100, 7)\n"
        "a.session.add_mask(2, (yy - 60) ** 2 + (xx - 90) ** 2 <= 100, 8)\n"
        "a.canvas.frame = 2; a.canvas.label = 8"
    )
    page.wait_for_function("document.querySelector('.sam2j-canvas').dataset.frame === '2'")
    lab_.kernel("a.controller.refresh()")
    page.mouse.move(*View(page, *SHAPE).page_xy(30.5, 30.5))
    page.locator(".sam2j-canvas").focus()
    page.keyboard.press("d")
    lab_.wait_kernel("a.session.parents == {8: 7}", timeout=30)
    page.wait_for_function(
        "document.querySelector(\".sam2j-object[data-label='8'] .sam2j-object-parent\")"
        "?.textContent === '↳ 7'",
        timeout=10_000,
    )
    page.locator(".sam2j-object[data-label='8'] .sam2j-object-parent").click()
    lab_.wait_kernel("a.session.parents == {}", timeout=30)
