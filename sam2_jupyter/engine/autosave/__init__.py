"""Continuous, transactional saving of a Session's work, and resuming it."""

from .codecs import Geometry
from .folder import Autosave
from .owner import SaveLockedError
from .resume import Resumer, model_id
from .sam2_state import SavedTracker
from .saved import SavedSession
from .store import STORE_NAME
from .where import SAME_SOURCE, default_folder, fingerprint

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
