"""The review features on the kernel side, without a browser: the timeline summary
(whole, then per-frame deltas that rebuild it exactly), the object list's delete,
the panel's start / stop / stop-when-lost, the busy flag during edits, and playback's
encoding ahead."""

from __future__ import annotations

import time

import numpy as np
import pytest
from waits import wait_until

from sam2_jupyter.engine.quality import QualityMatrix
from sam2_jupyter.widget.codec import decode_labels
from sam2_jupyter.widget.timeline import FLAGGED, MASK, PROMPTED, TRACKED, summary_bits


class Mirror:
    """What the browser's summary holds after applying the timeline messages."""

    def __init__(self) -> None:
        self.labels: list[int] = []
        self.rows = np.zeros((0, 0), np.uint8)
        self.fulls = 0
        self.deltas = 0

    def apply(self, content, buffers) -> None:
        if content["full"]:
            self.labels = content["labels"]
            shape = (len(self.labels), content["n_frames"])
            self.rows = (
                decode_labels(buffers[0], shape).astype(np.uint8)
                if self.labels
                else np.zeros(shape, np.uint8)
            )
            self.fulls += 1
            return
        assert content["labels"] == self.labels
        cols = np.frombuffer(buffers[0], np.uint8).reshape(len(content["frames"]), len(self.labels))
        self.rows[:, content["frames"]] = cols.T
        self.deltas += 1


def mirror_of(browser) -> Mirror:
    m = Mirror()
    for content, buffers in browser.of("timeline"):
        m.apply(content, buffers)
    return m


def expected(a) -> np.ndarray:
    s = a.session
    return summary_bits(QualityMatrix.of(s.record, s.label_ids, s.n_frames))


def test_timeline_is_sent_whole_then_frame_by_frame(annotator):
    a = annotator
    a.browser.click(0, 32, 36, label=1)
    a.wait(30)
    first = mirror_of(a.browser)
    assert first.labels == [1]
    assert first.rows[0, 0] & (PROMPTED | TRACKED) == PROMPTED | TRACKED
    assert not first.rows[0, 1:].any()
    stop = a.browser.auto_ack()
    a.controls.propagate.propagate.click()
    a.wait(60)
    stop.set()
    m = mirror_of(a.browser)
    assert m.deltas >= a.session.n_frames - 1  # a delta per propagated frame
    assert np.array_equal(m.rows, expected(a))
    assert (m.rows[0] & TRACKED).all()
    masks = np.array([(a.session.label_frame(t) == 1).any() for t in range(a.session.n_frames)])
    assert np.array_equal((m.rows[0] & MASK) > 0, masks)


def test_a_new_view_gets_the_whole_summary(annotator):
    a = annotator
    a.browser.click(0, 32, 36, label=1)
    a.browser.click(3, 60, 90, label=2)
    a.wait(30)
    a.browser.other.clear()
    a.browser.ready()
    ((content, buffers),) = a.browser.of("timeline")
    assert content["full"]
    assert content["labels"] == [1, 2]
    m = Mirror()
    m.apply(content, buffers)
    assert np.array_equal(m.rows, expected(a))


def test_flags_reach_the_timeline(annotator, monkeypatch):
    import sam2_jupyter._sam2.state as tracker

    monkeypatch.setattr(tracker, "object_score", lambda state, idx, t: 4.0 if t < 5 else -4.0)
    a = annotator
    a.browser.click(0, 32, 36, label=1)
    a.wait(30)
    stop = a.browser.auto_ack()
    a.controls.propagate.propagate.click()
    a.wait(60)
    stop.set()
    m = mirror_of(a.browser)
    flagged = [t for t in range(a.session.n_frames) if m.rows[0, t] & FLAGGED]
    assert flagged[:5] == [5, 6, 7, 8, 9]
    lost = a.session.quality()
    assert set(lost.loc[lost.frame >= 5, "frame"]) == set(flagged)


