"""The review features in a real JupyterLab + Chromium: the timeline drawn after a
propagation and seeking by clicking it, flag navigation keys, the object list
(select, hide, delete), playback, and a click's marker drawn before the kernel
answers."""

from __future__ import annotations

import json
import time

import numpy as np
import pytest
from conftest import moving_discs
from lab import annotator_cells, browser_available, notebook_page, run_in_new_cell
from waits import wait_until

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not browser_available(), reason="needs playwright and chromium"),
]

N_FRAMES = 16
CELLS = annotator_cells(view_height=360)
# SAM2 says both labels vanish from frame 10 on (the scores are set, as untrained
# weights give random ones): frames 10-15 are flagged "lost".
LOST_FROM = 10
SET_SCORES = (
    "import sam2_jupyter._sam2.state as _tr\n"
    f"_tr.object_score = lambda state, idx, t: 4.0 if t < {LOST_FROM} else -4.0"
)


@pytest.fixture(scope="module")
def lab(jupyterlab, chromium):
    video = moving_discs(N_FRAMES, seed=5)
    with notebook_page(
        jupyterlab, chromium, "review/review.ipynb", CELLS, files={"video.npy": video}
    ) as (lab_, page):
        lab_.kernel(SET_SCORES)
        lab_.kernel("a.session.add_point(0, 32, 36, 1); a.session.add_point(0, 65, 95, 2)")
        page.get_by_role("button", name="Propagate", exact=True).click()
        lab_.wait_kernel("a.canvas.busy", timeout=30)
        lab_.wait_kernel("not a.canvas.busy", timeout=180)
        page.wait_for_function(
            "document.querySelector('.sam2j-objects')?.dataset.objects === '1,2'",
            timeout=30_000,
        )
        yield lab_, page


def dataset(page, selector):
    return page.locator(selector).evaluate("e => ({...e.dataset})")


def test_the_timeline_is_drawn_after_a_propagation(lab):
    lab_, page = lab
    hooks = dataset(page, ".sam2j-timeline")
    assert hooks["timelineLabels"] == "1,2"
    assert hooks["timelineFrames"] == str(N_FRAMES)
    assert int(hooks["timelineDraws"]) > 0
    # The strip shows the lost frames in red: sample the bottom band of a row there.
    flagged = json.loads(
        lab_.kernel(
            "import json; q = a.session.quality()\n"
            "print(json.dumps(sorted(set(q.frame[q['flags'] != '']))))"
        )
    )
    assert set(range(LOST_FROM, N_FRAMES)) <= set(flagged)


def seek_by_clicking(page, frame):
    box = page.locator(".sam2j-timeline").bounding_box()
    x = box["x"] + (frame + 0.5) / N_FRAMES * box["width"]
    page.mouse.click(x, box["y"] + box["height"] / 2)


def test_clicking_the_timeline_moves_the_frame(lab):
    lab_, page = lab
    for frame in (7, 2, 13):
        seek_by_clicking(page, frame)
        lab_.wait_kernel(f"a.frame == {frame}", timeout=10)
        page.wait_for_function(
            f"document.querySelector('.sam2j-canvas').dataset.frame === '{frame}'",
            timeout=10_000,
        )


def test_flag_keys_go_to_the_next_and_previous_flagged_frame(lab):
    lab_, page = lab
    flagged = json.loads(
        lab_.kernel(
            "import json; q = a.session.quality()\n"
            "print(json.dumps(sorted(set(q.frame[q['flags'] != '']))))"
        )
    )
    lab_.kernel("a.frame = 0")
    page.wait_for_function("document.querySelector('.sam2j-canvas').dataset.frame === '0'")
    page.locator(".sam2j-canvas").focus()
    page.keyboard.press("]")
    lab_.wait_kernel(f"a.frame == {flagged[0]}", timeout=10)
    lab_.kernel(f"a.frame = {N_FRAMES - 1}")
    page.wait_for_function(
        f"document.querySelector('.sam2j-canvas').dataset.frame === '{N_FRAMES - 1}'"
    )
    page.keyboard.press("[")
    lab_.wait_kernel(f"a.frame == {max(f for f in flagged if f < N_FRAMES - 1)}", timeout=10)
    page.keyboard.press("{")  # previous prompted frame: the clicks were on frame 0
    lab_.wait_kernel("a.frame == 0", timeout=10)


