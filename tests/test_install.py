"""The documented install steps (binder/install.sh, which Binder's postBuild runs)
work in a clean virtual environment: the package imports, the widget's bundled
JavaScript is there, and a Session segments with an untrained model."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

SMOKE = textwrap.dedent(
    """
    import warnings
    from pathlib import Path
    import numpy as np
    import sam2_jupyter as sj
    from sam2_jupyter.widget.canvas import AnnotatorCanvas

    warnings.simplefilter("ignore")
    static = Path(sj.__file__).parent / "static"
    assert (static / "widget.js").stat().st_size > 1000, "widget bundle missing"
    model = sj.load_model("tiny", untrained=True, image_size=256, device="cpu")
    video = np.zeros((3, 64, 64, 3), np.uint8)
    video[:, 20:40, 20:40] = 200
    s = sj.Session(video, model)
    s.add_point(0, 30, 30, 1)
    print("frames", len(s.run_propagation()), "site", Path(sj.__file__).parent.parent)
    """
)


@pytest.mark.slow
def test_install_script_in_a_clean_venv(tmp_path):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    env = {**os.environ, "PYTHON": str(python), "EXTRAS": ""}
    env.pop("VIRTUAL_ENV", None)
    done = subprocess.run(
        ["bash", str(ROOT / "binder" / "install.sh")],
        env=env,
        capture_output=True,
        text=True,
        timeout=1500,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    out = subprocess.run(
        [str(python), "-c", SMOKE], cwd=tmp_path, capture_output=True, text=True, timeout=600
    )
    assert out.returncode == 0, out.stderr[-3000:]
    assert "frames 3" in out.stdout
    assert str(venv) in out.stdout  # imported from the new environment, not this one
