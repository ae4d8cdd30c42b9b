"""End to end in a real JupyterLab (127.0.0.1) and headless Chromium: clicks on the
canvas reach the kernel's Session, masks are painted, the context menu stays shut,
keys work, and a propagation streams masks and can be cancelled."""

from __future__ import annotations

import json
import time

import numpy as np
import pytest
from conftest import moving_discs
from lab import (
    View,
    annotator_cells,
    browser_available,
    first_prompt,
    notebook_page,
    run_in_new_cell,
)
from waits import wait_until

from sam2_jupyter.exports import label_color

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not browser_available(), reason="needs playwright and chromium"),
]

N_FRAMES = 40
CELLS = annotator_cells()

SAMPLE_JS = """([ys, xs]) => {
  const c = document.querySelector('.sam2j-canvas');
  const ctx = c.getContext('2d');
  const img = ctx.getImageData(0, 0, c.width, c.height).data;
  const out = [];
  const dpr = c.width / c.getBoundingClientRect().width;
  for (let k = 0; k < ys.length; k++) {
    const o = (Math.floor(ys[k] * dpr) * c.width + Math.floor(xs[k] * dpr)) * 4;
    out.push([img[o], img[o + 1], img[o + 2]]);
  }
  return out;
}"""


@pytest.fixture(scope="module")
def lab(request, jupyterlab, chromium):
    """A notebook on the shared server at the device pixel ratio the test asks for:
    tests of pixel positions run at 1 and 2 (``BOTH_RATIOS``), the others at 1."""
    dpr = request.param
    with notebook_page(
        jupyterlab,
        chromium,
        f"browser-dpr{dpr:g}/annotate.ipynb",
        CELLS,
        device_scale_factor=dpr,
        files={"video.npy": moving_discs(N_FRAMES, seed=5)},
    ) as opened:
        yield opened


BOTH_RATIOS = pytest.mark.parametrize("lab", [1.0, 2.0], ids=["dpr1", "dpr2"], indirect=True)
RATIO_1 = pytest.mark.parametrize("lab", [1.0], ids=["dpr1"], indirect=True)


def show(lab_, page, frame):
    """Move to ``frame`` from the kernel and wait until the browser has drawn it (the
    kernel's reply comes back before its widget messages reach the page)."""
    lab_.kernel(f"a.wait(60); a.canvas.frame = {frame}")
    page.wait_for_function(
        f"document.querySelector('.sam2j-canvas').dataset.frame === '{frame}'", timeout=10_000
    )


def samples(page, view, pixels):
    ys, xs = zip(*[view.canvas_xy(i + 0.5, j + 0.5) for i, j in pixels], strict=True)
    return np.array(page.evaluate(SAMPLE_JS, [list(ys), list(xs)]), float)


