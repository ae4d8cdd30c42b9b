"""Pause points inside the image encoder, so a background encode gives way to the user.

At the model's real input size an encode takes seconds on a CPU (2.0 s for tiny at
1024 px on 2 cores), and a torch call cannot be interrupted from outside. Hooks
before and after each of the encoder's leaf layers call the pause function of the
thread running the encode, so a background encode stops within one layer when the
user acts and goes on where it stopped afterwards. The longest stretch without a
pause point is the global attention of Hiera's third stage (about 140 ms for tiny at
1024 px on this class of CPU, 7 ms at 256 px); the low thread priority of
:mod:`sam2_jupyter._threads` covers it.

The hooks are one of the sam2 adapter's patches (:func:`sam2_jupyter._sam2.install`
puts them in; a compiled encoder gets none, its background encodes yield between
frames only); this module is the engine's face of them.
"""

from __future__ import annotations

from ..._sam2.patches import pausing, points

__all__ = ["pausing", "points"]
