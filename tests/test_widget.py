"""The annotator without a browser: messages, worker, streaming and flow control."""

from __future__ import annotations

import contextlib
import gc
import logging
import sys
import threading
import time
from dataclasses import dataclass
from typing import ClassVar

import ipywidgets
import numpy as np
import pytest
from harness import FakeBrowser
from hypothesis import given, settings
from hypothesis import strategies as st
from waits import wait_until

from sam2_jupyter import Annotator, ModelError, StackError
from sam2_jupyter.widget.codec import decode_labels, encode_image, encode_labels, preview_scale
from sam2_jupyter.widget.flow import MAX_IN_FLIGHT
from sam2_jupyter.widget.messages import MessageError, Point, parse_message
from sam2_jupyter.widget.worker import Worker


# -- messages -------------------------------------------------------------------------
def test_parse_valid_messages():
    m = parse_message(
        {"type": "point", "frame": 2, "y": 3, "x": 4.5, "label": 7, "positive": False}
    )
    assert m == Point(2, 3.0, 4.5, 7, False)
    assert parse_message({"type": "point", "frame": 2.0, "y": 3, "x": 4, "label": 1}).positive


TOLD = {"type": "shown_ahead", "view": 1, "first": 1}  # a shown_ahead message but its moves


@pytest.mark.parametrize(
    ("content", "match"),
    [
        ({"type": "nope"}, "unknown message type"),
        ({"frame": 1}, "unknown message type"),
        ([1, 2], "must be an object"),
        ({"type": "point", "frame": 1, "y": 1, "x": 1}, "lacks field 'label'"),
        ({"type": "point", "frame": "1", "y": 1, "x": 1, "label": 1}, "must be an integer"),
        ({"type": "point", "frame": 1.5, "y": 1, "x": 1, "label": 1}, "must be an integer"),
        ({"type": "point", "frame": 1, "y": float("nan"), "x": 1, "label": 1}, "finite"),
        ({"type": "point", "frame": 1, "y": 1, "x": 1, "label": 1, "positive": 1}, "true or"),
        ({"type": "point", "frame": 1, "y": 1, "x": 1, "label": True}, "must be an integer"),
        ({"type": "undo", "extra": 1}, "unknown field"),
        ({"type": "ack", **{f"k{i}": i for i in range(40)}}, "at most"),
        ({"type": "ack", "seqs": 3}, "list of at most 64"),
        ({"type": "ack", "seqs": list(range(65))}, "list of at most 64"),
        ({"type": "ack", "seqs": [1, 2.5]}, "must be an integer"),
        ({**TOLD, "frames": [1], "seqs": [2], "acks": [True]}, "must be an integer"),
        ({**TOLD, "frames": [1, 2], "seqs": [2]}, "one seq for each frame"),
        ({"type": "shown_ahead", "frames": [], "seqs": []}, "lacks field 'view'"),
    ],
)
def test_bad_messages_are_refused(content, match):
    """Each is refused with a sentence naming what is wrong."""
    with pytest.raises(MessageError, match=match):
        parse_message(content)


@pytest.mark.slow  # 200 examples
@settings(max_examples=200, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(["type", "frame", "y", "x", "label", "positive", "seq", "zz"]),
        st.one_of(
            st.none(),
            st.booleans(),
            st.integers(),
            st.floats(),
            st.text(max_size=5),
            st.sampled_from(["point", "box", "ack"]),
        ),
        max_size=8,
    )
)
def test_any_dict_parses_or_raises_message_error(content):
    with contextlib.suppress(MessageError):
        parse_message(content)


# -- codecs ---------------------------------------------------------------------------
@settings(max_examples=50, deadline=None)
@given(st.integers(1, 40), st.integers(1, 40), st.integers(0, 3), st.integers(0, 2**16 - 1))
def test_label_rle_round_trip(h, w, objects, seed):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, objects + 1, (h, w)).astype(np.uint16)
    labels[rng.random((h, w)) < 0.5] = 65535 if seed % 2 else 0
    assert np.array_equal(decode_labels(encode_labels(labels), (h, w)), labels)