@BOTH_RATIOS
def test_clicks_reach_the_kernel_and_masks_are_painted(lab):
    lab_, page = lab
    video = moving_discs(N_FRAMES, seed=5)
    h, w = video.shape[1:3]
    page.wait_for_selector(".sam2j-canvas[data-lossless='true']", timeout=30_000)
    # The panel's buttons are on screen; the questions and "Start fresh" are not. The
    # model group is folded into its title, which names the model in use.
    for name in ("Trigger segmentation", "Propagate", "Cancel", "Masks (TIFF)"):
        assert page.get_by_role("button", name=name, exact=True).is_visible(), name
    load = page.get_by_role("button", name="Load model", exact=True)
    assert not load.is_visible()
    page.get_by_text("Model: SAM2.1 Tiny · 256 px").click()
    load.wait_for(state="visible", timeout=5_000)
    for name in ("Replace", "Keep", "Start fresh"):
        assert not page.get_by_role("button", name=name, exact=True).is_visible(), name
    view = View(page, h, w)
    # The canvas takes the image's aspect at its width (no bands above and below).
    assert abs(view.box["height"] - min(400, view.box["width"] * h / w)) <= 1
    assert "scroll the notebook" in page.locator(".sam2j-canvas").get_attribute("title")
    # Grid of pixel centres, away from where the click markers are drawn.
    grid = [
        (i, j)
        for i in range(2, h - 2, 5)
        for j in range(2, w - 2, 5)
        if np.hypot(i - 32, j - 36) > 3 and np.hypot(i - 80, j - 20) > 3
    ]
    before = samples(page, view, grid)
    # The canvas shows the frame itself before any label.
    assert np.abs(before - video[0][tuple(np.array(grid).T)]).mean() < 2

    seq = int(page.locator(".sam2j-canvas").get_attribute("data-seq"))
    page.mouse.click(*view.page_xy(32.5, 36.5))
    lab_.wait_kernel("len(a.session.prompts) == 1")
    lab_.kernel("a.wait(60)")
    y, x, positive = first_prompt(lab_)
    assert abs(y - 32.5) < 0.5
    assert abs(x - 36.5) < 0.5
    assert positive is True

    labels = np.array(
        json.loads(lab_.kernel("print(json.dumps(a.session.label_frame(0).tolist()))")), np.uint16
    )
    assert labels.any()
    page.wait_for_function(
        f"document.querySelector('.sam2j-canvas').dataset.seq > {seq} && "
        f"document.querySelector('.sam2j-canvas').dataset.labelled == {int((labels > 0).sum())}",
        timeout=30_000,
    )
    after = samples(page, view, grid)
    lab_at = labels[tuple(np.array(grid).T)]
    alpha = 128 / 255
    colours = np.array([label_color(int(v)) for v in lab_at], float)
    expected = np.where(lab_at[:, None] > 0, (1 - alpha) * before + alpha * colours, before)
    assert np.abs(after - expected).max() < 4
    assert (lab_at > 0).sum() > 10

    # Right click: a negative point, and no context menu (JupyterLab's or the browser's).
    page.mouse.click(*view.page_xy(80.5, 20.5), button="right")
    lab_.wait_kernel("len(a.session.prompts) == 2")
    lab_.kernel("a.wait(60)")
    assert lab_.kernel("print(a.session.prompts[1].positive)").strip() == "False"
    assert page.locator(".lm-Menu").count() == 0
    markers = json.loads(lab_.kernel("print(json.dumps(a.canvas.prompts))"))
    assert [m["positive"] for m in markers] == [True, False]


@BOTH_RATIOS
def test_clicks_land_on_the_right_pixel_after_zoom_and_pan(lab):
    lab_, page = lab
    show(lab_, page, 2)
    h, w = moving_discs(N_FRAMES, seed=5).shape[1:3]
    view = View(page, h, w)
    px, py = view.page_xy(50.25, 70.75)
    page.mouse.move(px, py)
    for _ in range(3):
        page.mouse.wheel(0, -300)  # zoom in, keeping the pixel under the pointer fixed
    page.mouse.click(px, py)
    lab_.wait_kernel("any(p.frame == 2 for p in a.session.prompts)")
    lab_.kernel("a.wait(60)")
    p = json.loads(
        lab_.kernel(
            "p = [p for p in a.session.prompts if p.frame == 2][-1]; print(json.dumps([p.y, p.x]))"
        )
    )
    # Browsers report mouse positions in whole CSS pixels: one pixel of slack.
    tol = 1.0 / view.scale
    assert abs(p[0] - 50.25) < tol
    assert abs(p[1] - 70.75) < tol
    # Drag to pan by (dx, dy): the image point that was under the pointer moves with it.
    page.mouse.move(px, py)
    page.mouse.down()
    page.mouse.move(px + 40, py + 25, steps=5)
    page.mouse.up()
    page.mouse.click(px + 40, py + 25, button="right")
    lab_.wait_kernel("sum(p.frame == 2 for p in a.session.prompts) == 2")
    lab_.kernel("a.wait(60)")
    q = json.loads(
        lab_.kernel(
            "p = [p for p in a.session.prompts if p.frame == 2][-1]; print(json.dumps([p.y, p.x]))"
        )
    )
    assert abs(q[0] - 50.25) < tol
    assert abs(q[1] - 70.75) < tol
    page.locator(".sam2j-canvas").focus()
    page.keyboard.press("0")  # fit again for the next tests
    show(lab_, page, 0)


