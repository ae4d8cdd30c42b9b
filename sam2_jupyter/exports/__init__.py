"""Writing results: label TIFF, overlay mp4, tracks CSV, Cell Tracking Challenge,
COCO RLE, OME-Zarr, GEFF, TrackMate XML. All writes are atomic."""

from .coco import read_coco, write_coco
from .colors import blend, label_color
from .ctc import read_ctc, write_ctc
from .geff import read_geff, track_graph, write_geff
from .omezarr import read_ome_zarr_labels, write_ome_zarr
from .overlay import write_overlay_mp4
from .tiff import write_label_tiff
from .trackmate import read_trackmate, write_trackmate
from .tracks import tracks_table, write_tracks_csv

__all__ = [
    "blend",
    "label_color",
    "read_coco",
    "read_ctc",
    "read_geff",
    "read_ome_zarr_labels",
    "read_trackmate",
    "track_graph",
    "tracks_table",
    "write_coco",
    "write_ctc",
    "write_geff",
    "write_label_tiff",
    "write_ome_zarr",
    "write_overlay_mp4",
    "write_trackmate",
    "write_tracks_csv",
]
