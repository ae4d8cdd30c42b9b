"""Writing results: label TIFF, overlay mp4, tracks CSV, Cell Tracking Challenge,
COCO RLE, OME-Zarr. All writes are atomic."""

from .coco import read_coco, write_coco
from .colors import blend, label_color
from .ctc import read_ctc, write_ctc
from .omezarr import read_ome_zarr_labels, write_ome_zarr
from .overlay import write_overlay_mp4
from .tiff import write_label_tiff
from .tracks import tracks_table, write_tracks_csv

__all__ = [
    "blend",
    "label_color",
    "read_coco",
    "read_ctc",
    "read_ome_zarr_labels",
    "tracks_table",
    "write_coco",
    "write_ctc",
    "write_label_tiff",
    "write_ome_zarr",
    "write_overlay_mp4",
    "write_tracks_csv",
]
