"""Image features and memory-conditioned features, kept so SAM2 need not recompute
them: in memory, on disk, computed ahead of the user."""

from .cache import FeatureCache, SamState, default_budget
from .conditioned import CorrectionCache, install
from .precompute import FeaturePrecompute, feature_cache, feature_store
from .store import FeatureStore, frame_digest, model_key, weights_digest

__all__ = [
    "CorrectionCache",
    "FeatureCache",
    "FeaturePrecompute",
    "FeatureStore",
    "SamState",
    "default_budget",
    "feature_cache",
    "feature_store",
    "frame_digest",
    "install",
    "model_key",
    "weights_digest",
]
