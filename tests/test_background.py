"""Background work gives way to the user (clicks, keys, strokes never wait for it).

The precompute, prefetch and lossless upgrades run off the user's worker; the
precompute's encode stops at the encoder's pause points while the user works and
goes on after the quiet period. Timing bounds here are loose (CI machines are slow
and shared); each is far below what the old behaviour took, so each can fail.
"""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest
import torch
from harness import open_annotator
from waits import wait_until

from sam2_jupyter import Session
from sam2_jupyter._threads import LOWEST, priority
from sam2_jupyter.engine.features import pausing
from sam2_jupyter.widget.activity import Activity, Stopped
from sam2_jupyter.widget.background import Background
from sam2_jupyter.widget.messages import Point
from sam2_jupyter.widget.worker import Worker


# -- activity ------------------------------------------------------------------------
def test_wait_quiet_blocks_while_a_user_job_is_queued_and_for_the_quiet_period():
    now = [100.0]
    activity = Activity(quiet=0.5, clock=lambda: now[0])
    activity.begin()
    assert activity.idle_for() == 0.0
    done = threading.Event()
    threading.Thread(target=lambda: (activity.wait_quiet(), done.set()), daemon=True).start()
    assert not done.wait(0.2)  # a job is queued
    now[0] += 0.1
    activity.end()
    assert not done.wait(0.2)  # 0.1 s of the 0.5 s quiet period has passed
    now[0] += 0.5
    activity.wake()
    assert done.wait(5)
    activity.touch()
    with pytest.raises(Stopped):
        activity.wait_quiet(lambda: True)


def test_the_users_touch_and_an_idle_pause_take_no_lock():
    """A low-priority thread preempted while holding the lock must not make the
    kernel's thread wait: touch() and the idle fast path of wait_quiet() skip it."""
    activity = Activity(quiet=0.0)
    held, release = threading.Event(), threading.Event()

    def hold() -> None:
        with activity._cv:
            held.set()
            release.wait(10)

    threading.Thread(target=hold, daemon=True).start()
    assert held.wait(5)
    try:
        t0 = time.monotonic()
        activity.touch()
        activity.wait_quiet()  # idle: returns without the lock
        assert time.monotonic() - t0 < 1.0
    finally:
        release.set()


# -- the worker and the background thread -------------------------------------------
@pytest.fixture
def threads():
    activity = Activity(quiet=0.05)
    errors: list[BaseException] = []
    worker = Worker(activity=activity)
    background = Background(activity, on_error=errors.append)
    yield worker, background, errors
    background.close()
    worker.close()


def _slow_task(log: list[tuple[str, float]], pieces: int = 40, piece_s: float = 0.05):
    """A background task of ``pieces`` pieces (2 s), pausing between them."""

    def task(pause):
        for _ in range(pieces):
            pause()
            log.append(("piece", time.monotonic()))
            time.sleep(piece_s)
        log.append(("done", time.monotonic()))

    return task


@pytest.mark.slow
@pytest.mark.alone
def test_a_queued_click_overtakes_a_slow_background_job(threads):
    worker, background, errors = threads
    log: list[tuple[str, float]] = []
    background.schedule("slow", _slow_task(log))
    wait_until(lambda: len(log) >= 3)  # the background job is under way
    asked = time.monotonic()
    clicks: list[tuple[float, float]] = []

    def click() -> None:
        start = time.monotonic()
        time.sleep(0.3)  # the model's work
        clicks.append((start, time.monotonic()))

    worker.submit(click).result(10)
    ((start, end),) = clicks
    assert start - asked < 0.05  # it did not wait for the background job
    # While the click ran, no piece of background work started (a piece already
    # running when it came may finish: pieces are the pause points' granularity).
    assert not [t for kind, t in log if kind == "piece" and start + 0.06 < t < end]
    assert background.idle(30)  # then the background job resumed and completed
    assert log[-1][0] == "done"
    assert len(log) == 41
    assert not errors


def test_background_work_waits_while_user_jobs_queue_and_resumes_after(threads):
    worker, background, _ = threads
    hold = threading.Event()
    worker.submit(hold.wait)  # a long propagation, say
    log: list[tuple[str, float]] = []
    background.schedule("slow", _slow_task(log, pieces=4))
    time.sleep(0.3)
    assert log == []  # nothing started while the user's job runs
    hold.set()
    assert background.idle(10)
    assert [kind for kind, _ in log] == ["piece"] * 4 + ["done"]


def test_rescheduling_a_key_replaces_the_queued_task_and_close_stops_a_paused_one(threads):
    worker, background, errors = threads
    hold = threading.Event()
    worker.submit(hold.wait)
    ran: list[str] = []
    background.schedule("k", lambda pause: ran.append("old"))
    background.schedule("k", lambda pause: ran.append("new"))
    hold.set()
    assert background.idle(10)
    assert ran == ["new"]
    hold.clear()
    worker.submit(hold.wait)
    background.schedule("k", lambda pause: (pause(), ran.append("late")))
    t0 = time.monotonic()
    background.close()  # the task is waiting for the user: close stops it there
    assert time.monotonic() - t0 < 5
    hold.set()
    assert ran == ["new"]
    assert not errors


def test_a_failing_background_task_is_reported_and_the_thread_goes_on(threads):
    _, background, errors = threads
    background.schedule("bad", lambda pause: 1 / 0)
    done = threading.Event()
    background.schedule("good", lambda pause: done.set())
    assert done.wait(10)
    assert isinstance(errors[0], ZeroDivisionError)


@pytest.mark.skipif(priority() is None, reason="per-thread priority is Linux's")
def test_background_threads_run_at_the_lowest_priority(threads):
    _, background, _ = threads
    seen: list[int | None] = []
    background.schedule("p", lambda pause: seen.append(priority()))
    assert background.idle(10)
    assert seen == [LOWEST]
    assert priority() != LOWEST  # the caller's own priority is untouched


