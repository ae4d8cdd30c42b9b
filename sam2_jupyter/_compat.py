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
