"""The Stack: one lazily read sequence of 2D frames that SAM2 propagates along.

Data arrive with up to five axes (T, Z, C, Y, X). A Stack fixes which axis is the
propagation axis (Z or T), which index of the other one is annotated (4D data), which
channel is shown (multi-channel data that is not RGB), and the contrast limits. All
of this is fixed at construction so that what SAM2 saw for a prompt never changes
under it; ``select`` and ``with_contrast`` return new Stacks over the same data.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from ..errors import StackError
from .channels import ChannelView, composite, parse_views
from .contrast import default_limits, percentile_limits, to_rgb, to_uint8


@dataclass(frozen=True)
class Stack:
    """A sequence of frames along ``prop_axis``; read lazily, converted per frame.

    Use :func:`~.opening.open_stack` to build one. ``n_frames`` frames of ``frame_shape`` (Y, X);
    ``raw_frame(i)`` is the stored data, ``display_frame(i)`` the uint8 RGB that the
    model and the screen see.
    """

    array: Any = field(repr=False)  # the data: a repr would print every pixel
    axes: str
    name: str
    prop_axis: str | None
    other_index: int = 0
    channel: int = 0
    rgb: bool = False
    contrast_limits: tuple[float, float] = (0.0, 255.0)
    _shape: tuple[int, ...] = field(default=(), repr=False)
    path: str | None = None  # the file or folder it was read from, if any
    # A composite of up to three channels (multichannel data); empty: one channel.
    views: tuple[ChannelView, ...] = ()

    # -- geometry ---------------------------------------------------------------
    @property
    def shape(self) -> tuple[int, ...]:
        """Shape of the underlying data, in ``axes`` order."""
        return self._shape

    def _size(self, axis: str) -> int:
        return self._shape[self.axes.index(axis)] if axis in self.axes else 1

    @property
    def other_axis(self) -> str | None:
        """The axis (T or Z) that is held fixed in 4D data, else None."""
        others = [a for a in "TZ" if a in self.axes and a != self.prop_axis]
        return others[0] if others else None

    @property
    def n_other(self) -> int:
        """How many 3D sequences 4D data holds (1 otherwise)."""
        return self._size(self.other_axis) if self.other_axis else 1

    @property
    def n_frames(self) -> int:
        return self._size(self.prop_axis) if self.prop_axis else 1

    @property
    def n_channels(self) -> int:
        return self._size("C")

    @property
    def frame_shape(self) -> tuple[int, int]:
        return (self._size("Y"), self._size("X"))

    @property
    def dtype(self) -> np.dtype:
        return np.dtype(self.array.dtype)

    # -- views ------------------------------------------------------------------
    def select(self, index: int) -> Stack:
        """The Stack of another 3D sequence of 4D data (another T or Z index)."""
        if self.other_axis is None:
            raise StackError(f"{self.name}: data has no second sequence axis to select")
        if not 0 <= index < self.n_other:
            raise StackError(
                f"{self.name}: {self.other_axis} index {index} out of range 0..{self.n_other - 1}"
            )
        return replace(self, other_index=index)

    def with_contrast(self, limits: tuple[float, float]) -> Stack:
        """The same data shown with other contrast limits (low, high)."""
        return replace(self, contrast_limits=check_limits(limits, self.name))

    def with_channels(self, channels: Any) -> Stack:
        """Multichannel data shown as one channel or a composite of up to three, each
        with its colour and contrast (see :func:`~.channels.parse_views`); None shows
        the single ``channel`` again. SAM2 sees what is shown."""
        if channels is None:
            return replace(self, views=())
        if "C" not in self.axes:
            raise StackError(f"{self.name}: channels= needs data with a channel axis")

        def limits_of(c: int) -> tuple[float, float]:
            one = replace(self, channel=c, views=(), rgb=False)
            return default_limits(one.dtype) or percentile_limits(
                readable_samples(one), (1.0, 99.8)
            )

        views = parse_views(channels, self.n_channels, limits_of, self.name)
        # Three or four channels count as RGB(A) when opened; a composite picks them.
        return replace(self, views=views, channel=views[0].channel, rgb=False)

    # -- reading ----------------------------------------------------------------
    def _index(self, i: int) -> tuple[Any, ...]:
        key: list[Any] = []
        for axis in self.axes:
            if axis == self.prop_axis:
                key.append(i)
            elif axis == self.other_axis:
                key.append(self.other_index)
            elif axis == "C" and not self.rgb:
                key.append(self.channel)
            else:
                key.append(slice(None))
        return tuple(key)

    def raw_frame(self, i: int) -> np.ndarray:
        """Frame ``i`` as stored: (Y, X), or (Y, X, 3|4) for RGB data.

        A frame that cannot be read (a truncated file, a corrupt chunk, a decoder
        error) raises :class:`StackError` naming the data and the frame: files are
        read lazily, so damage past the first frames only shows when it is reached.
        """
        try:
            i = operator.index(i)
        except TypeError:
            raise StackError(f"{self.name}: frame index must be an integer, got {i!r}") from None
        if not -self.n_frames <= i < self.n_frames:
            raise StackError(f"{self.name}: frame {i} out of range 0..{self.n_frames - 1}")
        if i < 0:
            i += self.n_frames
        try:
            data = np.asarray(self.array[self._index(i)])
        except (StackError, MemoryError):
            raise
        except Exception as exc:
            raise StackError(
                f"{self.name}: cannot read frame {i} (damaged or truncated?): {exc}"
            ) from exc
        kept = [a for a in self.axes if a in "YX" or (a == "C" and self.rgb)]
        order = [kept.index(a) for a in "YXC" if a in kept]
        expected = tuple(self._size(a) for a in kept)
        if data.shape != expected:  # an array-like that returns something else
            raise StackError(
                f"{self.name}: frame {i} was read with shape {data.shape}, expected {expected}"
            )
        return np.transpose(data, order) if order != list(range(len(order))) else data

    def data_frame(self, i: int) -> np.ndarray:
        """Frame ``i`` with every channel, whichever is shown: what identifies the
        data (a save made while one channel was shown resumes under another)."""
        if "C" not in self.axes:
            return self.raw_frame(i)
        return replace(self, rgb=True, views=()).raw_frame(i)

    def display_frame(self, i: int) -> np.ndarray:
        """Frame ``i`` as uint8 RGB (Y, X, 3) with this Stack's contrast limits (or its
        channel composite): what the screen shows and SAM2 encodes."""
        if self.views:
            planes = [replace(self, channel=v.channel, views=()).raw_frame(i) for v in self.views]
            return composite(planes, self.views)
        return to_rgb(to_uint8(self.raw_frame(i), self.contrast_limits))

    def __len__(self) -> int:
        return self.n_frames


def check_limits(limits: tuple[float, float], name: str) -> tuple[float, float]:
    try:
        lo, hi = (float(v) for v in limits)
    except Exception:
        raise StackError(f"{name}: contrast limits must be two numbers, got {limits!r}") from None
    if not (np.isfinite(lo) and np.isfinite(hi) and hi > lo):
        raise StackError(f"{name}: contrast limits must be finite with low < high, got {limits}")
    return (lo, hi)


def sample_frames(n: int, k: int = 5) -> np.ndarray:
    return np.unique(np.linspace(0, n - 1, num=min(n, k)).round().astype(int))


def readable_samples(stack: Stack) -> list[np.ndarray]:
    """The sample frames for contrast limits, skipping unreadable ones.

    A file truncated at its end still opens with the limits of the frames before the
    damage; reading a damaged frame then raises. Only if no sample can be read does
    opening fail, with the first frame's error.
    """
    frames: list[np.ndarray] = []
    errors: list[StackError] = []
    for i in sample_frames(stack.n_frames):
        try:
            frames.append(stack.raw_frame(int(i)))
        except StackError as exc:
            errors.append(exc)
    if not frames:
        raise errors[0]
    return frames