@BOTH_RATIOS
def test_shift_drag_box_and_alt_click_remove(lab):
    lab_, page = lab
    show(lab_, page, 3)
    h, w = moving_discs(N_FRAMES, seed=5).shape[1:3]
    view = View(page, h, w)
    x0, y0 = view.page_xy(20.5, 30.5)
    x1, y1 = view.page_xy(60.5, 90.5)
    page.keyboard.down("Shift")
    page.mouse.move(x0, y0)
    page.mouse.down()
    page.mouse.move(x1, y1, steps=8)
    page.mouse.up()
    page.keyboard.up("Shift")
    lab_.wait_kernel("any(p.frame == 3 and p.kind == 'box' for p in a.session.prompts)")
    lab_.kernel("a.wait(60)")
    box = json.loads(
        lab_.kernel(
            "import json\np = [p for p in a.session.prompts if p.frame == 3][0]\n"
            "print(json.dumps([p.y0, p.x0, p.y1, p.x1]))"
        )
    )
    tol = 1.0 / view.scale
    assert np.allclose(box, [20.5, 30.5, 60.5, 90.5], atol=tol)
    # Alt-click on a box corner removes the prompt.
    canvas_box = page.locator(".sam2j-canvas").bounding_box()
    page.locator(".sam2j-canvas").click(
        position={"x": x1 - canvas_box["x"], "y": y1 - canvas_box["y"]}, modifiers=["Alt"]
    )
    lab_.wait_kernel("not any(p.frame == 3 for p in a.session.prompts)")
    show(lab_, page, 0)


@RATIO_1
def test_keys_act_only_with_focus(lab):
    lab_, page = lab
    lab_.kernel("a.canvas.label = 1")
    show(lab_, page, 0)
    page.locator(".sam2j-canvas").focus()
    page.keyboard.press("+")
    lab_.wait_kernel("a.canvas.label == 2")
    page.keyboard.press("ArrowRight")
    lab_.wait_kernel("a.canvas.frame == 1 and a.controls.view.frame.value == 1")
    page.keyboard.press("-")
    lab_.wait_kernel("a.canvas.label == 1")
    cells = page.locator(".jp-Cell").count()
    # Focus elsewhere: the same keys no longer reach the widget.
    page.locator(".jp-Cell").first.click()
    page.keyboard.press("Escape")
    page.keyboard.press("ArrowRight")
    time.sleep(0.5)  # time for a key to arrive, were it to reach the widget
    assert lab_.kernel("print(a.canvas.frame)").strip() == "1"
    assert page.locator(".jp-Cell").count() == cells
    lab_.kernel("a.canvas.frame = 0")


def _command_mode(page) -> None:
    """Put the notebook in command mode with a cell outside the annotator active."""
    page.locator(".jp-Cell .jp-InputPrompt").first.click()
    page.keyboard.press("Escape")


@RATIO_1
def test_keys_inside_the_annotator_never_reach_jupyterlab(lab):
    """After a click on any of the annotator's controls, JupyterLab's destructive
    command-mode keys (m: Markdown, b: insert, d d: delete, 0 0: restart) do nothing
    to the notebook, the annotator's own keys act, and typing in its fields stays
    typing. Outside the annotator JupyterLab's keys work as before."""
    lab_, page = lab
    lab_.kernel("a.canvas.label = 9; a.canvas.tool = 'prompt'")
    show(lab_, page, 0)
    cells = page.locator(".jp-Cell").count()
    annotator = page.locator(".sam2j-annotator")
    # JupyterLab would first see the keys in command mode, with this cell selected.
    _command_mode(page)
    annotator.locator(".widget-slider .noUi-handle").first.click()
    page.keyboard.press("m")
    lab_.wait_kernel("a.canvas.label != 9")  # the annotator's next unused label
    page.keyboard.press("b")
    lab_.wait_kernel("a.canvas.tool == 'brush'")
    page.keyboard.press("p")
    lab_.wait_kernel("a.canvas.tool == 'prompt'")
    for key in ("d", "d", "0", "0"):
        page.keyboard.press(key)
    # A button, then a key of the annotator's table.
    label = int(lab_.kernel("print(a.canvas.label)"))
    annotator.get_by_role("button", name="Forward", exact=True).click()
    page.keyboard.press("+")
    lab_.wait_kernel(f"a.canvas.label == {label + 1}")
    # Typing in a field of the panel types (and 0 0 is no restart there either).
    field = annotator.locator(".widget-text input:visible").first
    field.fill("")
    field.type("300")
    assert field.input_value() == "300"
    time.sleep(0.5)  # time for a stray key to reach JupyterLab, were it to
    assert page.locator(".jp-Cell").count() == cells
    assert page.locator(".jp-Cell.jp-MarkdownCell").count() == 0
    assert not page.locator(".jp-Dialog").is_visible()
    assert page.locator(".sam2j-canvas").is_visible()
    # Outside the annotator JupyterLab's keys work: insert a cell below, delete it.
    # (A press on the annotator's own cell, which JupyterLab leaves focus alone for.)
    page.locator(".sam2j-canvas").focus()
    page.locator(".jp-Cell .jp-InputPrompt").last.click()
    page.keyboard.press("Escape")
    page.keyboard.press("b")
    wait_until(lambda: page.locator(".jp-Cell").count() == cells + 1, 10, what="b inserted a cell")
    page.keyboard.press("d")
    page.keyboard.press("d")
    wait_until(lambda: page.locator(".jp-Cell").count() == cells, 10, what="d d deleted it")
    lab_.kernel("a.canvas.label = 1")