def test_rle_is_compact_for_masks():
    labels = np.zeros((1024, 1024), np.uint16)
    labels[200:400, 300:700] = 3
    assert len(encode_labels(labels)) < 3000  # vs 2 MB raw


def test_images_png_lossless_jpeg_small():
    import io

    from PIL import Image

    rng = np.random.default_rng(0)
    rgb = rng.integers(0, 255, (64, 80, 3), dtype=np.uint8)
    png, mime = encode_image(rgb, lossless=True)
    assert mime == "image/png"
    assert np.array_equal(np.asarray(Image.open(io.BytesIO(png))), rgb)
    _, mime = encode_image(rgb, lossless=False)
    assert mime == "image/jpeg"


def test_previews_are_about_the_screens_size_by_block_averages_where_one_fits():
    import io

    from PIL import Image

    assert preview_scale(0, 1024) == 1.0  # not laid out yet
    assert preview_scale(900, 1024) == 1.0  # the screen shows most pixels
    assert preview_scale(600, 1024) == 0.5  # 512 px: 0.85 of the screen's
    assert preview_scale(800, 2048) == pytest.approx(1 / 3)  # 683 px
    assert preview_scale(700, 1024) == 0.684  # 2 × 2 blocks would be 0.73 of it
    rng = np.random.default_rng(1)
    rgb = rng.integers(0, 255, (64, 96, 3), dtype=np.uint8)
    for scale, shape in ((0.5, (32, 48)), (1 / 3, (22, 32)), (0.684, (44, 66))):
        data, _ = encode_image(rgb, lossless=False, quality=100, scale=scale)
        assert np.asarray(Image.open(io.BytesIO(data))).shape[:2] == shape
    data, _ = encode_image(rgb, lossless=True, scale=0.5)  # PNG: the pixels themselves
    blocks = rgb.reshape(32, 2, 48, 2, 3).mean(axis=(1, 3))  # each pixel: its block's mean
    assert np.abs(np.asarray(Image.open(io.BytesIO(data))) - blocks).max() <= 0.5


def test_encoded_frames_keep_the_newest_within_their_bytes():
    from sam2_jupyter.widget.prefetch import EncodedFrames

    cache = EncodedFrames(budget=10)
    try:
        for key in "abc":
            cache.get(key, lambda: (b"xxxx", "image/jpeg"))
        assert [k in cache for k in "abc"] == [False, True, True]  # 8 of 10 bytes
        cache.get("b", lambda: (b"", ""))  # used: now the newest
        cache.get("d", lambda: (b"xxxx", "image/jpeg"))
        assert [k in cache for k in "bcd"] == [True, False, True]
        cache.get("e", lambda: (b"x" * 20, "image/jpeg"))  # over the budget alone: kept
        assert [k in cache for k in "bde"] == [False, False, True]
        assert (cache.hits, cache.misses) == (1, 5)
    finally:
        cache.close()


# -- worker ---------------------------------------------------------------------------
def test_worker_runs_jobs_in_order_and_survives_errors():
    errors = []
    worker = Worker(on_error=errors.append)
    out = []
    worker.submit(lambda: out.append(1))
    bad = worker.submit(lambda: 1 / 0)
    last = worker.submit(lambda: out.append(2) or "done")
    assert last.result(5) == "done"
    assert out == [1, 2]
    assert isinstance(bad.exception(), ZeroDivisionError)
    assert isinstance(errors[0], ZeroDivisionError)
    assert worker._thread.name != threading.current_thread().name
    worker.close()


def test_join_idle_waits_for_the_jobs_that_jobs_queue():
    # An edit queues its division scan while it runs; a script's wait() must see both.
    worker = Worker()
    out = []

    def edit():
        time.sleep(0.05)
        worker.submit(lambda: time.sleep(0.05) or out.append("scan"))
        out.append("edit")

    worker.submit(edit)
    worker.join_idle(5)
    assert out == ["edit", "scan"]
    worker.close()
    worker.join_idle()  # a closed worker does not hang


