"""A propagation: what it will compute (its passes and frames, decided once) and
the :class:`Propagator` that runs it.

The engine plans a propagation before it starts, and everything that reports on it
(the progress bar, the panel's "n frames" text) reads this plan instead of working
it out again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import numpy as np
from tqdm.auto import tqdm

from .._words import plural
from ..errors import PromptError, is_out_of_memory
from .prompts import check_frame

if TYPE_CHECKING:
    from .core import SessionCore
    from .guard import Guard
    from .tracker import Tracker

DIRECTIONS = ("forward", "reverse", "both")


@dataclass(frozen=True)
class Plan:
    """``passes``: (reverse, frames after ``start``) per sam2 ``propagate_in_video``
    call, in order. ``stop_when_lost``: a pass ends once every label has been absent
    (SAM2's presence below 0.5) for that many consecutive frames; the frames it
    would have computed after that are not computed (so ``frames()`` is the most
    it yields)."""

    direction: str
    start: int
    passes: tuple[tuple[bool, int], ...]
    stop_when_lost: int | None = None

    def frames(self) -> list[int]:
        """Every frame the propagation yields, in order (``both`` yields ``start``
        in each pass, as sam2 does; a reverse pass from frame 0 yields nothing)."""
        out: list[int] = []
        for reverse, count in self.passes:
            if reverse:
                if self.start > 0:
                    out.extend(range(self.start, max(self.start - count, 0) - 1, -1))
            else:
                out.extend(range(self.start, self.start + count + 1))
        return out

    @property
    def planned(self) -> int:
        return len(self.frames())


def make_plan(
    n_frames: int,
    first_prompt: int,
    direction: str,
    start: int | None,
    stop: int | None,
    stop_when_lost: int | None = None,
) -> Plan:
    """Check the request and plan it; ``start`` defaults to the earliest prompted frame.

    Raises
    ------
    PromptError
        An unknown direction, a frame out of range, a stop on the wrong side, or a
        ``stop_when_lost`` that is not a positive whole number.
    """
    if stop_when_lost is not None and (
        isinstance(stop_when_lost, bool)
        or not isinstance(stop_when_lost, (int, np.integer))
        or stop_when_lost < 1
    ):
        raise PromptError(
            f"stop_when_lost must be a whole number of frames (1 or more), got {stop_when_lost!r}"
        )
    lost = None if stop_when_lost is None else int(stop_when_lost)
    plan = _plan(n_frames, first_prompt, direction, start, stop)
    return Plan(plan.direction, plan.start, plan.passes, lost)


def _plan(
    n_frames: int, first_prompt: int, direction: str, start: int | None, stop: int | None
) -> Plan:
    if direction not in DIRECTIONS:
        raise PromptError(f"direction must be one of {', '.join(DIRECTIONS)}, got {direction!r}")
    start = first_prompt if start is None else check_frame(start, n_frames)
    last = n_frames - 1
    if direction == "both":
        if stop is not None:
            raise PromptError("stop cannot be combined with both directions")
        return Plan(direction, start, ((False, last - start), (True, start)))
    if direction == "reverse":
        stop = 0 if stop is None else check_frame(stop, n_frames)
        if stop > start:
            raise PromptError(
                f"reverse propagation from frame {start} cannot stop at later frame {stop}"
            )
        return Plan(direction, start, ((True, start - stop),))
    stop = last if stop is None else check_frame(stop, n_frames)
    if stop < start:
        raise PromptError(
            f"forward propagation from frame {start} cannot stop at earlier frame {stop}"
        )
    return Plan(direction, start, ((False, stop - start),))


class Saver(Protocol):
    def write_frame(self, frame: int) -> None: ...


class Discovery(Protocol):
    """New objects found during a propagation (see :mod:`.discovery.during`)."""

    def due(self, ordinal: int) -> bool: ...

    def add(self, frame: int) -> list[int]: ...


class Propagator:
    """Runs planned propagations of one session: the collaborators wired once.

    ``window``: in the low memory modes, how many frames back from the current one
    (and from every prompted frame) the tracker's outputs are kept (None: all, the
    normal mode); ``saver.write_frame(t)`` autosaves each frame as it is computed.
    """

    def __init__(
        self, core: SessionCore, tracker: Tracker, guard: Guard, saver: Saver, window: int | None
    ) -> None:
        self.core = core
        self.tracker = tracker
        self.guard = guard
        self.saver = saver
        self.window = window

    def start(
        self, plan: Plan, progress: bool = True, discovery: Discovery | None = None
    ) -> Propagation:
        """The running propagation of ``plan`` (nothing runs until it is iterated);
        ``discovery`` adds the new objects it finds on the frames it is due on."""
        run = Propagation(plan, iter(()), [])
        run._frames = self._frames(plan, run.lost_at.append, progress, discovery, run.added)
        return run

    def _after(self, frame: int) -> None:
        """Under the lock, before the frame is yielded: autosave, memory release."""
        self.saver.write_frame(frame)
        if self.window is not None:
            self.tracker.model.release(self.core.sam, frame, self.window)

    def _frames(
        self,
        plan: Plan,
        lost: Callable[[int], None],
        progress: bool,
        discovery: Discovery | None = None,
        added: dict[int, list[int]] | None = None,
    ) -> Iterator[tuple[int, np.ndarray]]:
        """Run the tracker's propagation pass by pass, one frame per step under the
        lock.

        The state before it is one undo step (pushed when the first frame arrives);
        ``core.cancelled`` stops it before the next frame, keeping every finished
        one; running out of memory keeps the finished frames and raises the guard's
        advice. A pass that ``plan.stop_when_lost`` ends early calls ``lost(frame)``
        with its last frame. The model's own progress bar is always quiet;
        ``progress`` shows ours, one bar over the planned frames (False: the caller
        shows its own).

        ``discovery``: on the frames it is due on (counted in the order yielded),
        the new objects it finds are seeded there before the frame is yielded
        (``added[frame]`` lists them) and the pass goes on from that frame in a new
        sam2 call, since a running one tracks only the objects it started with.
        That frame is computed again, identically for the objects it had, and not
        yielded twice."""
        core, tracker, model = self.core, self.tracker, self.tracker.model
        with core.lock:
            core.check_idle()
            core.busy = True
            before = core.snapshot()
        pushed = False
        done: list[int] = []
        bar = tqdm(total=plan.planned, desc="Propagating", unit="frame", disable=not progress)
        try:
            for reverse, count in plan.passes:
                start, left = plan.start, count
                absent = 0  # consecutive frames on which every label was absent
                again: int | None = None  # a restart's first frame: computed, not yielded
                while left >= 0:
                    gen = model.propagate(core.sam, start, left, reverse)
                    restart: int | None = None
                    try:
                        while not core.cancelled.is_set():
                            with core.lock, self.guard.sam2(), model.quiet():
                                try:
                                    frame, obj_ids, masks = next(gen)
                                except StopIteration:
                                    break
                                if not pushed:
                                    core.history.push(before)
                                    pushed = True
                                labels = tracker.store(frame, list(obj_ids), masks)
                                if frame == again:
                                    again = None
                                    self._after(frame)
                                    continue
                                if discovery is not None and discovery.due(len(done) + 1):
                                    ids = discovery.add(frame)
                                    if ids:
                                        assert added is not None
                                        added[frame] = ids
                                        labels = core.labels.get(frame)
                                        restart = frame
                                        core.changed()  # the new prompts, saved now
                                self._after(frame)
                            done.append(frame)
                            bar.update()
                            yield frame, labels
                            if plan.stop_when_lost is not None:
                                absent = absent + 1 if all_absent(core, frame) else 0
                                if absent >= plan.stop_when_lost:
                                    lost(frame)
                                    restart = None
                                    break
                            if restart is not None:
                                break
                    finally:
                        gen.close()  # type: ignore[attr-defined]
                    if restart is None or core.cancelled.is_set():
                        break
                    left -= abs(restart - start)
                    start = again = restart
                if core.cancelled.is_set():
                    break
        except Exception as exc:
            if not is_out_of_memory(exc):
                raise
            where = f"after frame {done[-1]}" if done else "on the first frame"
            raise self.guard.out_of_memory(
                f"while propagating, {where}; {plural(len(done), 'finished frame')} kept"
            ) from exc
        finally:
            bar.close()
            with core.lock:
                core.busy = False
                core.changed()


def all_absent(core: SessionCore, frame: int, threshold: float = 0.5) -> bool:
    """Whether SAM2 said every label it tracks is absent on ``frame``."""
    rec = core.record.quality.get(frame)
    tracked = set(core.sam.object_ids)
    if rec is None or not tracked:
        return False
    scored = {int(r["label"]): float(r["present"]) for r in rec if int(r["label"]) in tracked}
    return set(scored) == tracked and all(p < threshold for p in scored.values())


class Propagation:
    """The running propagation: iterate it for ``(frame, labels)`` as each frame is
    computed. ``plan`` says what it will compute (``plan.planned`` frames at most);
    ``lost_at`` where ``stop_when_lost`` ended a pass; ``added`` the objects a
    discovery added, by the frame they were found on."""

    def __init__(
        self, plan: Plan, frames: Iterator[tuple[int, np.ndarray]], lost_at: list[int]
    ) -> None:
        self.plan = plan
        self._frames = frames
        self.lost_at = lost_at  # filled by the run as passes stop (stop_when_lost)
        self.added: dict[int, list[int]] = {}  # frame -> the new objects found there

    @property
    def planned(self) -> int:
        return self.plan.planned

    def __iter__(self) -> Propagation:
        return self

    def __next__(self) -> tuple[int, np.ndarray]:
        return next(self._frames)

    def close(self) -> None:
        self._frames.close()  # type: ignore[attr-defined]
