"""Frames sent ahead, on the kernel side without a browser: the neighbours of the
frame in view are laid up with their labels and markers; a move the browser drew from
a copy gets only what changed since (nothing, or its labels); a copy the record does
not know, or a move the kernel made itself, gets the whole frame; edits, new channels
and the browser's capacity make the kernel tell it to forget copies."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest
from harness import encoder_done
from waits import wait_until

from sam2_jupyter.widget.ahead import KEEP
from sam2_jupyter.widget.codec import decode_labels
from sam2_jupyter.widget.flow import AHEAD_IN_FLIGHT


def laid_up(a) -> dict[int, tuple[dict, list[bytes]]]:
    """The newest copy the browser got of each frame, minus the frames it was told to
    forget since (what the browser holds, as ahead.js keeps it)."""
    held: dict[int, tuple[dict, list[bytes]]] = {}
    with a.browser._lock:
        log = list(a.browser.log)
    for content, buffers in log:
        if content["type"] == "ahead":
            held[content["frame"]] = (content, buffers)
        elif content["type"] == "forget":
            for f in content["frames"] if content["frames"] is not None else list(held):
                held.pop(f, None)
    return held


@pytest.fixture
def a(annotator):
    """The annotator, its fake browser acknowledging every message as it comes."""
    acking = annotator.browser.auto_ack()
    yield annotator
    acking.set()


def settled(a) -> None:
    """Every job done and every message sent and acknowledged (auto_ack is on)."""
    a.wait(30)
    stream = a.controller.stream
    wait_until(lambda: stream.out.idle(), 10)


def frames_after(a, before: int) -> list[int]:
    settled(a)
    sent = a.browser.messages[before:]
    return [c["frame"] for c, _ in sent if c["type"] == "frame" and not c["lossless"]]


def tell(a, moves: list[tuple[int, int]], acks: list[int] = (), frame: int | None = None):
    """The browser saves its latest ``moves`` ((frame, seq) each) in the
    ``shown_ahead`` trait, numbered on from its last, with the move to ``frame`` if
    given, in one update (as ipywidgets sets a message's traits)."""
    told = getattr(a, "_told_moves", [])
    told.extend(moves)
    a._told_moves = told
    value = {"type": "shown_ahead", "view": 7, "first": 1, "acks": list(acks)}
    value |= {"frames": [f for f, _ in told], "seqs": [s for _, s in told]}
    with a.canvas.hold_trait_notifications():
        a.canvas.shown_ahead = value
        if frame is not None:
            a.canvas.frame = frame


def moves_to(a, frame: int, copy: dict | None, merged: bool = False) -> None:
    """The browser moves the view to ``frame``, drawn from ``copy`` if given, and
    saves the move with what it drew; ``merged``: the move itself never comes
    (throttled into a later one), only what it drew."""
    tell(a, [(frame, copy["seq"] if copy else -1)], frame=None if merged else frame)


def test_neighbours_go_ahead_and_a_move_drawn_from_one_gets_only_what_changed(a):
    a.browser.click(2, 32, 36)
    a.wait(30)
    a.canvas.frame = 1
    a.canvas.frame = 2  # stepping forwards: 3 and 4 ahead, 1 behind
    got = wait_until(lambda: {1, 3, 4} <= set(laid_up(a)) and laid_up(a), 10)
    content, buffers = got[3]
    assert content["mime"] == "image/jpeg"
    assert content["has_labels"]
    np.testing.assert_array_equal(
        decode_labels(buffers[1], a.session.frame_shape), a.session.label_frame(3)
    )
    assert all(m["frame"] == 3 for m in content["markers"])
    # The move to 3, drawn from its copy: nothing is sent for it.
    before = len(a.browser.messages)
    moves_to(a, 3, content)
    settled(a)
    assert not [c for c, _ in a.browser.messages[before:] if c["type"] in ("frame", "labels")]
    # An edit on 4 while 3 is in view: its copy is forgotten and sent again.
    a.session.add_point(4, 40, 50, 2)
    a.controller.refresh()
    new = wait_until(lambda: laid_up(a).get(4, ({"seq": 0}, []))[0]["seq"] > got[4][0]["seq"])
    assert new
    content, buffers = laid_up(a)[4]
    np.testing.assert_array_equal(
        decode_labels(buffers[1], a.session.frame_shape), a.session.label_frame(4)
    )
    assert [m["label"] for m in content["markers"]] == [2]
    # Labels changed after the copy left and before the move: a labels message.
    a.session.add_point(4, 20, 20, 3)
    before = len(a.browser.messages)
    moves_to(a, 4, content)
    settled(a)
    sent = [(c, b) for c, b in a.browser.messages[before:] if c["type"] in ("frame", "labels")]
    assert [c["type"] for c, _ in sent] == ["labels"]
    np.testing.assert_array_equal(
        decode_labels(sent[0][1][0], a.session.frame_shape), a.session.label_frame(4)
    )
    assert sorted(m["label"] for m in sent[0][0]["markers"]) == [2, 3]


def test_a_copy_not_on_record_or_a_move_of_the_kernels_own_gets_the_whole_frame(a):
    a.canvas.frame = 1
    copy = wait_until(lambda: laid_up(a).get(2), 10)[0]
    before = len(a.browser.messages)
    moves_to(a, 2, {**copy, "seq": copy["seq"] - 1})  # an older copy than the record's
    assert frames_after(a, before) == [2]
    # The kernel moves the view itself (a script, a propagation followed): the
    # browser may draw its copy on the way, and the kernel's frame comes all the same.
    wait_until(lambda: laid_up(a).get(3), 10)
    before = len(a.browser.messages)
    a.controller.view.show(3)
    assert frames_after(a, before) == [3]
    # Moves merged on the way (throttled): the browser drew 4 and 5 from copies,
    # only the move to 5 arrives; the claim for 4 is not left for a later move.
    copies = wait_until(lambda: {4, 5} <= set(laid_up(a)) and laid_up(a), 10)
    before = len(a.browser.messages)
    moves_to(a, 4, copies[4][0], merged=True)
    moves_to(a, 5, copies[5][0])
    assert frames_after(a, before) == []
    a.canvas.frame = 4  # a script's move, no copy drawn
    assert frames_after(a, before) == [4]
    # The browser moved back to the frame the kernel is at, merged into nothing
    # (the trait ends where it was): answered at once, here with the whole frame.
    a.canvas.frame = 6
    settled(a)
    before = len(a.browser.messages)
    moves_to(a, 7, None, merged=True)
    moves_to(a, 6, None, merged=True)
    assert frames_after(a, before) == [6]


def test_copies_are_forgotten_past_the_capacity_and_when_channels_change(a):
    for t in range(a.session.n_frames):
        a.canvas.frame = t
        wait_until(lambda t=t: t + 1 >= a.session.n_frames or t + 1 in laid_up(a), 10)
    held = laid_up(a)
    assert len(held) <= KEEP
    assert {c["frame"] for c, _ in held.values()} == {
        c.frame for c in a.controller.stream.ahead.held()
    }
    assert held, "nothing laid up"
    jpeg = a.controller.stream._encoded._cache.copy()
    assert jpeg
    a.controller.submit(lambda: a.controller.set_stack(a.controller.data)).result(30)
    a.wait(30)
    assert [c["frames"] for c, _ in a.browser.of("forget")][-1] is None
    again = a.controller.stream._encoded._cache.copy()
    assert all(again[k] is not jpeg[k] for k in set(jpeg) & set(again))  # none reused


def test_a_view_at_rest_has_the_next_previews_encoded_and_playing_on_encodes_none(a, monkeypatch):
    from sam2_jupyter.widget import stream as stream_module

    monkeypatch.setattr(stream_module, "PREPARE_AHEAD", 4)
    stream = a.controller.stream
    a.canvas.frame = 1
    key = lambda f: (*stream._source(), f, stream._preview_factor())  # noqa: E731
    wait_until(lambda: all(key(f) in stream._encoded for f in range(2, 6)), 10)
    encoder_done(a)
    assert key(6) not in stream._encoded  # PREPARE_AHEAD of them
    misses = stream._encoded.misses
    tell(a, [(1, -1)])  # the view's move to frame 1, heard (the kernel made it)
    a.canvas.playing = True
    wait_until(lambda: set(range(2, 6)) <= set(laid_up(a)), 10)
    a.canvas.playing = False
    encoder_done(a)
    assert stream._encoded.misses - misses == len([f for f in laid_up(a) if f > 5])


def test_an_encode_that_ends_after_the_display_changed_is_never_shown(a):
    stream = a.controller.stream
    old = (*stream._source(), 2, stream._preview_factor())
    stream.forget()  # the display changed (channels, contrast) while frame 2 encoded
    stream._encoded._put(old, (b"stale", "image/jpeg"))  # that encode ends now
    assert stream._preview(2)[0] != b"stale"


def test_playing_lays_up_the_next_frames(a):
    a.canvas.playing = True
    a.canvas.frame = 1
    wait_until(lambda: set(range(2, 10)) <= set(laid_up(a)), 10)
    a.canvas.playing = False


def test_one_message_tells_several_moves_and_acknowledges_the_copies(annotator):
    """Playing: no acknowledgement but the ones the moves' save carries. The copies
    in flight stop at AHEAD_IN_FLIGHT; the save of the moves to 2 and 3 (drawn from
    their copies) lets the next ones go, and the move itself gets nothing; moves told
    again (repeated in the next save) are not claimed twice."""
    a = annotator
    a.wait(30)  # the session is open: the copies carry its labels
    a.canvas.playing = True
    a.canvas.frame = 1
    first = wait_until(lambda: len(laid_up(a)) >= AHEAD_IN_FLIGHT and laid_up(a), 10)
    time.sleep(0.3)
    assert sorted(laid_up(a)) == sorted(first)  # the rest wait
    assert len(first) == AHEAD_IN_FLIGHT
    assert {2, 3} <= set(first)
    acks = [c["seq"] for c, _ in a.browser.messages]
    before = len(a.browser.messages)
    tell(a, [(2, first[2][0]["seq"]), (3, first[3][0]["seq"])], acks, frame=3)
    wait_until(lambda: max(laid_up(a)) >= max(first) + 3, 10)
    assert not [c for c, _ in a.browser.messages[before:] if c["type"] in ("frame", "labels")]
    assert not {2, 3} & {c.frame for c in a.controller.stream.ahead.held()}  # the view's now
    copy = laid_up(a)[4][0]
    before = len(a.browser.messages)
    tell(a, [(4, copy["seq"])], acks, frame=4)  # 2 and 3 repeated: nothing sent for them
    wait_until(lambda: max(laid_up(a)) >= max(first) + 4, 10)
    assert not [c for c, _ in a.browser.messages[before:] if c["type"] in ("frame", "labels")]
    a.canvas.playing = False


def test_a_bad_shown_ahead_value_is_a_sentence_and_the_move_still_shows(a):
    a.wait(30)
    before = len(a.browser.messages)
    with a.canvas.hold_trait_notifications():
        a.canvas.shown_ahead = {"type": "shown_ahead", "view": 1, "first": 1, "frames": "x"}
        a.canvas.frame = 2
    assert "must be a list" in a.canvas.status
    assert frames_after(a, before) == [2]  # as if no copy were drawn


def test_a_copy_made_while_a_propagation_begins_is_not_kept(a, monkeypatch):
    """The copies go when frames start flying by; one being made at that instant
    (its labels read before, recorded after) must not stay on record."""
    a.browser.click(0, 32, 36)
    settled(a)
    stream = a.controller.stream
    stream.forget()  # nothing laid up: the next lay-up reads every neighbour
    reading, gate = threading.Event(), threading.Event()
    original = a.session.label_frame

    def slow(t):
        reading.set()
        assert gate.wait(10)
        return original(t)

    monkeypatch.setattr(a.session, "label_frame", slow)
    stream.lay_up()
    assert reading.wait(10)
    stream.holding = True  # a propagation begins while the first copy is made
    try:
        before = len(a.browser.log)
        gate.set()
        encoder_done(a)
        assert stream.ahead.held() == []
        assert not [c for c, _ in a.browser.log[before:] if c["type"] == "ahead"]
    finally:
        stream.holding = False


def test_a_view_back_on_a_frame_without_its_copy_gets_the_whole_frame(a):
    """Within one save the view moved to 3 (drawn from its copy), was sent back, and
    moved to 3 again with no copy left: it shows nothing new until the kernel sends 3."""
    a.browser.click(2, 32, 36)
    a.wait(30)
    a.canvas.frame = 1
    a.canvas.frame = 2
    got = wait_until(lambda: {3, 4} <= set(laid_up(a)) and laid_up(a), 10)
    settled(a)
    before = len(a.browser.messages)
    tell(a, [(3, got[3][0]["seq"]), (4, -1), (3, -1)], frame=3)
    settled(a)
    sent = [c for c, _ in a.browser.messages[before:] if c["type"] in ("frame", "labels")]
    assert [(c["type"], c["frame"]) for c in sent] == [("frame", 3)]