# -- controller -----------------------------------------------------------------------
def test_click_message_updates_session_labels_and_markers(annotator):
    a = annotator
    a.browser.send(type="point", frame=2, y=32.0, x=36.0, label=1, positive=True)
    a.canvas.frame = 2
    a.wait(30)
    session = a.session
    assert [(p.frame, p.y, p.x, p.label) for p in session.prompts] == [(2, 32.0, 36.0, 1)]
    a.browser.ack_all()
    with_labels = [
        (c, b)
        for c, b in a.browser.messages
        if c["frame"] == 2 and (c["type"] == "labels" or c.get("has_labels"))
    ]
    content, buffers = with_labels[-1]
    shape = (content["height"], content["width"])
    assert np.array_equal(decode_labels(buffers[-1], shape), session.label_frame(2))
    assert a.canvas.prompts[0]["kind"] == "point"
    assert a.canvas.prompts[0]["positive"] is True
    assert a.canvas.status == ""


def test_bad_input_becomes_a_status_sentence(annotator):
    a = annotator
    a.browser.send(type="point", frame=99, y=1.0, x=1.0, label=1)
    a.wait(10)
    assert "frame 99 out of range" in a.canvas.status
    a.browser.send(type="launch_missiles")
    assert "unknown message type" in a.canvas.status
    a.controller.receive({"type": "ack", "seqs": [1]}, [b"x" * (2 << 20)])
    assert "too large" in a.canvas.status
    a.browser.send(type="point", frame=1, y=1e9, x=1.0, label=1)
    a.wait(10)
    assert "outside the frame" in a.canvas.status
    assert not a.session.prompts


def test_flow_control_keeps_at_most_two_in_flight_and_latest_wins(annotator):
    a = annotator
    a.browser.ack_all()
    a.browser.messages.clear()
    for t in range(6):
        a.canvas.frame = t
    # The frames sent ahead have a budget of their own (test_ahead_widget.py).
    view = lambda: [c for c, _ in a.browser.messages if c["type"] != "ahead"]  # noqa: E731
    assert len(view()) == MAX_IN_FLIGHT
    first = [c["frame"] for c in view()]
    a.browser.ack_all()
    frames = [c["frame"] for c in view()]
    assert frames[:MAX_IN_FLIGHT] == first
    assert frames[-1] == 5  # the newest frame is delivered; stale ones were dropped
    assert len(frames) < 6


@pytest.mark.alone
def test_frames_upgrade_to_lossless_when_idle(annotator):
    a = annotator
    a.browser.ack_all()
    a.canvas.frame = 3

    def upgraded() -> bool:
        a.browser.ack_all()
        return any(c.get("lossless") for c, _ in a.browser.of("frame"))

    wait_until(upgraded, 5, 0.05)
    lossless = [c for c, _ in a.browser.of("frame") if c.get("lossless")]
    assert lossless[-1]["frame"] == 3
    assert lossless[-1]["mime"] == "image/png"


def test_propagation_streams_and_clicks_queue_behind_it(annotator):
    a = annotator
    a.browser.send(type="point", frame=0, y=32.0, x=36.0, label=1)
    a.wait(30)
    a.controls.propagate.follow.value = True
    auto_ack = threading.Event()

    def acker():
        while not auto_ack.is_set():
            a.browser.ack_all()
            time.sleep(0.01)

    threading.Thread(target=acker, daemon=True).start()
    statuses = []
    a.canvas.observe(lambda ch: statuses.append(ch["new"]), names="status")
    future = a.controller.propagator.propagate()
    a.browser.send(type="point", frame=5, y=60.0, x=90.0, label=2)  # during propagation
    future.result(60)
    a.wait(30)
    auto_ack.set()
    frames_seen = {c["frame"] for c, _ in a.browser.messages if c["type"] in ("frame", "labels")}
    assert frames_seen >= {0, a.session.n_frames - 1}
    assert a.controls.propagate.progress.value == a.session.n_frames
    assert f"Propagation done: {a.session.n_frames} frames." in statuses
    assert [p.label for p in a.session.prompts] == [1, 2]  # the click was not lost
    assert not a.canvas.busy


