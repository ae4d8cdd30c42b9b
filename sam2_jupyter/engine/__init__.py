"""The headless engine: a Session of prompts, SAM2 state, propagation and labels."""

from .labels import LabelStore, composite
from .memory import MODES, MemoryMode
from .prompt_io import read_prompts_csv, write_prompts_csv
from .prompts import BoxPrompt, MaskPrompt, PointPrompt, Prompt
from .propagation import Plan, Propagation
from .session import Session
from .tracking import TrackerModel, TrackerState

__all__ = [
    "MODES",
    "BoxPrompt",
    "LabelStore",
    "MaskPrompt",
    "MemoryMode",
    "Plan",
    "PointPrompt",
    "Prompt",
    "Propagation",
    "Session",
    "TrackerModel",
    "TrackerState",
    "composite",
    "read_prompts_csv",
    "write_prompts_csv",
]