# -- the engine: the encode holds no lock and stops at pause points ------------------
def test_precompute_pauses_between_encoder_layers_without_the_lock(model, video):
    s = Session(video, model=model)
    calls = 0
    paused, release = threading.Event(), threading.Event()

    def pause() -> None:
        nonlocal calls
        calls += 1
        if calls == 10:  # mid-encode
            paused.set()
            assert release.wait(30)

    result: list[bool] = []
    encode = threading.Thread(target=lambda: result.append(s.precompute_frame(3, pause)))
    encode.start()
    assert paused.wait(30)
    s.add_point(0, 30, 30, 1)  # takes the session's lock: not held by the encode
    assert s.prompts
    assert 3 not in s.features
    release.set()
    encode.join(30)
    assert result == [True]
    assert 3 in s.features
    leaves = sum(1 for m in model.predictor.image_encoder.modules() if not list(m.children()))
    assert calls >= 2 * leaves  # before and after every leaf layer (some run twice)


def test_paused_precompute_gives_sam2s_features_and_an_abandoned_one_keeps_nothing(model, video):
    s = Session(video, model=model)

    def stop() -> None:
        raise RuntimeError("stop")

    with pytest.raises(RuntimeError, match="stop"):
        s.precompute_frame(2, stop)
    assert 2 not in s.features
    assert s.precompute_frame(2, lambda: None)
    _, ours = s.features.get(2)
    image = s._frames[2].float().unsqueeze(0)
    with torch.inference_mode():
        theirs = model.predictor.forward_image(image)
    for a, b in zip(ours["backbone_fpn"], theirs["backbone_fpn"], strict=True):
        torch.testing.assert_close(a, b, rtol=0, atol=0)
    assert pausing.points(model.predictor.image_encoder)


# -- the annotator --------------------------------------------------------------------
@pytest.fixture
def slow_encoder(model):
    """Every encode takes over a second (10 ms per layer; 2 s at 1024 px on a CPU)."""

    def slow(*_args):
        time.sleep(0.01)

    handles = [
        m.register_forward_pre_hook(slow)
        for m in model.predictor.image_encoder.modules()
        if not list(m.children())
    ]
    yield
    for h in handles:
        h.remove()


@pytest.mark.slow
@pytest.mark.alone
def test_a_click_during_a_slow_precompute_starts_at_once(model, slow_encoder):
    video = np.concatenate([np.zeros((1, 96, 128, 3), np.uint8)] * 3)
    a = open_annotator(video, model)
    try:
        # frame 0 is ready (the click needs no encode), frame 1 is being encoded
        wait_until(lambda: a.session.features_ready() >= 1, 60)
        time.sleep(0.3)
        a.controller.handle(Point(0, 30.0, 30.0, 1, True))
        a.wait(30)
        timing = a.controller.stream.stats()["last_edit"]
        assert timing["queued_s"] < 0.05
        assert timing["model_s"] < 1.0  # not slowed by the encode, which waits
        assert a.session.features_ready() < 3
        wait_until(lambda: "all 3" in a.controls.propagate.embeddings.value, 60)  # it resumes
    finally:
        a.close()


@pytest.mark.slow
@pytest.mark.alone
def test_precompute_waits_while_the_user_works_and_completes_after(model, video):
    a = open_annotator(video, model)
    try:
        hold = threading.Event()
        a.controller.submit(hold.wait)  # the user's job runs (say, a propagation)
        time.sleep(0.5)  # any encode under way stops at its next pause point
        ready = a.session.features_ready()
        time.sleep(1.0)
        assert a.session.features_ready() == ready < len(video)
        hold.set()
        done = f"Embeddings: all {len(video)} frames ready"
        wait_until(lambda: a.controls.propagate.embeddings.value == done, 60)
        assert a.session.features_ready() == len(video)
    finally:
        a.close()


@pytest.mark.alone
def test_edits_during_the_precompute_are_all_kept_in_order(model, video):
    a = open_annotator(video, model)
    try:
        rng = np.random.default_rng(0)
        sent = []
        for k in range(12):
            y, x = rng.uniform(5, 90), rng.uniform(5, 120)
            frame, label = k % len(video), 1 + k % 3
            sent.append((frame, label, round(y, 3), round(x, 3)))
            a.browser.click(frame, y, x, label=label, positive=k % 4 != 3)
            time.sleep(rng.uniform(0, 0.15))
        a.wait(60)
        got = [(p.frame, p.label, round(p.y, 3), round(p.x, 3)) for p in a.session.prompts]
        assert got == sent
        wait_until(lambda: a.session.features_ready() == len(video), 60)
    finally:
        a.close()


@pytest.mark.alone
def test_the_lossless_upgrade_waits_while_the_user_is_at_work(annotator):
    a = annotator
    stream = a.controller.stream
    busy = [True]
    stream.idle_for = lambda: 0.0 if busy[0] else 10.0
    stream._upgrade(a.canvas.frame)
    time.sleep(0.6)
    lossless = [c for c, _ in a.browser.of("frame") if c["lossless"]]
    assert lossless == []
    busy[0] = False
    wait_until(lambda: any(c["lossless"] for c, _ in a.browser.of("frame")), 10)


def test_a_pointer_down_in_the_browser_holds_background_work(annotator):
    a = annotator
    activity = a.controller.jobs.activity
    a.wait(30)
    time.sleep(activity.quiet + 0.05)
    assert activity.quiet_now()
    a.browser.send(type="active")  # sent as the pointer goes down, before the click
    assert not activity.quiet_now()
    assert not a.canvas.status  # a message like any other, not an error
