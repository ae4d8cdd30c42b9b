"""SAM2 model registry, checkpoint download and building."""

from .build import (
    Model,
    NoHoleFillingWarning,
    UntrainedModelWarning,
    inference,
    load_model,
    pick_device,
)
from .download import default_model_dir, ensure_checkpoint
from .registry import MODEL_NAMES, VERSIONS, ModelSpec, get_spec

__all__ = [
    "MODEL_NAMES",
    "VERSIONS",
    "Model",
    "ModelSpec",
    "NoHoleFillingWarning",
    "UntrainedModelWarning",
    "default_model_dir",
    "ensure_checkpoint",
    "get_spec",
    "inference",
    "load_model",
    "pick_device",
]