def test_object_list_selects_and_hides(lab):
    lab_, page = lab
    lab_.kernel("a.frame = 0; a.canvas.label = 1")
    page.wait_for_function("document.querySelector('.sam2j-canvas').dataset.frame === '0'")
    page.locator(".sam2j-object[data-label='2']").click()
    lab_.wait_kernel("a.canvas.label == 2", timeout=10)
    # Hide label 1: its pixels show the frame itself, label 2's stay tinted.
    pixels = json.loads(
        lab_.kernel(
            "import json; l = a.session.label_frame(0)\n"
            "print(json.dumps([np.argwhere(l == k)[len(np.argwhere(l == k)) // 2].tolist() "
            "for k in (1, 2)]))"
        )
    )
    video = moving_discs(N_FRAMES, seed=5)[0].astype(float)
    page.wait_for_selector(".sam2j-canvas[data-lossless='true']", timeout=10_000)
    before = sample(page, pixels)
    page.locator(".sam2j-object[data-label='1'] .sam2j-object-hide").click()
    lab_.wait_kernel("a.canvas.hidden == [1]", timeout=10)
    (y1, x1), _ = pixels
    # Redrawn without label 1: its pixel shows the frame itself.
    wait_until(lambda: np.abs(sample(page, pixels)[0] - video[y1, x1]).max() < 12, 10)
    after = sample(page, pixels)
    assert np.abs(before[0] - video[y1, x1]).max() > 20  # tinted before
    assert np.abs(after[0] - video[y1, x1]).max() < 12  # the frame itself after
    assert np.abs(after[1] - before[1]).max() < 3  # label 2 untouched
    page.locator(".sam2j-object[data-label='1'] .sam2j-object-hide").click()
    lab_.wait_kernel("a.canvas.hidden == []", timeout=10)


SAMPLE_JS = """(pixels) => {
  const c = document.querySelector('.sam2j-canvas');
  const { view, dpr } = c.sam2jDebug.renderer.state;
  const img = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  return pixels.map(([y, x]) => {
    const px = Math.floor(dpr * (view.tx + (x + 0.5) * view.scale));
    const py = Math.floor(dpr * (view.ty + (y + 0.5) * view.scale));
    const o = (py * c.width + px) * 4;
    return [img[o], img[o + 1], img[o + 2]];
  });
}"""


def sample(page, pixels):
    return np.array(page.evaluate(SAMPLE_JS, pixels), float)


def test_play_advances_frames_and_pauses(lab):
    lab_, page = lab
    lab_.kernel("a.frame = 0")
    page.wait_for_function("document.querySelector('.sam2j-canvas').dataset.frame === '0'")
    # 5 fps: the pause must land before the last frame (16 frames take 3 s) even
    # where each poll of the kernel is slow; at 20 fps a loaded machine saw the end.
    page.locator(".sam2j-fps").fill("5")
    page.locator(".sam2j-fps").press("Enter")
    page.locator(".sam2j-play").click()
    lab_.wait_kernel("a.canvas.playing", timeout=10)
    lab_.wait_kernel("a.frame >= 3", timeout=20)
    page.locator(".sam2j-play").click()
    lab_.wait_kernel("not a.canvas.playing", timeout=10)
    stopped = int(lab_.kernel("print(a.frame)"))
    time.sleep(0.5)
    assert int(lab_.kernel("print(a.frame)")) == stopped


def test_play_stops_at_the_next_flag(lab):
    lab_, page = lab
    first = json.loads(
        lab_.kernel(
            "import json; q = a.session.quality()\n"
            "print(json.dumps(int(q.frame[(q['flags'] != '') & (q.frame > 0)].min())))"
        )
    )
    lab_.kernel("a.frame = 0")
    page.wait_for_function("document.querySelector('.sam2j-canvas').dataset.frame === '0'")
    page.locator(".sam2j-stop-flags").check()
    page.locator(".sam2j-play").click()
    # It played (the frame moved) and stopped by itself: the run to the flag
    # can be over before a poll for "playing" would see it.
    lab_.wait_kernel("a.frame > 0 and not a.canvas.playing", timeout=30)
    assert int(lab_.kernel("print(a.frame)")) == first
    page.locator(".sam2j-stop-flags").uncheck()


