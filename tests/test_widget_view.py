"""The view: one writer on the kernel's loop, results sent as the engine returned
them, typed messages, and a precompute that never opens the session."""

from __future__ import annotations

import asyncio
import threading
from dataclasses import fields

import ipywidgets as w
import numpy as np
import pytest
from harness import encoder_done, open_annotator
from waits import wait_until

from sam2_jupyter import Annotator
from sam2_jupyter.widget.canvas import AnnotatorCanvas
from sam2_jupyter.widget.codec import decode_labels
from sam2_jupyter.widget.outbound import STREAMED
from sam2_jupyter.widget.sessions import SessionOptions
from sam2_jupyter.widget.view import View


def _reads(session, monkeypatch) -> list[int]:
    """Frames whose labels are read back from the session from now on."""
    reads: list[int] = []
    original = session.label_frame

    def counted(t):
        reads.append(t)
        return original(t)

    monkeypatch.setattr(session, "label_frame", counted)
    return reads


def test_an_edit_answers_with_its_own_labels_and_markers_in_one_message(annotator, monkeypatch):
    a = annotator
    a.browser.click(0, 32, 36)  # the session opens, frame 0 is encoded
    a.wait(30)
    a.browser.ack_all()
    reads = _reads(a.session, monkeypatch)
    a.browser.messages.clear()
    a.browser.click(0, 60, 90, label=2)
    a.wait(30)
    assert 0 not in reads  # what add_point returned went out, nothing read back
    # One message (beside the neighbours' copies laid up again: ahead messages).
    answer = [(m, b) for m, b in a.browser.messages if m["type"] != "ahead"]
    assert [m["type"] for m, _ in answer] == ["labels"]
    [(content, buffers)] = answer
    shape = (content["height"], content["width"])
    assert np.array_equal(decode_labels(buffers[0], shape), a.session.label_frame(0))
    assert [(m["label"], m["y"], m["x"]) for m in content["markers"]] == [(1, 32, 36), (2, 60, 90)]
    assert a.canvas.prompts == content["markers"]


def test_what_the_kernel_streams_has_exactly_the_declared_fields(annotator):
    a = annotator
    a.browser.click(1, 32, 36)
    a.canvas.frame = 1
    a.wait(30)
    a.browser.ack_all()
    a.wait(30)
    kinds = set()
    for content, _ in a.browser.messages:
        cls = STREAMED[content["type"]]
        kinds.add(content["type"])
        assert set(content) == {"type", "seq", *(f.name for f in fields(cls))}
    assert kinds == {"frame", "labels", "ahead"}


def test_propagation_shows_the_engine_labels_without_reading_them_back(annotator, monkeypatch):
    a = annotator
    a.browser.click(0, 32, 36)
    a.wait(30)
    stop = a.browser.auto_ack()
    try:
        # The click's lossless upgrade and the copies laid up after it are done.
        wait_until(lambda: any(c["lossless"] for c, _ in a.browser.of("frame")), 10)
        encoder_done(a)
        reads = _reads(a.session, monkeypatch)
        a.controls.propagate.follow.value = True
        moved = []
        a.canvas.observe(lambda ch: moved.append(ch["new"]), names="frame")
        a.controller.propagator.propagate("forward", 0).result(120)
        a.wait(30)
    finally:
        stop.set()
    n = a.session.n_frames
    assert moved == list(range(1, n))  # the view moved with the run
    # Only the refresh at the end, of the frame in view, then of the copies laid up
    # after it (none during the run: the copies go while frames fly by).
    assert reads[0] == n - 1
    assert set(reads[1:]) <= {n - 2, n - 3}
    shown = {c["frame"] for c, _ in a.browser.of("frame") if c["has_labels"]}
    assert shown >= set(range(1, n))


def test_the_precompute_never_opens_the_session(model, video, monkeypatch):
    from sam2_jupyter.widget.sessions import SessionPool

    opened: list[str] = []
    original = SessionPool._get

    def recorded(self, index):
        if index not in self.sessions:
            opened.append(threading.current_thread().name)
        return original(self, index)

    monkeypatch.setattr(SessionPool, "_get", recorded)
    a = open_annotator(video, model)
    try:
        wait_until(lambda: "ready" in a.controls.propagate.embeddings.value, 60)
        assert opened
        assert "background" not in " ".join(opened)
    finally:
        a.close()


def test_writes_from_other_threads_land_on_the_loop():
    canvas = AnnotatorCanvas(n_frames=5)
    line, bar, text = w.HTML(), w.IntProgress(), w.Label()
    seen: list[tuple[str, bool]] = []

    async def main() -> None:
        view = View(canvas, line, bar, text)
        loop_thread = threading.get_ident()
        canvas.observe(lambda ch: seen.append((ch["name"], threading.get_ident() == loop_thread)))

        def worker() -> None:
            view.status("hello", "ok")
            view.set(canvas, "busy", True)
            view.set(canvas, "busy", False)  # replaces the queued True
            view.progress(3, 4, "3/4")

        thread = threading.Thread(target=worker)
        thread.start()
        thread.join()
        assert view.status_text == "hello"  # queued, already what it says
        assert canvas.status == ""
        await asyncio.sleep(0.05)

    asyncio.run(main())
    assert seen == [("status", True)]  # busy went True → False before the loop wrote it
    assert canvas.status == "hello"
    assert "hello" in line.value
    assert (bar.value, bar.max, text.value) == (3, 4, "3/4")


@pytest.mark.parametrize(
    ("options", "error"),
    [
        ({"feature_cache": "lots"}, "feature_cache must be bytes"),
        ({"feature_cache": True}, "feature_cache must be bytes"),
        ({"memory_mode": "tiny"}, "memory"),
        ({"auto_segment": 1}, "auto_segment must be True or False"),
        ({"autosave": 3}, "autosave must be a folder"),
    ],
)
def test_session_options_are_checked_when_made(options, error):
    with pytest.raises((TypeError, ValueError), match=error):
        SessionOptions(**options)


def test_a_bad_feature_cache_fails_the_annotator_not_the_first_click(video):
    with pytest.raises(ValueError, match="feature_cache"):
        Annotator(video, feature_cache="lots")
    assert SessionOptions(feature_cache=-1).feature_cache == -1  # the old "auto" still passes


def test_the_browsers_moves_are_not_echoed(monkeypatch):
    """An echo of a save could set a view back a frame it has moved past (not saved
    yet); other traits are echoed as ipywidgets does."""
    canvas = AnnotatorCanvas(n_frames=5)
    sent: list[dict] = []
    monkeypatch.setattr(canvas, "_send", lambda msg, buffers=None: sent.append(msg))
    canvas.set_state({"frame": 3, "label": 2})
    assert canvas.frame == 3
    echoes = [m["state"] for m in sent if m["method"] == "echo_update"]
    assert echoes == [{"label": 2}]
