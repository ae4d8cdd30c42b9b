"""Tests marked ``alone`` run with nothing beside them, even under pytest-xdist.

Some tests measure how the code uses the machine (a click that must start within a
bound while a background encode runs), and some wait for the background threads
(precompute, lossless upgrade), which run at the lowest CPU priority on purpose and so
get next to no CPU while a test on the other core keeps it busy: a test beside them
would change what they measure or starve what they wait for.

Every test takes a lock file of the run before it starts, shared by the ordinary tests
and exclusive for the ``alone`` ones, so an ``alone`` test starts only once the other
worker's current test is done, and the other worker waits until it ends. The ``alone``
tests are also put in one xdist group, queued last (``conftest.py``), so they run one
after another on one worker, the lock held over them all, and the other worker waits
once.
"""

from __future__ import annotations

import fcntl
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def lock_path() -> Path:
    """One file per test run: xdist gives every worker of a run the same uid; a run
    without xdist locks against nothing but itself."""
    run = os.environ.get("PYTEST_XDIST_TESTRUNUID") or f"pid{os.getpid()}"
    return Path(tempfile.gettempdir()) / f"sam2j-tests-{run}.lock"


@contextmanager
def held(exclusive: bool) -> Iterator[None]:
    with open(lock_path(), "a") as f:
        fcntl.flock(f, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)
