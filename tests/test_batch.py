"""Batch runs on a dask LocalCluster with two worker processes: results equal the
Session's, a failing stack is reported without stopping the rest, and the CLI
does the same from a shell."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
import tifffile
from conftest import IMAGE_SIZE, moving_discs

from sam2_jupyter import Session
from sam2_jupyter.batch import ModelSpec, propagate_many, run_stack, stack_name

SPEC = ModelSpec("tiny", untrained=True, image_size=IMAGE_SIZE, device="cpu", seed=0)


@pytest.fixture(scope="module")
def stacks(tmp_path_factory):
    root = tmp_path_factory.mktemp("batch")
    paths = []
    for k in range(3):
        video = moving_discs(8, seed=k)
        path = root / f"movie{k}.tif"
        tifffile.imwrite(path, video, photometric="rgb", metadata={"axes": "TYXS"})
        paths.append(path)
    broken = root / "broken.tif"
    broken.write_bytes(paths[0].read_bytes()[:300])
    prompts = root / "prompts.csv"
    s = Session(moving_discs(8), _model())
    s.auto_segment = False
    s.add_point(1, 30, 30, 1)
    s.add_point(4, 65, 90, 2)
    s.add_point(4, 70, 80, 2, positive=False)
    s.save_prompts(prompts)
    return root, paths, broken, prompts


def _model():
    import warnings

    from sam2_jupyter.models import UntrainedModelWarning, load_model

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UntrainedModelWarning)
        return load_model("tiny", untrained=True, image_size=IMAGE_SIZE, device="cpu", seed=0)


def expected_labels(model, path, prompts):
    """The Session in this process, with the workers' one thread: the thread count
    changes float summation order, and untrained masks are sensitive to it."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        s = Session(path, model, memory_mode="low")
        s.load_prompts(prompts)
        s.run_propagation(direction="both")
        return s.labels
    finally:
        torch.set_num_threads(threads)


@pytest.mark.slow
def test_local_cluster_matches_the_session_and_reports_the_broken_stack(model, stacks, tmp_path):
    _, paths, broken, prompts = stacks
    results = propagate_many(
        [*paths, broken],
        prompts,
        tmp_path / "out",
        SPEC,
        n_workers=2,
        formats=("tiff", "tracks", "ctc"),
        progress=False,
    )
    by_name = {stack_name(r.stack): r for r in results}
    assert [stack_name(r.stack) for r in results] == ["movie0", "movie1", "movie2", "broken"]
    failed = by_name["broken"]
    assert not failed.ok
    assert "broken.tif" in failed.error
    assert len({r.worker for r in results}) == 2  # both workers took stacks
    for path in paths:
        r = by_name[stack_name(path)]
        assert r.ok, r.error
        assert r.frames == 8
        out = tifffile.imread(r.outputs["tiff"])
        assert np.array_equal(out, expected_labels(model, path, prompts))
        assert (tmp_path / "out" / stack_name(path) / "RES" / "res_track.txt").exists()
    assert not (tmp_path / "out" / "broken" / "labels.tif").exists()


@pytest.mark.slow
def test_run_stack_never_raises(stacks, tmp_path):
    _, paths, _, prompts = stacks
    bad_prompts = tmp_path / "bad.csv"
    bad_prompts.write_text("frame,label,kind,positive,y,x,y0,x0,y1,x1\n99,1,point,1,5,5,,,,\n")
    r = run_stack(str(paths[0]), str(bad_prompts), str(tmp_path), SPEC)
    assert not r.ok
    assert "row 2" in r.error
    r = run_stack(str(paths[0]), str(prompts), str(tmp_path), SPEC, formats=("tiff",))
    assert r.ok
    again = run_stack(str(paths[0]), str(prompts), str(tmp_path), SPEC, formats=("tiff",))
    assert not again.ok
    assert "overwrite=True" in again.error  # an earlier result is never clobbered


def test_prompts_folder_per_stack_and_clear_errors(stacks, tmp_path):
    _, paths, _, prompts = stacks
    folder = tmp_path / "prompts"
    folder.mkdir()
    (folder / "movie0.csv").write_bytes(prompts.read_bytes())
    with pytest.raises(FileNotFoundError, match=r"movie1\.tif"):
        propagate_many(paths[:2], folder, tmp_path / "out", SPEC, progress=False)
    with pytest.raises(ValueError, match="unknown format"):
        propagate_many(paths[:1], folder, tmp_path / "out", SPEC, formats=("gif",))


@pytest.mark.slow
def test_cli_propagate(stacks, tmp_path):
    _, paths, broken, prompts = stacks
    cmd = [
        sys.executable,
        "-m",
        "sam2_jupyter.cli",
        "propagate",
        str(paths[0]),
        str(broken),
        "--prompts",
        str(prompts),
        "--out",
        str(tmp_path / "out"),
        "--untrained",
        "--image-size",
        str(IMAGE_SIZE),
        "--device",
        "cpu",
        "--workers",
        "1",  # two workers: the LocalCluster test above
        "--formats",
        "tiff,coco",
        "--json",
        "--quiet",
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert done.returncode == 1, done.stderr  # one stack failed
    assert "1 of 2 stacks failed" in done.stderr
    results = json.loads(done.stdout)
    assert [r["ok"] for r in results] == [True, False]
    assert (tmp_path / "out" / "movie0" / "coco.json").exists()
    usage = subprocess.run(
        [sys.executable, "-m", "sam2_jupyter.cli", "propagate", "x.tif"],
        capture_output=True,
        text=True,
    )
    assert usage.returncode == 2
    assert "--prompts" in usage.stderr
