"""Finding objects nobody clicked: candidates on a frame, and which of them are new.

``candidates`` holds what every method shares (the region searched, the area
limits, masks painted into a label image, the candidates no label claims yet);
``threshold`` is the model-free method for bright objects on a dark background.
"""

from .candidates import check_areas, check_region, filter_labels, label_image, new_objects
from .threshold import threshold_candidates

__all__ = [
    "check_areas",
    "check_region",
    "filter_labels",
    "label_image",
    "new_objects",
    "threshold_candidates",
]
