"""The no-code app: ``sam2-jupyter annotate STACK`` serves the annotator alone (Voilà,
no code cells), on 127.0.0.1 with a token; in the real browser a user opens it,
clicks, propagates and exports, and the work is autosaved beside the data.

Every server here runs offline whatever the machine's network: its downloads go to a
proxy nobody listens on, and its model folder is empty."""

from __future__ import annotations

import contextlib
import http.client
import http.server
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from conftest import moving_discs
from lab import browser_available
from waits import wait_until

from sam2_jupyter.app import AppOptions, notebook, serve, stop, voila_config
from sam2_jupyter.engine.autosave import SaveLockedError
from sam2_jupyter.engine.autosave.owner import Owner

CLI = Path(sys.executable).parent / "sam2-jupyter"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_the_page_is_one_cell_that_opens_the_annotator(tmp_path):
    nb = notebook(AppOptions(str(tmp_path / "v.npy"), memory_mode="low", workdir=str(tmp_path)))
    (cell,) = nb["cells"]
    assert "app_page(" in cell["source"]  # the annotator, or why it cannot open
    assert "memory_mode='low'" in cell["source"]
    assert f"os.chdir({str(tmp_path)!r})" in cell["source"]


def test_a_token_is_the_default_and_no_token_off_this_machine_is_refused(tmp_path, capsys):
    assert len(AppOptions("x").token) > 20
    assert AppOptions("x").token != AppOptions("x").token
    np.save(tmp_path / "v.npy", moving_discs(2))
    assert serve(AppOptions(str(tmp_path / "v.npy"), ip="0.0.0.0", token="")) == 2
    assert "without a token" in capsys.readouterr().err
    assert serve(AppOptions(str(tmp_path / "missing.npy"))) == 2
    assert "no such file" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("ip", "any_host"),
    [
        *[("127.0.0.1", False), ("localhost", False), ("::1", False), ("127.0.0.2", False)],
        *[("0.0.0.0", True), ("192.0.2.7", True), ("gpu-server", True)],
    ],
)
def test_the_host_check_is_on_while_bound_to_this_machine_token_or_not(ip, any_host):
    for token in ("", "t"):
        settings = voila_config(AppOptions("x", ip=ip, token=token), Path("f"))["Voila"]
        assert settings["tornado_settings"]["allow_remote_access"] is any_host


