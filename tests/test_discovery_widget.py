"""The *Find objects* group without a browser: the search's candidates reach the
browser, a click drops one, Shift+click selects, the rest become objects in one undo
step; Clear, a frame change and an edit on their frame; Cancel of a long search; and
the propagation panel's "find new every N frames" reaching ``session.propagate``.

The engine's searches are replaced on the session by fakes that return injected label
images: untrained weights give noise, and the widget is what is tested here."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from sam2_jupyter.errors import PromptError
from sam2_jupyter.widget.codec import decode_labels

SHAPE = (96, 128)
DISCS = ((20, 20, 8), (20, 100, 8), (70, 60, 10))  # (y, x, radius) of candidates 1, 2, 3


def discs(ids=(1, 2, 3)) -> np.ndarray:
    yy, xx = np.mgrid[0 : SHAPE[0], 0 : SHAPE[1]]
    out = np.zeros(SHAPE, np.int32)
    for i, (y, x, r) in zip(ids, DISCS, strict=True):
        out[(yy - y) ** 2 + (xx - x) ** 2 <= r * r] = i
    return out


@pytest.fixture
def found(annotator, monkeypatch):
    """The annotator, its session's searches faked; ``found.calls`` records them."""
    a = annotator
    a.calls = []

    def search(verb, ids):
        def fake(frame, *, method="sam2", **options):
            a.calls.append((verb, frame, method, options))
            return discs(ids)

        return fake

    s = a.session
    monkeypatch.setattr(s, "segment_everything", search("everything", (1, 2, 3)), raising=False)
    monkeypatch.setattr(s, "find_new_objects", search("new", (7, 8, 9)), raising=False)
    return a


def last_candidates(a):
    return a.browser.of("candidates")[-1]


def test_candidates_are_drawn_one_dropped_by_a_click_the_rest_added_in_one_undo_step(found):
    a, panel = found, found.controls.find
    panel.segment.click()
    a.wait(30)
    assert a.calls == [
        (
            "everything",
            0,
            "sam2",
            {
                "points_per_side": 32,
                "pred_iou_thresh": 0.8,
                "stability_score_thresh": 0.95,
                "min_area": 16,
            },
        )
    ]
    content, buffers = last_candidates(a)
    assert content["frame"] == 0
    assert content["ids"] == [1, 2, 3]
    assert content["has_image"]
    assert np.array_equal(decode_labels(buffers[0], SHAPE), discs())
    assert panel.found.value == "3 candidates"
    # A click on candidate 2 drops it: only the ids shown change, not the image.
    a.browser.send(type="candidate", frame=0, id=2, select=False)
    content, buffers = last_candidates(a)
    assert content["ids"] == [1, 3]
    assert not content["has_image"]
    assert buffers == []
    # A view that renders again gets the image again.
    a.browser.ready()
    content, buffers = last_candidates(a)
    assert content["ids"] == [1, 3]
    assert content["has_image"]
    assert buffers
    panel.add_all.click()
    a.wait(60)
    assert a.session.label_ids == [1, 3]
    assert set(np.unique(a.session.label_frame(0))) <= {0, 1, 3}
    assert last_candidates(a)[0]["ids"] == []
    assert a.controller.discovery.candidates is None
    # One undo takes every added object back.
    a.browser.send(type="undo")
    a.wait(30)
    assert a.session.label_ids == []
    assert not a.session.label_frame(0).any()


def test_selected_candidates_are_added_numbered_after_the_labels_in_use(found):
    a, panel = found, found.controls.find
    a.browser.click(0, 50, 10, label=1)  # label 1 exists: candidates 1..3 are renumbered
    a.wait(30)
    panel.segment.click()
    a.wait(30)
    a.browser.send(type="candidate", frame=0, id=1, select=True)
    a.browser.send(type="candidate", frame=0, id=3, select=True)
    a.browser.send(type="candidate", frame=0, id=3, select=True)  # again: unselected
    assert last_candidates(a)[0]["selected"] == [1]
    assert panel.found.value == "3 candidates, 1 selected"
    panel.add_selected.click()
    a.wait(60)
    assert a.session.label_ids == [1, 2]
    assert last_candidates(a)[0]["ids"] == [2, 3]  # the others stay candidates
    # Find new: its ids are unused, so they are kept.
    a.controller.discovery.clear()
    a.controls.find.method.value = "threshold"
    panel.find_new.click()
    a.wait(30)
    assert a.calls[-1] == (
        "new",
        0,
        "threshold",
        {"threshold": "otsu", "sigma": 1.0, "min_area": 16},
    )
    panel.add_all.click()
    a.wait(60)
    assert a.session.label_ids == [1, 2, 7, 8, 9]


