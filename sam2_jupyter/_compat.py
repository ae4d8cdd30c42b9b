"""Old call forms that keep working for one release, with a warning naming the new one.

It sits at the package's top level, below every layer, so the exporters (which the
engine imports) and the engine's verbs share one rule for flags that became
keyword-only.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


def positional_flags(*names: str) -> Callable[[F], F]:
    """Accept ``names`` positionally after the positional parameters (deprecated):
    ``f(a, b, True)`` becomes ``f(a, b, <names[0]>=True)`` with a DeprecationWarning.

    Works on functions and methods alike: ``self`` is one of the positional
    parameters ``fn.__code__.co_argcount`` counts.
    """

    def wrap(fn: F) -> F:
        required = fn.__code__.co_argcount

        @functools.wraps(fn)
        def call(*args: Any, **kwargs: Any) -> Any:
            extra = args[required:]
            if extra:
                if len(extra) > len(names):
                    raise TypeError(f"{fn.__name__}() takes {required} positional arguments")
                given = dict(zip(names, extra, strict=False))
                warnings.warn(
                    f"pass {', '.join(f'{k}=' for k in given)} by keyword to "
                    f"{fn.__name__}(); positional flags will stop working",
                    DeprecationWarning,
                    stacklevel=2,
                )
                clash = set(given) & set(kwargs)
                if clash:
                    raise TypeError(f"{fn.__name__}() got {sorted(clash)} twice")
                kwargs.update(given)
            return fn(*args[:required], **kwargs)

        return call  # type: ignore[return-value]

    return wrap


def swapped_order(
    at: int, first: str, second: str, is_old: Callable[[Any, Any], bool]
) -> Callable[[F], F]:
    """Accept the old order of two positional parameters (deprecated).

    ``at`` is the index (after ``self``) of the first of the two; ``is_old(a, b)``
    tells the old order from the new by the values' kinds (a label id is a scalar, a
    mask an array), so no call is ambiguous. The old order swaps, with a
    DeprecationWarning naming the new one. ``f(data, frame=3)``, the second
    parameter named and the first given by position, is unambiguous and accepted
    as is.
    """

    def wrap(fn: F) -> F:
        @functools.wraps(fn)
        def call(self: Any, *args: Any, **kwargs: Any) -> Any:
            if len(args) >= at + 2 and is_old(args[at], args[at + 1]):
                warnings.warn(
                    f"{fn.__name__}() takes ({first}, {second}) in this order now; "
                    "the old order will stop working",
                    DeprecationWarning,
                    stacklevel=2,
                )
                args = (*args[:at], args[at + 1], args[at], *args[at + 2 :])
            elif len(args) == at + 1 and first in kwargs and second not in kwargs:
                kwargs[second] = args[at]
                args = args[:at]
            return fn(self, *args, **kwargs)

        return call  # type: ignore[return-value]

    return wrap
