"""The anywidget canvas: synced view state and the binary frame channel. Thin.

It holds only what the browser needs to draw and report intents; every decision is
the controller's. High-rate state (pointer, zoom, pan) stays in the browser.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import anywidget
import traitlets

STATIC = Path(__file__).resolve().parent.parent / "static"


def _static(name: str) -> Path:
    path = STATIC / name
    if not path.exists():
        raise FileNotFoundError(
            f"{path} is missing: the front end was not built. Reinstall the package "
            "(pip install .) or run `npm --prefix js run build` in a source checkout."
        )
    return path


class AnnotatorCanvas(anywidget.AnyWidget):
    """Current frame, label overlay and prompt markers; emits clicks, boxes and keys."""

    _esm = STATIC / "widget.js"
    _css = STATIC / "widget.css"

    # No echo of the browser's moves: a playing view saves them a tenth of a second at
    # a time, and the echo of one save, arriving while the view has moved on and not
    # saved yet, set the view back a frame (ipywidgets applies an echo unless a save of
    # the trait is queued). A second browser on the same kernel follows the kernel's
    # own moves, not this one's.
    frame = traitlets.Int(0).tag(sync=True, echo_update=False)
    n_frames = traitlets.Int(1).tag(sync=True)
    image_width = traitlets.Int(0).tag(sync=True)
    image_height = traitlets.Int(0).tag(sync=True)
    label = traitlets.Int(1).tag(sync=True)
    # What M gives: one more than the largest label in use or queued (widget/labels.py).
    next_label = traitlets.Int(1).tag(sync=True)
    opacity = traitlets.Float(0.5, min=0.0, max=1.0).tag(sync=True)
    # The markers of the frame in view, as the browser draws them: the kernel's copy
    # (not synced: they travel with the frame's image and labels, outbound.py).
    prompts = traitlets.List(traitlets.Dict())
    busy = traitlets.Bool(False).tag(sync=True)  # the model is working (edit, propagation)
    # Labels the canvas does not draw (the object list's eye); the data keeps them.
    hidden = traitlets.List(traitlets.Int()).tag(sync=True)
    # Playback runs in the browser; while it plays the kernel encodes frames ahead.
    playing = traitlets.Bool(False).tag(sync=True)
    # The browser's moves drawn from copies sent ahead, saved with the moves themselves
    # (one message, not two: messages.ShownAhead). Only the kernel reads it: no echo.
    shown_ahead = traitlets.Dict().tag(sync=True, echo_update=False)
    play_fps = traitlets.Float(10.0, min=0.5, max=60.0).tag(sync=True)
    # Editing: the active tool, the brush radius in image pixels, and whether a fix
    # becomes a mask prompt SAM2 tracks ("track the fix") or manual pixels.
    tool = traitlets.Enum(("prompt", "brush", "eraser", "fill"), "prompt").tag(sync=True)
    brush_size = traitlets.Float(8.0, min=1.0, max=200.0).tag(sync=True)
    track_fix = traitlets.Bool(True).tag(sync=True)
    # Divisions for the object list: daughter label (as text, a JSON key) -> mother.
    parents = traitlets.Dict(value_trait=traitlets.Int()).tag(sync=True)
    status = traitlets.Unicode("").tag(sync=True)
    view_height = traitlets.Int(480).tag(sync=True)  # the most; the image's aspect sets it
    # Device pixels along the canvas' longer side, reported by the browser: frames
    # sent while moving need no more resolution than this.
    view_pixels = traitlets.Int(0).tag(sync=True)
    # Browser tests and benchmarks read data-* attributes the front end sets after each
    # draw (frame, sequence number, labelled pixels, draw time); off, it sets none.
    debug = traitlets.Bool(False).tag(sync=True)

    def __init__(self, **kwargs: Any) -> None:
        _static("widget.js")
        _static("widget.css")
        super().__init__(**kwargs)
