"""Contrast limits and conversion of any numeric frame to 8-bit RGB.

Microscopy frames are often 16-bit with a few hundred grey levels in use, floats with
NaN, or signed. SAM2 and the browser both want 8-bit RGB, so every frame goes through
one conversion with fixed limits: the same limits for every frame of a sequence keeps
intensities comparable over time, which tracking relies on.
"""

from __future__ import annotations

import numpy as np

from ..errors import StackError

DEFAULT_PERCENTILES = (0.5, 99.5)
_MAX_SAMPLE_VALUES = 2_000_000


def check_dtype(dtype: np.dtype, what: str) -> None:
    """Reject dtypes that have no sensible grey value (complex, strings, objects)."""
    if dtype.kind not in "biuf":
        raise StackError(
            f"{what}: dtype {dtype} is not an image type; use bool, integer or float data"
        )


def default_limits(dtype: np.dtype) -> tuple[float, float] | None:
    """Limits that need no statistics: 8-bit and boolean data are shown as stored."""
    if dtype == np.uint8:
        return (0.0, 255.0)
    if dtype == np.bool_:
        return (0.0, 1.0)
    return None


def percentile_limits(
    samples: list[np.ndarray], percentiles: tuple[float, float] = DEFAULT_PERCENTILES
) -> tuple[float, float]:
    """Percentile limits over the finite values of a few sample frames.

    Pixels are strided so that at most a couple of million values are looked at,
    whatever the frame size: the limits of a 1,000-frame stack cost milliseconds.
    """
    values = []
    budget = max(1, _MAX_SAMPLE_VALUES // max(1, len(samples)))
    for frame in samples:
        flat = np.asarray(frame).reshape(-1)
        step = max(1, flat.size // budget)
        v = flat[::step].astype(np.float64)
        values.append(v[np.isfinite(v)])
    finite = np.concatenate(values) if values else np.empty(0)
    if finite.size == 0:
        return (0.0, 1.0)
    lo, hi = np.percentile(finite, percentiles)
    if not hi > lo:
        # A flat image: centre it in the range rather than divide by zero.
        lo, hi = float(finite.min()), float(finite.max())
        if not hi > lo:
            # +-0.5 vanishes in rounding beyond 2**53 (and float32 data beyond 2**23)
            pad = max(0.5, abs(lo) * 1e-6)
            lo, hi = lo - pad, lo + pad
    return (float(lo), float(hi))


def to_uint8(frame: np.ndarray, limits: tuple[float, float]) -> np.ndarray:
    """Map ``frame`` linearly so ``limits`` span 0..255, clipped; NaN becomes 0.

    Only one frame is ever converted to float32 at a time, so memory stays bounded by
    the frame size, not the stack size.
    """
    lo, hi = limits
    if frame.dtype == np.uint8 and lo == 0.0 and hi == 255.0:
        return frame
    if frame.dtype == np.bool_:
        frame = frame.view(np.uint8)
    # float32 holds integers exactly only up to 2**24: wider data (uint32, int64,
    # float64) is offset in float64, else a narrow range far from zero collapses.
    work = np.float32 if frame.dtype.itemsize <= 2 or frame.dtype == np.float32 else np.float64
    # Limits closer than float32 can resolve (denormal data) would overflow the scale.
    scale = work(min(255.0 / (hi - lo), float(np.finfo(work).max)))
    out = (frame.astype(work) - work(lo)) * scale
    np.nan_to_num(out, copy=False, nan=0.0, posinf=255.0, neginf=0.0)
    np.clip(out, 0.0, 255.0, out=out)
    out += 0.5
    return out.astype(np.uint8)


def to_rgb(frame: np.ndarray) -> np.ndarray:
    """Greyscale (Y, X) becomes (Y, X, 3); RGB stays; RGBA loses alpha."""
    if frame.ndim == 2:
        return np.repeat(frame[:, :, None], 3, axis=2)
    if frame.shape[2] == 4:
        return np.ascontiguousarray(frame[:, :, :3])
    return frame
