"""EdgeTAM's network and prompt processor from ``transformers``, at an input size.

``transformers`` and ``timm`` (its RepViT image encoder) are optional: the project's
``edgetam`` extra installs them, and without them :func:`require` says so.
"""

from __future__ import annotations

import inspect
from typing import Any

from ..errors import ModelError

INSTALL = "pip install 'sam2-jupyter[edgetam]'  (transformers and timm)"


# What the adapter (tracker.py) calls beyond transformers' documented video API: the
# per-object step its ``forward`` runs, and the session's own tables. Written against
# transformers 5.24; a release that renames one fails at load, naming it.
STEP = "_run_single_frame_inference"
PRIVATE = ("_prepare_vision_features", "_encode_new_memory")
STEP_ARGS = ("inference_session", "frame_idx", "obj_idx", "batch_size", "is_init_cond_frame",
             "point_inputs", "mask_inputs", "reverse", "run_mem_encoder")  # fmt: skip
SESSION = ("store_output", "remove_point_inputs", "remove_mask_inputs", "obj_id_to_idx")


def require() -> None:
    """Fail with what to install when transformers' EdgeTAM cannot be imported, or
    with what changed when a name the adapter relies on is gone."""
    try:
        import timm  # noqa: F401
        from transformers import EdgeTamVideoModel
        from transformers.models.edgetam_video.modeling_edgetam_video import (
            EdgeTamVideoInferenceSession,
        )
    except ImportError as exc:
        raise ModelError(f"EdgeTAM needs transformers and timm ({exc}); {INSTALL}") from exc
    missing = [f"EdgeTamVideoInferenceSession.{n}" for n in SESSION
               if not hasattr(EdgeTamVideoInferenceSession, n)]  # fmt: skip
    missing += [f"EdgeTamVideoModel.{n}" for n in PRIVATE if not hasattr(EdgeTamVideoModel, n)]
    step = getattr(EdgeTamVideoModel, STEP, None)
    if step is None:
        missing.append(f"EdgeTamVideoModel.{STEP}")
    else:
        params = inspect.signature(step).parameters
        missing += [f"EdgeTamVideoModel.{STEP}({a}=)" for a in STEP_ARGS if a not in params]
    if missing:
        import transformers

        raise ModelError(
            f"transformers {transformers.__version__} lacks what the EdgeTAM adapter calls: "
            f"{', '.join(missing)} (written against transformers 5.24)"
        )


def config(size: int) -> Any:
    """transformers' EdgeTAM configuration (its defaults are the published model's),
    with the RepViT-M1 backbone and every size that follows from the input size:
    the backbone's feature maps (S/4, S/8, S/16) and the memory attention's RoPE
    grid (S/16)."""
    from transformers import EdgeTamVideoConfig, EdgeTamVisionConfig, TimmWrapperConfig

    backbone = TimmWrapperConfig(
        architecture="repvit_m1.dist_in1k",
        model_args={"in_chans": 3, "features_only": True, "out_indices": [0, 1, 2, 3]},
    )
    feats = [[size // 4] * 2, [size // 8] * 2, [size // 16] * 2]
    vision = EdgeTamVisionConfig(backbone_config=backbone, backbone_feature_sizes=feats)
    return EdgeTamVideoConfig(
        vision_config=vision,
        image_size=size,
        prompt_encoder_config={"image_size": size},
        memory_attention_rope_feat_sizes=[size // 16] * 2,
    )


def network(size: int) -> Any:
    """An ``EdgeTamVideoModel`` at ``size`` px with its initial (random) weights."""
    from transformers import EdgeTamVideoModel

    return EdgeTamVideoModel(config(size)).eval()


def processor(size: int) -> Any:
    """transformers' prompt processor for EdgeTAM at ``size`` px: clicks and boxes in
    the video's pixels to the model's, masks resized to its input."""
    from transformers import Sam2ImageProcessor, Sam2VideoProcessor, Sam2VideoVideoProcessor

    hw = {"height": size, "width": size}
    return Sam2VideoProcessor(
        image_processor=Sam2ImageProcessor(
            size=hw, mask_size={"height": size // 4, "width": size // 4}
        ),
        video_processor=Sam2VideoVideoProcessor(size=hw),
        target_size=size,
    )
