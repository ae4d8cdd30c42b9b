"""The notebooks in notebooks/ execute top to bottom (offline they fall back to the
untrained model), so none can silently rot."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("*.ipynb"))


# Appended to the batch notebook when tested (not saved): what its run reported.
RESULTS_CELL = "import json; print(json.dumps([r.as_dict() for r in results]))"

# Smaller than a person would run, the same code: lines replaced when tested (not
# saved). The line must be in the notebook, so an edit there cannot leave it unused.
SHORTER = {"video_tracking": ("h, w, n = 180, 240, 48", "h, w, n = 180, 240, 24")}


def expected_labels(model, path, prompts):
    """The Session in this process, with the workers' one thread: the thread count
    changes float summation order, and untrained masks are sensitive to it."""
    import torch

    from sam2_jupyter import Session

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        s = Session(path, model, memory_mode="low")
        s.load_prompts(prompts)
        s.run_propagation(direction="both", progress=False)
        return s.labels
    finally:
        torch.set_num_threads(threads)


def check_batch(nb, tmp_path) -> None:
    """The notebook's LocalCluster of two worker processes: every stack reported in
    order, both workers used, the damaged file failed by name and left no labels, and
    the others' labels equal the Session's in this process (on the model the
    notebook's offline branch builds)."""
    import warnings

    import tifffile

    from sam2_jupyter.models import UntrainedModelWarning, load_model

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UntrainedModelWarning)
        model = load_model("tiny", untrained=True, image_size=256, device="cpu", seed=0)

    (cell,) = [c for c in nb.cells if c.source == RESULTS_CELL]
    out = "".join(o.get("text", "") for o in cell.outputs)
    results = json.loads(out)
    names = [Path(r["stack"]).name for r in results]
    assert names == ["damaged.tif", *(f"recording{k}.tif" for k in range(4))]
    broken, *good = results
    assert not broken["ok"]
    assert "damaged.tif" in broken["error"]
    assert not (tmp_path / "batch_results" / "damaged" / "labels.tif").exists()
    assert len({r["worker"] for r in results}) == 2  # both workers took stacks
    assert all(r["ok"] and r["frames"] == 10 for r in good), good
    for k in (0, 3):
        got = tifffile.imread(tmp_path / "batch_results" / f"recording{k}" / "labels.tif")
        stack = tmp_path / "batch_data" / f"recording{k}.tif"
        want = expected_labels(model, stack, tmp_path / "prompts.csv")
        np.testing.assert_array_equal(got, want)
    assert (tmp_path / "batch_results" / "recording0" / "RES" / "res_track.txt").exists()
    # The shell command on its own LocalCluster (a worker process): the damaged stack
    # named and failed, the exit status says so, the other stack's labels written.
    (cli,) = [c for c in nb.cells if "sam2_jupyter.cli" in c.source]
    printed = "".join(o.get("text", "") for o in cli.outputs)
    assert "1 of 2 stacks failed" in printed, printed
    assert "damaged.tif" in printed, printed
    assert printed.rstrip().endswith("exit status 1"), printed
    assert (tmp_path / "batch_cli" / "recording0" / "labels.tif").exists()
    assert not (tmp_path / "batch_cli" / "damaged" / "labels.tif").exists()


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs(path, tmp_path, monkeypatch):
    nbclient = pytest.importorskip("nbclient")
    nbformat = pytest.importorskip("nbformat")
    # No weights can be fetched in tests: an empty model folder and an unreachable
    # mirror make load_model fail fast, and the notebook takes its offline branch.
    monkeypatch.setenv("SAM2_JUPYTER_MODEL_DIR", str(tmp_path / "models"))
    nb = nbformat.read(path, as_version=4)
    if path.stem in SHORTER:
        line, shorter = SHORTER[path.stem]
        (cell,) = [c for c in nb.cells if line in c.source]
        cell.source = cell.source.replace(line, shorter)
    if path.stem == "batch":
        results_at = next(i for i, c in enumerate(nb.cells) if "propagate_many(" in c.source)
        nb.cells.insert(results_at + 1, nbformat.v4.new_code_cell(RESULTS_CELL))
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
    if path.stem == "batch":
        check_batch(nb, tmp_path)
