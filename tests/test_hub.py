"""Where users run the annotator, end to end in headless Chromium on 127.0.0.1 only:

- a real JupyterHub (DummyAuthenticator with a password, SimpleLocalProcessSpawner,
  configurable-http-proxy from npm): log in through the login page, let the hub spawn
  JupyterLab from this environment, open the notebook under ``/user/<name>/``, run it;
  the widget's front end loads behind the hub's URL prefix, a click reaches the
  kernel's Session and the browser paints the mask;
- Jupyter Notebook 7: the same notebook, run from its Run menu, same checks.

Every process (hub, proxy, single-user server, notebook server, kernels) carries a tag
in its environment and is stopped by it at the end, whatever happened."""

from __future__ import annotations

import importlib.util
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

import numpy as np
import pytest
from conftest import moving_discs
from lab import (
    KernelChannel,
    Lab,
    View,
    _free_port,
    annotator_cells,
    browser_available,
    first_prompt,
    jupyter_home_env,
    kill_tagged,
    write_notebook,
)
from waits import wait_until

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not browser_available(), reason="needs playwright and chromium"),
]

REPO = Path(__file__).resolve().parent.parent
CHP = REPO / ".tools" / "node_modules" / ".bin" / "configurable-http-proxy"
CHP_INSTALL = [
    "npm",
    "install",
    "--prefix",
    ".tools",
    "--no-save",
    "--no-audit",
    "--no-fund",
    "configurable-http-proxy@5",
]
TAG = "SAM2_JUPYTER_TEST_TAG"
USER = "alice"
NOTEBOOK = "annotate.ipynb"
N_FRAMES = 40
CELLS = annotator_cells()  # the notebook of tests/test_browser.py


def _proxy_command() -> Path:
    """configurable-http-proxy as the Makefile installs it (installed here once if
    missing); skips only when it cannot be installed."""
    if not CHP.exists():
        if shutil.which("npm") is None:
            pytest.skip("JupyterHub's proxy needs npm (configurable-http-proxy), not found")
        done = subprocess.run(
            CHP_INSTALL, cwd=REPO, capture_output=True, text=True, timeout=600, check=False
        )
        if done.returncode != 0 or not CHP.exists():
            pytest.skip(f"could not install configurable-http-proxy: {done.stderr[-2000:]}")
    return CHP


def _require(module: str) -> None:
    # In the test extra: missing means an incomplete install, not a reason to skip.
    if importlib.util.find_spec(module) is None:
        pytest.fail(f"{module} is not installed: pip install -e '.[test]'")


def _prepare(root: Path) -> None:
    np.save(root / "video.npy", moving_discs(N_FRAMES, seed=5))
    write_notebook(root / NOTEBOOK, CELLS)


