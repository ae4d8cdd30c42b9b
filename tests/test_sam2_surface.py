"""The sam2 surface this project relies on, pinned in one test.

Every module, class, method (with the parameters we pass) and inference-state key
of sam2 that the adapter (``sam2_jupyter/_sam2``) uses is listed in
``_sam2.surface``; a sam2 upgrade that drops or re-signs one fails here, naming it.
The second half proves the check can fail: with one name deleted or re-signed, it
reports exactly that name, and ``install`` refuses to patch.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import warnings

import pytest
from sam2.sam2_video_predictor import SAM2VideoPredictor

from sam2_jupyter import _sam2
from sam2_jupyter._sam2 import patches, surface
from sam2_jupyter._sam2.state import STATE_KEYS


@pytest.mark.parametrize("item", surface.SURFACE, ids=lambda i: ".".join(p for p in i[:3] if p))
def test_sam2_has_each_name_and_parameter_we_use(item):
    assert surface.item_problems(item) == []


def test_our_inference_state_has_exactly_the_keys_sam2_writes():
    assert surface.written_keys(SAM2VideoPredictor.init_state) == set(STATE_KEYS)
    assert surface.state_problems() == []


def test_a_built_predictor_has_the_configuration_we_read(model):
    assert surface.predictor_problems(model.predictor) == []
    assert surface.problems() == []


def test_sam2_is_the_pinned_version():
    assert importlib.metadata.version("sam2") == _sam2.PINNED


# -- the check can fail ----------------------------------------------------------------
def test_a_missing_method_is_named(monkeypatch):
    monkeypatch.delattr(SAM2VideoPredictor, "_obj_id_to_idx")
    assert surface.problems() == [
        "sam2.sam2_video_predictor.SAM2VideoPredictor._obj_id_to_idx is missing"
    ]


def test_a_changed_signature_is_named(monkeypatch):
    def add_new_mask(self, inference_state, frame_idx, obj_id, masks):  # renamed parameter
        raise AssertionError("never called")

    monkeypatch.setattr(SAM2VideoPredictor, "add_new_mask", add_new_mask)
    (found,) = surface.problems()
    assert "SAM2VideoPredictor.add_new_mask" in found
    assert found.endswith("lacks mask")


def test_a_module_that_is_gone_is_named():
    def load(name):
        if name == "sam2.utils.misc":
            raise ImportError("No module named 'sam2.utils.misc'")
        return importlib.import_module(name)

    (found,) = surface.problems(load)
    assert found.startswith("module sam2.utils.misc cannot be imported")


def test_an_inference_state_key_that_is_gone_is_named(monkeypatch):
    def init_state(self, video_path):  # sam2 without frames_tracked_per_obj
        inference_state = {}
        inference_state["images"] = None
        inference_state["num_frames"] = 0
        inference_state["obj_ids"] = []
        inference_state["new_key"] = None
        return inference_state

    monkeypatch.setattr(SAM2VideoPredictor, "init_state", init_state)
    found = surface.state_problems()
    assert "sam2's inference state no longer has 'frames_tracked_per_obj'" in found
    assert "sam2's inference state has 'new_key', which our mirror lacks" in found
    assert not [p for p in found if "'images'" in p or "'obj_ids'" in p]


def test_install_refuses_a_sam2_without_the_surface(monkeypatch):
    monkeypatch.setattr(patches, "_checked", [])
    monkeypatch.delattr(SAM2VideoPredictor, "_get_orig_video_res_output")
    with pytest.raises(_sam2.Sam2SurfaceError, match="_get_orig_video_res_output is missing"):
        patches.check_version()


def test_another_version_warns_once(monkeypatch):
    monkeypatch.setattr(patches, "_checked", [])
    monkeypatch.setattr(patches.importlib.metadata, "version", lambda name: "9.9.9")
    with pytest.warns(_sam2.Sam2VersionWarning, match="sam2 9.9.9 is installed"):
        patches.check_version()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        patches.check_version()  # once per process


def test_install_is_idempotent(model):
    predictor = model.predictor
    prepare = predictor._prepare_memory_conditioned_features
    forward = predictor.memory_attention.forward
    import sam2.sam2_video_predictor as video

    bar = video.tqdm
    assert _sam2.install(predictor) is predictor
    assert _sam2.install(predictor) is predictor
    assert predictor._prepare_memory_conditioned_features is prepare
    assert predictor.memory_attention.forward is forward
    assert video.tqdm is bar
    assert patches.points(predictor.image_encoder)


def test_the_image_predictor_attributes_we_set_are_named_when_sam2_stops_setting_them(
    monkeypatch,
):
    pytest.importorskip("torchvision", reason="sam2's image predictor needs torchvision")
    from sam2.sam2_image_predictor import SAM2ImagePredictor

    assert surface.image_problems() == []

    def set_image(self, image):  # a sam2 that keeps its features elsewhere
        self._features = None
        self._is_image_set = True

    monkeypatch.setattr(SAM2ImagePredictor, "set_image", set_image)
    assert surface.image_problems() == ["SAM2ImagePredictor.set_image no longer sets _orig_hw"]
