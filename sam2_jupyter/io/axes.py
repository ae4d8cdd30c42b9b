"""Axis letters of image data: guessing them for arrays without metadata, and
checking what users and files declare."""

from __future__ import annotations

from ..errors import StackError

_KNOWN_AXES = set("TZCYX")


def guess_axes(shape: tuple[int, ...]) -> str:
    """Axes of an array without metadata: a trailing 3 or 4 is colour.

    2D: YX; 3D: TYX or YXC; 4D: TZYX or TYXC; 5D: TZCYX or TZYXC.
    """
    ndim = len(shape)
    rgb = ndim >= 3 and shape[-1] in (3, 4) and min(shape[-3:-1]) > 4
    table = {
        (2, False): "YX",
        (3, False): "TYX",
        (3, True): "YXC",
        (4, False): "TZYX",
        (4, True): "TYXC",
        (5, False): "TZCYX",
        (5, True): "TZYXC",
    }
    try:
        return table[(ndim, rgb)]
    except KeyError:
        raise StackError(
            f"cannot guess the axes of a {ndim}D array of shape {shape}; pass axes='TZCYX'-style"
        ) from None


def normalise_axes(axes: str, shape: tuple[int, ...], name: str) -> str:
    """Upper-case, check letters and length; S (samples) means C."""
    axes = axes.upper().replace("S", "C")
    if len(axes) != len(shape):
        raise StackError(
            f"{name}: axes {axes!r} have {len(axes)} letters but the data has "
            f"{len(shape)} dimensions {shape}"
        )
    bad = set(axes) - _KNOWN_AXES
    if bad:
        raise StackError(
            f"{name}: unknown axis letter(s) {sorted(bad)} in {axes!r}; use T, Z, C, Y, X"
        )
    if len(set(axes)) != len(axes):
        raise StackError(f"{name}: axis letters repeat in {axes!r}")
    if "Y" not in axes or "X" not in axes:
        raise StackError(f"{name}: axes {axes!r} need both Y and X")
    return axes
