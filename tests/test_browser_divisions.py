"""Proposed divisions and the row filter in a real JupyterLab + Chromium: the
proposal's mark on the mother's timeline row and her "÷" badge; the badge shows its
frame, where Accept makes the lineage; the id search and "flagged only" keep the rows
they name in the list and the timeline. Masks are painted by hand (untrained weights
give noise)."""

from __future__ import annotations

import pytest
from conftest import moving_discs
from lab import annotator_cells, browser_available, notebook_page
from waits import wait_until

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not browser_available(), reason="needs playwright and chromium"),
]

# Label 1 on frame 0; on frame 1 it shrinks and label 2 appears beside it (a
# "newcomer" proposal); label 3 stays far away on both.
PAINT = """
s = a.session
_yy, _xx = np.mgrid[0 : s.frame_shape[0], 0 : s.frame_shape[1]]
disc = lambda _shape, y, x, r: (_yy - y) ** 2 + (_xx - x) ** 2 <= r * r
for t, label, (y, x, r) in [(0, 1, (48, 60, 16)), (1, 1, (48, 50, 10)), (1, 2, (48, 72, 10)),
                            (0, 3, (15, 115, 6)), (1, 3, (15, 115, 6))]:
    s.paint(t, disc(s.frame_shape, y, x, r), label, track=False)
a.controller.refresh()
"""
# Whether the timeline shows the mark's yellow in the middle of row `row` (of `rows`) at frame `t`.
MARKED_JS = """([row, t]) => {
  const c = document.querySelector('.sam2j-timeline');
  const rows = c.dataset.timelineLabels.split(',').length;
  const n = Number(c.dataset.timelineFrames);
  const x = Math.floor((t + 0.5) * c.width / n), y = Math.floor((row + 0.5) * c.height / rows);
  const d = c.getContext('2d').getImageData(x - 1, y - 1, 3, 3).data;
  for (let o = 0; o < d.length; o += 4) {
    if (d[o] > 230 && d[o + 1] > 190 && d[o + 2] < 60) return true;
  }
  return false;
}"""


@pytest.fixture(scope="module")
def lab(jupyterlab, chromium):
    video = moving_discs(6, seed=5)
    with notebook_page(
        jupyterlab,
        chromium,
        "divisions/divisions.ipynb",
        annotator_cells(),
        files={"video.npy": video},
    ) as (lab_, page):
        page.wait_for_selector(".sam2j-canvas[data-lossless='true']", timeout=30_000)
        yield lab_, page


def test_the_mark_the_badge_accept_and_the_filter(lab):
    lab_, page = lab
    lab_.kernel(PAINT)
    badge = page.locator(".sam2j-object[data-label='1'] .sam2j-object-division")
    wait_until(lambda: badge.text_content() == "÷ 1", 30)
    page.wait_for_selector(".sam2j-timeline[data-timeline-labels='1,2,3']", timeout=10_000)
    wait_until(lambda: page.evaluate(MARKED_JS, [0, 1]), 10)  # label 1's row, frame 1
    assert not page.evaluate(MARKED_JS, [2, 1])  # not on label 3's
    # The filter: an id search, then "flagged only" (label 1 has a proposal).
    search = page.locator(".sam2j-filter-ids")
    search.fill("2-3")
    page.wait_for_selector(".sam2j-objects[data-objects='2,3']", timeout=10_000)
    page.wait_for_selector(".sam2j-timeline[data-timeline-labels='2,3']", timeout=10_000)
    search.fill("")
    page.locator(".sam2j-filter-flagged").check()
    page.wait_for_selector(".sam2j-objects[data-objects='1']", timeout=10_000)
    wait_until(lambda: page.evaluate(MARKED_JS, [0, 1]), 10)  # still marked, alone
    page.screenshot(path="/tmp/divisions-filtered.png")
    page.locator(".sam2j-filter-flagged").uncheck()
    page.wait_for_selector(".sam2j-objects[data-objects='1,2,3']", timeout=10_000)
    # The badge shows the proposal's frame with the mother current; Accept there.
    assert page.locator(".sam2j-divisions").is_hidden()
    badge.click()
    lab_.wait_kernel("a.frame == 1 and a.canvas.label == 1", timeout=10)
    bar = page.locator(".sam2j-division")
    wait_until(lambda: "label 1 divides here (into 1 and 2)" in bar.text_content(), 10)
    page.screenshot(path="/tmp/divisions-bar.png")
    page.get_by_role("button", name="Accept").click()
    lab_.wait_kernel("a.session.parents == {2: 1}", timeout=30)
    wait_until(lambda: badge.text_content() == "", 30)
    page.wait_for_selector(".sam2j-divisions", state="hidden", timeout=10_000)
    assert not page.evaluate(MARKED_JS, [0, 1])
    # Ctrl+Z brings the proposal back; the key N dismisses it (A would accept it).
    page.locator(".sam2j-canvas").focus()
    page.keyboard.press("Control+z")
    lab_.wait_kernel("a.session.parents == {}", timeout=30)
    wait_until(lambda: badge.text_content() == "÷ 1", 30)
    page.keyboard.press("n")
    lab_.wait_kernel("len(a.session.proposed_divisions()) == 0", timeout=30)
    wait_until(lambda: badge.text_content() == "", 30)
    lab_.wait_kernel("a.session.parents == {}", timeout=5)