def test_a_port_another_server_holds_is_refused_not_its_address_printed(tmp_path):
    """Voilà used to move to the next free port while the app printed the one asked
    for, with the token: the browser then sent the token to whoever held that port
    (another user of the machine, say)."""
    np.save(tmp_path / "video.npy", moving_discs(2))
    holder = http.server.HTTPServer(("127.0.0.1", 0), http.server.BaseHTTPRequestHandler)
    threading.Thread(target=holder.serve_forever, daemon=True).start()
    proc = subprocess.Popen(
        [str(CLI), "annotate", "video.npy", "--port", str(holder.server_address[1])],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        out, _ = proc.communicate(timeout=30)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        holder.shutdown()
    assert proc.returncode == 2
    assert "token=" not in out
    assert f"port {holder.server_address[1]} is taken" in out


@dataclass
class App:
    """A running app: its process, folder, address (with and without the token),
    what it printed, and how its address and its first answer lined up."""

    proc: subprocess.Popen[str]
    root: Path
    url: str
    base: str
    output: list[str]
    answered_at_once: bool  # the first request, sent as the address appeared
    answered_after: float  # seconds from the address to the first answer


def answers(base: str) -> bool:
    """The server answers at all (the login redirect counts; no kernel is started)."""
    try:
        urllib.request.build_opener(NoRedirect).open(base, timeout=2)
    except urllib.error.HTTPError:
        return True
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return False
    return True


@contextlib.contextmanager
def serving(root: Path, *args: str) -> Iterator[App]:
    """``sam2-jupyter annotate ARGS`` in ``root``, offline, until the block ends."""
    port = free_port()
    env = {
        **os.environ,
        "SAM2_JUPYTER_SESSION_DIR": str(root / "sessions"),
        "SAM2_JUPYTER_MODEL_DIR": str(root / "models"),  # empty: no weights here
        **{name: f"http://127.0.0.1:{free_port()}" for name in OFFLINE_PROXIES},
        "NO_PROXY": "127.0.0.1,localhost",
        "no_proxy": "127.0.0.1,localhost",
    }
    proc = subprocess.Popen(
        [str(CLI), "annotate", *args, "--port", str(port), "--device", "cpu"],
        cwd=root,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    output: list[str] = []
    printed = threading.Event()

    def drain() -> None:  # read everything, so the server never blocks on a full pipe
        for line in proc.stdout:
            output.append(line)
            if re.search(r"open (http://\S+)", line):
                printed.set()

    threading.Thread(target=drain, daemon=True).start()
    try:
        wait_until(printed.is_set, 60, 0.01, "the app printed its address")
        shown = time.monotonic()
        url = next(m.group(1) for line in output if (m := re.search(r"open (http://\S+)", line)))
        base = url.split("?")[0]
        at_once = answers(base)
        wait_until(lambda: answers(base), 30, 0.05, "Voilà answers")
        yield App(proc, root, url, base, output, at_once, time.monotonic() - shown)
    finally:
        # The whole group: an orphaned Voilà stays in it. Gone already when a test
        # stopped the app itself.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(30)  # the app gives Voilà 10 s, Voilà a busy kernel 5 s
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)


OFFLINE_PROXIES = ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy")


@pytest.fixture(scope="module")
def app(tmp_path_factory) -> Iterator[App]:
    root = tmp_path_factory.mktemp("app")
    np.save(root / "video.npy", moving_discs(8, seed=5))
    with serving(root, "video.npy", "--untrained", "--image-size", "256") as running:
        yield running


def test_the_address_is_printed_once_the_server_answers(app):
    assert app.answered_at_once, f"answered {app.answered_after:.1f} s after the address"


def test_it_binds_to_this_machine_and_needs_the_token(app):
    url, base = app.url, app.base
    assert base.startswith("http://127.0.0.1:")
    no_redirect = urllib.request.build_opener(NoRedirect)
    with pytest.raises(urllib.error.HTTPError) as refused:
        no_redirect.open(base, timeout=10)
    assert refused.value.code in (302, 401, 403)  # to the login page, not the app
    assert urllib.request.urlopen(url, timeout=30).status == 200


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def children(pid: int) -> list[int]:
    """The processes ``pid`` started, from /proc (as ``pgrep -P``; no psutil here)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError):
            # pid (comm) state ppid ...: comm may hold spaces, so split after its ")".
            if int(stat.read_text().rpartition(")")[2].split()[1]) == pid:
                found.append(int(stat.parent.name))
    return found


def cmdline(pid: int) -> str:
    return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()


def voila_of(app: App) -> int:
    (voila,) = [pid for pid in children(app.proc.pid) if "voila" in cmdline(pid)]
    return voila


def folder_of(app: App) -> Path:
    """The app's temporary folder, found from the notebook Voilà was given."""
    notebook = next(a for a in cmdline(voila_of(app)).split() if a.endswith(".ipynb"))
    return next(p for p in Path(notebook).parents if p.name.startswith("sam2-jupyter-app-"))


def status(app: App, path: str, host: str | None = None, **headers: str) -> int:
    """The status of GET ``path`` sent with this ``Host`` header (default: the one a
    browser sends for the printed address)."""
    port = int(app.base.rsplit(":", 1)[1].strip("/"))
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path, headers={"Host": host or f"127.0.0.1:{port}", **headers})
        return conn.getresponse().status
    finally:
        conn.close()


# A websocket handshake: 101 when the server takes it, 403 when it refuses.
UPGRADE = {
    "Connection": "Upgrade",
    "Upgrade": "websocket",
    "Sec-WebSocket-Version": "13",
    "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
}


def test_the_token_is_on_no_command_line_and_in_no_file_others_can_read(app):
    """``ps`` shows every local user each process's arguments: the token travels in
    a config file only its owner can read."""
    token = app.url.split("token=")[1]
    processes = [app.proc.pid, *children(app.proc.pid)]
    processes += [kid for pid in processes[1:] for kid in children(pid)]  # the kernels
    assert len(processes) >= 2  # the app and its Voilà at least
    for pid in processes:
        assert token not in cmdline(pid), cmdline(pid)
    folder = folder_of(app)
    assert folder.stat().st_mode & 0o077 == 0
    for path in folder.rglob("*"):
        if path.is_file() and token in path.read_text(errors="replace"):
            assert path.stat().st_mode & 0o077 == 0, path
    # And the token still guards the server (a missing kernel: no kernel started).
    missing = "/api/kernels/00000000-0000-0000-0000-000000000000"
    assert status(app, missing) == 403
    assert status(app, f"{missing}?token={token}") == 404


@dataclass
class Kernel:
    """A kernel the page started, and the login cookie its answer set."""

    id: str
    cookie: str


@pytest.fixture(scope="module")
def kernel(app) -> Kernel:
    return page_kernel(app)


