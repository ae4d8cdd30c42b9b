"""The annotator as a web page of its own, for people who never write code.

``sam2-jupyter annotate STACK`` writes a one-cell notebook that opens the annotator
on STACK and serves it with Voilà, which shows a notebook's outputs and never its
code. Like Jupyter itself it binds to 127.0.0.1 and asks for a token, so nobody on
the network reaches a user's data unless told otherwise; on a remote machine, an SSH
tunnel (``ssh -L 8866:127.0.0.1:8866 host``) brings the page to a laptop's browser.
The token reaches Voilà in a config file only the user can read, never on its
command line, which every user of the machine can see. On this machine only, a
request naming another host (``Host: evil.example``, how a web page reaches a local
server by DNS rebinding) is refused (403) for the page, the API and the kernel
websocket, token or not, and the websocket refuses a page from another origin, as
Jupyter Server does. A port another server already holds is refused, not swapped
for a free one: the printed address, token and all, would reach that server.
The kernel runs in the folder the command was started from, so exports and the
autosave land where the user expects them. Ctrl-C, ``kill`` (SIGTERM) or a closed
terminal (SIGHUP) stop Voilà and its kernel and remove the app's temporary folder;
the exit status is then 128 + the signal's number (130, 143, 129).
"""

from __future__ import annotations

import contextlib
import http.client
import ipaddress
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

NOTEBOOK = "annotate.ipynb"


@dataclass(frozen=True)
class AppOptions:
    """What the page opens and how it is served."""

    stack: str
    model: str = "tiny"
    memory_mode: str = "normal"
    checkpoint: str | None = None
    device: str = "auto"
    image_size: int | None = None
    untrained: bool = False
    port: int = 8866
    ip: str = "127.0.0.1"
    token: str | None = field(default_factory=lambda: secrets.token_urlsafe(24))
    workdir: str = "."

    def url(self) -> str:
        host = "127.0.0.1" if self.ip in ("0.0.0.0", "::") else self.ip
        query = f"?token={self.token}" if self.token else ""
        return f"http://{host}:{self.port}/{query}"


