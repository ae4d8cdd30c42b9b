"""Image features and memory-conditioned features, kept so SAM2 need not recompute
them: in memory, on disk, computed ahead of the user."""

from .budget import parse_budget
from .cache import FeatureCache
from .conditioned import CorrectionCache, correction_cache_for
from .keys import frame_digest, model_key, weights_digest
from .precompute import FeaturePrecompute, feature_cache, feature_store
from .store import FeatureStore

__all__ = [
    "CorrectionCache",
    "FeatureCache",
    "FeaturePrecompute",
    "FeatureStore",
    "correction_cache_for",
    "feature_cache",
    "feature_store",
    "frame_digest",
    "model_key",
    "parse_budget",
    "weights_digest",
]