def page_kernel(app: App) -> Kernel:
    """Open the page once (with the token), read it to its end (Voilà ends the page
    once its cell has run: the kernel is idle then, and holds the save) and take its
    kernel's id from its head. Probing the server while a kernel still starts, on a
    loaded machine, was seen to go unanswered for 30 s."""
    with urllib.request.urlopen(app.url, timeout=120) as page:
        cookie = page.headers["Set-Cookie"].split(";")[0]
        body = page.read()
    found = re.search(rb'"kernelId": "([0-9a-f-]{36})"', body)
    assert found, "the page names no kernel"
    return Kernel(found.group(1).decode(), cookie)


def test_a_foreign_host_is_refused_page_api_and_websocket(app, kernel):
    """A web page elsewhere can point its own name at 127.0.0.1 (DNS rebinding) and
    so reach the server as a same-origin site: like Jupyter on this machine only,
    the app answers no Host but this machine's names, even with the token."""
    token = app.url.split("token=")[1]
    port = app.base.rsplit(":", 1)[1].strip("/")
    api = f"/api/kernels/{kernel.id}?token={token}"
    channels = f"/api/kernels/{kernel.id}/channels?token={token}"
    evil = f"evil.example:{port}"
    assert status(app, f"/?token={token}", host=evil) == 403
    assert status(app, api, host=evil) == 403
    assert status(app, channels, host=evil, Origin=f"http://{evil}", **UPGRADE) == 403
    for name in ("127.0.0.1", "localhost", "[::1]"):
        assert status(app, api, host=f"{name}:{port}") == 200
        assert status(app, channels, host=f"{name}:{port}", **UPGRADE) == 101


def test_the_kernel_websocket_refuses_a_foreign_origin(app, kernel):
    """A page elsewhere that opens the kernel's websocket gets the browser's login
    cookie sent along, but not its own Origin past the server."""
    port = app.base.rsplit(":", 1)[1].strip("/")
    channels = f"/api/kernels/{kernel.id}/channels"
    login = {"Cookie": kernel.cookie, **UPGRADE}
    assert status(app, channels, Origin=f"http://evil.example:{port}", **login) == 403
    assert status(app, channels, Origin=f"http://127.0.0.1:{port}", **login) == 101
    assert status(app, channels, **UPGRADE) == 403  # no cookie, no token


def test_sigterm_stops_voila_and_removes_the_temporary_folder(tmp_path):
    """``kill PID`` (what a session's end, a job scheduler or systemd sends) stops
    the server it started too, and leaves nothing behind; exit status 128 + 15, as
    a shell reports a command the signal ended."""
    np.save(tmp_path / "video.npy", moving_discs(2))
    with serving(tmp_path, "video.npy", "--untrained") as running:
        voila, folder = voila_of(running), folder_of(running)
        running.proc.send_signal(signal.SIGTERM)  # the app alone, not its group
        assert running.proc.wait(15) == 128 + signal.SIGTERM
        wait_until(lambda: not Path(f"/proc/{voila}").exists(), 10, 0.05, "Voilà ended")
        assert not answers(running.base)
        assert not folder.exists()


def test_a_server_that_ignores_sigterm_is_killed_after_the_grace_period():
    ignores = "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
    proc = subprocess.Popen(
        [sys.executable, "-c", ignores + "print(flush=True); time.sleep(60)"],
        stdout=subprocess.PIPE,
    )
    proc.stdout.readline()  # SIGTERM is ignored from here on
    started = time.monotonic()
    stop(proc, grace=0.5)
    assert proc.returncode == -signal.SIGKILL
    assert time.monotonic() - started < 5


BAR = "document.querySelector('.sam2j-bar').textContent"


def saved_rows(folder, kind):
    """Keys of one kind of row in the app's autosave store (none before it exists)."""
    path = folder / "session.sqlite"
    if not path.exists():
        return []
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return [k for (k,) in conn.execute("SELECT key FROM items WHERE kind=?", (kind,))]
    finally:
        conn.close()


def mine(page) -> str:
    """The id of the kernel a Voilà page runs on (named in the page's head)."""
    return re.search(r'"kernelId": "([0-9a-f-]{36})"', page.content()).group(1)


def kernel_id(pid: int) -> str | None:
    """The id of the kernel process ``pid`` (its connection file's name), if it is one."""
    found = re.search(r"kernel-([0-9a-f-]{36})\.json", cmdline(pid))
    return found.group(1) if found else None


def free(folder) -> bool:
    """Whether no other process holds the save (taken and given back at once)."""
    try:
        Owner.take(folder).release()
    except SaveLockedError:
        return False
    return True


@pytest.fixture
def fresh_app(tmp_path) -> Iterator[App]:
    """An app of its own: on the module's, after the tests above opened and dropped
    kernel websockets, the next page was seen to go unanswered (Voilà 0.5)."""
    np.save(tmp_path / "video.npy", moving_discs(8, seed=5))
    with serving(tmp_path, "video.npy", "--untrained", "--image-size", "256") as running:
        yield running


