"""EdgeTAM through Hugging Face ``transformers``: the second tracker behind the
engine's interface (:mod:`sam2_jupyter.engine.tracking`)."""

from .build import config, network, processor, require
from .state import EdgeTamState
from .tracker import EdgeTamTracker

__all__ = ["EdgeTamState", "EdgeTamTracker", "config", "network", "processor", "require"]
