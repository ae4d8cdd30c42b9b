"""EdgeTAM behind the Session: parity with EdgeTAM driven directly through
transformers (same weights, same frames, same prompts), and the rules the Session
keeps for every tracker (a correction stays through propagation; undo; removal;
the low memory modes). Untrained weights at 256 px: masks are noise, but the same
noise on both sides."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

pytest.importorskip("transformers")
pytest.importorskip("timm")

from sam2_jupyter import ModelError, PromptError, Session, load_model
from sam2_jupyter.models import UntrainedModelWarning

SIZE = 256
pytestmark = pytest.mark.filterwarnings("ignore::sam2_jupyter.models.UntrainedModelWarning")


@pytest.fixture(scope="module")
def edgetam():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UntrainedModelWarning)
        return load_model("edgetam", untrained=True, image_size=SIZE, device="cpu")


@pytest.fixture(scope="module")
def clip():
    rng = np.random.default_rng(3)
    video = rng.integers(0, 60, (6, 72, 96, 3), np.uint8)
    for t in range(6):
        video[t, 20:44, 20 + 3 * t : 44 + 3 * t] = 220  # a bright square moving right
    return video


def direct(model, session: Session, n_frames: int):
    """EdgeTAM driven through transformers alone on the Session's own model-ready
    frames: object 1 clicked at (x 30, y 30), object 2 a box, both on frame 0; then
    tracked forward. Per frame: its logits at the video's size and object scores."""
    from transformers.models.edgetam_video.modeling_edgetam_video import (
        EdgeTamVideoInferenceSession,
    )

    net, processor = model.net, model.tracker.processor
    h, w = session.frame_shape
    video = torch.stack([session._frames[t] for t in range(n_frames)])
    s = EdgeTamVideoInferenceSession(
        video=video, video_height=h, video_width=w, dtype=torch.float32
    )
    with torch.inference_mode():
        processor.add_inputs_to_inference_session(
            s, frame_idx=0, obj_ids=1, input_points=[[[[30.0, 30.0]]]], input_labels=[[[1]]]
        )
        net(inference_session=s, frame_idx=0)
        processor.add_inputs_to_inference_session(
            s, frame_idx=0, obj_ids=2, input_boxes=[[[50.0, 40.0, 90.0, 70.0]]]
        )
        net(inference_session=s, frame_idx=0)
        out = {}
        for o in net.propagate_in_video_iterator(s, start_frame_idx=0):
            logits = torch.nn.functional.interpolate(
                o.pred_masks, size=(h, w), mode="bilinear", align_corners=False
            )
            out[int(o.frame_idx)] = (logits, o.object_score_logits.reshape(-1))
    return out


def test_session_over_edgetam_equals_edgetam_driven_directly(edgetam, clip):
    s = Session(clip, edgetam)
    s.add_point(0, 30, 30, 1)
    s.add_box(0, 40, 50, 70, 90, 2)
    assert s.run_propagation(progress=False) == list(range(6))
    expected = direct(edgetam, s, 6)
    tracker, state = edgetam.tracker, s._core.sam
    for t, (logits, scores) in expected.items():
        ours = tracker.frame_masks(state, t)
        assert torch.allclose(ours, logits, atol=1e-5), t
        got = [tracker.object_score(state, o, t) for o in (1, 2)]
        np.testing.assert_allclose(got, scores.numpy(), atol=1e-6)
        # The labels are those logits' masks (object 2 drawn over 1 where both claim).
        present = s.quality()
        rows = present[present["frame"] == t].set_index("label")["present"]
        np.testing.assert_allclose(rows.loc[[1, 2]], 1 / (1 + np.exp(-scores.numpy())), atol=1e-6)
    assert s.label_frame(5).shape == clip.shape[1:3]


def test_a_correction_stays_through_propagation_and_undo(edgetam, clip):
    s = Session(clip, edgetam)
    s.add_point(0, 30, 30, 1)
    s.run_propagation(progress=False)
    before = s.label_frame(3).copy()
    s.add_point(3, 35, 40, 1, positive=False)  # a correction on a tracked frame
    corrected = s.label_frame(3).copy()
    assert not np.array_equal(corrected, before)
    s.run_propagation(progress=False)
    np.testing.assert_array_equal(s.label_frame(3), corrected)  # kept exactly, not retracked
    s.run_propagation(direction="reverse", start=5, progress=False)
    np.testing.assert_array_equal(s.label_frame(3), corrected)
    for _ in range(3):  # both propagations, then the correction
        s.undo()
    np.testing.assert_array_equal(s.label_frame(3), before)
    s.redo()
    np.testing.assert_array_equal(s.label_frame(3), corrected)


