"""Proposed divisions in the widget without a browser: the proposals reach the browser
after an edit (not per propagated frame), an accept makes lineage in one undo step,
a dismissal drops the mark, undo brings it back, and a bad message is refused.

Masks are painted by hand (``track=False``): untrained weights give noise."""

from __future__ import annotations

import numpy as np
from fake_tracker import disc

from sam2_jupyter.widget.messages import MessageError, parse_message


def paint(a, frames: dict[int, dict[int, list[tuple[int, int, int]]]]) -> None:
    """frame -> label -> discs (y, x, r), painted through the session as edits are."""
    s = a.session
    for t, labels in frames.items():
        for label, discs in labels.items():
            mask = np.zeros(s.frame_shape, bool)
            for y, x, r in discs:
                mask |= disc(s.frame_shape, y, x, r)
            s.paint(t, mask, label, track=False)
    a.controller.refresh()  # what an edit from the browser ends with
    settle(a)


def settle(a) -> None:
    """The edit's job, then the scan it queued (after the first wait's marker)."""
    a.wait(30)
    a.wait(30)


def divisions(a) -> list[dict]:
    return [c for c, _ in a.browser.of("divisions")]


def test_a_proposal_is_sent_accepted_in_one_undo_step_and_its_mark_goes(annotator):
    a = annotator
    big = {1: [(40, 60, 12)]}
    paint(a, {0: big, 1: {1: [(40, 52, 8)], 2: [(40, 69, 8)]}})
    last = divisions(a)[-1]
    assert last == {"type": "divisions", "frames": [1], "mothers": [1], "daughters": [2]}
    sent = len(divisions(a))
    a.controller.refresh()  # nothing changed: nothing sent again
    settle(a)
    assert len(divisions(a)) == sent
    a.browser.send(type="accept_division", frame=1, mother=1)
    settle(a)
    assert a.session.parents == {2: 1}
    assert a.controller.canvas.parents == {"2": 1}
    assert divisions(a)[-1]["mothers"] == []  # a daughter with a mother is not proposed
    assert "Division accepted on frame 1" in a.controller.view.status_text
    a.browser.send(type="undo")
    settle(a)
    assert a.session.parents == {}
    assert divisions(a)[-1]["mothers"] == [1]
    a.browser.ready()  # a re-rendered view gets the proposals again
    assert divisions(a)[-1]["mothers"] == [1]


def test_a_dismissal_drops_the_mark_and_undo_brings_it_back(annotator):
    a = annotator
    paint(a, {0: {1: [(30, 40, 9)]}, 1: {1: [(30, 28, 7), (30, 52, 7)]}})
    assert divisions(a)[-1]["daughters"] == [0]  # two parts of one id: no daughter yet
    a.browser.send(type="dismiss_division", frame=1, mother=1)
    settle(a)
    assert divisions(a)[-1]["frames"] == []
    assert "Not a division" in a.controller.view.status_text
    a.browser.send(type="undo")
    settle(a)
    assert divisions(a)[-1]["frames"] == [1]
    a.browser.send(type="accept_division", frame=0, mother=1)  # nothing proposed there
    settle(a)
    assert "no division of label 1 is proposed on frame 0" in a.controller.view.status_text


def test_queued_requests_scan_once(annotator, monkeypatch):
    a = annotator
    calls = []
    s = a.session
    real = s.proposed_divisions
    monkeypatch.setattr(s, "proposed_divisions", lambda: calls.append(1) or real())
    gate = a.controller.submit(lambda: __import__("time").sleep(0.3))
    for _ in range(5):
        a.controller.divisions.changed()
    gate.result(5)
    settle(a)
    assert calls == [1]


def test_division_messages_are_typed():
    msg = parse_message({"type": "accept_division", "frame": 3, "mother": 2})
    assert (msg.frame, msg.mother) == (3, 2)
    for bad in (
        {"type": "dismiss_division", "frame": 1},
        {"type": "accept_division", "frame": 1.5, "mother": 2},
    ):
        try:
            parse_message(bad)
        except MessageError:
            continue
        raise AssertionError(f"accepted {bad}")


def test_a_propagation_scans_once_at_its_end_not_per_frame(annotator, monkeypatch):
    a = annotator
    s = a.session
    s.add_mask(0, disc(s.frame_shape, 40, 60, 12), 1)
    calls = []
    real = s.proposed_divisions
    monkeypatch.setattr(s, "proposed_divisions", lambda: calls.append(1) or real())
    a.controller.propagator.propagate("forward", 0, stop=3)  # four frames
    settle(a)
    assert "Propagation done" in a.controller.view.status_text
    assert s.n_frames > 2
    assert calls == [1]