def test_a_clicks_marker_appears_before_the_kernel_answers(lab):
    lab_, page = lab
    lab_.kernel("a.frame = 3; a.canvas.label = 2")
    page.wait_for_function("document.querySelector('.sam2j-canvas').dataset.frame === '3'")
    # The model takes a second for this click.
    lab_.kernel(
        "import time\n_slow = a.session.add_point\n"
        "def _late(*args, **kw):\n    time.sleep(1.5)\n    return _slow(*args, **kw)\n"
        "a.session.add_point = _late"
    )
    box = page.locator(".sam2j-canvas").bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_function(
        "document.querySelector('.sam2j-canvas').dataset.optimistic === '1'", timeout=2_000
    )
    assert lab_.kernel("print(sum(p.frame == 3 for p in a.session.prompts))").strip() == "0"
    lab_.wait_kernel("a.canvas.busy", timeout=10)
    lab_.wait_kernel("sum(p.frame == 3 for p in a.session.prompts) == 1", timeout=30)
    page.wait_for_function(
        "document.querySelector('.sam2j-canvas').dataset.optimistic === '0'", timeout=10_000
    )
    lab_.kernel("a.wait(30); a.session.add_point = _slow")


def test_delete_from_the_object_list_and_undo(lab):
    lab_, page = lab
    lab_.kernel("a.wait(30)")
    page.locator(".sam2j-object[data-label='2'] .sam2j-object-delete").click()
    lab_.wait_kernel("a.session.label_ids == [1]", timeout=30)
    page.wait_for_function(
        "document.querySelector('.sam2j-objects').dataset.objects === '1'", timeout=10_000
    )
    page.locator(".sam2j-canvas").focus()
    page.keyboard.press("Control+z")
    lab_.wait_kernel("a.session.label_ids == [1, 2]", timeout=30)
    page.wait_for_function(
        "document.querySelector('.sam2j-objects').dataset.objects === '1,2'", timeout=10_000
    )


def test_frame_numbers_read_the_same_everywhere(lab):
    """One convention, 0-based (the slider's, the Python API's, the files'): the
    status bar, the panel's slider, the object list and the timeline's tooltip name
    the same frame."""
    lab_, page = lab
    lab_.kernel("a.frame = 7")
    page.wait_for_function("document.querySelector('.sam2j-canvas').dataset.frame === '7'")
    bar = page.locator(".sam2j-annotator .sam2j-bar").first
    assert bar.inner_text().startswith(f"frame 7 of 0–{N_FRAMES - 1}")
    slider = page.locator(".sam2j-annotator .widget-slider").filter(has_text="Frame").first
    readout = slider.locator(".widget-readout")
    # The slider is its own widget: its update may come a moment after the canvas'.
    wait_until(lambda: readout.inner_text().strip() == "7", 10, what="the slider reads 7")
    rows = page.locator(".sam2j-annotator .sam2j-object-frames")
    assert rows.first.inner_text() == f"{N_FRAMES} frames · 0–{N_FRAMES - 1}"
    timeline = page.locator(".sam2j-timeline").first
    timeline.scroll_into_view_if_needed()
    box = timeline.bounding_box()
    page.mouse.move(box["x"] + 7.5 / N_FRAMES * box["width"], box["y"] + 2)
    wait_until(
        lambda: (timeline.get_attribute("title") or "").startswith("frame 7 · label"),
        5,
        what="the timeline's tooltip names frame 7",
    )
    assert json.loads(lab_.kernel("import json; print(json.dumps(int(a.frame)))")) == 7


ROWS_JS = """() => [...document.querySelector('.sam2j-objects').querySelectorAll('.sam2j-object')]
  .map((r) => Number(r.dataset.label))"""