def test_removal_memory_modes_and_what_does_not_apply(edgetam, clip):
    s = Session(clip, edgetam, memory_mode="low")
    s.add_point(0, 30, 30, 1)
    s.add_point(0, 60, 70, 2)
    s.add_point(0, 10, 85, 3)
    s.run_propagation(progress=False)
    # The low modes' release: outputs farther than the window from the frame and
    # from every prompted frame go (here frames 2 and 3, of each of 3 objects).
    assert edgetam.tracker.release(s._core.sam, 5, 1) == 6
    outputs = s._core.sam.session.output_dict_per_obj.values()
    assert {t for obj in outputs for t in obj["non_cond_frame_outputs"]} == {1, 4, 5}
    s.clear_label(2)
    assert s.label_ids == [1, 3]
    assert s._core.sam.object_ids == [1, 3]
    s.run_propagation(progress=False)
    assert not (s.label_frame(4) == 2).any()
    s.undo()  # the propagation
    s.undo()  # the removal
    assert 2 in s._core.sam.object_ids
    with pytest.raises(PromptError, match="threshold"):
        s.segment_everything(0, method="sam2")
    with pytest.raises(ModelError, match="compile"):
        load_model("edgetam", untrained=True, compile=True, device="cpu")
    with pytest.raises(ModelError, match="1024"):
        load_model("edgetam", checkpoint="missing.safetensors", image_size=256, device="cpu")


def test_autosave_and_resume_send_the_prompts_again(edgetam, clip, tmp_path):
    s = Session(clip, edgetam, autosave=tmp_path / "save")
    s.add_point(0, 30, 30, 1)
    s.run_propagation(progress=False)
    saved = s.labels.copy()
    s.close()
    again = Session(clip, edgetam, autosave=tmp_path / "save", resume=True)
    np.testing.assert_array_equal(again.labels, saved)  # every frame as it was saved
    assert [(p.frame, p.label) for p in again.prompts] == [(0, 1)]
    assert again._core.sam.object_ids == [1]  # the click is EdgeTAM's input again
    assert again.run_propagation(progress=False) == list(range(6))
    again.close()


def test_the_weights_download_from_the_published_place_checked_by_their_hash(tmp_path, monkeypatch):
    import dataclasses
    import functools
    import hashlib
    import http.server

    from httpd import serving
    from safetensors.torch import save_file

    from sam2_jupyter.models import edgetam as module
    from sam2_jupyter.models import get_spec

    spec = get_spec("edgetam")
    assert spec.url.startswith("https://huggingface.co/yonigozlan/EdgeTAM-hf/resolve/")
    assert spec.url.endswith("/model.safetensors")
    assert len(spec.sha256) == 64
    # A stand-in for the published file: the architecture's own (random) weights.
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(5)
        state = {k: v.contiguous() for k, v in module._edgetam.network(1024).state_dict().items()}
    served = tmp_path / "hub"
    served.mkdir()
    save_file(state, served / "model.safetensors")
    digest = hashlib.sha256((served / "model.safetensors").read_bytes()).hexdigest()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=served)
    handler.log_message = lambda *a: None
    with serving(http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)) as httpd:
        url = f"http://127.0.0.1:{httpd.server_address[1]}/model.safetensors"
        monkeypatch.setattr(module, "SPEC", dataclasses.replace(spec, sha256="0" * 64))
        with pytest.raises(ModelError, match="corrupted"):
            load_model("edgetam", url=url, model_dir=tmp_path / "a", device="cpu", progress=False)
        monkeypatch.setattr(module, "SPEC", dataclasses.replace(spec, sha256=digest))
        with warnings.catch_warnings():
            warnings.simplefilter("error", UntrainedModelWarning)
            model = load_model(
                "edgetam", url=url, model_dir=tmp_path / "b", device="cpu", progress=False
            )
    assert model.checkpoint == tmp_path / "b" / spec.filename
    assert not model.untrained
    assert model.image_size == 1024
    loaded = model.net.state_dict()
    assert all(torch.equal(loaded[k], v) for k, v in state.items())
    (tmp_path / "b" / spec.filename).unlink()


def test_the_annotator_drives_it_and_the_panel_offers_it(edgetam, clip):
    from harness import open_annotator

    a = open_annotator(clip, edgetam)
    try:
        options = dict((v, k) for k, v in a.controls.model.model_name.options)
        assert options["edgetam"].startswith("EdgeTAM")
        assert a.controls.model.model_name.value == "edgetam"  # the model in use
        a.browser.send(type="point", frame=0, y=30.0, x=30.0, label=1)
        a.wait(60)
        assert [(p.frame, p.label) for p in a.session.prompts] == [(0, 1)]
        a.browser.ack_all()
        assert any(c["frame"] == 0 for c, _ in a.browser.of("labels"))
        a.controller.propagator.propagate().result(120)
        a.wait(60)
        assert a.controls.propagate.progress.value == a.session.n_frames
        assert (a.session.labels[1:] == 1).any()
        assert "EdgeTAM" in a.controls.model.model_in_use.value
    finally:
        a.close()


