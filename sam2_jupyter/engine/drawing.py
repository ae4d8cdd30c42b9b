"""A Session's verbs for masks drawn by hand: mask prompts, paint / erase / fill,
seeding from a label image, loading a label volume, divisions.

Every verb takes the frame first, then where (a point, a mask, a label image), then
the label, as :meth:`~.session.Session.add_point` does; the earlier order of
``paint`` (label before mask) and ``seed_from_labels`` (image before frame) still
works, with a warning.

:class:`SessionDrawing` gives a Session these methods (flat, as the user's
vocabulary); each checks its input, opens one undoable edit and delegates to
:mod:`.editing` (which holds the work, and :mod:`.masks` the pixel rules).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._compat import swapped_order
from . import editing
from .core import SessionCore
from .guard import Guard
from .masks import check_label_image, check_mask, read_label_volume
from .prompts import check_frame, check_label, check_point
from .tracker import Tracker


class SessionDrawing:
    """Hand-editing members of :class:`~.session.Session`."""

    _core: SessionCore
    _guard: Guard
    _tracker: Tracker
    n_frames: int
    frame_shape: tuple[int, int]
    label_ids: list[int]

    def add_mask(self, frame: int, mask: np.ndarray, label: int) -> np.ndarray:
        """``mask`` (boolean (Y, X)) as the label's mask prompt on ``frame``, sent
        through sam2's ``add_new_mask``; it replaces the label's earlier prompts there.
        The frame's labels are the mask exactly; SAM2 tracks from its own copy.

        Returns
        -------
        numpy.ndarray
            The frame's new labels.

        Raises
        ------
        PromptError
            A frame or label out of range, or a mask of the wrong shape, not binary,
            or empty.
        """
        frame, label = check_frame(frame, self.n_frames), check_label(label)
        mask = check_mask(mask, self.frame_shape)
        with self._guard.edit():
            return editing.add_mask(self._tracker, frame, label, mask)

    @swapped_order(1, "mask", "label", lambda a, b: np.ndim(a) == 0 and np.ndim(b) > 0)
    def paint(
        self,
        frame: int,
        mask: np.ndarray,
        label: int,
        *,
        erase: bool = False,
        track: bool = True,
    ) -> np.ndarray:
        """Add (``erase``: remove) ``mask``'s pixels to ``label`` on ``frame``.
        Arguments in the order of every prompt verb: the frame, where, the label.

        ``track=True``: the label's resulting mask there becomes its mask prompt, so the
        fix propagates. ``track=False``: only the labels change (a manual fix SAM2 does
        not see), and no later propagation overwrites it. One undoable step.

        Returns
        -------
        numpy.ndarray
            The frame's new labels.

        Raises
        ------
        PromptError
            As :meth:`add_mask` (an empty ``mask`` too).
        """
        frame, label = check_frame(frame, self.n_frames), check_label(label)
        mask = check_mask(mask, self.frame_shape)
        with self._guard.edit():
            return editing.paint(self._tracker, frame, label, mask, bool(erase), bool(track))

    def fill(self, frame: int, y: float, x: float, label: int, *, track: bool = True) -> np.ndarray:
        """Flood-fill the 4-connected region under (y, x) with ``label`` (as
        :meth:`paint`). Returns the frame's new labels."""
        frame, label = check_frame(frame, self.n_frames), check_label(label)
        y, x = check_point(y, x, self.frame_shape)
        with self._guard.edit():
            return editing.fill(self._tracker, frame, y, x, label, bool(track))

    @swapped_order(0, "frame", "labels", lambda a, b: np.ndim(a) > 0 and np.ndim(b) == 0)
    def seed_from_labels(self, frame: int, labels: np.ndarray) -> list[int]:
        """Every non-zero id of an integer (Y, X) label image (Cellpose, StarDist, an
        export) becomes a label with that id, its pixels the mask prompt on ``frame``.
        One undoable step. ``seed_from_labels(labels, frame=t)`` works too.

        Returns
        -------
        list of int
            The ids seeded.

        Raises
        ------
        PromptError
            Not an integer image of the frame's shape, negative ids, or no objects.
        """
        frame = check_frame(frame, self.n_frames)
        image = check_label_image(labels, self.frame_shape)
        with self._guard.edit():
            return editing.seed(self._tracker, frame, image)

    def load_labels(self, volume: Any) -> list[int]:
        """Show a whole (frames, Y, X) label volume (a TIFF path or an array: our
        export or another tool's) for review and correction; SAM2's state is kept.
        Labels SAM2 does not track keep their pixels through later propagations.
        One undoable step. Returns the label ids found."""
        vol = read_label_volume(volume, self.n_frames, self.frame_shape)
        with self._guard.edit():
            return editing.load_volume(self._core, vol)

    def set_parent(self, daughter: int, mother: int | None) -> None:
        """Mark ``daughter`` as divided from ``mother`` (None clears it); written by the
        Cell Tracking Challenge and tracks exports. Undoable."""
        daughter = check_label(daughter)
        mother = None if mother is None else check_label(mother)
        with self._guard.edit():
            editing.set_parent(self._core, daughter, mother, self.label_ids)

    parents = property(lambda self: dict(self._core.record.parents))  # daughter -> mother
