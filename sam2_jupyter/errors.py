"""Exceptions users can catch by kind.

Every expected failure (bad file, bad axis, bad prompt) raises one of these with a
message that names the offending thing, so the widget can show it as a sentence and
scripts can react without parsing tracebacks.
"""

from __future__ import annotations

from ._words import plural

# Where the user gives options, so that advice names them as they are typed there:
# in Python code (a notebook, a script: ``checkpoint='path.pt'``) or on the command
# line of the no-code app (``--checkpoint FILE``).
WHERE = ("notebook", "app")


class Sam2JupyterError(Exception):
    """Base class of every expected error raised by sam2_jupyter."""

    def sentence(self, where: str = "notebook") -> str:
        """The message for a user in ``where`` (see :data:`WHERE`). ``str()`` is the
        one for Python code; errors whose advice names options reword it."""
        return str(self)


class StackError(Sam2JupyterError, ValueError):
    """The data source cannot be read as an image stack (file, axes, dtype, shape)."""


class ModelError(Sam2JupyterError, RuntimeError):
    """A model cannot be found, downloaded, verified or built."""


class DownloadError(ModelError):
    """Weights could not be fetched (no network, a proxy, the server refused).

    The reason is kept short (the library's own text, with its retries and
    connection pools, stays in ``__cause__``); the advice depends on where the user
    is, because a page served by ``sam2-jupyter annotate`` takes command-line
    options, not Python arguments.
    """

    def __init__(self, what: str, filename: str, folder: str, reason: str) -> None:
        self.what = what
        self.filename = filename
        self.folder = folder
        self.reason = reason
        super().__init__(self.sentence())

    def sentence(self, where: str = "notebook") -> str:
        head = f"The {self.what} weights could not be downloaded ({self.reason})."
        if where == "app":
            return (
                f"{head} Start again with --checkpoint FILE (a {self.filename} you have), "
                "or connect to the internet, or add --untrained to try the interface "
                "with random weights."
            )
        return (
            f"{head} Put {self.filename} in {self.folder} or pass checkpoint='path.pt', "
            "or connect to the internet, or use untrained=True to try the interface "
            "with random weights."
        )


class PromptError(Sam2JupyterError, ValueError):
    """A prompt is invalid (frame, coordinates, label) or refers to nothing."""


class PromptFileError(PromptError):
    """A prompts CSV has bad rows; ``problems`` lists them as ``(row, message)``."""

    def __init__(self, path: str, problems: list[tuple[int, str]]) -> None:
        self.path = path
        self.problems = problems
        shown = "\n".join(f"  row {row}: {msg}" for row, msg in problems[:20])
        more = f"\n  ... and {len(problems) - 20} more" if len(problems) > 20 else ""
        super().__init__(
            f"{path}: {plural(len(problems), 'bad row')}; no prompt was loaded:\n{shown}{more}"
        )


class SessionBusyError(Sam2JupyterError, RuntimeError):
    """The session is propagating; prompt edits wait until it finishes or is cancelled."""


class CancelledError(Sam2JupyterError, RuntimeError):
    """A long computation was cancelled (``Session.cancel``) before it finished;
    nothing it would have changed has changed."""


class AutosaveError(Sam2JupyterError, OSError):
    """A session folder cannot be used: not writable, or its save is unreadable."""


class AutosaveWarning(UserWarning):
    """Something happened to saved work that the user should know: a resume, a save
    set aside because it was made for other data, a damaged frame skipped."""


class OutOfMemoryError(Sam2JupyterError, MemoryError):
    """The model ran out of memory. The session is intact (an edit is undone, a
    propagation keeps its finished frames); the message says what to switch."""


# The next memory mode to try after running out of memory in each mode.
_NEXT_MODE = {
    "normal": "switch to memory_mode='low' (or 'super-low')",
    "low": "switch to memory_mode='super-low'",
}


def out_of_memory_advice(mode: str | None) -> str:
    """What to switch to after running out of memory in ``mode``."""
    return _NEXT_MODE.get(mode or "normal", "use a smaller model or image_size")


def is_out_of_memory(exc: BaseException) -> bool:
    """Host or GPU memory ran out (torch's error is matched by name: this module
    does not import torch)."""
    return isinstance(exc, MemoryError) or type(exc).__name__ == "OutOfMemoryError"


def expected(exc: BaseException) -> bool:
    """An error the user caused or can fix, shown as a sentence without a traceback
    in the log: ours, bad values, files, memory."""
    return isinstance(exc, (Sam2JupyterError, ValueError, OSError)) or is_out_of_memory(exc)


def describe(exc: BaseException, memory_mode: str | None = None, where: str = "notebook") -> str:
    """The one sentence for the status line. Our own errors already say what
    happened and what to do (worded for ``where``, see :data:`WHERE`); running out
    of memory outside an edit gets the advice for the mode in use; anything else is
    named as unexpected."""
    if isinstance(exc, Sam2JupyterError):
        return exc.sentence(where)
    if is_out_of_memory(exc):
        return f"Out of memory: {out_of_memory_advice(memory_mode)}, then try again."
    if expected(exc):
        return str(exc)
    return f"Unexpected error ({type(exc).__name__}): {exc}"
