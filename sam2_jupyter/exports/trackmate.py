"""Tracks as a TrackMate XML file, the session file Fiji's TrackMate saves and opens.

The spots and links are the GEFF export's graph (:mod:`.geff`: one spot per object
per frame, gaps closed, mothers linked to daughters), laid out as TrackMate keeps
its model: ``AllSpots`` by frame, ``AllTracks`` with each connected lineage as one
track whose edges branch at a division, ``FilteredTracks`` listing them all;
``Settings`` names the stack's file (where the session read one from disk), its
size and calibration, and the manual detector and tracker (the spots and links
are annotations). The tests read the file back with two TrackMate-XML readers that
are not ours (geff's TrackMate converter, pytrackmate); Fiji itself does not run
there.

Each spot has TrackMate's core features (``POSITION_X/Y/Z/T``, ``FRAME``,
``RADIUS``, ``QUALITY``, ``VISIBILITY``), ``AREA`` in 2D, ``OBJECT_ID`` (the
object's id in the label images) and, in 2D, its outline as TrackMate's ROI
polygon (``ROI_N_POINTS`` and the vertices relative to the centre: the mask's
shape, not a disc). ``RADIUS`` is that of the disc (a Z stack: the ball) of the
same size. There is no detection score: ``QUALITY`` is 1 for every spot. Units
are pixels and frames (``spatialunits="pixel"``, ``timeunits="frame"``, every
calibration 1). As in TrackMate, an object on a single frame with no division has
no track (a track is made of links). A Z stack is one time point: one spot per
object, no tracks. An empty result writes an empty model.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from skimage.measure import find_contours, regionprops

from .._atomic import atomic_path
from .geff import TrackGraph, read_lock, track_graph

# (feature, name, shortname, dimension, isint), as TrackMate declares them.
SPOT_FEATURES = [
    ("QUALITY", "Quality", "Quality", "QUALITY", False),
    ("POSITION_X", "X", "X", "POSITION", False),
    ("POSITION_Y", "Y", "Y", "POSITION", False),
    ("POSITION_Z", "Z", "Z", "POSITION", False),
    ("POSITION_T", "T", "T", "TIME", False),
    ("FRAME", "Frame", "Frame", "NONE", True),
    ("RADIUS", "Radius", "R", "LENGTH", False),
    ("VISIBILITY", "Visibility", "Visibility", "NONE", True),
    ("AREA", "Area", "Area", "AREA", False),
    ("OBJECT_ID", "Object id", "Object", "NONE", True),
]
EDGE_FEATURES = [
    ("SPOT_SOURCE_ID", "Source spot ID", "Source ID", "NONE", True),
    ("SPOT_TARGET_ID", "Target spot ID", "Target ID", "NONE", True),
    ("LINK_COST", "Edge cost", "Cost", "COST", False),
    ("EDGE_TIME", "Edge time", "Edge T", "TIME", False),
    ("EDGE_X_LOCATION", "Edge X", "Edge X", "POSITION", False),
    ("EDGE_Y_LOCATION", "Edge Y", "Edge Y", "POSITION", False),
    ("EDGE_Z_LOCATION", "Edge Z", "Edge Z", "POSITION", False),
]
TRACK_FEATURES = [
    ("TRACK_INDEX", "Track index", "Index", "NONE", True),
    ("TRACK_ID", "Track ID", "ID", "NONE", True),
    ("NUMBER_SPOTS", "Number of spots in track", "N spots", "NONE", True),
    ("NUMBER_GAPS", "Number of gaps", "N gaps", "NONE", True),
    ("NUMBER_SPLITS", "Number of split events", "N splits", "NONE", True),
    ("NUMBER_MERGES", "Number of merge events", "N merges", "NONE", True),
    ("LONGEST_GAP", "Longest gap", "Lgst gap", "NONE", True),
    ("TRACK_DURATION", "Track duration", "Duration", "TIME", False),
    ("TRACK_START", "Track start", "Track start", "TIME", False),
    ("TRACK_STOP", "Track stop", "Track stop", "TIME", False),
]


def _text(value: Any) -> str:
    """A feature value as TrackMate writes it (Java's int / double text)."""
    return _texts([value])[0]


def _texts(values: Any) -> list[str]:
    """A column of feature values as text: integers as integers, the rest as the
    shortest text that reads back as the same double."""
    array = np.asarray(values)
    if array.dtype.kind in "biu":
        return [str(v) for v in array.astype(np.int64).tolist()]
    return [repr(v) for v in array.astype(float).tolist()]


def _declare(parent: ET.Element, tag: str, features: list[tuple[str, str, str, str, bool]]) -> None:
    group = ET.SubElement(parent, tag)
    for feature, name, short, dimension, isint in features:
        attrs = {"feature": feature, "name": name, "shortname": short, "dimension": dimension}
        ET.SubElement(group, "Feature", attrs, isint="true" if isint else "false")


def _outlines(source: Any, graph: TrackGraph) -> dict[int, np.ndarray]:
    """Node id -> its mask's outer contour as (x, y) vertices around the centroid
    (2D frames only): TrackMate's spot ROI."""
    out: dict[int, np.ndarray] = {}
    if graph.size != "area":
        return out
    nodes = graph.nodes
    centre = nodes[["y", "x"]].to_numpy(float)
    for t, rows in nodes.groupby("t", sort=True):
        ids = dict(zip(rows["track_id"].tolist(), rows.index.tolist(), strict=True))
        for region in regionprops(source.label_frame(int(t))):
            contours = find_contours(np.pad(region.image, 1).astype(np.uint8), 0.5)
            contour = max(contours, key=len)[:-1]  # closed: the last vertex is the first
            node = ids[region.label]
            corner = np.asarray(region.bbox[:2], float) - 1  # the crop's origin, padded
            out[node] = (contour + corner - centre[node])[:, ::-1]
    return out


def _spots(model: ET.Element, graph: TrackGraph, outlines: dict[int, np.ndarray]) -> None:
    nodes = graph.nodes
    n = len(nodes)
    t = nodes["t"].to_numpy()
    volume = graph.size == "volume"
    columns = {
        "QUALITY": np.ones(n),
        "POSITION_X": nodes["x"],
        "POSITION_Y": nodes["y"],
        "POSITION_Z": nodes["z"] if "z" in nodes else np.zeros(n),
        "POSITION_T": t.astype(float),
        "FRAME": t,
        "RADIUS": np.cbrt(3 * nodes["volume"] / (4 * np.pi))
        if volume
        else np.sqrt(nodes["area"] / np.pi),
        "VISIBILITY": np.ones(n, np.int64),
        "OBJECT_ID": nodes["track_id"],
    }
    if not volume:
        columns["AREA"] = nodes["area"].astype(float)
    names, text = list(columns), [_texts(v) for v in columns.values()]
    spots = ET.SubElement(model, "AllSpots", nspots=str(n))
    frames: dict[int, ET.Element] = {}
    for node, (frame, *values) in enumerate(zip(t.tolist(), *text, strict=True)):
        if frame not in frames:
            frames[frame] = ET.SubElement(spots, "SpotsInFrame", frame=str(frame))
        attrs = {"ID": str(node), "name": f"ID{node}", **dict(zip(names, values, strict=True))}
        spot = ET.SubElement(frames[frame], "Spot", attrs)
        outline = outlines.get(node)
        if outline is not None:  # to 1e-4 pixel: the vertices lie on half pixels
            spot.set("ROI_N_POINTS", str(len(outline)))
            spot.text = " ".join(_texts(np.round(outline.ravel(), 4)))


def _lineages(graph: TrackGraph) -> list[tuple[int, np.ndarray, np.ndarray]]:
    """(track id, its node ids, its edge rows) per connected lineage with links,
    in the order of their first spot; the id is the lineage's first object."""
    src, dst = graph.edges["source"].to_numpy(), graph.edges["target"].to_numpy()
    n = len(graph.nodes)
    if not len(src):
        return []
    matrix = coo_matrix((np.ones(len(src)), (src, dst)), shape=(n, n))
    _, component = connected_components(matrix, directed=True, connection="weak")
    members = pd.Series(np.arange(n)).groupby(component).indices
    edge_rows = pd.Series(np.arange(len(src))).groupby(component[src]).indices
    linked = np.zeros(n, bool)
    linked[src] = linked[dst] = True
    lineage = graph.nodes["lineage_id"].to_numpy()
    return [
        (int(lineage[members[c][0]]), members[c], edge_rows[c])
        for c in dict.fromkeys(component[linked].tolist())
    ]


def _tracks(model: ET.Element, graph: TrackGraph, lineages: list[Any]) -> None:
    nodes, edges = graph.nodes, graph.edges
    t = nodes["t"].to_numpy(float)
    xyz = nodes[["x", "y"]].assign(z=nodes.get("z", 0.0)).to_numpy(float)
    src, dst = edges["source"].to_numpy(), edges["target"].to_numpy()
    mid = (xyz[src] + xyz[dst]) / 2
    columns = {
        "SPOT_SOURCE_ID": src,
        "SPOT_TARGET_ID": dst,
        "LINK_COST": np.zeros(len(src)),
        "EDGE_TIME": (t[src] + t[dst]) / 2,
        "EDGE_X_LOCATION": mid[:, 0],
        "EDGE_Y_LOCATION": mid[:, 1],
        "EDGE_Z_LOCATION": mid[:, 2],
    }
    names, text = list(columns), list(zip(*(_texts(v) for v in columns.values()), strict=True))
    tracks = ET.SubElement(model, "AllTracks")
    for index, (track_id, members, rows) in enumerate(lineages):
        steps = t[dst[rows]] - t[src[rows]]
        features = {
            "TRACK_INDEX": index,
            "TRACK_ID": track_id,
            "NUMBER_SPOTS": len(members),
            "NUMBER_GAPS": int((steps > 1).sum()),
            "NUMBER_SPLITS": int((np.bincount(src[rows]) > 1).sum()),
            "NUMBER_MERGES": 0,  # objects never merge: each node has one predecessor
            "LONGEST_GAP": int(max(steps.max() - 1, 0)),
            "TRACK_DURATION": t[members].max() - t[members].min(),
            "TRACK_START": t[members].min(),
            "TRACK_STOP": t[members].max(),
        }
        attrs = {"name": f"Track_{track_id}", **{k: _text(v) for k, v in features.items()}}
        track = ET.SubElement(tracks, "Track", attrs)
        for row in rows:
            ET.SubElement(track, "Edge", dict(zip(names, text[row], strict=True)))


def _settings(root: ET.Element, source: Any, graph: TrackGraph) -> None:
    extent = graph.extent
    w, h = extent["x"], extent["y"]
    nz, nt = extent.get("z", 1), extent["t"]
    path = getattr(getattr(source, "stack", None), "path", None)
    image = Path(path) if path and Path(path).is_file() else None
    settings = ET.SubElement(root, "Settings")
    ET.SubElement(
        settings,
        "ImageData",
        filename=image.name if image else "",
        folder=str(image.parent) if image else "",
        width=str(w),
        height=str(h),
        nslices=str(nz),
        nframes=str(nt),
        pixelwidth="1.0",
        pixelheight="1.0",
        voxeldepth="1.0",
        timeinterval="1.0",
    )
    ET.SubElement(settings, "BasicSettings", xstart="0", xend=str(w - 1), ystart="0",
                  yend=str(h - 1), zstart="0", zend=str(nz - 1), tstart="0",
                  tend=str(nt - 1))  # fmt: skip
    # The spots are annotations, made outside TrackMate's detectors and trackers.
    area = graph.nodes["area"].median() if graph.size == "area" and len(graph.nodes) else 0
    radius = float(np.sqrt(area / np.pi)) or 5.0
    ET.SubElement(
        settings, "DetectorSettings", DETECTOR_NAME="MANUAL_DETECTOR", RADIUS=_text(radius)
    )
    ET.SubElement(settings, "InitialSpotFilter", feature="QUALITY", value="0.0", isabove="true")
    ET.SubElement(settings, "SpotFilterCollection")
    ET.SubElement(settings, "TrackerSettings", TRACKER_NAME="MANUAL_TRACKER")
    ET.SubElement(settings, "TrackFilterCollection")


def trackmate_tree(source: Any, graph: TrackGraph) -> ET.ElementTree:
    """The whole TrackMate document of ``graph`` (``source``'s labels give the
    outlines and its stack the image's description)."""
    root = ET.Element("TrackMate", version="7.0.0")
    lineages = _lineages(graph)
    ET.SubElement(root, "Log").text = (
        f"sam2_jupyter export: {len(graph.nodes)} spots, {len(lineages)} tracks, "
        "positions in pixels, times in frames.\n"
    )
    model = ET.SubElement(root, "Model", spatialunits="pixel", timeunits="frame")
    declarations = ET.SubElement(model, "FeatureDeclarations")
    volume = graph.size == "volume"
    spot_features = [f for f in SPOT_FEATURES if f[0] != "AREA" or not volume]
    _declare(declarations, "SpotFeatures", spot_features)
    _declare(declarations, "EdgeFeatures", EDGE_FEATURES)
    _declare(declarations, "TrackFeatures", TRACK_FEATURES)
    _spots(model, graph, _outlines(source, graph))
    _tracks(model, graph, lineages)
    filtered = ET.SubElement(model, "FilteredTracks")
    for track_id, _, _ in lineages:
        ET.SubElement(filtered, "TrackID", TRACK_ID=str(track_id))
    _settings(root, source, graph)
    ET.SubElement(root, "GUIState", state="ConfigureViews")
    tree = ET.ElementTree(root)
    ET.indent(tree)
    return tree


def write_trackmate(
    source: Any,
    path: str | Path,
    *,
    overwrite: bool = False,
    parents: Mapping[int, int] | None = None,
) -> Path:
    """Write ``source``'s tracks as a TrackMate XML file (Fiji: *File › Open* or
    TrackMate's *Load a TrackMate file*). ``parents`` (daughter → mother) defaults
    to the source's divisions. Written completely or not at all."""
    parents = getattr(source, "parents", None) if parents is None else parents
    with read_lock(source):
        graph = track_graph(source, parents)
        tree = trackmate_tree(source, graph)
    with atomic_path(path, overwrite) as tmp:
        tree.write(tmp, encoding="UTF-8", xml_declaration=True)
    return Path(path)


def read_trackmate(path: str | Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Spots (ID and every feature, numbers as numbers) and edges (with the
    ``TRACK_ID`` of their track) of a TrackMate XML file, ours or Fiji's."""
    model = ET.parse(path).getroot().find("Model")
    if model is None:
        raise ValueError(f"{path}: not a TrackMate file (no Model)")
    spots = pd.DataFrame([s.attrib for s in model.iter("Spot")])
    edges = pd.DataFrame(
        [{**e.attrib, "TRACK_ID": tr.get("TRACK_ID")} for tr in model.iter("Track") for e in tr]
    )
    for table in (spots, edges):
        for column in table.columns.drop("name", errors="ignore"):
            table[column] = pd.to_numeric(table[column])
    return spots, edges
