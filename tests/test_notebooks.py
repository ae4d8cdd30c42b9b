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
    expected = {
        "quickstart": ["quickstart_output/labels.tif", "quickstart_output/overlay.mp4"],
        "video_tracking": ["video_output/overlay.mp4", "video_output/coco.json"],
        "timelapse_16bit": [
            "timelapse_output/01_RES/res_track.txt",
            "timelapse_output/timelapse.ome.zarr",
            "timelapse.tif.sam2/Z2/session.sqlite",  # the annotator autosaves beside the data
        ],
        "batch": ["batch_results/recording3/labels.tif", "batch_cli/recording0/labels.tif"],
    }[path.stem]
    for name in expected:
        assert (tmp_path / name).exists(), name
