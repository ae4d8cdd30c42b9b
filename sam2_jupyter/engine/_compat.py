"""Keeping old call forms working for one release, with a warning that says the new one.

Flags became keyword-only (``add_point(..., positive=False)``) and propagation
takes ``direction=`` instead of ``reverse`` / ``both``; scripts written against the
earlier API keep running and are told what to change.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

from .._compat import positional_flags

__all__ = ["auto_from_minus_one", "direction_from", "positional_flags", "renamed"]


def direction_from(reverse: bool | None, both: bool | None, direction: str | None) -> str:
    """The ``direction`` for the old ``reverse`` / ``both`` booleans (deprecated)."""
    if reverse is None and both is None:
        return direction or "forward"
    if direction is not None:
        raise TypeError("give either direction= or the old reverse= / both=, not both")
    new = "both" if both else "reverse" if reverse else "forward"
    warnings.warn(
        f"reverse= and both= are replaced by direction={new!r}", DeprecationWarning, stacklevel=3
    )
    return new


def renamed(old: str, new: str) -> Callable[..., Any]:
    """A method ``old`` that warns and calls ``new`` (its name since then)."""

    def call(self: Any, *args: Any, **kwargs: Any) -> Any:
        warnings.warn(f"{old} is now {new}", DeprecationWarning, stacklevel=2)
        return getattr(self, new)(*args, **kwargs)

    call.__name__ = old
    call.__doc__ = f"Deprecated name of :meth:`{new}`."
    return call


def auto_from_minus_one(budget: Any) -> Any:
    """``feature_cache=-1``, the sentinel of earlier releases, is "auto" (warns)."""
    if budget is not None and not isinstance(budget, str) and budget == -1:
        warnings.warn("feature_cache=-1 is now 'auto'", DeprecationWarning, stacklevel=3)
        return "auto"
    return budget
