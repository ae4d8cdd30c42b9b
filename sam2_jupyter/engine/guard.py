"""Where a session's sam2 calls run, and what a user is told when memory runs out.

Every sam2 call runs without autograd, under the model's autocast and with the
session's correction cache active; an edit is one undoable step of the core, and
running out of memory (on the GPU or in RAM) becomes a sentence that says what was
kept and which memory mode to switch to.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import torch

from ..errors import OutOfMemoryError, is_out_of_memory, out_of_memory_advice
from ..models import Model, inference
from .core import SessionCore


class Guard:
    def __init__(self, core: SessionCore, model: Model, mode: str, corrections: Any) -> None:
        self.core = core
        self.model = model
        self.mode = mode
        self.corrections = corrections

    def out_of_memory(self, what: str) -> OutOfMemoryError:
        """The sentence a user needs after running out of memory: what was kept and
        what to switch to."""
        if self.model.device.type == "cuda":
            torch.cuda.empty_cache()
        advice = out_of_memory_advice(self.mode)
        return OutOfMemoryError(
            f"out of memory on {self.model.device} {what}: {advice}, then try again"
        )

    @contextlib.contextmanager
    def sam2(self) -> Iterator[None]:
        """Where every sam2 call runs: no autograd, the model's autocast, and this
        session's correction cache."""
        with inference(self.model), self.corrections.active():
            yield

    def edit(self) -> contextlib.AbstractContextManager[None]:
        """One undoable step; running out of memory undoes it and says what to do."""

        def explain(exc: BaseException) -> BaseException | None:
            oom = is_out_of_memory(exc)
            return self.out_of_memory("during this edit, which was undone") if oom else None

        return self.core.edit(self.sam2, explain)
