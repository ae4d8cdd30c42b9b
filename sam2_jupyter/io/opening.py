"""Opening data as a :class:`~.stack.Stack`: reading what the user passes (an array
or a path), fixing its axes, propagation axis, channel and contrast, and refusing
what cannot work (empty data, frames larger than the machine's memory) before a
frame is read.
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import StackError
from .axes import guess_axes, normalise_axes
from .contrast import check_dtype, default_limits, percentile_limits
from .readers import read_path
from .source import Source
from .stack import Stack, check_limits, readable_samples


def open_stack(
    source: Any,
    axes: str | None = None,
    *,
    prop_axis: str | None = None,
    other_index: int = 0,
    channel: int = 0,
    contrast_limits: tuple[float, float] | None = None,
    percentiles: tuple[float, float] = (0.5, 99.5),
    channels: Any = None,
) -> Stack:
    """Open a numpy/Zarr/dask array, TIFF/OME-TIFF, video, GIF, image folder or Zarr.

    Parameters
    ----------
    source
        An array-like or a path. An existing :class:`Stack` is returned as is.
    axes
        Axis letters from T, Z, C, Y, X (S counts as C), e.g. ``"TZYX"``. Taken from
        the file's metadata when it has any, else guessed from the shape (see
        :func:`guess_axes`).
    prop_axis
        "T" or "Z": the axis SAM2 propagates along. Default: T if present, else Z.
    other_index
        For 4D data: which index of the other of T/Z is annotated.
    channel
        For multi-channel data that is not RGB (C not 3 or 4): the channel shown.
    contrast_limits
        (low, high) mapped to 0..255. Default: as stored for uint8/bool, otherwise
        the ``percentiles`` of a few sample frames (finite values only), which makes
        16-bit data that uses a few hundred grey levels visible.
    channels
        Multichannel data shown as a composite of up to three channels: ``[0, 2]``,
        ``[(0, "green"), (2, "magenta", (100, 3000))]``, or dicts with ``channel``,
        ``color`` (red, green, blue, magenta, cyan, yellow, gray) and ``limits``
        (default: each channel's own percentiles). SAM2 sees the composite.
    """
    if isinstance(source, Stack):
        return source
    if isinstance(source, (str, Path)):
        src = read_path(Path(source).expanduser())
    elif hasattr(source, "shape") and hasattr(source, "dtype") and hasattr(source, "__getitem__"):
        src = Source(source, None, f"{type(source).__name__} {tuple(source.shape)}")
    elif isinstance(source, (list, tuple)):
        try:
            src = Source(np.asarray(source), None, "array")
        except ValueError as exc:  # ragged nesting
            raise StackError(f"cannot make an array of the nested list: {exc}") from None
    else:
        raise StackError(f"cannot open {type(source).__name__}: pass an array or a path")
    shape = tuple(int(s) for s in src.array.shape)
    name = src.name
    check_dtype(np.dtype(src.array.dtype), name)
    if any(s == 0 for s in shape):
        raise StackError(f"{name}: empty data of shape {shape}")
    for arg, value in (("channel", channel), ("other_index", other_index)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            raise StackError(f"{name}: {arg} must be an integer, got {value!r}")
    if axes is not None:
        ax = normalise_axes(axes, shape, name)
    elif src.axes is not None and len(src.axes) == len(shape):
        ax = normalise_axes(src.axes, shape, name)
    else:
        ax = normalise_axes(guess_axes(shape), shape, name)

    if prop_axis is None:
        prop = "T" if "T" in ax else ("Z" if "Z" in ax else None)
    else:
        prop = prop_axis.upper()
        if prop not in ("T", "Z") or prop not in ax:
            raise StackError(
                f"{name}: prop_axis {prop_axis!r} must be T or Z and one of the data axes {ax!r}"
            )
    n_c = shape[ax.index("C")] if "C" in ax else 1
    rgb = "C" in ax and n_c in (3, 4)
    if not rgb and not 0 <= channel < n_c:
        raise StackError(f"{name}: channel {channel} out of range 0..{n_c - 1}")
    path = str(Path(source).expanduser().resolve()) if isinstance(source, (str, Path)) else None
    stack = Stack(src.array, ax, name, prop, 0, channel, rgb, (0.0, 255.0), shape, path)
    if stack.other_axis is not None:
        stack = stack.select(other_index)
    elif other_index:
        raise StackError(f"{name}: other_index given but the data has no second sequence axis")

    _check_frame_fits(stack)
    if contrast_limits is not None:
        limits = check_limits(contrast_limits, name)
    else:
        limits = default_limits(stack.dtype) or percentile_limits(
            readable_samples(stack), _check_percentiles(percentiles, name)
        )
    stack = replace(stack, contrast_limits=limits)
    return stack if channels is None else stack.with_channels(channels)


def _check_percentiles(percentiles: tuple[float, float], name: str) -> tuple[float, float]:
    try:
        lo, hi = (float(v) for v in percentiles)
    except Exception:
        raise StackError(f"{name}: percentiles must be two numbers, got {percentiles!r}") from None
    if not 0 <= lo < hi <= 100:
        raise StackError(
            f"{name}: percentiles must satisfy 0 <= low < high <= 100, got {percentiles}"
        )
    return (lo, hi)


def _physical_memory() -> int | None:
    """Bytes of RAM, where the platform tells (not on Windows)."""
    try:
        return int(os.sysconf("SC_PAGE_SIZE")) * int(os.sysconf("SC_PHYS_PAGES"))
    except (AttributeError, OSError, ValueError):
        return None


def _check_frame_fits(stack: Stack) -> None:
    """Refuse frames larger than the machine's memory before one is allocated.

    A damaged header can declare a frame of billions of pixels; reading it would
    end in a MemoryError, or the OS killing the Jupyter kernel, not a sentence.
    """
    memory = _physical_memory()
    y, x = stack.frame_shape
    per_pixel = stack.dtype.itemsize * (stack.n_channels if stack.rgb else 1)
    need = y * x * per_pixel
    if memory is not None and need > memory:
        raise StackError(
            f"{stack.name}: one frame of {y}×{x} {stack.dtype} needs {need / 2**30:.1f} GiB, "
            f"more than this machine's {memory / 2**30:.1f} GiB of memory; if the file is "
            "not that large, its header is damaged"
        )
