"""The exact surface of sam2 this project relies on, checked in one place.

A sam2 upgrade that renames or re-signs any of these fails here, by name, instead
of as a wrong mask or an odd traceback deep in a propagation. ``SURFACE`` lists
(module, object, attribute, the parameters it must accept) for every call;
``STATE_KEYS`` (in :mod:`.state`) the inference-state keys, checked against what
sam2's ``init_state`` writes; ``PREDICTOR_ATTRIBUTES`` the configuration read from
a built predictor.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import textwrap
from collections.abc import Callable, Iterator
from typing import Any

from .state import STATE_KEYS

VIDEO = "sam2.sam2_video_predictor"
BASE = "sam2.modeling.sam2_base"
IMAGE = "sam2.sam2_image_predictor"
GENERATOR = "sam2.automatic_mask_generator"

# (module, object ("" for the module itself), attribute (None: the object), parameters)
SURFACE: tuple[tuple[str, str, str | None, tuple[str, ...]], ...] = (
    (
        "sam2.build_sam",
        "build_sam2_video_predictor",
        None,
        ("config_file", "ckpt_path", "device", "hydra_overrides_extra", "vos_optimized"),
    ),
    (VIDEO, "SAM2VideoPredictor", "init_state", ("self", "video_path")),
    (
        VIDEO,
        "SAM2VideoPredictor",
        "add_new_points_or_box",
        ("self", "inference_state", "frame_idx", "obj_id", "points", "labels"),
    ),
    (VIDEO, "SAM2VideoPredictor", "add_new_points_or_box", ("clear_old_points", "box")),
    (VIDEO, "SAM2VideoPredictor", "add_new_mask", ("self", "inference_state", "frame_idx")),
    (VIDEO, "SAM2VideoPredictor", "add_new_mask", ("obj_id", "mask")),
    (
        VIDEO,
        "SAM2VideoPredictor",
        "propagate_in_video",
        ("self", "inference_state", "start_frame_idx", "max_frame_num_to_track", "reverse"),
    ),
    (
        VIDEO,
        "SAM2VideoPredictor",
        "remove_object",
        ("self", "inference_state", "obj_id", "strict", "need_output"),
    ),
    (
        VIDEO,
        "SAM2VideoPredictor",
        "clear_all_prompts_in_frame",
        ("self", "inference_state", "frame_idx", "obj_id", "need_output"),
    ),
    (
        VIDEO,
        "SAM2VideoPredictor",
        "_consolidate_temp_output_across_obj",
        ("self", "inference_state", "frame_idx", "is_cond", "consolidate_at_video_res"),
    ),
    (
        VIDEO,
        "SAM2VideoPredictor",
        "_get_orig_video_res_output",
        ("self", "inference_state", "any_res_masks"),
    ),
    (VIDEO, "SAM2VideoPredictor", "_obj_id_to_idx", ("self", "inference_state", "obj_id")),
    (VIDEO, "SAM2VideoPredictor", "forward_image", ("self", "img_batch")),
    (VIDEO, "SAM2VideoPredictorVOS", None, ()),
    (VIDEO, "", "tqdm", ()),
    (
        BASE,
        "SAM2Base",
        "_prepare_memory_conditioned_features",
        (
            "self",
            "frame_idx",
            "is_init_cond_frame",
            "current_vision_feats",
            "current_vision_pos_embeds",
            "feat_sizes",
            "output_dict",
            "num_frames",
            "track_in_reverse",
        ),
    ),
    ("sam2.modeling.memory_attention", "MemoryAttention", "forward", ("self", "curr", "memory")),
    ("sam2.utils.misc", "get_connected_components", None, ("mask",)),
)

# segment_everything(method="sam2"): sam2's generator, fed the session's features.
# Checked apart (:func:`image_problems`, when the generator is first built): sam2's
# image side needs torchvision, which tracking does not.
IMAGE_SURFACE: tuple[tuple[str, str, str | None, tuple[str, ...]], ...] = (
    (
        GENERATOR,
        "SAM2AutomaticMaskGenerator",
        "__init__",
        ("self", "model", "points_per_side", "points_per_batch", "pred_iou_thresh"),
    ),
    (
        GENERATOR,
        "SAM2AutomaticMaskGenerator",
        "__init__",
        ("stability_score_thresh", "box_nms_thresh", "crop_n_layers", "min_mask_region_area"),
    ),
    (GENERATOR, "SAM2AutomaticMaskGenerator", "generate", ("self", "image")),
    (IMAGE, "SAM2ImagePredictor", "set_image", ("self", "image")),
    (IMAGE, "SAM2ImagePredictor", "_predict", ("self", "point_coords", "point_labels")),
    (BASE, "SAM2Base", "_prepare_backbone_features", ("self", "backbone_out")),
)

# Attributes of the image predictor that :func:`.image.set_features` sets as
# ``set_image`` does, and the feature sizes its constructor fixes.
IMAGE_ATTRIBUTES = {
    "set_image": ("_features", "_orig_hw", "_is_image_set"),
    "__init__": ("_bb_feat_sizes", "_is_batch"),
}

# Read from a built predictor (its configuration and sub-modules).
PREDICTOR_ATTRIBUTES = (
    "image_size",
    "image_encoder",
    "memory_attention",
    "sam_mask_decoder",
    "num_maskmem",
    "memory_temporal_stride_for_eval",
    "max_obj_ptrs_in_encoder",
    "use_obj_ptrs_in_encoder",
    "fill_hole_area",
)


def _find(module: Any, obj: str, attr: str | None) -> tuple[Any, str]:
    target, name = module, module.__name__
    for part in [p for p in (obj, attr) if p]:
        if not hasattr(target, part):
            raise LookupError(f"{name}.{part} is missing")
        target, name = getattr(target, part), f"{name}.{part}"
    return target, name


Item = tuple[str, str, "str | None", tuple[str, ...]]


def item_problems(item: Item, load: Callable[[str], Any] = importlib.import_module) -> list[str]:
    """What is wrong with one :data:`SURFACE` entry (empty: present, as used)."""
    module_name, obj, attr, params = item
    try:
        module = load(module_name)
    except ImportError as exc:
        return [f"module {module_name} cannot be imported ({exc})"]
    try:
        target, name = _find(module, obj, attr)
    except LookupError as exc:
        return [str(exc)]
    if not params:
        return []
    try:
        have = inspect.signature(target).parameters
    except (TypeError, ValueError):
        return [f"{name} has no signature to check"]
    missing = [p for p in params if p not in have]
    if missing:
        return [f"{name}{inspect.signature(target)} lacks {', '.join(missing)}"]
    return []


def problems(load: Callable[[str], Any] = importlib.import_module) -> list[str]:
    """Every listed name that is missing or no longer takes a listed parameter, and
    every inference-state key out of step, as sentences naming it (empty: sam2 has
    the whole surface). ``load`` imports a module by name (a test passes a fake)."""
    found = [p for item in SURFACE for p in item_problems(item, load)]
    return found + state_problems(load)


def _targets(method: Any) -> Iterator[ast.expr]:
    """Every target of an ``=`` assignment in ``method``'s source."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(method)))
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign):
            yield from node.targets