@pytest.mark.parametrize(
    ("start", "direction", "frames"),
    [
        ("first", "forward", [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]),
        ("current", "forward", [4, 5, 6, 7, 8, 9]),
        ("current", "reverse", [4, 3, 2, 1, 0]),
        ("current", "both", [4, 5, 6, 7, 8, 9, 4, 3, 2, 1, 0]),
    ],
)
@pytest.mark.slow
def test_panel_propagates_from_here_in_any_direction(annotator, start, direction, frames):
    a = annotator
    a.browser.send(type="point", frame=0, y=32.0, x=36.0, label=1)
    a.wait(30)
    a.controls.propagate.follow.value = False
    a.canvas.frame = 4
    a.controls.propagate.propagate_from.value = start
    a.controls.propagate.direction.value = direction
    seen = []
    original = a.session.propagate

    def recording(*args, **kwargs):
        run = original(*args, **kwargs)
        seen.append(run.plan.frames())
        return run

    a.session.propagate = recording
    stop = a.browser.auto_ack()
    a.controls.propagate.propagate.click()
    a.wait(60)
    stop.set()
    assert seen == [frames]
    assert a.controls.propagate.progress.max == len(frames)
    assert a.controls.propagate.progress.value == len(frames)
    assert f"done: {len(frames)} frames" in a.canvas.status


@pytest.mark.slow
def test_a_correction_made_in_the_widget_survives_the_next_propagation(annotator):
    a = annotator
    a.browser.send(type="point", frame=0, y=32.0, x=36.0, label=1)
    a.wait(30)
    stop = a.browser.auto_ack()
    a.controls.propagate.propagate.click()
    a.wait(60)
    a.canvas.frame = 6
    a.browser.send(type="point", frame=6, y=50.0, x=60.0, label=1)
    a.browser.send(type="point", frame=6, y=30.0, x=90.0, label=1, positive=False)
    a.wait(30)
    corrected = a.session.label_frame(6)
    a.controls.propagate.propagate.click()
    a.wait(60)
    a.canvas.frame = 3
    a.canvas.frame = 6
    a.wait(30)
    stop.set()
    assert np.array_equal(a.session.label_frame(6), corrected)
    shown = [b for c, b in a.browser.messages if c["type"] == "frame" and c["frame"] == 6]
    assert np.array_equal(decode_labels(shown[-1][1], corrected.shape), corrected)


def test_cancel_button_stops_propagation(annotator):
    a = annotator
    a.browser.send(type="point", frame=0, y=32.0, x=36.0, label=1)
    a.wait(30)
    stop = threading.Event()

    def acker():
        while not stop.is_set():
            a.browser.ack_all()
            if a.controls.propagate.progress.value >= 2:
                a.controls.propagate.cancel.click()
            time.sleep(0.005)

    threading.Thread(target=acker, daemon=True).start()
    a.controller.propagator.propagate().result(60)
    stop.set()
    done = a.controls.propagate.progress.value
    assert 2 <= done < a.session.n_frames
    assert "cancelled" in a.canvas.status


def test_next_label_counts_edits_still_queued(annotator):
    """The label M gives (the canvas' ``next_label``, which the browser applies at
    once) counts clicks the worker has not run yet, as behind a propagation; a queued
    edit that fails and a deleted label free theirs again."""
    a = annotator
    a.browser.send(type="point", frame=1, y=32.0, x=36.0, label=4)
    a.wait(30)
    assert a.canvas.next_label == 5
    gate = threading.Event()
    a.controller.submit(lambda: gate.wait(30))  # the worker is busy, as in a propagation
    a.browser.send(type="point", frame=2, y=10.0, x=10.0, label=5)
    a.browser.send(type="box", frame=2, y0=1.0, x0=1.0, y1=9.0, x1=9.0, label=6)
    assert a.canvas.next_label == 7  # both still queued
    a.browser.send(type="point", frame=2, y=-50.0, x=10.0, label=99)  # off the image
    assert a.canvas.next_label == 100
    gate.set()
    a.wait(30)
    assert {5, 6} <= set(a.session.label_ids)
    assert 99 not in a.session.label_ids  # refused, with a sentence in the status line
    assert a.canvas.next_label == 7
    a.browser.send(type="delete_label", label=6)
    a.wait(30)
    assert a.canvas.next_label == 6