class Hub(KernelChannel):
    """JupyterHub + its proxy on 127.0.0.1 from a config in ``root``; the user's server
    serves ``notebooks`` and keeps its kernels' connection files in ``runtime``."""

    def __init__(self, root: Path, notebooks: Path, password: str) -> None:
        self.root = root
        self.port = _free_port()
        self.tag = secrets.token_hex(16)
        home = root / "user-home"
        self.runtime = home / "runtime"
        bin_dir = Path(sys.executable).parent
        singleuser = bin_dir / "jupyterhub-singleuser"
        user_env = {
            **jupyter_home_env(home),
            # This environment's Python, its kernel spec and the package.
            "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
            "VIRTUAL_ENV": str(bin_dir.parent),
            TAG: self.tag,
        }
        config = {
            "JupyterHub.bind_url": f"http://127.0.0.1:{self.port}",
            "JupyterHub.hub_bind_url": f"http://127.0.0.1:{_free_port()}",
            "JupyterHub.db_url": f"sqlite:///{root / 'jupyterhub.sqlite'}",
            "JupyterHub.cookie_secret_file": str(root / "jupyterhub_cookie_secret"),
            "JupyterHub.pid_file": str(root / "jupyterhub.pid"),
            "JupyterHub.authenticator_class": "dummy",
            "DummyAuthenticator.password": password,
            "JupyterHub.spawner_class": "simple",
            "JupyterHub.cleanup_servers": True,
            "JupyterHub.cleanup_proxy": True,
            "ConfigurableHTTPProxy.command": [str(_proxy_command())],
            "ConfigurableHTTPProxy.api_url": f"http://127.0.0.1:{_free_port()}",
            "ConfigurableHTTPProxy.pid_file": str(root / "proxy.pid"),
            "Spawner.ip": "127.0.0.1",
            "Spawner.cmd": [str(singleuser)],
            # The single-user server refuses to run as root unless told it may.
            "Spawner.args": ["--allow-root"] if os.geteuid() == 0 else [],
            "Spawner.notebook_dir": str(notebooks),
            "Spawner.default_url": "/lab",
            "Spawner.environment": user_env,
            "Spawner.env_keep": ["PATH", "VIRTUAL_ENV", "PYTHONPATH", "LANG", "LC_ALL"],
            "Spawner.start_timeout": 120,
            "Spawner.http_timeout": 120,
            "SimpleLocalProcessSpawner.home_dir_template": str(home / "{username}"),
            "LocalProcessSpawner.interrupt_timeout": 5,
            "LocalProcessSpawner.term_timeout": 5,
        }
        config_file = root / "jupyterhub_config.py"
        config_file.write_text("".join(f"c.{k} = {v!r}\n" for k, v in config.items()))
        self.log_path = root / "jupyterhub.log"
        self.log = self.log_path.open("w")
        self.proc = subprocess.Popen(
            [str(bin_dir / "jupyterhub"), "-f", str(config_file), "--debug"],
            cwd=root,
            env={**os.environ, "PATH": user_env["PATH"], TAG: self.tag},
            stdin=subprocess.DEVNULL,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            self._wait_ready()
        except BaseException:
            self.close()
            raise

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _wait_ready(self, timeout: float = 90) -> None:
        def up() -> bool:
            if self.proc.poll() is not None:
                raise RuntimeError(f"JupyterHub exited: {self.log_path.read_text()[-5000:]}")
            try:
                # Through the proxy: both are up.
                with urllib.request.urlopen(f"{self.url}/hub/api/", timeout=5) as resp:
                    json.load(resp)
                return True
            except Exception:
                return False

        try:
            wait_until(up, timeout, 0.3, "JupyterHub answers")
        except TimeoutError:
            raise TimeoutError(
                f"JupyterHub did not start: {self.log_path.read_text()[-5000:]}"
            ) from None

    def connection_file(self) -> Path:
        files = sorted(self.runtime.glob("kernel-*.json"))
        if len(files) != 1:
            raise RuntimeError(f"expected one kernel, found {len(files)}")
        return files[0]

    def close(self) -> None:
        self.close_kernel_client()
        if self.proc.poll() is None:
            # The hub stops the user's server and the proxy on its way out.
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)
        kill_tagged(TAG, self.tag)
        self.log.close()


def _run_all_cells(page, shot: Path) -> None:
    page.get_by_role("menuitem", name="Run", exact=True).click()
    page.get_by_text("Run All Cells", exact=True).click()
    try:
        page.wait_for_selector(".sam2j-canvas[data-seq]", timeout=120_000)
    except Exception:
        page.screenshot(path=str(shot))
        raise


def _click_paints_a_mask(server: KernelChannel, page) -> None:
    """A left click on the first disc: the kernel's Session gets the point, and the
    browser redraws with exactly the kernel's labelled pixels."""
    page.wait_for_selector(".sam2j-canvas[data-lossless='true']", timeout=30_000)
    h, w = moving_discs(N_FRAMES, seed=5).shape[1:3]
    seq = int(page.locator(".sam2j-canvas").get_attribute("data-seq"))
    page.mouse.click(*View(page, h, w).page_xy(32.5, 36.5))
    server.wait_kernel("len(a.session.prompts) == 1")
    server.kernel("a.wait(60)")
    y, x, positive = first_prompt(server)
    assert abs(y - 32.5) < 0.5
    assert abs(x - 36.5) < 0.5
    assert positive is True
    labelled = int(server.kernel("print(int((a.session.label_frame(0) > 0).sum()))"))
    assert labelled > 0
    page.wait_for_function(
        f"document.querySelector('.sam2j-canvas').dataset.seq > {seq} && "
        f"document.querySelector('.sam2j-canvas').dataset.labelled == {labelled}",
        timeout=30_000,
    )


