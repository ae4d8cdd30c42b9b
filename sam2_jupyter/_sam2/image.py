"""sam2's automatic mask generator, fed the image features the session already has.

``SAM2AutomaticMaskGenerator`` encodes its image through ``SAM2ImagePredictor.
set_image`` and then asks the mask decoder about a grid of points. The session
keeps every frame's encoder output (memory, disk, precompute), so the one crop that
is the whole frame gets those features instead of a second encode; smaller crops
(``crop_n_layers`` > 0) are encoded by sam2 as usual. What ``set_image`` does with
an encoder output is repeated here exactly (the two private names it uses are in
:mod:`.surface`), so the generator's masks are the ones it makes from the same
features.

The image predictor assumes the 1024 px model's feature sizes; a model built at
another size gets its own (``image_size`` / 4, / 8, / 16), as sam2 would need too.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import torch

from ..errors import CancelledError

GENERATOR = "sam2.automatic_mask_generator"
IMAGE = "sam2.sam2_image_predictor"
INSTALL = "pip install torch==2.14.1 torchvision==0.29.1"


def generator_class() -> Any:
    """``SAM2AutomaticMaskGenerator``; an ImportError that says what to install when
    torchvision (which sam2's image side imports) is missing or broken."""
    try:
        from sam2.automatic_mask_generator import SAM2AutomaticMaskGenerator
    except (ImportError, RuntimeError) as exc:
        raise ImportError(
            f"segmenting everything with SAM2 needs torchvision beside torch ({exc}); "
            f"install a matching pair, e.g. `{INSTALL}`, or use method='threshold'"
        ) from exc
    return SAM2AutomaticMaskGenerator


def feature_sizes(image_size: int) -> list[tuple[int, int]]:
    """The backbone's feature map sizes for a model of ``image_size`` pixels."""
    return [(image_size // s, image_size // s) for s in (4, 8, 16)]


@functools.cache
def _checked() -> None:
    """The image side of sam2's surface, checked once (after the import succeeded)."""
    from .patches import Sam2SurfaceError
    from .surface import image_problems

    found = image_problems()
    if found:
        raise Sam2SurfaceError(
            "this sam2's image predictor lacks what segment_everything relies on: "
            + "; ".join(found)
        )


def make_generator(predictor: Any, **params: Any) -> Any:
    """sam2's generator over ``predictor`` (a built SAM2 model: the video predictor
    is one), its image predictor sized for the model. Unknown parameters raise
    sam2's own TypeError; a sam2 whose image side changed, Sam2SurfaceError."""
    cls = generator_class()
    _checked()
    generator = cls(predictor, **params)
    generator.predictor._bb_feat_sizes = feature_sizes(int(predictor.image_size))
    return generator


def set_features(image_predictor: Any, backbone_out: dict[str, Any], hw: tuple[int, int]) -> None:
    """What ``SAM2ImagePredictor.set_image`` does after its encoder call, on a given
    encoder output: the predictor then answers prompts on an image of size ``hw``."""
    model = image_predictor.model
    _, vision_feats, _, _ = model._prepare_backbone_features(backbone_out)
    if model.directly_add_no_mem_embed:
        vision_feats[-1] = vision_feats[-1] + model.no_mem_embed
    feats = [
        feat.permute(1, 2, 0).view(1, -1, *size)
        for feat, size in zip(vision_feats[::-1], image_predictor._bb_feat_sizes[::-1], strict=True)
    ][::-1]
    image_predictor._features = {"image_embed": feats[-1], "high_res_feats": feats[:-1]}
    image_predictor._orig_hw = [tuple(hw)]
    image_predictor._is_image_set = True
    image_predictor._is_batch = False


@contextlib.contextmanager
def known_features(
    generator: Any, hw: tuple[int, int], features: Callable[[], dict[str, Any]]
) -> Iterator[None]:
    """Meanwhile the generator's whole-image crop takes ``features()`` (the encoder
    output for that image) instead of encoding; any other crop encodes as usual."""
    image_predictor = generator.predictor
    encode = image_predictor.set_image

    def set_image(image: np.ndarray) -> None:
        if tuple(image.shape[:2]) == tuple(hw):
            set_features(image_predictor, features(), hw)
        else:
            encode(image)

    image_predictor.set_image = set_image
    try:
        yield
    finally:
        del image_predictor.set_image  # the class's own again


@contextlib.contextmanager
def stoppable(generator: Any, stop: Callable[[], bool] | None) -> Iterator[None]:
    """Meanwhile ``stop()`` is asked before each batch of points the mask decoder
    answers; True raises :class:`~sam2_jupyter.errors.CancelledError`."""
    if stop is None:
        yield
        return
    image_predictor = generator.predictor
    predict = image_predictor._predict

    def checked(*args: Any, **kwargs: Any) -> Any:
        if stop():
            raise CancelledError("segmenting everything was cancelled")
        return predict(*args, **kwargs)

    image_predictor._predict = checked
    try:
        yield
    finally:
        del image_predictor._predict


def generate(
    generator: Any,
    image: np.ndarray,
    features: Callable[[], dict[str, Any]] | None,
    stop: Callable[[], bool] | None = None,
) -> tuple[list[np.ndarray], list[float]]:
    """The generator's masks on ``image`` (uint8 (Y, X, 3)) and their predicted IoU;
    with ``features``, the whole image is not encoded again; ``stop`` cancels it
    between batches of points."""
    hw = (int(image.shape[0]), int(image.shape[1]))
    with torch.inference_mode(), stoppable(generator, stop):
        if features is None:
            records = generator.generate(image)
        else:
            with known_features(generator, hw, features):
                records = generator.generate(image)
    masks = [np.asarray(r["segmentation"], bool) for r in records]
    return masks, [float(r["predicted_iou"]) for r in records]