def test_undo_redo_messages(annotator):
    a = annotator
    a.browser.send(type="point", frame=1, y=32.0, x=36.0, label=4)
    a.wait(30)
    a.browser.send(type="undo")
    a.wait(30)
    assert not a.session.prompts
    a.browser.send(type="redo")
    a.wait(30)
    assert len(a.session.prompts) == 1


@pytest.mark.parametrize(
    ("bad", "error"),
    [
        ({"source": np.zeros((0, 8, 8), np.uint8)}, StackError),  # before any widget
        ({"model": "bogus"}, ModelError),
        ({"memory_mode": "bogus"}, ValueError),
        ({"where": "bogus"}, ValueError),
        ({"controller": "fails"}, StackError),  # after the widgets are made
    ],
)
def test_a_failed_annotator_raises_its_error_and_nothing_later(
    bad, error, video, monkeypatch, caplog
):
    """The error is the only thing a user sees: nothing is left to fail when the
    half-made annotator is collected (that traceback showed up in a later cell), and
    no widget it made stays open in the front end."""
    if bad.pop("controller", None):

        def unreadable(*_args, **_kwargs):
            raise StackError("video.npy: frame 0 is bogus")

        monkeypatch.setattr("sam2_jupyter.widget.annotator.Controller", unreadable)
    unraisable = []
    monkeypatch.setattr(sys, "unraisablehook", unraisable.append)
    widgets = set(ipywidgets.widgets.widget._instances)
    with pytest.raises(error, match=r"bogus|empty"):
        Annotator(**{"source": video, **bad})
    gc.collect()
    assert [str(u.exc_value) for u in unraisable] == []
    assert set(ipywidgets.widgets.widget._instances) == widgets
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []


def test_two_annotators_share_nothing(model, video):
    a, b = Annotator(video, model=model), Annotator(video[:4], model=model)
    try:
        for w in (a, b):
            w.browser = FakeBrowser(w)
            w.browser.send(type="ready")
        a.controller.handle(Point(1, 30.0, 30.0, 1, True))
        a.wait(30)
        b.wait(30)
        assert len(a.session.prompts) == 1
        assert not b.session.prompts
        assert a.controller.jobs.worker is not b.controller.jobs.worker
    finally:
        a.close()
        b.close()


def test_buttons_export_and_store(annotator, tmp_path):
    a = annotator
    a.browser.send(type="point", frame=1, y=32.0, x=36.0, label=1)
    a.wait(30)
    a.controls.files.export_path.value = str(tmp_path / "out")
    a.controls.files.export_masks.click()
    a.controls.files.export_tracks.click()
    a.controls.files.prompts_path.value = str(tmp_path / "p.csv")
    a.controls.files.store_prompts.click()
    a.wait(30)
    assert (tmp_path / "out.tif").exists()
    assert (tmp_path / "out.csv").exists()
    assert (tmp_path / "p.csv").exists()
    before = (tmp_path / "out.tif").read_bytes()
    a.browser.send(type="point", frame=4, y=60.0, x=90.0, label=2)
    a.wait(30)
    a.controls.files.export_masks.click()  # exists: the panel asks, nothing is written yet
    a.wait(30)
    assert a.controls.files.confirm.layout.display == "flex"
    assert "out.tif" in a.controls.files.confirm_text.value
    assert (tmp_path / "out.tif").read_bytes() == before
    a.controls.files.keep.click()
    a.wait(30)
    assert a.controls.files.confirm.layout.display == "none"
    assert (tmp_path / "out.tif").read_bytes() == before
    assert "Kept" in a.canvas.status
    a.controls.files.export_masks.click()
    a.controls.files.replace.click()
    a.wait(30)
    assert (tmp_path / "out.tif").read_bytes() != before
    assert not list(tmp_path.glob(".*tmp*"))  # no partial files left beside it