def test_clear_a_frame_change_and_an_edit_drop_candidates(found):
    a, panel, discovery = found, found.controls.find, found.controller.discovery
    panel.segment.click()
    a.wait(30)
    panel.clear.click()
    assert last_candidates(a)[0]["ids"] == []
    assert discovery.candidates is None
    panel.segment.click()
    a.wait(30)
    a.canvas.frame = 1
    a.wait(30)
    assert last_candidates(a)[0]["ids"] == []
    assert discovery.candidates is None
    # A manual stroke over candidate 3 on its frame drops it; the others stay.
    a.canvas.frame = 0
    panel.segment.click()
    a.wait(30)
    y, x, _ = DISCS[2]
    a.browser.send(
        buffers=[np.array([(x, y)], "<f4").tobytes()],
        **{"type": "stroke", "frame": 0, "label": 5, "radius": 12.0},
        **{"erase": False, "track": False},
    )
    a.wait(30)
    assert last_candidates(a)[0]["ids"] == [1, 2]
    assert set(np.unique(discovery.candidates)) == {0, 1, 2}


def test_cancel_stops_a_long_search_and_changes_nothing(found, monkeypatch):
    a, panel = found, found.controls.find
    s = a.session
    started, stopped = threading.Event(), threading.Event()

    def slow(frame, **_options):
        started.set()
        assert stopped.wait(30), "the search was never cancelled"
        return discs()

    monkeypatch.setattr(s, "segment_everything", slow, raising=False)
    cancel = s.cancel
    monkeypatch.setattr(s, "cancel", lambda: (stopped.set(), cancel()))
    panel.segment.click()
    assert started.wait(30)
    assert a.controls.find.progress_row.layout.display == "flex"
    panel.segment.click()  # refused while one runs
    a.controller.view.flush()
    assert "already running" in a.controller.view.status_text
    panel.cancel.click()
    a.wait(30)
    assert a.controller.view.status_text == "Search cancelled: nothing changed."
    assert a.controller.discovery.candidates is None
    assert not a.browser.of("candidates") or last_candidates(a)[0]["ids"] == []
    assert a.controls.find.progress_row.layout.display == "none"
    monkeypatch.setattr(s, "segment_everything", lambda frame, **_: discs(), raising=False)
    panel.segment.click()  # the next search runs
    a.wait(30)
    assert last_candidates(a)[0]["ids"] == [1, 2, 3]


def test_find_new_every_n_frames_reaches_propagate(annotator, monkeypatch):
    a, p = annotator, annotator.controls.propagate
    a.browser.click(0, 32, 36, label=1)
    a.wait(30)
    seen = []

    def spy(**options):
        seen.append(options)
        raise PromptError("recorded")  # the run itself is not what is tested here

    monkeypatch.setattr(a.session, "propagate", spy)
    for every in (0, 5):
        p.discover_every.value = every
        p.discover_method.value = "sam2"
        p.propagate.click()
        a.wait(30)
    discover = [{k: v for k, v in o.items() if k.startswith("discover")} for o in seen]
    a.controls.find.points_per_side.value = 9  # the Find objects group's parameters go too
    p.propagate.click()
    a.wait(30)
    last = {k: v for k, v in seen[-1].items() if k.startswith("discover")}
    assert discover == [{}, {**last, "discover": {**last["discover"], "points_per_side": 32}}]
    assert last["discover_every"] == 5
    assert last["discover_method"] == "sam2"
    assert last["discover"]["points_per_side"] == 9
    assert last["discover"]["min_area"] == a.controls.find.min_area.value


def test_the_objects_a_propagation_found_are_said(annotator, monkeypatch):
    a, p = annotator, annotator.controls.propagate
    a.browser.click(0, 32, 36, label=1)
    a.wait(30)
    real = a.session.propagate

    def found(**options):
        assert options.pop("discover_every") == 2
        run = real(**options)
        run.added = {2: [7, 8]}  # as a discovery on frame 2 reports them
        return run

    monkeypatch.setattr(a.session, "propagate", found)
    p.discover_every.value = 2
    p.propagate_to.value, p.stop_frame.value = "frame", 2
    stop = a.browser.auto_ack()
    p.propagate.click()
    a.wait(60)
    stop.set()
    assert a.controller.view.status_text == (
        "Propagation done: 3 frames; 2 new objects found (frame 2)."
    )


def test_the_annotators_own_methods_do_what_the_group_does(found):
    """From a notebook cell: annotator.segment_everything / find_new_objects /
    add_candidates, the group's buttons by name."""
    a = found
    a.segment_everything(method="threshold", sigma=2.0).result(30)
    assert a.calls[-1] == ("everything", 0, "threshold", {"sigma": 2.0})
    assert last_candidates(a)[0]["ids"] == [1, 2, 3]
    a.find_new_objects(0).result(30)
    assert a.calls[-1][:3] == ("new", 0, "sam2")
    assert last_candidates(a)[0]["ids"] == [7, 8, 9]
    a.add_candidates().result(60)
    assert a.session.label_ids == [7, 8, 9]