def test_delete_from_the_object_list_is_undoable(annotator):
    a = annotator
    a.browser.click(0, 32, 36, label=1)
    a.browser.click(0, 60, 90, label=2)
    a.wait(30)
    before = a.session.label_frame(0)
    a.browser.send(type="delete_label", label=2)
    a.wait(30)
    assert a.session.label_ids == [1]
    assert mirror_of(a.browser).labels == [1]
    a.browser.send(type="undo")
    a.wait(30)
    assert a.session.label_ids == [1, 2]
    assert np.array_equal(a.session.label_frame(0), before)
    assert mirror_of(a.browser).labels == [1, 2]


def record_plans(a) -> list:
    seen = []
    original = a.session.propagate

    def recording(*args, **kwargs):
        run = original(*args, **kwargs)
        seen.append((run.plan.frames(), kwargs.get("stop_when_lost")))
        return run

    a.session.propagate = recording
    return seen


@pytest.mark.parametrize(
    ("direction", "start", "stop", "frames"),
    [
        ("forward", 2, 5, [2, 3, 4, 5]),
        ("reverse", 7, 4, [7, 6, 5, 4]),
        ("both", 8, 3, [8, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0]),
    ],
)
def test_panel_start_and_stop_frames(annotator, direction, start, stop, frames):
    a = annotator
    a.browser.click(0, 32, 36, label=1)
    a.wait(30)
    c = a.controls.propagate
    c.propagate_from.value = "frame"
    c.start_frame.value = start
    c.propagate_to.value = "frame"
    c.stop_frame.value = stop
    c.direction.value = direction
    assert c.start_frame.layout.display == "flex"
    assert c.propagate_to.disabled == (direction == "both")
    seen = record_plans(a)
    ack = a.browser.auto_ack()
    c.propagate.click()
    a.wait(60)
    ack.set()
    assert seen == [(frames, None)]


def test_panel_stop_when_lost(annotator, monkeypatch):
    import sam2_jupyter._sam2.state as tracker

    monkeypatch.setattr(tracker, "object_score", lambda state, idx, t: 4.0 if t < 3 else -4.0)
    a = annotator
    a.browser.click(0, 32, 36, label=1)
    a.wait(30)
    a.controls.propagate.stop_lost.value = True
    a.controls.propagate.lost_frames.value = 2
    seen = record_plans(a)
    ack = a.browser.auto_ack()
    a.controls.propagate.propagate.click()
    a.wait(60)
    ack.set()
    assert seen[0][1] == 2
    assert sorted(set(a.session.quality().frame)) == [0, 1, 2, 3, 4]
    assert "every label was lost (frame 4)" in a.canvas.status


def test_the_canvas_is_busy_while_an_edit_runs(annotator):
    a = annotator
    seen = []
    original = a.session.add_point

    def slow(*args, **kwargs):
        seen.append(a.canvas.busy)
        return original(*args, **kwargs)

    a.session.add_point = slow
    a.browser.click(0, 32, 36, label=1)
    a.wait(30)
    assert seen == [True]
    assert not a.canvas.busy


@pytest.mark.alone
def test_playing_encodes_ahead_and_holds_the_lossless_upgrade(annotator):
    a = annotator
    a.browser.ack_all()
    a.canvas.playing = True
    a.browser.messages.clear()
    a.canvas.frame = 1
    stream = a.controller.stream
    keys = lambda: {k[-2] for k in stream._encoded._cache}  # noqa: E731 (the frames)
    wait_until(lambda: {2, 3, 4, 5, 6, 7} <= keys(), 10)
    time.sleep(0.6)  # longer than the upgrade's delay: none may come while playing
    a.browser.ack_all()
    assert not any(c.get("lossless") for c, _ in a.browser.of("frame"))
    a.canvas.playing = False

    def upgraded() -> bool:
        a.browser.ack_all()
        return any(c.get("lossless") for c, _ in a.browser.of("frame"))

    wait_until(upgraded, 10, 0.05)
    assert [c["frame"] for c, _ in a.browser.of("frame") if c.get("lossless")] == [1]
