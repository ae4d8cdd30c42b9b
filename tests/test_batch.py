"""Batch runs: one stack start to finish never raises, prompts per stack, clear
errors, and the CLI from a shell. A LocalCluster of two worker processes, whose
results equal the Session's, is tested through the batch notebook
(tests/test_notebooks.py), which starts one anyway."""

from __future__ import annotations

import json

import pytest
import tifffile
from conftest import IMAGE_SIZE, moving_discs

from sam2_jupyter import Session
from sam2_jupyter.batch import ModelSpec, propagate_many, run_stack

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


def test_cli_propagate(stacks, tmp_path, capsys):
    """The command line on a scheduler given by address (here one in this process, so
    no worker process has to start): a failed stack sets the exit status, JSON out,
    the formats asked. The shell command on its own LocalCluster of worker processes
    runs in the batch notebook's test (tests/test_notebooks.py)."""
    from distributed import Client

    from sam2_jupyter import cli

    _, paths, broken, prompts = stacks
    argv = ["propagate", str(paths[0]), str(broken), "--prompts", str(prompts)]
    argv += ["--out", str(tmp_path / "out"), "--untrained", "--image-size", str(IMAGE_SIZE)]
    argv += ["--device", "cpu", "--formats", "tiff,coco", "--json", "--quiet"]
    with Client(processes=False, n_workers=1, threads_per_worker=1, dashboard_address=None) as c:
        assert cli.main([*argv, "--scheduler", c.scheduler.address]) == 1  # one stack failed
    out, err = capsys.readouterr()
    assert "1 of 2 stacks failed" in err
    results = json.loads(out)
    assert [r["ok"] for r in results] == [True, False]
    assert "broken.tif" in results[1]["error"]
    assert (tmp_path / "out" / "movie0" / "coco.json").exists()
    assert (tmp_path / "out" / "movie0" / "labels.tif").exists()
    with pytest.raises(SystemExit) as usage:
        cli.main(["propagate", "x.tif"])
    assert usage.value.code == 2
    assert "--prompts" in capsys.readouterr().err