def test_three_hundred_objects_keep_a_short_list_that_follows_the_label(lab):
    """With 300 objects only the rows in view are in the page (a frame switch paid for
    all 2,400 elements before); scrolling shows the others, and choosing a label
    brings its row into view."""
    lab_, page = lab
    lab_.kernel(
        "from sam2_jupyter.widget.codec import encode_labels\n"
        f"_bits = np.ones((300, {N_FRAMES}), np.uint16)\n"  # every label a mask everywhere
        f"a.canvas.send({{'type': 'timeline', 'full': True, 'n_frames': {N_FRAMES}, "
        "'labels': list(range(1, 301))}, [encode_labels(_bits)])\n"
        "a.canvas.label = 1"
    )
    listed = "document.querySelector('.sam2j-objects').dataset.objects.split(',').length"
    page.wait_for_function(f"{listed} === 300", timeout=10_000)
    rows = page.evaluate(ROWS_JS)
    assert rows[0] == 1
    assert len(rows) <= 16, rows  # the first rows, not 300
    objects = page.locator(".sam2j-objects").first
    assert objects.evaluate("e => e.scrollHeight") >= 300 * 22  # the scrollbar reads 300
    objects.evaluate("e => { e.scrollTop = e.scrollHeight; }")
    wait_until(lambda: 300 in page.evaluate(ROWS_JS), 5, what="the last row after a scroll")
    assert len(page.evaluate(ROWS_JS)) <= 16
    lab_.kernel("a.canvas.label = 150")
    wait_until(lambda: 150 in page.evaluate(ROWS_JS), 5, what="the current label's row")
    row = page.locator(".sam2j-object[data-label='150']")
    assert "sam2j-object-current" in row.get_attribute("class")
    box, view = row.bounding_box(), objects.bounding_box()
    assert view["y"] <= box["y"]
    assert box["y"] + box["height"] <= view["y"] + view["height"]
    row.click()  # a row in view is chosen without the list moving under the pointer
    top = objects.evaluate("e => e.scrollTop")
    page.locator(".sam2j-object[data-label='151']").click()
    lab_.wait_kernel("a.canvas.label == 151", timeout=10)
    assert objects.evaluate("e => e.scrollTop") == top
    lab_.kernel("a.canvas.label = 1; a.controller.timeline.reset()")
    page.wait_for_function(f"{listed} === 2", timeout=10_000)


def test_a_resumed_session_shows_its_objects_and_timeline(lab):
    """Saved work opened again (a second annotator on the saved data, shown in a new
    cell, as after reopening the notebook) lists its objects, draws its timeline and
    steps through its flags before any edit."""
    lab_, page = lab
    lab_.kernel(
        "import tempfile, pathlib\n"
        "work = pathlib.Path(tempfile.mkdtemp()) / 'work'\n"
        "first = sj.Annotator(video, model=model, autosave=work)\n"
        "first.session.add_point(0, 32, 36, 1); first.session.add_point(0, 65, 95, 5)\n"
        "for _ in first.session.propagate(progress=False): pass\n"
        "first.close()\n"
        "again = sj.Annotator(video, model=model, autosave=work)\n"
        "again.canvas.debug = True\nagain.wait(60)"
    )
    run_in_new_cell(page, "again")
    canvases = page.locator(".sam2j-canvas[data-seq]")
    wait_until(lambda: canvases.count() == 2, 60, what="the resumed annotator is shown")
    page.wait_for_function(
        "[...document.querySelectorAll('.sam2j-objects')].at(-1).dataset.objects === '1,5'",
        timeout=30_000,
    )
    assert page.locator(".sam2j-timeline").last.evaluate("e => e.dataset.timelineLabels") == "1,5"
    assert "Resumed" in lab_.kernel("print(again.controls.status.status.value)")
    flagged = json.loads(
        lab_.kernel(
            "import json; q = again.session.quality()\n"
            "print(json.dumps(sorted(set(q.frame[q['flags'] != '']))))"
        )
    )
    assert set(range(LOST_FROM, N_FRAMES)) <= set(flagged)
    lab_.kernel("again.frame = 0")
    canvases.last.focus()
    page.keyboard.press("]")
    lab_.wait_kernel(f"again.frame == {min(f for f in flagged if f > 0)}", timeout=10)
    lab_.kernel("again.close()")