def test_model_from_controls_reports_failure_as_sentence(video, tmp_path, monkeypatch):
    monkeypatch.setenv("SAM2_JUPYTER_MODEL_DIR", str(tmp_path))
    a = Annotator(video)
    try:
        a.browser = FakeBrowser(a)
        a.browser.send(type="ready")
        a.browser.send(type="point", frame=1, y=3.0, x=3.0, label=1)
        a.wait(10)
        assert "Load a model first" in a.canvas.status
        import sam2_jupyter.widget.loading as ctl

        def offline(*args, **kwargs):
            from sam2_jupyter import ModelError

            raise ModelError("cannot download sam2.1_hiera_tiny.pt: no network")

        monkeypatch.setattr(ctl, "load_model", offline)
        a.controls.model.load_model.click()
        a.wait(10)
        assert "cannot download" in a.canvas.status
    finally:
        a.close()


def test_an_untrained_model_is_labelled_on_the_panel(model, video):
    """Masks from random weights look like results: the panel says they are noise."""
    a, b = Annotator(video, model=model), Annotator(video)
    try:
        assert model.untrained
        assert "Untrained model: masks are random" in a.controls.model.untrained_note.value
        assert a.controls.model.untrained_note.layout.display == "block"
        assert b.controls.model.untrained_note.layout.display == "none"  # no model yet
    finally:
        a.close()
        b.close()


def test_the_panel_says_which_model_is_in_use(model, video, monkeypatch):
    """The model group names the model in use; *Load model* is the primary button
    only while pressing it would change something."""
    import sam2_jupyter.widget.loading as ctl

    monkeypatch.setattr(ctl, "load_model", lambda name, model_dir=None, progress=None: model)
    a, b = Annotator(video, model=model, memory_mode="low"), Annotator(video)
    try:
        c = a.controls.model
        assert "In use: SAM2.1 Tiny" in c.model_in_use.value
        assert f"{model.image_size} px" in c.model_in_use.value
        assert str(model.device) in c.model_in_use.value
        assert (c.model_name.value, c.memory_mode.value) == ("tiny", "low")
        assert c.load_model.button_style != "primary"
        assert c.load_model.description == "Load model"
        c.model_name.value = "small"
        assert c.load_model.button_style == "primary"
        c.model_name.value = "tiny"
        c.memory_mode.value = "normal"
        assert c.load_model.button_style == "primary"
        a.controller.set_model(model, "normal")
        assert c.load_model.button_style != "primary"
        assert "No model loaded" in b.controls.model.model_in_use.value
        assert b.controls.model.load_model.button_style == "primary"
        # The group is open while no model is in use, folded into its title after.
        assert b.controls.model.group.selected_index == 0
        assert b.controls.model.group.titles == ("Model: none loaded",)
        assert c.group.selected_index is None
        assert c.group.titles == (f"Model: SAM2.1 Tiny · {model.image_size} px",)
        b.controls.model.load_model.click()
        b.wait(30)
        assert "In use: SAM2.1 Tiny" in b.controls.model.model_in_use.value
        assert b.controls.model.load_model.button_style != "primary"
        assert b.controls.model.group.selected_index is None
    finally:
        a.close()
        b.close()


def test_second_slider_switches_the_4d_sequence(model):
    from conftest import moving_discs

    data = np.stack([moving_discs(4, seed=0), moving_discs(4, seed=1)])  # (Z, T, Y, X, C)
    a = Annotator(data, model=model, axes="ZTYXC", prop_axis="T")
    try:
        sent = a.browser = FakeBrowser(a)
        a.browser.send(type="ready")
        a.controller.handle(Point(1, 30.0, 30.0, 1, True))
        a.wait(30)
        assert a.controls.view.other.layout.display == "flex"
        a.controls.view.other.value = 1
        a.wait(30)
        a.browser.ack_all()
        assert a.stack.other_index == 1
        assert not a.session.prompts  # the other sequence has its own session
        a.controller.handle(Point(2, 40.0, 40.0, 5, True))
        a.wait(30)
        assert [p.label for p in a.session.prompts] == [5]
        assert [p.label for p in a.controller.pool.sessions[0].prompts] == [1]
        assert any(c["type"] == "frame" for c, _ in sent.messages)
    finally:
        a.close()


