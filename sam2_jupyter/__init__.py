"""sam2_jupyter: interactive SAM2 segmentation and tracking in Jupyter.

The headless API::

    import sam2_jupyter as sj
    stack = sj.open_stack("cells.tif")
    model = sj.load_model("tiny")
    s = sj.Session(stack, model, memory_mode="low")
    s.add_point(frame=0, y=120, x=80, label=1)
    for t, labels in s.propagate():
        ...
    s.export_masks("labels.tif")
"""

from . import datasets as datasets
from .engine import BoxPrompt, MaskPrompt, MemoryMode, PointPrompt, Prompt, Session
from .errors import (
    AutosaveError,
    AutosaveWarning,
    CancelledError,
    DownloadError,
    ModelError,
    OutOfMemoryError,
    PromptError,
    PromptFileError,
    Sam2JupyterError,
    SessionBusyError,
    StackError,
)
from .io import Stack, open_stack
from .models import Model, load_model

__version__ = "0.1.0"


def __getattr__(name: str) -> object:
    # The widget needs ipywidgets/anywidget; headless users never import them.
    if name == "Annotator":
        from .widget import Annotator

        return Annotator
    raise AttributeError(f"module 'sam2_jupyter' has no attribute {name!r}")


__all__ = [
    "Annotator",
    "AutosaveError",
    "AutosaveWarning",
    "BoxPrompt",
    "CancelledError",
    "DownloadError",
    "MaskPrompt",
    "MemoryMode",
    "Model",
    "ModelError",
    "OutOfMemoryError",
    "PointPrompt",
    "Prompt",
    "PromptError",
    "PromptFileError",
    "Sam2JupyterError",
    "Session",
    "SessionBusyError",
    "Stack",
    "StackError",
    "__version__",
    "load_model",
    "open_stack",
]
