"""The no-code app: ``sam2-jupyter annotate STACK`` serves the annotator alone (Voilà,
no code cells), on 127.0.0.1 with a token; in the real browser a user opens it,
clicks, propagates and exports, and the work is autosaved beside the data."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np
import pytest
from conftest import moving_discs
from lab import browser_available
from waits import wait_until

from sam2_jupyter.app import AppOptions, notebook, serve

CLI = Path(sys.executable).parent / "sam2-jupyter"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_the_page_is_one_cell_that_opens_the_annotator(tmp_path):
    nb = notebook(AppOptions(str(tmp_path / "v.npy"), memory_mode="low", workdir=str(tmp_path)))
    (cell,) = nb["cells"]
    assert "sj.Annotator(" in cell["source"]
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


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    root = tmp_path_factory.mktemp("app")
    np.save(root / "video.npy", moving_discs(8, seed=5))
    port = free_port()
    env = {**os.environ, "SAM2_JUPYTER_SESSION_DIR": str(root / "sessions")}
    cmd = [str(CLI), "annotate", "video.npy", "--untrained", "--image-size", "256"]
    proc = subprocess.Popen(
        [*cmd, "--port", str(port), "--device", "cpu"],
        cwd=root,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:

        def address() -> str | None:
            found = re.search(r"open (http://\S+)", proc.stdout.readline())
            return found.group(1) if found else None

        url = wait_until(address, 60, 0, "the app printed its address")
        base = url.split("?")[0]

        def answers() -> bool:
            try:
                urllib.request.urlopen(url, timeout=2)
                return True
            except (urllib.error.URLError, ConnectionError):
                return False

        wait_until(answers, 20, 0.2, "Voilà answers")
        yield root, url, base
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


def test_it_binds_to_this_machine_and_needs_the_token(app):
    _, url, base = app
    assert base.startswith("http://127.0.0.1:")
    no_redirect = urllib.request.build_opener(NoRedirect)
    with pytest.raises(urllib.error.HTTPError) as refused:
        no_redirect.open(base, timeout=10)
    assert refused.value.code in (302, 401, 403)  # to the login page, not the app
    assert urllib.request.urlopen(url, timeout=30).status == 200


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


@pytest.mark.browser
@pytest.mark.skipif(not browser_available(), reason="needs playwright and chromium")
def test_open_click_propagate_export_in_the_browser(app, chromium):
    root, url, _ = app
    context = chromium.new_context(viewport={"width": 1300, "height": 1000})
    page = context.new_page()
    try:
        page.goto(url)
        page.wait_for_selector(".sam2j-canvas", timeout=120_000)
        page.wait_for_function(
            "document.querySelector('.sam2j-bar').textContent.startsWith('frame 1/8')"
        )
        assert page.locator(".jp-InputArea, .jp-Cell-inputWrapper").count() == 0  # no code
        box = page.locator(".sam2j-canvas").bounding_box()
        page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        prompts = root / "video.npy.sam2" / "prompts.json"
        # The click reached the kernel: it is autosaved.
        wait_until(lambda: prompts.exists() and json.loads(prompts.read_text())["prompts"], 60, 0.2)
        page.get_by_role("button", name="Propagate", exact=True).click()
        page.wait_for_function(
            "document.querySelector('.sam2j-bar').textContent.includes('Propagation done')",
            timeout=120_000,
        )
        page.get_by_role("button", name="Masks (TIFF)", exact=True).click()
        wait_until((root / "labels.tif").exists, 60, 0.2)
        page.screenshot(path=str(root / "app.png"))
    finally:
        context.close()
    assert (root / "labels.tif").stat().st_size > 0  # exported where the command ran
    saved = json.loads((root / "video.npy.sam2" / "prompts.json").read_text())
    assert len(saved["prompts"]) == 1  # autosaved beside the data
    assert len(list((root / "video.npy.sam2" / "labels").glob("*.zlib"))) == 8
