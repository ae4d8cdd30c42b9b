"""Continuous, transactional saving of a Session's work, and resuming it."""

from .codecs import Geometry
from .folder import SAME_SOURCE, Autosave, SavedSession, default_folder, fingerprint
from .owner import SaveLockedError
from .resume import Resumer, model_id
from .sam2_state import SavedTracker
from .store import STORE_NAME

__all__ = [
    "SAME_SOURCE",
    "STORE_NAME",
    "Autosave",
    "Geometry",
    "Resumer",
    "SaveLockedError",
    "SavedSession",
    "SavedTracker",
    "default_folder",
    "fingerprint",
    "model_id",
]