def test_load_model_button_reports_download_progress(model, video, monkeypatch):
    import sam2_jupyter.widget.loading as ctl

    def fake_load(name, model_dir=None, progress=None):
        progress(30, 120)
        progress(120, 120)
        return model

    a = Annotator(video, model=model)
    try:
        a.browser = FakeBrowser(a)
        a.browser.send(type="ready")
        a.controller.handle(Point(1, 30.0, 30.0, 2, True))
        a.wait(30)
        monkeypatch.setattr(ctl, "load_model", fake_load)
        a.controls.model.memory_mode.value = "low"
        a.controls.model.load_model.click()
        a.wait(30)
        assert a.controls.model.download.max == 120
        assert a.controls.model.download.value == 120
        assert a.session.memory_mode.name == "low"
        assert [p.label for p in a.session.prompts] == [2]  # re-applied to the new session
        assert "Loaded" in a.canvas.status
    finally:
        a.close()


def test_remove_uses_the_browser_tolerance(annotator):
    a = annotator
    a.browser.send(type="point", frame=1, y=30.0, x=30.0, label=1)
    a.wait(30)
    a.browser.send(type="remove", frame=1, y=33.0, x=30.0, tolerance=2.0)
    a.wait(30)
    assert "no prompt within 2 px" in a.canvas.status
    assert len(a.session.prompts) == 1
    a.browser.send(type="remove", frame=1, y=33.0, x=30.0, tolerance=5.0)
    a.wait(30)
    assert not a.session.prompts


@pytest.mark.alone
def test_features_are_precomputed_in_the_background(model, video):
    a = Annotator(video, model=model)
    try:
        a.browser = FakeBrowser(a)
        a.browser.send(type="ready")
        _wait_all_ready(a)
        assert a.controls.propagate.embeddings.value == f"Embeddings: all {len(video)} frames ready"
        assert len(a.session.features) == len(video)
    finally:
        a.close()


def _wait_all_ready(a, timeout=60):
    wait_until(lambda: "all" in a.controls.propagate.embeddings.value, timeout, 0.05)


@pytest.mark.alone
def test_the_precompute_stops_at_the_memory_budget_and_says_so(model, video):
    a = Annotator(video, model=model, feature_cache=1)  # room for one frame, no disk
    try:
        a.browser = FakeBrowser(a)
        a.browser.send(type="ready")
        wait_until(lambda: "memory budget reached" in a.controls.propagate.embeddings.value, 60)
        assert a.session.features_ready() < len(video)
    finally:
        a.close()


@pytest.mark.alone
def test_reopened_annotator_reads_features_from_disk(model, video, tmp_path):
    first = Annotator(video, model=model, feature_dir=tmp_path)
    try:
        first.browser = FakeBrowser(first)
        first.browser.send(type="ready")
        _wait_all_ready(first)
        first.session.flush_features()
    finally:
        first.close()
    again = Annotator(video, model=model, feature_dir=tmp_path, feature_cache=0)
    try:
        again.browser = FakeBrowser(again)
        again.browser.send(type="ready")
        _wait_all_ready(again)
        assert (
            again.controls.propagate.embeddings.value
            == f"Embeddings: all {len(video)} frames ready"
        )
        store = again.session.features.store
        assert store.saved == 0  # nothing computed again
        assert len(again.session.features) == 0  # memory budget 0: found on disk, not loaded
        again.controller.handle(Point(3, 30.0, 30.0, 1, True))
        again.wait(60)
        assert store.loaded == 1
        assert store.saved == 0
        assert again.session.prompts
    finally:
        again.close()


def test_buttons_hide_one_at_a_time(annotator):
    """Hiding "Start fresh" must not hide every button (a shared Layout would)."""
    buttons = annotator.controls.buttons()
    assert len({id(b.layout) for b in buttons}) == len(buttons)
    hidden = [b.description for b in buttons if b.layout.display == "none"]
    assert hidden == ["Start fresh"]