M_THEN_CLICK_JS = """([x, y]) => {
  const c = document.querySelector('.sam2j-canvas');
  c.focus();
  c.dispatchEvent(new KeyboardEvent('keydown', { key: 'm', bubbles: true, cancelable: true }));
  const at = { clientX: x, clientY: y, button: 0, pointerId: 1, bubbles: true, isPrimary: true };
  c.dispatchEvent(new PointerEvent('pointerdown', at));
  c.dispatchEvent(new PointerEvent('pointerup', at));
}"""


@RATIO_1
def test_a_click_right_after_m_uses_the_new_label(lab):
    """M changes the label in the browser at once: a click in the same instant, long
    before the kernel could answer (on a remote hub, a network round trip), goes to the
    label the person saw, not the one before."""
    lab_, page = lab
    show(lab_, page, 0)
    lab_.kernel(
        "a.canvas.label = 1\n"
        "a.controller.receive({'type': 'point', 'frame': 0, 'y': 20.0, 'x': 20.0, 'label': 3,"
        " 'positive': True})\na.wait(60)"
    )
    expected = int(lab_.kernel("print(a.session.next_unused_label())"))
    assert expected > 1
    before = int(lab_.kernel("print(len(a.session.prompts))"))
    lab_.wait_kernel(f"a.canvas.next_label == {expected}")
    view = View(page, *moving_discs(1, seed=5).shape[1:3])
    page.evaluate(M_THEN_CLICK_JS, list(view.page_xy(60.5, 90.5)))
    lab_.wait_kernel(f"len(a.session.prompts) == {before + 1}")
    lab_.kernel("a.wait(60)")
    assert int(lab_.kernel("print(a.session.prompts[-1].label)")) == expected
    assert int(lab_.kernel("print(a.canvas.label)")) == expected
    lab_.kernel("a.session.undo(); a.session.undo(); a.canvas.label = 1")


STROKE_JS = """() => {
  const scene = document.querySelector('.sam2j-canvas');
  const marks = document.querySelector('.sam2j-marks');
  const r = scene.sam2jDebug.renderer;
  const { view, dpr } = r.state;
  // Image pixel (10, 10) on the canvases, away from the click markers.
  const x = Math.floor(dpr * (view.tx + 10.5 * view.scale));
  const y = Math.floor(dpr * (view.ty + 10.5 * view.scale));
  const at = () => Array.from(marks.getContext('2d').getImageData(x, y, 1, 1).data);
  const all = () => scene.getContext('2d').getImageData(0, 0, scene.width, scene.height).data;
  const sceneBefore = all();
  const builds = r.state.overlayBuilds;
  const before = at();
  const ctx = r.strokeContext();
  ctx.fillStyle = 'rgb(255, 0, 255)';
  ctx.fillRect(5, 5, 20, 20);
  r.draw();
  const during = at();
  const sceneAfter = all();
  r.clearStroke();
  r.draw();
  return {
    before, during, after: at(), rebuilt: r.state.overlayBuilds - builds,
    sceneKept: sceneBefore.every((v, i) => v === sceneAfter[i]),
  };
}"""


@BOTH_RATIOS
def test_a_stroke_is_drawn_on_its_own_layer(lab):
    """The stroke layer (for a brush) is empty until drawn into; drawing on it leaves the
    frame, the labels and their overlay untouched."""
    lab_, page = lab
    show(lab_, page, 0)
    out = page.evaluate(STROKE_JS)
    assert out["before"][3] == 0
    assert out["during"][:3] == [255, 0, 255]
    assert 0 < out["during"][3] < 255  # the layer is shown translucent over the labels
    assert out["after"][3] == 0
    assert out["rebuilt"] == 0
    assert out["sceneKept"]


