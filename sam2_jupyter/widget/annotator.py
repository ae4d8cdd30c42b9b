"""``Annotator``: what a user displays in a notebook cell.

A canvas (frame, labels, prompts; clicks and keys) beside a panel of controls, both
driven by a :class:`Controller` that runs a :class:`~sam2_jupyter.Session` in a
background worker. Each Annotator owns its controller, worker and sessions: several
in one notebook share nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import ipywidgets as w
import numpy as np

from ..engine import MemoryMode, Session
from ..errors import WHERE
from ..io import open_stack
from ..models import Model, load_model
from .canvas import AnnotatorCanvas
from .controller import Controller
from .panels import build_controls
from .sessions import SessionOptions


class Annotator(w.HBox):
    """Interactive SAM2 annotation of a stack in a notebook.

    Parameters
    ----------
    source
        Anything :func:`~sam2_jupyter.open_stack` opens (array, TIFF, video, folder,
        Zarr) or a Stack.
    model
        A loaded :class:`~sam2_jupyter.Model`, a model name ("tiny", ...) to load now,
        or None to pick and load one with the controls.
    memory_mode
        "normal", "low" or "super-low".
    auto_segment
        Segment on each click (True) or batch prompts until "Trigger segmentation".
    view_height
        The canvas' largest height in CSS pixels: it takes the notebook's width and
        the image's aspect, up to this (a wide image gets no black bands).
    axes, prop_axis, other_index, channel, contrast_limits, channels
        Passed to :func:`~sam2_jupyter.open_stack`. For multichannel data the panel's
        *Channels* group picks one channel or a composite of up to three, each with
        its colour and contrast; SAM2 sees what is shown.
    feature_cache, feature_dir
        Passed to :class:`~sam2_jupyter.Session`: image features kept in memory
        (bytes) and on disk (a folder, or True for the per-user cache).
    autosave, resume
        Passed to :class:`~sam2_jupyter.Session`. On by default: prompts and labels
        are saved as you work (beside the data file, else in a per-user folder;
        4D data gets one subfolder per sequence), and opening the same data again
        resumes them. The panel says so and offers "Start fresh", which sets the
        saved session aside (kept on disk). False turns autosave off.
    where
        Where the user gives options, so that messages name them as typed there:
        "notebook" (Python arguments, ``checkpoint='path.pt'``) or "app" (the page
        ``sam2-jupyter annotate`` serves: its options, ``--checkpoint FILE``).
    """

    def __init__(
        self,
        source: Any,
        model: Model | str | None = None,
        memory_mode: str = "normal",
        *,
        auto_segment: bool = True,
        view_height: int = 480,
        axes: str | None = None,
        prop_axis: str | None = None,
        other_index: int = 0,
        channel: int = 0,
        contrast_limits: tuple[float, float] | None = None,
        channels: Any = None,
        feature_cache: int | str | None = "auto",
        feature_dir: str | Path | bool | None = None,
        autosave: str | Path | bool | None = True,
        resume: bool = True,
        where: str = "notebook",
    ) -> None:
        if where not in WHERE:
            raise ValueError(f"where must be one of {', '.join(WHERE)}, got {where!r}")
        # Every check before any widget is made: a widget is open in the front end
        # until closed, so one made for an annotator that then fails would linger.
        options = SessionOptions(
            memory_mode=MemoryMode.parse(memory_mode).name,
            auto_segment=bool(auto_segment),
            feature_cache=feature_cache,
            feature_dir=feature_dir,
            autosave=autosave,
            resume=bool(resume),
        )
        stack = open_stack(
            source,
            axes,
            prop_axis=prop_axis,
            other_index=other_index,
            channel=channel,
            contrast_limits=contrast_limits,
            channels=channels,
        )
        if isinstance(model, str):
            model = load_model(model)
        h, wd = stack.frame_shape
        # The canvas takes the room the panel leaves: the panel keeps its width, so
        # its texts are never cut at a notebook's default width.
        self.canvas = AnnotatorCanvas(
            n_frames=stack.n_frames,
            image_width=wd,
            image_height=h,
            view_height=int(view_height),
            layout=w.Layout(flex="1 1 0%", min_width="320px"),
        )
        high = float(np.iinfo(stack.dtype).max) if stack.dtype.kind in "iu" else 1.0
        # Colour images (8-bit RGB) need no channel picking; fluorescence does.
        colour = stack.rgb and stack.dtype == np.uint8 and not stack.views
        channels_here = stack.n_channels if "C" in stack.axes and not colour else 1
        self.controls = build_controls(
            stack.n_frames, stack.n_other, stack.other_axis, channels_here, high
        )
        super().__init__(
            [self.canvas, self.controls.box], layout=w.Layout(align_items="flex-start")
        )
        # The front end finds the annotator's root by this class: keys pressed anywhere
        # inside act on the annotator and never reach JupyterLab (js/src/scope.js).
        self.add_class("sam2j-annotator")
        try:
            self.controller = Controller(self.canvas, self.controls, stack, model, options, where)
        except BaseException:
            close_tree(self)
            raise

    @property
    def session(self) -> Session:
        """The Session of the sequence in view: the same engine, from Python."""
        return self.controller.session()

    @property
    def stack(self) -> Any:
        return self.controller.pool.view_stack

    @property
    def frame(self) -> int:
        """The frame in view (set it to move there)."""
        return self.controller.view.frame

    @frame.setter
    def frame(self, t: int) -> None:
        self.canvas.frame = int(t)

    def seed_from_labels(self, labels: Any, frame: int | None = None) -> Any:
        """Every object of a label image (an array or a label TIFF; for a volume, its
        slice at ``frame``) becomes a label SAM2 tracks from ``frame`` (default: the
        frame in view). Runs on the annotator's worker; returns its Future."""
        return self.controller.seeding.seed_from_labels(labels, frame)

    def segment_everything(self, frame: int | None = None, **options: Any) -> Any:
        """As the *Find objects* group's button: candidates on ``frame`` (default:
        the frame in view), drawn as outlines; ``method=`` and the method's
        parameters as ``Session.segment_everything`` takes them (default: the
        group's). Runs on the annotator's worker; returns its Future."""
        return self.controller.discovery.segment_everything(frame, **options)

    def find_new_objects(self, frame: int | None = None, **options: Any) -> Any:
        """As :meth:`segment_everything`, only the candidates no label claims."""
        return self.controller.discovery.find_new_objects(frame, **options)

    def add_candidates(self, selected: bool = False) -> Any:
        """The candidates shown (or the selected ones) become objects, one undo step."""
        return self.controller.discovery.add(selected)

    def load_labels(self, volume: Any) -> Any:
        """Show a whole (frames, Y, X) label volume for review and correction (an
        array or a label TIFF). Runs on the annotator's worker; returns its Future."""
        return self.controller.seeding.load_labels(volume)

    def wait(self, timeout: float | None = None) -> None:
        """Block until queued jobs (clicks, propagation) have run."""
        self.controller.jobs.join_idle(timeout)
        self.controller.view.flush()  # what the jobs wrote, on this (the kernel's) thread

    def close(self) -> None:
        """Stop the annotator's threads and close its widgets. ipywidgets also calls
        this when the object is collected, and an annotator whose constructor raised
        is collected half made: only what exists is closed, so that nothing fails
        then (its traceback would show in whichever cell runs at the time)."""
        controller = getattr(self, "controller", None)
        if controller is not None:
            controller.close()
        canvas = getattr(self, "canvas", None)
        if canvas is not None:
            canvas.close()
        super().close()


def close_tree(widget: w.Widget) -> None:
    """Close ``widget`` and every widget it holds (children, layout, style)."""
    seen: set[int] = set()
    todo = [widget]
    while todo:
        item = todo.pop()
        if id(item) in seen:
            continue
        seen.add(id(item))
        for name in item.keys:
            value = getattr(item, name, None)
            values = value if isinstance(value, (list, tuple)) else [value]
            todo.extend(v for v in values if isinstance(v, w.Widget))
        item.close()