def test_panel_exports_exchange_formats(annotator, tmp_path):
    a = annotator
    a.browser.send(type="point", frame=1, y=32.0, x=36.0, label=1)
    a.wait(30)
    a.controls.files.export_path.value = str(tmp_path / "run1")
    for button in (
        a.controls.files.export_ctc,
        a.controls.files.export_coco,
        a.controls.files.export_ome_zarr,
    ):
        button.click()
        a.wait(60)
    assert (tmp_path / "run1_RES" / "res_track.txt").exists()
    assert (tmp_path / "run1.json").exists()
    assert (tmp_path / "run1.ome.zarr" / "labels").is_dir()
    a.controls.files.export_ctc.click()  # a folder that exists: asked too
    a.wait(30)
    assert "run1_RES" in a.controls.files.confirm_text.value
    a.controls.files.replace.click()
    a.wait(60)
    assert "CTC folder exported" in a.canvas.status


def test_double_click_on_export_never_clobbers(annotator, tmp_path):
    """Two presses before the first export ran: the second finds the file and says
    so in panel words, and the first file stays."""
    a = annotator
    a.browser.send(type="point", frame=1, y=32.0, x=36.0, label=1)
    a.wait(30)
    a.controls.files.export_path.value = str(tmp_path / "twice")
    gate = threading.Event()
    a.controller.submit(lambda: gate.wait(30))  # both presses queue behind this
    a.controls.files.export_masks.click()
    a.controls.files.export_masks.click()
    gate.set()
    a.wait(30)
    assert "exists now; press the button again" in a.canvas.status
    assert "overwrite=True" not in a.canvas.status
    assert (tmp_path / "twice.tif").exists()


def test_a_message_type_may_declare_one_size_checked_buffer(monkeypatch):
    from sam2_jupyter.widget import messages

    @dataclass(frozen=True)
    class Stroke:
        type: ClassVar[str] = "stroke"
        max_buffer: ClassVar[int] = 64
        frame: int
        data: bytes = b""

    monkeypatch.setitem(messages.MESSAGES, "stroke", Stroke)
    got = parse_message({"type": "stroke", "frame": 1}, [b"\x01\x02"])
    assert got == Stroke(1, b"\x01\x02")
    for buffers, match in (
        ([], "exactly one binary buffer"),
        ([b"a", b"b"], "exactly one binary buffer"),
        ([b"x" * 65], "at most 64"),
    ):
        with pytest.raises(MessageError, match=match):
            parse_message({"type": "stroke", "frame": 1}, buffers)
    with pytest.raises(MessageError, match="takes no binary data"):
        parse_message({"type": "undo"}, [b"x"])
    with pytest.raises(MessageError, match="too large"):
        parse_message({"type": "undo"}, [b"x" * (2 << 20)])


def test_stream_statistics_count_what_was_sent(annotator):
    a = annotator
    stream = a.controller.stream
    stream.sent.reset()
    a.browser.click(2, 32, 36)
    a.canvas.frame = 2
    a.wait(30)
    a.browser.ack_all()
    stats = stream.stats()
    assert stats["messages"]["labels"] + stats["messages"]["image/jpeg"] >= 2
    assert stats["bytes"]["image/jpeg"] > 0
    assert set(stats["last_edit"]) == {"queued_s", "model_s", "encode_s", "send_s"}
    assert stats["edits"] == [stats["last_edit"]]
    assert stats["last_edit"]["encode_s"] > 0
    assert len(stats["shows"]) == 1
    assert stats["shows"][0]["encode_s"] > 0
    assert sum(n for _, n in stats["sent"]) == sum(stats["bytes"].values())
    stream.sent.reset()
    assert stream.stats()["messages"] == {}


@pytest.mark.alone
def test_lossless_upgrades_share_one_timer_thread(annotator):
    a = annotator
    before = {t.ident for t in threading.enumerate()}
    for t in range(1, 10):
        a.canvas.frame = t

    def upgraded() -> bool:
        a.browser.ack_all()
        return any(c["lossless"] for c, _ in a.browser.of("frame"))

    wait_until(upgraded, 10, 0.05)
    new = [t for t in threading.enumerate() if t.ident not in before]
    assert [t.name for t in new] in ([], ["sam2j-later"])
    pngs = [c for c, _ in a.browser.of("frame") if c["lossless"]]
    assert [c["frame"] for c in pngs] == [9]  # only the frame the view settled on


def test_annotator_frame_is_readable_and_settable(annotator):
    a = annotator
    a.frame = 4
    assert a.canvas.frame == 4
    assert a.frame == 4
