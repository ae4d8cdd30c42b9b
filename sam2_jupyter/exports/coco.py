"""COCO-style instance annotations with RLE masks, encoded by pycocotools.

One COCO "image" per frame and one annotation per object per frame it appears
in, with the object id kept as ``track_id`` (the convention of video-instance
datasets such as YouTube-VIS and TAO), so detection and tracking tools read it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from .._atomic import atomic_path
from .._compat import positional_flags
from .protocol import LabelSource


def _mask_api() -> Any:
    try:
        from pycocotools import mask
    except ImportError as exc:  # an optional dependency
        raise ImportError(
            "COCO export needs pycocotools: pip install 'sam2_jupyter[formats]'"
        ) from exc
    return mask


def coco_dict(source: LabelSource, name: str = "sam2_jupyter", category: str = "object") -> dict:
    """The COCO JSON as a dict; ``counts`` are RLE strings (pycocotools' encoding)."""
    mask_api = _mask_api()
    h, w = source.frame_shape
    images, annotations = [], []
    for t in range(source.n_frames):
        labels = source.label_frame(t)
        images.append(
            {"id": t + 1, "file_name": f"{name}_{t:05d}", "height": h, "width": w, "frame_index": t}
        )
        for obj in np.unique(labels):
            if not obj:
                continue
            rle = mask_api.encode(np.asfortranarray(labels == obj, dtype=np.uint8))
            x, y, bw, bh = (float(v) for v in mask_api.toBbox(rle))
            annotations.append(
                {
                    "id": len(annotations) + 1,
                    "image_id": t + 1,
                    "category_id": 1,
                    "track_id": int(obj),
                    "segmentation": {"size": [h, w], "counts": rle["counts"].decode("ascii")},
                    "area": float(mask_api.area(rle)),
                    "bbox": [x, y, bw, bh],
                    "iscrowd": 0,
                }
            )
    return {
        "info": {"description": f"{name}: labels by sam2_jupyter", "frame_axis": source.frame_axis},
        "images": images,
        "annotations": annotations,
        "categories": [{"id": 1, "name": category}],
    }


@positional_flags("overwrite")
def write_coco(
    source: LabelSource, path: str | Path, *, overwrite: bool = False, **kw: Any
) -> Path:
    """Write :func:`coco_dict` as JSON (atomically)."""
    data = coco_dict(source, **kw)
    with atomic_path(path, overwrite) as tmp:
        tmp.write_text(json.dumps(data))
    return Path(path)


def read_coco(path: str | Path) -> np.ndarray:
    """A COCO file written by :func:`write_coco` back to (frames, Y, X) labels."""
    mask_api = _mask_api()
    data = json.loads(Path(path).read_text())
    images = sorted(data["images"], key=lambda im: im["id"])
    h, w = images[0]["height"], images[0]["width"]
    out = np.zeros((len(images), h, w), np.uint16)
    index = {im["id"]: i for i, im in enumerate(images)}
    for ann in data["annotations"]:
        seg = ann["segmentation"]
        mask = mask_api.decode({"size": seg["size"], "counts": seg["counts"].encode("ascii")})
        out[index[ann["image_id"]]][mask.astype(bool)] = ann["track_id"]
    return out
