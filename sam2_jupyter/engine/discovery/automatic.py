"""``method="sam2"``: SAM2's own automatic mask generator on one frame of a session.

The generator is sam2's (``SAM2AutomaticMaskGenerator``, its parameters under its
names); what this module adds is where the image features come from. The frame
the generator sees is the one the session tracks (its uint8 RGB view), and the
whole-frame crop takes the session's encoder output for that frame: from the
feature cache when it is there (no second encode), else encoded once and kept for
the clicks and the propagation that follow. The masks are painted into one
non-overlapping label image by descending predicted IoU (:func:`.label_image`).

Preprocessing: the session's features come from sam2's *video* preprocessing
(Pillow resize of the uint8 frame), while the generator on its own encodes through
the image predictor's (torchvision's resize of the float image). The two differ by
interpolation only; ``benchmarks/bench_discovery.py`` measures what that changes.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from ..._sam2.image import generate, generator_class, make_generator
from ...errors import PromptError
from ...models import Model, inference
from .candidates import check_areas, check_region, label_image

if TYPE_CHECKING:
    from ..features import FeatureCache
    from ..frames import SamFrames

# Ours, not the generator's: every method takes them.
SHARED = ("min_area", "max_area", "box", "mask")
# The generator's parameters a label image has no use for (it needs binary masks).
REFUSED = ("output_mode",)


def generator_parameters() -> list[str]:
    """The parameters ``SAM2AutomaticMaskGenerator`` takes (its own names)."""
    names = inspect.signature(generator_class().__init__).parameters
    return [n for n in names if n not in ("self", "model", "kwargs") and n not in REFUSED]


def frame_features(
    model: Model, frames: SamFrames, cache: FeatureCache | None, t: int
) -> Callable[[], dict[str, Any]]:
    """The encoder output for frame ``t``: the cached one, else encoded now (as sam2's
    video predictor encodes a frame) and kept in the cache for what follows."""

    def features() -> dict[str, Any]:
        entry = cache.get(t) if cache is not None else None
        if entry is not None:
            return entry[1]
        image = frames[t].to(model.device).float().unsqueeze(0)
        backbone_out = model.predictor.forward_image(image)
        if cache is not None:
            cache.put(t, (image, backbone_out))
        return backbone_out

    return features


def sam2_candidates(
    model: Model,
    image: np.ndarray,
    features: Callable[[], dict[str, Any]] | None,
    *,
    min_area: int | None = 0,
    max_area: int | None = None,
    box: Any = None,
    mask: Any = None,
    stop: Callable[[], bool] | None = None,
    **params: Any,
) -> np.ndarray:
    """Candidates on ``image`` (uint8 (Y, X, 3)) from sam2's generator built with
    ``params``; ``features`` gives the whole image's encoder output (None: the
    generator encodes it itself); ``stop()`` True cancels it between batches of
    points (CancelledError). An unknown or bad parameter raises PromptError naming
    it."""
    if getattr(model, "predictor", None) is None:  # another tracker (EdgeTAM)
        raise PromptError(
            f"method 'sam2' is SAM2's automatic mask generator and needs a SAM2 model; "
            f"this session runs {model.spec.label}: use method='threshold', or segment "
            f"with a SAM2 session and seed_from_labels() here"
        )
    shape = (int(image.shape[0]), int(image.shape[1]))
    region = check_region(box, mask, shape)
    low, high = check_areas(min_area, max_area)
    known = generator_parameters()
    unknown = sorted(set(params) - set(known))
    if unknown:
        raise PromptError(
            f"unknown parameter(s) for method 'sam2': {', '.join(unknown)} "
            f"(it takes {', '.join([*known, *SHARED])})"
        )
    try:
        generator = make_generator(model.predictor, **params)
    except (TypeError, ValueError, AssertionError) as exc:
        raise PromptError(f"method 'sam2': {exc or 'a parameter is out of range'}") from exc
    try:
        with inference(model):
            masks, scores = generate(generator, np.ascontiguousarray(image), features, stop)
    except ModuleNotFoundError as exc:  # min_mask_region_area needs OpenCV
        raise PromptError(f"method 'sam2' with these parameters needs {exc.name}") from exc
    return label_image(masks, scores, shape, min_area=low, max_area=high, region=region)
