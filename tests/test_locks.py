"""No hang: the locks the widget reaches time out with a sentence, and the parents
walk ends on a damaged lineage. No model needed."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import SimpleNamespace
from typing import Any

import pytest

from sam2_jupyter import PromptError, SessionBusyError
from sam2_jupyter._threads import LOCK_TIMEOUT_S, TimedLock
from sam2_jupyter.engine import editing
from sam2_jupyter.engine.core import SessionCore
from sam2_jupyter.engine.labels import LabelStore


@contextmanager
def held_elsewhere(lock: Any, name: str = "holder") -> Iterator[threading.Thread]:
    """``lock`` held by another thread (named ``name``) for the block."""
    taken, done = threading.Event(), threading.Event()

    def hold() -> None:
        with lock:
            taken.set()
            done.wait(10)

    thread = threading.Thread(target=hold, name=name, daemon=True)
    thread.start()
    assert taken.wait(5)
    try:
        yield thread
    finally:
        done.set()
        thread.join(5)


def in_thread(call: Callable[[], Any], limit: float = 5.0) -> tuple[bool, Any]:
    """Run ``call`` on a daemon thread: (whether it ended within ``limit``, what it
    returned or raised)."""
    out: list[Any] = []

    def run() -> None:
        try:
            out.append(call())
        except BaseException as exc:
            out.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(limit)
    return not thread.is_alive(), out[0] if out else None


def test_a_held_lock_times_out_with_a_sentence_naming_the_holder():
    lock = TimedLock("the session", timeout=0.3)

    def wait_for_it() -> tuple[float, str]:
        t0 = time.monotonic()
        with pytest.raises(SessionBusyError) as info, lock:
            pass
        return time.monotonic() - t0, str(info.value)

    with held_elsewhere(lock, "sam2j-worker"):
        ended, result = in_thread(wait_for_it)
    assert ended, "another thread's `with lock:` did not time out"
    waited, message = result
    assert 0.25 <= waited < 3.0
    assert "The session is busy" in message
    assert "'sam2j-worker'" in message
    assert "has held it for" in message
    assert "session.cancel()" in message


def test_the_holder_takes_it_again_without_waiting():
    lock = TimedLock("the session", timeout=0)  # any wait at all would raise
    t0 = time.monotonic()
    with lock, lock:
        assert lock.acquire(blocking=False)
        lock.release()
        with lock:
            assert lock.owner_name == threading.current_thread().name
    assert time.monotonic() - t0 < 0.5
    assert lock.owner_name is None


def test_a_released_lock_is_taken_normally_and_forgets_its_holder():
    lock = TimedLock("the session", timeout=1)
    with lock:
        assert lock.owner_name == threading.current_thread().name
        assert lock.since is not None
    assert lock.owner_name is None
    assert lock.since is None

    def take() -> tuple[str | None, float | None]:
        with lock:
            return lock.owner_name, lock.since

    ended, result = in_thread(take)
    assert ended
    owner, since = result
    assert owner is not None
    assert owner != threading.current_thread().name
    assert since is not None
    assert lock.owner_name is None
    assert lock.since is None
    assert lock.acquire(blocking=False)  # free again for this thread
    lock.release()


def test_acquire_keeps_rlock_semantics_and_release_checks_the_owner():
    lock = TimedLock("the session", timeout=0.1)
    with held_elsewhere(lock):
        assert not lock.acquire(blocking=False)
        assert not lock.acquire(timeout=0.05)
        with pytest.raises(RuntimeError, match="does not hold it"):
            lock.release()


def core_with(parents: dict[int, int]) -> SessionCore:
    core = SessionCore(LabelStore(2, (4, 4)), history=4)
    core.update(parents=parents)
    return core


def times_out(lock, call) -> str:
    """``call`` on another thread while ``lock`` is held elsewhere: it must end with
    SessionBusyError; its message."""
    with held_elsewhere(lock, "stuck"):
        ended, result = in_thread(call)
    assert ended
    assert isinstance(result, SessionBusyError)
    return str(result)


def test_the_session_lock_times_out_instead_of_hanging():
    core = core_with({})
    assert core.lock.timeout == LOCK_TIMEOUT_S  # the module's default
    core.lock.timeout = 0.2  # overridable per lock
    assert "The session is busy: thread 'stuck'" in times_out(core.lock, core.step_back)


def test_the_propagate_button_lock_times_out_instead_of_hanging():
    from sam2_jupyter.widget.propagation import Propagator

    button = SimpleNamespace(on_click=lambda handler: None)
    ctx = SimpleNamespace(safe=lambda f: f, status=lambda *a: None)
    propagator = Propagator(ctx, SimpleNamespace(propagate=button, cancel=button), None)
    propagator._lock.timeout = 0.2
    assert "'stuck'" in times_out(propagator._lock, propagator.propagate)


def test_set_parent_ends_on_parents_that_already_form_a_cycle():
    core = core_with({2: 3, 3: 2})  # as a damaged save could hold them

    def link() -> None:
        with core.lock:
            editing.set_parent(core, 1, 2, [1, 2, 3])

    ended, result = in_thread(link, limit=5)
    assert ended, "set_parent kept walking a cycle of parents"
    assert isinstance(result, PromptError)
    assert "2 -> 3 -> 2" in str(result)
    assert dict(core.record.parents) == {2: 3, 3: 2}  # nothing added above the loop
    editing.set_parent(core, 3, None, [1, 2, 3])  # clearing needs no walk: the way out
    editing.set_parent(core, 1, 2, [1, 2, 3])
    assert dict(core.record.parents) == {2: 3, 1: 2}
    with pytest.raises(PromptError, match="descends from"):  # a new cycle is still refused
        editing.set_parent(core, 3, 1, [1, 2, 3])
