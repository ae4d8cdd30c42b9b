"""The notebooks in notebooks/ execute top to bottom (offline they fall back to the
untrained model), so none can silently rot."""

from __future__ import annotations

from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("*.ipynb"))


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs(path, tmp_path, monkeypatch):
    nbclient = pytest.importorskip("nbclient")
    nbformat = pytest.importorskip("nbformat")
    # No weights can be fetched in tests: an empty model folder and an unreachable
    # mirror make load_model fail fast, and the notebook takes its offline branch.
    monkeypatch.setenv("SAM2_JUPYTER_MODEL_DIR", str(tmp_path / "models"))
    nb = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(
        nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    )
    client.execute()
    outputs = [o for cell in nb.cells if cell.cell_type == "code" for o in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    if path.stem == "quickstart":
        assert (tmp_path / "quickstart_output" / "labels.tif").exists()
        assert (tmp_path / "quickstart_output" / "overlay.mp4").exists()
