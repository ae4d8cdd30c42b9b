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
_F64_MAX = float(np.finfo(np.float64).max)


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
    The limits are always finite with low < high, whatever the data (values near
    the float64 range, float128 beyond it, denormals, flat frames).
    """
    values = []
    budget = max(1, _MAX_SAMPLE_VALUES // max(1, len(samples)))
    for frame in samples:
        flat = np.asarray(frame).reshape(-1)
        step = max(1, flat.size // budget)
        v = _as_float64(flat[::step])
        values.append(v[np.isfinite(v)])
    finite = np.concatenate(values) if values else np.empty(0)
    if finite.size == 0:
        return (0.0, 1.0)
    if finite.max() / 2 - finite.min() / 2 > _F64_MAX / 2:
        # Data spanning more than float64 holds (-max..max): interpolating between
        # such neighbours overflows, halves do not.
        lo, hi = np.percentile(finite / 2, percentiles) * 2
    else:
        lo, hi = np.percentile(finite, percentiles)
    if not hi > lo:
        # A flat image: centre it in the range rather than divide by zero.
        lo, hi = float(finite.min()), float(finite.max())
        if not hi > lo:
            # +-0.5 vanishes in rounding beyond 2**53 (and float32 data beyond 2**23);
            # at +-float64 max the value sits at an end, the only finite choice.
            pad = max(0.5, abs(lo) * 1e-6)
            lo, hi = max(lo - pad, -_F64_MAX), min(lo + pad, _F64_MAX)
    return (float(lo), float(hi))


def _as_float64(values: np.ndarray) -> np.ndarray:
    """``values`` as float64; float128 beyond the float64 range saturates to +-max
    (rather than overflowing to inf, which would warn and drop it as non-finite)."""
    if values.dtype.kind == "f" and values.dtype.itemsize > 8:
        values = np.clip(values, -_F64_MAX, _F64_MAX)
    return values.astype(np.float64)


def to_uint8(frame: np.ndarray, limits: tuple[float, float]) -> np.ndarray:
    """Map ``frame`` linearly so ``limits`` span 0..255, clipped; NaN becomes 0.

    Only one frame is ever converted to float32 at a time, so memory stays bounded by
    the frame size, not the stack size. Values are clipped to the limits *before*
    the subtraction, so no difference exceeds ``high - low`` and nothing overflows
    however extreme the data (+-inf, float64 max, float128).
    """
    lo, hi = limits
    if frame.dtype == np.uint8 and lo == 0.0 and hi == 255.0:
        return frame
    if frame.dtype == np.bool_:
        frame = frame.view(np.uint8)
    span = hi - lo  # Python floats: inf, not an error, for limits near +-float64 max
    # float32 holds integers exactly only up to 2**24: wider data (uint32, int64,
    # float64) is offset in float64, else a narrow range far from zero collapses.
    # Limits beyond float32's range, or closer than its smallest normal number
    # (denormal data), need float64 too.
    narrow = frame.dtype.itemsize <= 2 or frame.dtype == np.float32
    f32 = np.finfo(np.float32)
    fits32 = max(abs(lo), abs(hi), span) <= float(f32.max) and span >= float(f32.tiny)
    work = np.float32 if narrow and fits32 else np.float64
    if frame.dtype.kind == "f" and frame.dtype.itemsize > 8:
        frame = np.clip(frame, lo, hi)  # float128: beyond float64 it would overflow
    out = frame.astype(work)
    if not np.isfinite(span):
        # Limits wider than float64 holds: work in halves, where differences fit.
        out *= 0.5
        lo, hi = lo / 2, hi / 2
        span = hi - lo
    np.clip(out, lo, hi, out=out)  # NaN stays NaN; +-inf become the limits
    out -= work(lo)
    out /= work(span)  # a division: 255 / span overflows for denormal spans
    out *= 255.0
    np.nan_to_num(out, copy=False, nan=0.0)
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