def _on(target: ast.expr, name: str) -> bool:
    value = getattr(target, "value", None)
    return isinstance(value, ast.Name) and value.id == name


def written_keys(init_state: Any) -> set[str]:
    """The keys ``inference_state["..."] = ...`` assigns in sam2's ``init_state``."""
    return {
        str(t.slice.value)
        for t in _targets(init_state)
        if isinstance(t, ast.Subscript)
        and _on(t, "inference_state")
        and isinstance(t.slice, ast.Constant)
    }


def state_problems(load: Callable[[str], Any] = importlib.import_module) -> list[str]:
    """Inference-state keys we build or read that sam2's ``init_state`` no longer
    writes, and keys it writes that our mirror lacks."""
    try:
        init_state, _ = _find(load(VIDEO), "SAM2VideoPredictor", "init_state")
        theirs = written_keys(init_state)
    except (ImportError, LookupError, OSError, TypeError) as exc:
        return [f"sam2's init_state cannot be read ({exc})"]
    ours = set(STATE_KEYS)
    out = [f"sam2's inference state no longer has {k!r}" for k in sorted(ours - theirs)]
    out += [
        f"sam2's inference state has {k!r}, which our mirror lacks" for k in sorted(theirs - ours)
    ]
    return out


def predictor_problems(predictor: Any) -> list[str]:
    """Configuration attributes a built predictor no longer has."""
    return [
        f"{type(predictor).__name__}.{a} is missing"
        for a in PREDICTOR_ATTRIBUTES
        if not hasattr(predictor, a)
    ]


def assigned_attributes(method: Any) -> set[str]:
    """The attributes ``self.<name> = ...`` a method assigns."""
    return {t.attr for t in _targets(method) if isinstance(t, ast.Attribute) and _on(t, "self")}


def image_problems(load: Callable[[str], Any] = importlib.import_module) -> list[str]:
    """What :data:`IMAGE_SURFACE` lacks, and image-predictor attributes we set that
    its methods no longer set."""
    found = [p for item in IMAGE_SURFACE for p in item_problems(item, load)]
    if found:
        return found
    try:
        predictor = _find(load(IMAGE), "SAM2ImagePredictor", None)[0]
    except (ImportError, LookupError) as exc:
        return [f"sam2's image predictor cannot be read ({exc})"]
    out = []
    for method, names in IMAGE_ATTRIBUTES.items():
        have = assigned_attributes(getattr(predictor, method))
        out += [f"SAM2ImagePredictor.{method} no longer sets {n}" for n in names if n not in have]
    return out
