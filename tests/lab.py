"""A real JupyterLab on 127.0.0.1 driven by headless Chromium, with a side channel
into the notebook's kernel, for browser tests and browser benchmarks."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from waits import wait_until

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def browser_available() -> bool:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return False
    return Path(CHROMIUM).exists()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def kill_tagged(name: str, value: str, grace: float = 5) -> list[str]:
    """Stop every process whose environment holds ``name=value`` (SIGTERM, then SIGKILL
    after ``grace`` seconds) and return their command names. Servers, kernels and proxies
    inherit the variable from the process they were started with, even in a new session
    or process group, so a unique value finds all of them, and only them."""
    import psutil

    found = []
    for proc in psutil.process_iter():
        if proc.pid == os.getpid():
            continue
        try:
            if proc.environ().get(name) == value:
                found.append(proc)
        except (psutil.Error, OSError):
            continue
    names = []
    for proc in found:
        try:
            names.append(proc.name())
            proc.terminate()
        except psutil.Error:
            pass
    _, alive = psutil.wait_procs(found, timeout=grace)
    for proc in alive:
        with suppress(psutil.Error):
            proc.kill()
    psutil.wait_procs(alive, timeout=grace)
    return names


def annotator_cells(view_height: int = 400) -> list[str]:
    """The browser tests' notebook: the untrained tiny model at 256 px, an Annotator on
    ``video.npy`` with its debug attributes on and no autosave (each test starts empty,
    never resuming an earlier test's work)."""
    return [
        "import warnings\nwarnings.simplefilter('ignore')\nimport numpy as np\n"
        "import sam2_jupyter as sj\nvideo = np.load('video.npy')\n"
        "model = sj.load_model('tiny', untrained=True, image_size=256, device='cpu')",
        f"a = sj.Annotator(video, model=model, view_height={view_height}, autosave=False)\n"
        "a.canvas.debug = True\na",
    ]


def write_notebook(path: Path, cells: list[str]) -> None:
    nb = {
        "cells": [
            {
                "cell_type": "code",
                "id": f"c{i}",
                "metadata": {},
                "outputs": [],
                "execution_count": None,
                "source": src,
            }
            for i, src in enumerate(cells)
        ],
        "metadata": {
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    path.write_text(json.dumps(nb))


def jupyter_home_env(home: Path) -> dict[str, str]:
    """Environment variables that keep a Jupyter server's config, data, runtime and
    settings, and sam2_jupyter's autosaved sessions and features, under ``home``
    (JupyterLab's news and update checks off)."""
    settings = home / "settings" / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True)
    (settings / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false", "checkForUpdates": False})
    )
    return {
        "JUPYTER_CONFIG_DIR": str(home / "config"),
        "JUPYTER_DATA_DIR": str(home / "data"),
        "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
        "JUPYTERLAB_SETTINGS_DIR": str(home / "settings"),
        "JUPYTERLAB_WORKSPACES_DIR": str(home / "workspaces"),
        "PYTHONUNBUFFERED": "1",
        "SAM2_JUPYTER_SESSION_DIR": str(home / "sessions"),
        "SAM2_JUPYTER_FEATURE_DIR": str(home / "features"),
    }


class KernelChannel:
    """A side channel into a notebook's kernel through its connection file: subclasses
    say where that file is (``connection_file``)."""

    _client: Any = None

    def connection_file(self) -> Path:
        raise NotImplementedError

    def kernel(self, code: str, timeout: float = 60) -> str:
        """Run ``code`` in the (single) running kernel; return what it printed."""
        if self._client is None:
            from jupyter_client import BlockingKernelClient

            client = BlockingKernelClient()
            client.load_connection_file(str(self.connection_file()))
            client.start_channels()
            client.wait_for_ready(timeout=30)
            self._client = client
        out: list[str] = []

        def hook(msg: dict[str, Any]) -> None:
            # stdout only: background threads (sam2's progress bar) write to stderr,
            # and their text would read as the answer of a poll.
            if msg["msg_type"] == "stream" and msg["content"]["name"] == "stdout":
                out.append(msg["content"]["text"])
            elif msg["msg_type"] == "error":
                out.append("\n".join(msg["content"]["traceback"]))

        reply = self._client.execute_interactive(
            code, timeout=timeout, output_hook=hook, store_history=False
        )
        if reply["content"]["status"] != "ok":
            raise RuntimeError("".join(out))
        return "".join(out)

    def wait_kernel(self, expr: str, timeout: float = 60, interval: float = 0.1) -> str:
        """Poll until ``expr`` (Python) is truthy in the kernel; return its repr."""
        code = f"_v = ({expr})\nprint(repr(_v) if _v else '')"
        return wait_until(lambda: self.kernel(code).strip(), timeout, interval, f"kernel: {expr}")

    def close_kernel_client(self) -> None:
        if self._client is not None:
            self._client.stop_channels()
            self._client = None


class Lab(KernelChannel):
    """A JupyterLab server process; ``kernel(code)`` runs code in the notebook's kernel.

    ``app="notebook"`` starts Jupyter Notebook 7 instead (same server, same options)."""

    def __init__(
        self,
        root: Path,
        app: str = "jupyterlab",
        python: str = sys.executable,
        env: dict[str, str] | None = None,
    ) -> None:
        self.root = root
        self.port = _free_port()
        self.token = secrets.token_hex(16)
        home = root / ".jupyter-home"
        self.runtime = home / "runtime"
        # The token goes in the environment, never on the command line (where every
        # user of the machine can read it with ps).
        self.env = {
            **os.environ,
            **jupyter_home_env(home),
            **(env or {}),
            "JUPYTER_TOKEN": self.token,
        }
        self.log = (root / "jupyterlab.log").open("w")
        self.proc = subprocess.Popen(
            [
                python,
                "-m",
                app,
                "--no-browser",
                "--ip=127.0.0.1",
                f"--port={self.port}",
                "--allow-root",
                f"--ServerApp.root_dir={root}",
                "--ServerApp.open_browser=False",
                "--ServerApp.terminals_enabled=False",
                # Notebook 7 has no news feed setting; JupyterLab's is turned off.
                *(["--LabApp.news_url="] if app == "jupyterlab" else []),
            ],
            cwd=root,
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        self._client: Any = None
        self._wait_ready()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def api(self, path: str, method: str = "GET") -> Any:
        req = urllib.request.Request(
            f"{self.url}{path}", headers={"Authorization": f"token {self.token}"}, method=method
        )
        with urllib.request.urlopen(req, timeout=10) as resp:
            body = resp.read()
        return json.loads(body) if body else None

    def kernels(self) -> list[dict[str, Any]]:
        """The server's kernels; none while it answers 500 (seen once under load while
        a notebook's kernel was starting), so a poll asks again rather than failing."""
        try:
            return self.api("/api/kernels")
        except urllib.error.HTTPError as exc:
            if exc.code >= 500:
                return []
            raise

    def _wait_ready(self, timeout: float = 90) -> None:
        def up() -> bool:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"JupyterLab exited: {(self.root / 'jupyterlab.log').read_text()}"
                )
            try:
                self.api("/api/status")
                return True
            except Exception:
                return False

        wait_until(up, timeout, 0.1, "JupyterLab answers")

    def connection_file(self) -> Path:
        kernels = self.api("/api/kernels")
        if len(kernels) != 1:
            raise RuntimeError(f"expected one kernel, found {len(kernels)}")
        return self.runtime / f"kernel-{kernels[0]['id']}.json"

    def close(self) -> None:
        self.close_kernel_client()
        self.proc.terminate()
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()
        # Kernels inherit the server's runtime folder, unique to this server.
        kill_tagged("JUPYTER_RUNTIME_DIR", str(self.runtime))


class Notebook(KernelChannel):
    """One notebook open on a shared server: ``kernel(code)`` runs code in its own
    kernel (the server may run others beside it)."""

    def __init__(self, lab: Lab, path: str) -> None:
        self.lab = lab
        self.path = path

    def session(self) -> dict[str, Any]:
        found = [s for s in self.lab.api("/api/sessions") if s["path"] == self.path]
        if len(found) != 1:
            raise RuntimeError(f"expected one session for {self.path}, found {len(found)}")
        return found[0]

    def connection_file(self) -> Path:
        return self.lab.runtime / f"kernel-{self.session()['kernel']['id']}.json"

    def shut_down(self) -> None:
        """Stop this notebook's kernel (the server and the other notebooks go on)."""
        self.close_kernel_client()
        with suppress(Exception):
            self.lab.api(f"/api/sessions/{self.session()['id']}", method="DELETE")


def launch_chromium(pw: Any) -> Any:
    return pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


@contextmanager
def notebook_page(
    lab: Lab,
    browser: Any,
    path: str,
    cells: list[str],
    device_scale_factor: float = 1.0,
    files: dict[str, Any] | None = None,
):
    """Open a fresh notebook (written from ``cells`` to ``path`` under the server's root,
    beside ``files``: name → numpy array, saved as .npy) in a new browser context
    of ``browser``, run all cells, and yield (notebook, page) once the annotator canvas
    has drawn a frame. On exit the page closes and the notebook's kernel is shut down.

    The cells must turn on the canvas' ``debug`` trait (``a.canvas.debug = True``): only
    then does the front end set the data-* attributes waited on here and read by tests."""
    import numpy as np

    where = (lab.root / path).parent
    where.mkdir(parents=True, exist_ok=True)
    for name, array in (files or {}).items():
        np.save(where / name, array)
    write_notebook(lab.root / path, cells)
    context = browser.new_context(
        viewport={"width": 1400, "height": 1000}, device_scale_factor=device_scale_factor
    )
    notebook = Notebook(lab, path)
    try:
        page = context.new_page()
        # A workspace of its own: JupyterLab would otherwise reopen the notebooks that
        # earlier pages on this server left open (workspaces are kept by the server).
        workspace = "".join(c if c.isalnum() else "-" for c in path)
        page.goto(f"{lab.url}/lab/workspaces/{workspace}/tree/{path}?token={lab.token}")
        page.wait_for_selector(".jp-Notebook", timeout=60_000)
        # The kernel must be connected before running, or the run is lost.
        page.get_by_text("Python 3 (ipykernel) | Idle").wait_for(timeout=60_000)
        page.get_by_role("menuitem", name="Run", exact=True).click()
        page.get_by_text("Run All Cells", exact=True).click()
        try:
            page.wait_for_selector(".sam2j-canvas[data-seq]", timeout=120_000)
        except Exception:
            page.screenshot(path=str(where / "failure.png"))
            raise
        yield notebook, page
    finally:
        context.close()
        notebook.shut_down()


@contextmanager
def lab_page(
    root: Path,
    notebook: str,
    cells: list[str],
    device_scale_factor: float = 1.0,
    python: str = sys.executable,
    env: dict[str, str] | None = None,
):
    """A server of its own (from ``python``'s environment) and a browser of its own,
    and one notebook on them (:func:`notebook_page`): for a test that needs its own
    server settings, and for the benchmarks. Yields (notebook, page)."""
    from playwright.sync_api import sync_playwright

    lab = Lab(root, python=python, env=env)
    try:
        with sync_playwright() as pw:
            browser = launch_chromium(pw)
            try:
                with notebook_page(lab, browser, notebook, cells, device_scale_factor) as opened:
                    yield opened
            finally:
                browser.close()
    finally:
        lab.close()


def run_in_new_cell(page, code: str) -> None:
    """Type ``code`` into a new cell below the last one and run it, as a person does
    (command mode, ``b``, Enter, typing, Shift+Enter)."""
    page.locator(".jp-Cell .jp-InputPrompt").last.click()
    page.keyboard.press("Escape")
    page.keyboard.press("b")
    page.keyboard.press("Enter")
    page.keyboard.type(code)
    page.keyboard.press("Shift+Enter")


class View:
    """Image pixel ↔ page coordinates, from the canvas box and the fit rule."""

    def __init__(self, page, h, w):
        self.box = page.locator(".sam2j-canvas").bounding_box()
        self.scale = min(self.box["width"] / w, self.box["height"] / h)
        self.tx = (self.box["width"] - w * self.scale) / 2
        self.ty = (self.box["height"] - h * self.scale) / 2

    def page_xy(self, y, x):
        return self.box["x"] + self.tx + x * self.scale, self.box["y"] + self.ty + y * self.scale

    def canvas_xy(self, y, x):
        return self.ty + y * self.scale, self.tx + x * self.scale


def first_prompt(channel: KernelChannel) -> tuple[float, float, bool]:
    """(y, x, positive) of the first prompt the annotator ``a`` in the kernel holds."""
    code = "import json; p = a.session.prompts[0]; print(json.dumps([p.y, p.x, p.positive]))"
    y, x, positive = json.loads(channel.kernel(code))
    return y, x, positive
