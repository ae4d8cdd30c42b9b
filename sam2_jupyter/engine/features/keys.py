"""What the disk store's entries are keyed by: the model and each frame's pixels.

* a folder per model, named by a digest of the weights that ``forward_image`` uses,
  the input size, the device type, the autocast dtype and compilation (features
  computed on a GPU in bfloat16 differ from CPU float32 ones, so they never mix);
* inside it, one entry per frame, named by a digest of the frame's resized uint8
  pixels, i.e. the exact model input after contrast and resizing.
"""

from __future__ import annotations

import hashlib
import json
import os
import weakref
from pathlib import Path
from typing import Any

import platformdirs
import torch

FORMAT = 1  # of the store's entries (see .store); part of the model folder's name
ENV_FEATURE_DIR = "SAM2_JUPYTER_FEATURE_DIR"
_digests: weakref.WeakKeyDictionary[Any, str] = weakref.WeakKeyDictionary()


def default_feature_dir() -> Path:
    """Per-user cache folder (``$SAM2_JUPYTER_FEATURE_DIR`` overrides)."""
    env = os.environ.get(ENV_FEATURE_DIR)
    return Path(env) if env else Path(platformdirs.user_cache_dir("sam2_jupyter")) / "features"


def _tensor_bytes(t: torch.Tensor) -> bytes:
    return t.detach().contiguous().cpu().view(-1).view(torch.uint8).numpy().tobytes()


def weights_digest(predictor: Any) -> str:
    """Digest of every weight ``forward_image`` uses (image encoder and the high-res
    projections), computed once per predictor. Another tracker's network (EdgeTAM's,
    which has no ``image_encoder``) is digested by its ``vision_encoder``."""
    known = _digests.get(predictor)
    if known is not None:
        return known
    h = hashlib.sha256()
    encoder = getattr(predictor, "image_encoder", None)
    if encoder is None:
        modules = [("vision_encoder", predictor.vision_encoder)]
    else:
        modules = [("image_encoder", encoder)]
        for name in ("conv_s0", "conv_s1"):
            sub = getattr(predictor.sam_mask_decoder, name, None)
            if sub is not None:
                modules.append((name, sub))
    for prefix, module in modules:
        for key, value in module.state_dict().items():
            h.update(f"{prefix}.{key}{tuple(value.shape)}{value.dtype}".encode())
            h.update(_tensor_bytes(value))
    digest = h.hexdigest()[:32]
    _digests[predictor] = digest
    return digest


def frame_digest(pixels: torch.Tensor) -> str:
    """Digest of a model input: the resized uint8 (3, S, S) frame.

    SHA-256 (hardware-accelerated on current CPUs: about 1.4 ms for a 1024 px frame
    here, against 2.1 ms for BLAKE2b) is paid once per frame and session, on the
    frame's first visit."""
    h = hashlib.sha256()
    h.update(f"{tuple(pixels.shape)}{pixels.dtype}".encode())
    h.update(_tensor_bytes(pixels))
    return h.hexdigest()[:32]


def model_key(predictor: Any, image_size: int, device: torch.device, numerics: str) -> str:
    """Folder name for one model's features. ``numerics`` names what changes the
    rounding (autocast dtype, compiled kernels)."""
    parts = {
        "weights": weights_digest(predictor),
        "image_size": int(image_size),
        "device": device.type,
        "numerics": numerics,
        "format": FORMAT,
    }
    return hashlib.blake2b(json.dumps(parts, sort_keys=True).encode(), digest_size=12).hexdigest()