def notebook(options: AppOptions) -> dict:
    """The notebook Voilà serves: the annotator on the stack, nothing else shown."""
    load = {
        "name": options.model,
        "device": options.device,
        "image_size": options.image_size,
        "checkpoint": options.checkpoint,
        "untrained": options.untrained,
    }
    # app_page shows a failure (no weights, unreadable data) as a sentence: Voilà
    # would show only that the cell failed.
    source = (
        "import os, warnings\n"
        f"os.chdir({str(Path(options.workdir).resolve())!r})\n"
        "warnings.simplefilter('ignore')\n"
        "from sam2_jupyter.widget.page import app_page\n"
        f"app_page({options.stack!r}, {load!r}, memory_mode={options.memory_mode!r})"
    )
    cell = {
        "cell_type": "code",
        "execution_count": None,
        "id": "annotate",
        "metadata": {},
        "outputs": [],
        "source": source,
    }
    return {
        "cells": [cell],
        "metadata": {
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "title": f"sam2_jupyter: {Path(options.stack).name}",
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def voila_config(options: AppOptions, folder: Path) -> dict:
    """What Voilà reads from ``voila.json`` in the app's private folder.

    The token goes here, not on Voilà's command line: every local user reads every
    process's arguments (``ps``, ``/proc/PID/cmdline``), while the file is the
    owner's alone (mode 0600 in a 0700 folder) and removed when the app stops.

    The Host check is Jupyter Server's own (``JupyterHandler.check_host``, on for
    the page, the API and the kernel websocket), which Voilà turns off by setting
    ``allow_remote_access``; its ``tornado_settings`` are applied last and turn it
    back on, by Jupyter Server's rule: on while the server listens on this machine
    only. There, any page on the web could otherwise point a name of its own at
    127.0.0.1 (DNS rebinding) and use the app as a same-origin site, token or not.
    Bound elsewhere (a token is then required), any name may reach it, as Jupyter
    allows.

    The kernels' connection files (their keys) go into ``folder`` too, and so
    vanish with it even when Voilà had to be killed and could not remove them.
    """
    remote = not loopback(options.ip)
    return {
        "Voila": {
            "token": options.token or "",
            "tornado_settings": {"allow_remote_access": remote},
            "connection_dir_root": str(folder),
            # On a port taken, fail rather than move to another: the address
            # printed (token and all) names the port asked for.
            "port_retries": 0,
        }
    }


def loopback(ip: str) -> bool:
    """Whether ``ip`` reaches this machine only (127.0.0.0/8, ::1, localhost)."""
    if ip == "localhost":
        return True
    try:
        return ipaddress.ip_address(ip).is_loopback
    except ValueError:  # another host name
        return False


def write_config(options: AppOptions, folder: Path) -> Path:
    """Write :func:`voila_config` into ``folder``, readable by its owner only from
    the first byte on (created with mode 0600, not narrowed afterwards)."""
    path = folder / "voila.json"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(voila_config(options, folder), f)
    return path


def command(options: AppOptions, folder: Path) -> list[str]:
    """The Voilà command line for the notebook and config written into ``folder``:
    nothing secret in it (see :func:`voila_config`)."""
    voila = shutil.which("voila", path=str(Path(sys.executable).parent)) or "voila"
    try:
        from jupyter_core.paths import jupyter_config_path
    except ImportError:  # no Voilà in this environment: serve() says so
        user_config: list[str] = []
    else:
        user_config = jupyter_config_path()
    # Ours first (it wins), then where Voilà looks by default: the folder it starts
    # in and Jupyter's config folders, so a user's own settings still apply.
    config_paths = [str(folder), os.getcwd(), *user_config]
    return [
        voila,
        str(folder / "page" / NOTEBOOK),
        f"--port={options.port}",
        f"--Voila.ip={options.ip}",
        "--no-browser",
        *(f"--Voila.config_file_paths={path}" for path in config_paths),
        # Only the notebook's folder is served (/voila/files/), not the config
        # beside it. The kernel's own working folder is the caller's (the notebook
        # chdirs there).
        "--Voila.root_dir=" + str(folder / "page"),
    ]


def serve(options: AppOptions) -> int:
    """Write the notebook, start Voilà, print the URL once it answers and serve
    until Voilà ends or a stop signal comes (see :func:`stop_signals` for the exit
    status); either way Voilà is stopped and the folder removed."""
    if shutil.which("voila", path=str(Path(sys.executable).parent)) is None:
        try:
            import voila  # noqa: F401
        except ImportError:
            print(
                "sam2-jupyter annotate needs Voilà: pip install 'sam2-jupyter[app]'",
                file=sys.stderr,
            )
            return 2
    if not loopback(options.ip) and not options.token:
        print(
            f"refusing to serve on {options.ip} without a token: anyone on the network "
            "could open your data (drop --no-token, or bind to 127.0.0.1)",
            file=sys.stderr,
        )
        return 2
    if not Path(options.stack).exists():
        print(f"{options.stack}: no such file or folder", file=sys.stderr)
        return 2
    # Else the wait below takes the other server's answer for Voilà's and prints
    # its address, with the token for it to read.
    if listening(options):
        print(
            f"port {options.port} is taken (another server listens there): "
            "choose another with --port",
            file=sys.stderr,
        )
        return 2
    # The signals outside the folder: a second signal while the folder is being
    # removed is recorded too, not let kill the app halfway.
    with (
        stop_signals() as received,
        tempfile.TemporaryDirectory(prefix="sam2-jupyter-app-") as tmp,
    ):
        folder = Path(tmp)  # 0700: the user's alone
        (folder / "page").mkdir()
        (folder / "page" / NOTEBOOK).write_text(json.dumps(notebook(options), indent=1))
        write_config(options, folder)
        proc = subprocess.Popen(command(options, folder))
        try:
            # Voilà takes seconds to listen: an address printed before that is one
            # the user opens onto "connection refused".
            if wait_until_answering(options, proc, stopping=received):
                print(
                    f"sam2_jupyter annotator on {options.stack}: open {options.url()}", flush=True
                )
                if loopback(options.ip):
                    print(
                        f"(on a remote machine: ssh -L {options.port}:127.0.0.1:{options.port} "
                        "<host>, then open the address above here)",
                        flush=True,
                    )
                while not received and proc.poll() is None:
                    time.sleep(0.1)
        finally:
            stop(proc)
    if received:
        return 128 + received[0]
    code = proc.returncode
    return code if code >= 0 else 128 - code  # Voilà ended by a signal: as a shell says


STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)


@contextlib.contextmanager
def stop_signals() -> Iterator[list[int]]:
    """Record SIGTERM, SIGINT and SIGHUP instead of dying of them, so that serve()
    stops Voilà and removes its folder first (dying at once would leave Voilà
    serving, orphaned, and the folder behind); serve() then exits 128 + the signal's
    number, as a shell reports a command a signal ended (143 for SIGTERM, 130 for
    Ctrl-C).

    The handler only records: it runs between any two bytecodes, and an exception
    raised there while Voilà is being started could lose its process. A signal
    ignored when the app starts (``nohup``, a background job) stays ignored. Outside
    the main thread, where Python cannot take signals, nothing changes.
    """
    received: list[int] = []
    previous = {}
    if threading.current_thread() is threading.main_thread():
        for signum in STOP_SIGNALS:
            if signal.getsignal(signum) is not signal.SIG_IGN:
                previous[signum] = signal.signal(signum, lambda n, _: received.append(n))
    try:
        yield received
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def stop(proc: subprocess.Popen[Any], grace: float = 10.0) -> None:
    """Stop Voilà: SIGTERM, then SIGKILL if it is still running after ``grace``
    seconds (a server that hangs must not keep the port). On SIGTERM Voilà shuts its
    kernels down, giving a busy one 5 s (jupyter_client's ``shutdown_wait_time``)
    before killing it: the grace leaves it that time."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(grace)
        except subprocess.TimeoutExpired:
            proc.kill()
    proc.wait()


def listening(options: AppOptions) -> bool:
    """Whether anything accepts connections on the app's address already."""
    host = "127.0.0.1" if options.ip in ("0.0.0.0", "::") else options.ip
    try:
        socket.create_connection((host, options.port), timeout=1).close()
    except OSError:
        return False
    return True


def answering(options: AppOptions, timeout: float = 2.0) -> bool:
    """Whether the server answers HTTP at all (its login redirect counts: asking for
    the page itself would start a kernel)."""
    host = "127.0.0.1" if options.ip in ("0.0.0.0", "::") else options.ip
    conn = http.client.HTTPConnection(host, options.port, timeout=timeout)
    try:
        conn.request("HEAD", "/")
        conn.getresponse()
    except (OSError, http.client.HTTPException):
        return False
    finally:
        conn.close()
    return True


def wait_until_answering(
    options: AppOptions,
    proc: subprocess.Popen[Any],
    interval: float = 0.1,
    stopping: Sequence[int] = (),
) -> bool:
    """Poll until the server answers (True) or its process ends (False: Voilà has
    said why, port taken or otherwise), or a stop signal is recorded in ``stopping``
    (False)."""
    while proc.poll() is None and not stopping:
        if answering(options):
            return True
        time.sleep(interval)
    return False
