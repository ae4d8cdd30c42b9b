"""Binary encodings of what the browser draws: frame images and label images.

Frames travel as compressed image bytes: JPEG while propagating or scrolling (small,
fast), PNG once the view is idle (lossless). Labels travel run-length encoded as
(value uint16, run uint32) pairs, little-endian: a typical mask frame is a few
hundred bytes, and decoding in JavaScript is one pass. Never JSON lists of pixels.
"""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

from .._words import plural

RLE_DTYPE = np.dtype([("value", "<u2"), ("run", "<u4")])


def preview_scale(shown: int, longest: int) -> float:
    """The scale of previews for a screen showing ``shown`` pixels along the image's
    ``longest`` side: 1.0 when it shows 0.8 of them or more; else an integer reduction
    (1/n) when one lands within 0.8–1.25× of the screen's resolution, as it does for
    most sizes: averaging n × n blocks costs a sixth of a resize to the exact size (2
    vs 14 ms for a 1024² frame), and the preview is for moving through frames (the
    lossless image follows at rest); else the exact size."""
    if shown <= 0 or shown >= 0.8 * longest:
        return 1.0
    n = max(1, round(longest / shown))
    if 0.8 * shown <= longest / n <= 1.25 * shown:
        return 1.0 / n
    return round(shown / longest, 3)


def encode_image(
    rgb: np.ndarray, lossless: bool, quality: int = 90, scale: float = 1.0
) -> tuple[bytes, str]:
    """uint8 RGB (Y, X, 3) to (bytes, mime type); ``scale`` < 1 shrinks it first, for
    previews sent at screen resolution (the browser stretches them to full size): by
    averaging n × n blocks when ``scale`` is 1/n, else by a bilinear resize."""
    buf = io.BytesIO()
    image = Image.fromarray(np.ascontiguousarray(rgb))
    n = round(1 / scale) if scale > 0 else 1
    if scale < 1.0 and abs(scale * n - 1) < 1e-9:
        image = image.reduce(n)
    elif scale < 1.0:
        size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
        image = image.resize(size, Image.Resampling.BILINEAR, reducing_gap=2.0)
    if lossless:
        image.save(buf, format="PNG", compress_level=1)
        return buf.getvalue(), "image/png"
    image.save(buf, format="JPEG", quality=quality)
    return buf.getvalue(), "image/jpeg"


def encode_labels(labels: np.ndarray) -> bytes:
    """Run-length encode a uint16 label image in row-major order."""
    flat = np.ascontiguousarray(labels, dtype=np.uint16).reshape(-1)
    if flat.size == 0:
        return b""
    change = np.flatnonzero(flat[1:] != flat[:-1]) + 1
    starts = np.concatenate(([0], change))
    runs = np.diff(np.concatenate((starts, [flat.size])))
    out = np.empty(starts.size, RLE_DTYPE)
    out["value"] = flat[starts]
    out["run"] = runs
    return out.tobytes()


def decode_labels(data: bytes, shape: tuple[int, int]) -> np.ndarray:
    """Inverse of :func:`encode_labels` (used by tests and for checking)."""
    pairs = np.frombuffer(data, RLE_DTYPE)
    flat = np.repeat(pairs["value"], pairs["run"].astype(np.int64))
    if flat.size != shape[0] * shape[1]:
        raise ValueError(
            f"label runs cover {plural(flat.size, 'pixel')}, expected {shape[0] * shape[1]}"
        )
    return flat.reshape(shape)