@pytest.mark.browser
@pytest.mark.skipif(not browser_available(), reason="needs playwright and chromium")
def test_open_click_propagate_export_in_the_browser(fresh_app, chromium):
    """A second tab while the first page's kernel holds the save shows it read-only
    and says who holds it; once that kernel is gone, the whole round on one page;
    then, offline, *Load model* says what to do in the app's own terms (its
    command's options) and the untrained model stays labelled."""
    app = fresh_app
    root = app.root
    saved = root / "video.npy.sam2"
    kernel = page_kernel(app)  # a first page, whose kernel takes the save
    wait_until(lambda: saved.exists() and not free(saved), 120, 0.2)
    context = chromium.new_context(viewport={"width": 1300, "height": 1000})
    page = context.new_page()
    try:
        page.goto(app.url, timeout=120_000)  # Voilà answers once the cell has run
        page.wait_for_selector(".sam2j-canvas", timeout=120_000)
        page.wait_for_function(f"{BAR}.includes('Read-only')", timeout=60_000)
        said = page.locator(".sam2j-bar").text_content()
        assert "is open in another session (process" in said
        assert "close the other page" in said  # the app's words, not Python's
        token = app.url.split("token=")[1]
        port = int(app.base.rsplit(":", 1)[1].strip("/"))
        # Every kernel but this page's shut down (earlier tests' pages started some).
        others = {kernel_id(pid) for pid in children(voila_of(app))} - {mine(page), None}
        assert kernel.id in others
        for kid in others:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            conn.request("DELETE", f"/api/kernels/{kid}?token={token}")
            assert conn.getresponse().status == 204
            conn.close()
        wait_until(lambda: free(saved), 60, 0.2)  # the lock died with its kernel
        page.reload(timeout=120_000)
        page.wait_for_selector(".sam2j-canvas", timeout=120_000)
        page.wait_for_function(f"{BAR}.startsWith('frame 0 of 0–7')")
        assert page.locator(".jp-InputArea, .jp-Cell-inputWrapper").count() == 0  # no code
        box = page.locator(".sam2j-canvas").bounding_box()
        page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        # The click reached the kernel: it is autosaved.
        wait_until(lambda: saved_rows(saved, "prompts"), 60, 0.2)
        page.get_by_role("button", name="Propagate", exact=True).click()
        page.wait_for_function(f"{BAR}.includes('Propagation done')", timeout=120_000)
        page.get_by_role("button", name="Masks (TIFF)", exact=True).click()
        wait_until((root / "labels.tif").exists, 60, 0.2)
        page.screenshot(path=str(root / "app.png"))
        untrained = page.get_by_text("Untrained model: masks are random")
        assert untrained.is_visible()
        page.get_by_text("Model: SAM2.1 Tiny").click()  # the folded model group
        page.get_by_role("button", name="Load model", exact=True).click()
        failed = f"{BAR}.includes('download')"  # today's words or the old ones
        page.wait_for_function(failed, timeout=60_000)
        said = page.locator(".sam2j-bar").text_content()
        assert "could not be downloaded" in said
        assert "--checkpoint FILE" in said
        assert "--untrained" in said
        assert "checkpoint=" not in said  # the Python spelling
        assert "Pool" not in said  # urllib3's text
        assert untrained.is_visible()  # the model in use is still the untrained one
    finally:
        context.close()
    assert (root / "labels.tif").stat().st_size > 0  # exported where the command ran
    assert len(saved_rows(saved, "prompts")) == 1  # autosaved beside the data
    assert len(saved_rows(saved, "labels")) == 8


@pytest.mark.browser
@pytest.mark.skipif(not browser_available(), reason="needs playwright and chromium")
def test_offline_without_weights_the_page_says_what_to_do(tmp_path, chromium):
    np.save(tmp_path / "video.npy", moving_discs(4, seed=5))
    with serving(tmp_path, "video.npy") as running:
        context = chromium.new_context()
        page = context.new_page()
        try:
            page.goto(running.url)
            shown = "document.body.innerText.match(/could not be downloaded|error when executing/)"
            page.wait_for_function(shown, timeout=120_000)
            text = page.locator("body").inner_text()
            assert "error when executing" not in text  # Voilà's own, which says nothing
            assert "could not be downloaded" in text
            assert "--checkpoint FILE" in text
            assert "--untrained" in text
            assert "checkpoint=" not in text
        finally:
            context.close()
        # The terminal says it too (a user who started the app looks there first).
        wait_until(lambda: any("could not be downloaded" in line for line in running.output), 10)
