"""The headless engine: a Session of prompts, SAM2 state, propagation and labels."""

from .labels import LabelStore, composite
from .memory import MODES, MemoryMode
from .prompts import Prompt, read_prompts_csv, write_prompts_csv
from .session import Session

__all__ = [
    "MODES",
    "LabelStore",
    "MemoryMode",
    "Prompt",
    "Session",
    "composite",
    "read_prompts_csv",
    "write_prompts_csv",
]
