"""Pause points inside the image encoder, so a background encode gives way to the user.

At the model's real input size an encode takes seconds on a CPU (2.0 s for tiny at
1024 px on 2 cores), and a torch call cannot be interrupted from outside. Hooks
before and after each of the encoder's leaf layers call the pause function of the
thread running the encode, so a background encode stops within one layer when the
user acts and goes on where it stopped afterwards. The longest stretch without a
pause point is the global attention of Hiera's third stage (about 140 ms for tiny at
1024 px on this class of CPU, 7 ms at 256 px); the low thread priority of
:mod:`sam2_jupyter._threads` covers it.

The hooks return nothing, so the numbers are sam2's own; the user's encodes (no
pause function on their thread) only pay a thread-local lookup per point (252
per encode). A compiled encoder gets no hooks (dynamo would trace them): its
background encodes yield between frames only.
"""

from __future__ import annotations

import contextlib
import threading
import weakref
from collections.abc import Callable, Iterator
from typing import Any

from torch import nn

from ..._threads import thread_value

_local = threading.local()
_hooked: weakref.WeakSet[nn.Module] = weakref.WeakSet()
_hooking = threading.Lock()


def _point(*_args: Any) -> None:
    pause = getattr(_local, "pause", None)
    if pause is not None:
        pause()


def install(encoder: nn.Module) -> None:
    """Put pause points around every leaf layer of ``encoder`` (once per module)."""
    with _hooking:
        if encoder in _hooked:
            return
        for layer in encoder.modules():
            if next(layer.children(), None) is None:
                layer.register_forward_pre_hook(_point)
                layer.register_forward_hook(_point)
        _hooked.add(encoder)


def points(encoder: nn.Module) -> bool:
    """Whether ``encoder`` has pause points."""
    return encoder in _hooked


@contextlib.contextmanager
def pausing(pause: Callable[[], None] | None) -> Iterator[None]:
    """Within the block, encodes on this thread call ``pause`` at every pause point
    (it may block, or raise to abandon the encode)."""
    with thread_value(_local, "pause", pause):
        yield
