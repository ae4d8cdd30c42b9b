"""Writing results: label TIFF, overlay mp4, tracks CSV. All writes are atomic."""

from .colors import blend, label_color
from .overlay import write_overlay_mp4
from .tiff import write_label_tiff
from .tracks import tracks_table, write_tracks_csv

__all__ = [
    "blend",
    "label_color",
    "tracks_table",
    "write_label_tiff",
    "write_overlay_mp4",
    "write_tracks_csv",
]