@RATIO_1
def test_propagation_streams_masks_and_cancels(lab):
    lab_, page = lab
    lab_.wait_kernel("len(a.session.prompts) >= 1")
    page.get_by_role("button", name="Propagate", exact=True).click()
    seen = set()

    def streamed() -> bool:
        frame = page.locator(".sam2j-canvas").get_attribute("data-frame")
        labelled = int(page.locator(".sam2j-canvas").get_attribute("data-labelled") or 0)
        if frame is not None and int(frame) > 0 and labelled > 0:
            seen.add(int(frame))
        return len(seen) >= 4

    wait_until(streamed, 120, 0.02, "masks arrived in the browser while it ran")
    page.get_by_role("button", name="Cancel", exact=True).click()
    lab_.wait_kernel("not a.canvas.busy", timeout=60)
    done = int(
        lab_.kernel("print(sum(a.session.label_frame(t).any() for t in range(a.session.n_frames)))")
    )
    assert done < N_FRAMES
    assert "cancelled" in lab_.kernel("print(a.canvas.status)")
    assert max(seen) < done + 1


@RATIO_1
def test_a_correction_survives_propagating_again_from_the_panel(lab):
    lab_, page = lab
    lab_.kernel("a.wait(60); a.controls.propagate.follow.value = False; a.canvas.label = 1")
    show(lab_, page, 0)
    lab_.wait_kernel("any(p.frame == 0 for p in a.session.prompts)")
    page.get_by_role("button", name="Propagate", exact=True).click()
    lab_.wait_kernel("a.canvas.busy", timeout=30)
    lab_.wait_kernel("not a.canvas.busy", timeout=120)
    show(lab_, page, 6)
    h, w = moving_discs(N_FRAMES, seed=5).shape[1:3]
    view = View(page, h, w)
    page.mouse.click(*view.page_xy(45.5, 50.5))
    page.mouse.click(*view.page_xy(20.5, 100.5), button="right")
    lab_.wait_kernel("sum(p.frame == 6 for p in a.session.prompts) == 2")
    lab_.kernel("a.wait(60); corrected = a.session.label_frame(6)")
    # Again, from the frame in view (the panel's "From: this frame").
    page.locator("select").filter(has_text="earliest prompt").select_option(label="this frame")
    lab_.wait_kernel("a.controls.propagate.propagate_from.value == 'current'")
    page.get_by_role("button", name="Propagate", exact=True).click()
    lab_.wait_kernel("a.canvas.busy", timeout=30)
    lab_.wait_kernel("not a.canvas.busy", timeout=120)
    assert lab_.kernel("print(np.array_equal(a.session.label_frame(6), corrected))").strip() == (
        "True"
    )
    show(lab_, page, 5)
    show(lab_, page, 6)
    expected = int(lab_.kernel("print(int((corrected > 0).sum()))"))
    page.wait_for_function(
        f"document.querySelector('.sam2j-canvas').dataset.labelled === '{expected}'",
        timeout=30_000,
    )
    lab_.kernel("a.controls.propagate.propagate_from.value = 'first'")
    show(lab_, page, 0)


@RATIO_1
def test_two_views_stay_in_sync(lab):
    lab_, page = lab
    show(lab_, page, 0)
    # A second view of the same canvas widget, in a new cell.
    run_in_new_cell(page, "a.canvas")
    page.wait_for_function(
        "document.querySelectorAll('.sam2j-canvas[data-seq]').length == 2", timeout=60_000
    )
    first, second = page.locator(".sam2j-canvas").nth(0), page.locator(".sam2j-canvas").nth(1)
    second.scroll_into_view_if_needed()
    second.focus()
    page.keyboard.press("ArrowRight")
    lab_.wait_kernel("a.canvas.frame == 1")
    page.wait_for_function(
        "[...document.querySelectorAll('.sam2j-canvas')].every(c => c.dataset.frame === '1')",
        timeout=30_000,
    )
    lab_.kernel("a.session.add_point(1, 40.5, 60.5, 3); a.controller.refresh()")
    expected = int(lab_.kernel("print(int((a.session.label_frame(1) > 0).sum()))"))
    page.wait_for_function(
        "[...document.querySelectorAll('.sam2j-canvas')]"
        f".every(c => c.dataset.labelled === '{expected}')",
        timeout=30_000,
    )
    assert first.get_attribute("data-labelled") == second.get_attribute("data-labelled")
