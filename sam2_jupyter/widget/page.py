"""The page of the no-code app (``sam2-jupyter annotate``): the annotator, or the
reason it cannot open, as a sentence.

Voilà hides tracebacks, as it should on a page for people who never write code, so
a cell that raises leaves only "There was an error when executing cell [1]" on the
page while the reason goes to the terminal. The app's one cell calls
:func:`app_page` instead: what opening the model or the data raises is shown on the
page (and repeated in the terminal) with advice worded for the app, whose options
are the command's (``--checkpoint FILE``), not Python arguments.
"""

from __future__ import annotations

import html
import sys
import traceback
from typing import Any

import ipywidgets as w

from ..errors import describe, expected
from ..models import load_model
from .annotator import Annotator


def app_page(stack: str, load: dict[str, Any], memory_mode: str = "normal") -> w.Widget:
    """The annotator on ``stack`` with ``load_model(**load)``, or the sentence that
    says why it cannot open and what to do."""
    try:
        model = load_model(**load)
        return Annotator(stack, model=model, memory_mode=memory_mode, where="app")
    except Exception as exc:
        message = describe(exc, memory_mode, where="app")
        terminal = sys.__stderr__
        if terminal is not None:
            if not expected(exc):
                traceback.print_exception(exc, file=terminal)
            print(f"sam2-jupyter annotate: {message}", file=terminal, flush=True)
        return w.HTML(
            '<p style="color:#b00020;font-size:1.2em;max-width:50em">'
            f"<b>The annotator cannot open.</b> {html.escape(message)}</p>"
        )