def test_the_feature_cache_and_precompute_serve_its_clicks(edgetam, clip, monkeypatch):
    encodes = []
    real = edgetam.net.get_image_features

    def counted(*args, **kwargs):
        encodes.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(edgetam.net, "get_image_features", counted)
    s = Session(clip, edgetam)
    assert s.precompute.frame(3)
    assert len(encodes) == 1
    s.add_point(3, 30, 30, 1)  # a click on the precomputed frame: no encode
    assert len(encodes) == 1
    s.run_propagation(progress=False)  # frames 4 and 5 are encoded, 3 is not again
    assert len(encodes) == 3
    s.add_point(5, 30, 40, 1, positive=False)  # a frame the propagation encoded
    assert len(encodes) == 3
    assert s.features_ready() == 3
    with pytest.raises(ValueError, match="feature_dir"):
        Session(clip, edgetam, feature_dir=True)


def test_a_transformers_without_what_the_adapter_calls_is_named(monkeypatch):
    from transformers import EdgeTamVideoModel

    from sam2_jupyter import _edgetam

    _edgetam.require()
    monkeypatch.delattr(EdgeTamVideoModel, "_run_single_frame_inference")
    with pytest.raises(ModelError, match=r"EdgeTamVideoModel\._run_single_frame_inference"):
        load_model("edgetam", untrained=True, device="cpu")


def test_masks_both_directions_and_stop_when_lost(edgetam, clip):
    s = Session(clip, edgetam, memory_mode="super-low")
    square = np.zeros(clip.shape[1:3], bool)
    square[20:44, 29:53] = True
    s.add_mask(3, square, 1)
    np.testing.assert_array_equal(s.label_frame(3) == 1, square)  # a mask is kept as given
    labels = np.zeros(clip.shape[1:3], np.int32)
    labels[50:60, 70:80] = 2
    s.seed_from_labels(3, labels)
    assert s._core.sam.object_ids == [1, 2]
    run = s.propagate(direction="both", progress=False)
    assert [t for t, _ in run] == [3, 4, 5, 3, 2, 1, 0]
    np.testing.assert_array_equal(s.label_frame(3) == 1, square)
    # Stop when lost: EdgeTAM's object scores say absent off frame 3 (injected).
    tracker = edgetam.tracker
    real = tracker.object_score
    tracker.object_score = lambda state, o, t: -5.0 if t != 3 else real(state, o, t)
    try:
        done = s.run_propagation(start=3, direction="reverse", stop_when_lost=1, progress=False)
    finally:
        tracker.object_score = real
    assert done == [3, 2]  # frame 2 lost every label: the pass ended there


def test_the_command_line_runs_it_on_dask_as_the_session_does(edgetam, clip, tmp_path, monkeypatch):
    """``sam2-jupyter propagate --model edgetam``: the same labels as a Session over
    EdgeTAM in this process. The dask cluster is in-process (threads): its process
    spawning is the same for every model and tested with SAM2 in test_batch.py."""
    import tifffile
    from distributed import Client

    from sam2_jupyter import cli
    from sam2_jupyter.batch import propagate_many

    stack = tmp_path / "clip.tif"
    tifffile.imwrite(stack, clip, photometric="rgb", metadata={"axes": "TYXS"})
    s = Session(clip, edgetam)
    s.auto_segment = False
    s.add_point(0, 30, 30, 1)
    s.add_point(4, 60, 70, 2)
    s.save_prompts(tmp_path / "prompts.csv")
    expected = Session(stack, edgetam, memory_mode="low")
    expected.load_prompts(tmp_path / "prompts.csv")
    expected.run_propagation(direction="both", progress=False)
    with Client(processes=False, n_workers=1, threads_per_worker=1, dashboard_address=None) as c:
        monkeypatch.setattr(
            cli, "propagate_many", lambda *a, **k: propagate_many(*a, **k | {"client": c})
        )
        argv = ["propagate", str(stack), "--prompts", str(tmp_path / "prompts.csv")]
        argv += ["--out", str(tmp_path / "out"), "--model", "edgetam", "--untrained"]
        argv += ["--image-size", str(SIZE), "--device", "cpu", "--quiet", "--json"]
        assert cli.main(argv) == 0
    np.testing.assert_array_equal(
        tifffile.imread(tmp_path / "out" / "clip" / "labels.tif"), expected.labels
    )
    assert set(np.unique(expected.labels)) == {0, 1, 2}  # both objects, somewhere
