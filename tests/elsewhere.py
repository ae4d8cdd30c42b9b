"""Another kernel holding a session folder, as a test needs it: a forked child
process that takes the folder's lock and keeps it until killed."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

from sam2_jupyter.engine.autosave.owner import Owner


def hold(folder: Path) -> int:
    """Fork a process that holds ``folder`` (returns once it does); its pid."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        try:
            owner = Owner.take(folder)  # held while it lives
            os.write(write, b"1")
            time.sleep(600)
            owner.release()
        finally:
            os._exit(0)
    os.close(write)
    assert os.read(read, 1) == b"1"
    os.close(read)
    return pid


def kill(pid: int) -> None:
    """The holder dies as a kernel does when killed: without releasing anything."""
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