@pytest.fixture(scope="module")
def hub(chromium, tmp_path_factory):
    """Log in to a fresh hub in Chromium, spawn, open and run the notebook under
    /user/<name>/lab; yield (hub, page) once the canvas has drawn a frame."""
    _require("jupyterhub")
    root = tmp_path_factory.mktemp("hub")
    notebooks = root / "notebooks"
    notebooks.mkdir()
    _prepare(notebooks)
    password = secrets.token_hex(8)
    hub_ = Hub(root, notebooks, password)
    context = None
    try:
        context = chromium.new_context(viewport={"width": 1400, "height": 1000})
        page = context.new_page()
        requests: list[str] = []
        page.on("request", lambda r: requests.append(r.url))
        page.goto(f"{hub_.url}/hub/login")
        # A wrong password is refused: the password in the config is the one in force.
        page.fill("#username_input", USER)
        page.fill("#password_input", password + "x")
        page.click("#login_submit")
        page.get_by_text("Invalid username or password").wait_for(timeout=30_000)
        page.fill("#username_input", USER)
        page.fill("#password_input", password)
        page.click("#login_submit")
        # The hub spawns the server and sends the browser to its default URL.
        page.wait_for_url(f"{hub_.url}/user/{USER}/lab**", timeout=120_000)
        page.goto(f"{hub_.url}/user/{USER}/lab/tree/{NOTEBOOK}")
        page.wait_for_selector(".jp-Notebook", timeout=60_000)
        # The kernel must be connected before running, or the run is lost.
        page.get_by_text("Python 3 (ipykernel) | Idle").wait_for(timeout=60_000)
        _run_all_cells(page, root / "failure.png")
        yield hub_, page, requests
    finally:
        if context is not None:
            context.close()
        hub_.close()


@pytest.fixture(scope="module")
def notebook7(chromium, tmp_path_factory):
    """Jupyter Notebook 7 with a token; the notebook opened at /notebooks/ and run from
    the Run menu. Yields (server, page) once the canvas has drawn a frame."""
    _require("notebook")
    root = tmp_path_factory.mktemp("nb7")
    _prepare(root)
    server = Lab(root, app="notebook")
    context = None
    try:
        context = chromium.new_context(viewport={"width": 1400, "height": 1000})
        page = context.new_page()
        page.goto(f"{server.url}/notebooks/{NOTEBOOK}?token={server.token}")
        page.wait_for_selector(".jp-Notebook", timeout=60_000)
        # No status bar here: the kernel is ready once the page's websocket is on it
        # and it is idle.
        wait_until(
            lambda: any(
                k["connections"] > 0 and k["execution_state"] == "idle" for k in server.kernels()
            ),
            60,
            0.2,
            "the notebook's kernel came up",
        )
        page.wait_for_selector(
            ".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=60_000
        )
        _run_all_cells(page, root / "failure.png")
        yield server, page
    finally:
        if context is not None:
            context.close()
        server.close()


def test_jupyterhub_serves_the_annotator_under_the_user_prefix(hub):
    hub_, page, requests = hub
    assert page.url == f"{hub_.url}/user/{USER}/lab/tree/{NOTEBOOK}"
    # The kernel runs in this environment, started by the hub's spawner for USER.
    where = json.loads(
        hub_.kernel(
            "import json, os, sys; print(json.dumps([sys.prefix, "
            "os.environ.get('JUPYTERHUB_USER'), os.environ.get('JUPYTERHUB_SERVICE_PREFIX')]))"
        )
    )
    assert where == [sys.prefix, USER, f"/user/{USER}/"]
    # Everything the page loaded, the widget's front end included, came through the
    # proxy from the hub or from the user's server under its prefix.
    outside = [
        u
        for u in requests
        if not u.startswith((f"{hub_.url}/hub/", f"{hub_.url}/user/{USER}/", "data:", "blob:"))
    ]
    assert not outside, outside[:10]
    assert page.locator(".sam2j-canvas").count() == 1
    _click_paints_a_mask(hub_, page)


def test_notebook7_runs_the_annotator(notebook7):
    server, page = notebook7
    assert "/notebooks/" in page.url
    _click_paints_a_mask(server, page)
