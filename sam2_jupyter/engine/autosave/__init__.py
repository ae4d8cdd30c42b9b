"""Continuous, incremental, atomic saving of a Session's work, and resuming it."""

from .codecs import LabelsCodec, PromptsCodec, prompts_json
from .folder import SAME_SOURCE, Autosave, SavedSession, default_folder, fingerprint
from .resume import Resumer, model_id
from .sam2_state import Sam2Codec, SavedTracker

__all__ = [
    "SAME_SOURCE",
    "Autosave",
    "LabelsCodec",
    "PromptsCodec",
    "Resumer",
    "Sam2Codec",
    "SavedSession",
    "SavedTracker",
    "default_folder",
    "fingerprint",
    "model_id",
    "prompts_json",
]
