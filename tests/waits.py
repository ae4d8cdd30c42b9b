"""One way for a test to wait: poll a condition until it holds or a deadline passes.

A fixed ``time.sleep`` either wastes time on a fast machine or flakes on a slow one;
polling returns as soon as the condition holds and fails with a message naming what
never happened. Light on purpose (no sam2_jupyter import): the browser harness and the
benchmarks use it too."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def wait_until(
    cond: Callable[[], T], timeout: float = 30.0, interval: float = 0.01, what: str = ""
) -> T:
    """Call ``cond`` every ``interval`` seconds until it returns something truthy and
    return that; raise ``TimeoutError`` (naming ``what``, or the condition's source)
    if it never does within ``timeout`` seconds. The last check comes after the
    deadline, so a slow last poll is not lost."""
    deadline = time.monotonic() + timeout
    while True:
        value = cond()
        if value:
            return value
        if time.monotonic() >= deadline:
            break
        time.sleep(interval)
    name = what or getattr(cond, "__qualname__", repr(cond))
    raise TimeoutError(f"still not true after {timeout:g} s: {name}")
