"""What a propagation will compute: its passes and frames, decided once.

The engine plans a propagation before it starts, and everything that reports on it
(the progress bar, the panel's "n frames" text) reads this plan instead of working
it out again.
"""

from __future__ import annotations

import contextlib
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from tqdm.auto import tqdm

from .._threads import thread_value
from .._words import plural
from ..errors import PromptError, is_out_of_memory
from .prompts import check_frame

if TYPE_CHECKING:
    from .core import SessionCore
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


_quiet = threading.local()


def _quiet_tqdm(module: Any) -> None:
    """sam2 wraps each ``propagate_in_video`` call in its own tqdm bar, one per pass
    and counted in sam2's terms; ours (or the panel's, or a batch run's) is the one
    shown. Wrap the module's ``tqdm`` once so that our propagations on this thread
    get none of sam2's, and every other caller (sam2 driven directly, other threads)
    still gets sam2's bar."""
    real = module.tqdm
    if getattr(real, "_sam2j_quiet", False):
        return

    def tqdm(iterable: Any = None, *args: Any, **kwargs: Any) -> Any:
        if getattr(_quiet, "on", False):
            return iterable
        return real(iterable, *args, **kwargs)

    tqdm._sam2j_quiet = True  # type: ignore[attr-defined]
    module.tqdm = tqdm


@contextlib.contextmanager
def sam2_quiet(predictor: Any) -> Iterator[None]:
    """sam2's own progress bar off for calls on this thread."""
    _quiet_tqdm(sys.modules[type(predictor).propagate_in_video.__module__])
    with thread_value(_quiet, "on", True):
        yield


def run(
    core: SessionCore,
    tracker: Tracker,
    plan: Plan,
    context: Callable[[], contextlib.AbstractContextManager[Any]],
    after_frame: Callable[[int], None],
    out_of_memory: Callable[[str], BaseException],
    lost: Callable[[int], None] = lambda frame: None,
    progress: bool = True,
) -> Iterator[tuple[int, np.ndarray]]:
    """Run sam2's propagation pass by pass, one frame per step under the lock.

    The state before it is one undo step (pushed when the first frame arrives);
    ``core.cancelled`` stops it before the next frame, keeping every finished one;
    ``after_frame(t)`` runs (locked) before the frame is yielded (autosave, memory
    release); running out of memory keeps the finished frames and raises
    ``out_of_memory(what happened)``. A pass that ``plan.stop_when_lost`` ends
    early calls ``lost(frame)`` with its last frame. sam2's own progress bar is
    always quiet; ``progress`` shows ours, one bar over the planned frames (False:
    the caller shows its own)."""
    with core.lock:
        core.check_idle()
        core.busy = True
        before = core.snapshot()
    pushed = False
    done: list[int] = []
    bar = tqdm(total=plan.planned, desc="Propagating", unit="frame", disable=not progress)
    try:
        for reverse, count in plan.passes:
            gen = tracker.predictor.propagate_in_video(
                core.sam,
                start_frame_idx=plan.start,
                max_frame_num_to_track=count,
                reverse=reverse,
            )
            absent = 0  # consecutive frames on which every label was absent
            try:
                while not core.cancelled.is_set():
                    with core.lock, context(), sam2_quiet(tracker.predictor):
                        try:
                            frame, obj_ids, masks = next(gen)
                        except StopIteration:
                            break
                        if not pushed:
                            core.history.push(before)
                            pushed = True
                        labels = tracker.store(frame, list(obj_ids), masks)
                        after_frame(frame)
                    done.append(frame)
                    bar.update()
                    yield frame, labels
                    if plan.stop_when_lost is not None:
                        absent = absent + 1 if all_absent(core, frame) else 0
                        if absent >= plan.stop_when_lost:
                            lost(frame)
                            break
            finally:
                gen.close()
            if core.cancelled.is_set():
                break
    except Exception as exc:
        if not is_out_of_memory(exc):
            raise
        where = f"after frame {done[-1]}" if done else "on the first frame"
        raise out_of_memory(
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
    tracked = set(core.sam["obj_ids"])
    if rec is None or not tracked:
        return False
    scored = {int(r["label"]): float(r["present"]) for r in rec if int(r["label"]) in tracked}
    return set(scored) == tracked and all(p < threshold for p in scored.values())


class Propagation:
    """The running propagation: iterate it for ``(frame, labels)`` as each frame is
    computed. ``plan`` says what it will compute (``plan.planned`` frames at most);
    ``lost_at`` where ``stop_when_lost`` ended a pass."""

    def __init__(
        self, plan: Plan, frames: Iterator[tuple[int, np.ndarray]], lost_at: list[int]
    ) -> None:
        self.plan = plan
        self._frames = frames
        self.lost_at = lost_at  # filled by the run as passes stop (stop_when_lost)

    @property
    def planned(self) -> int:
        return self.plan.planned

    def __iter__(self) -> Propagation:
        return self

    def __next__(self) -> tuple[int, np.ndarray]:
        return next(self._frames)

    def close(self) -> None:
        self._frames.close()  # type: ignore[attr-defined]
