"""Tracks as a graph: GEFF (the graph exchange format of the tracking community).

One node per object per frame it is on, with its centroid, its size and its object
id; edges link an object's consecutive appearances, and a mother's last appearance
to the first of each daughter. The same graph feeds the TrackMate export
(:mod:`.trackmate`). The GEFF is a Zarr folder written by the ``geff`` package
itself and validated by it (the spec's structure) before it is moved into place.

Decisions a reader should know:

- **Gaps.** An object missing on some frames (SAM2 lost it, it left the field) is
  still one track: its last node before the gap links to its first after it, an
  edge spanning more than one frame (gap closing, as trackers do). The CTC export
  splits such tracks instead, because CTC tracks must be continuous.
- **Divisions** (``parents``, daughter → mother, a Session's by default): an edge
  from the mother's last node *before* the daughter's first frame to that first
  node. The mother may go on after it (one daughter kept the mother's id): the
  track then branches there. A mother with no mask before her daughter starts is
  refused with a ValueError naming both; a division whose mother or daughter has
  no mask at all is left out (there is nothing to link).
- **Z stacks** have no time: each object is one node with its 3D centroid
  (z, y, x) and ``volume`` in voxels, at t = the stack's time point (0 for a plain
  ZYX stack), and there are no edges (nothing to link; parents are not written).
- **Units** are pixels and frames (``t`` in frames is the image's frame index, as
  the GEFF spec reads the ``frame`` unit); the stacks carry no physical sizes.
- **Empty results** give an empty, valid graph (no nodes, no edges, the axes still
  declared), so a batch run over a stack without objects writes every format.

Node properties: ``t``, [``z``,] ``y``, ``x``, ``area`` (pixels; ``volume`` in a Z
stack), ``track_id`` (the object's id in the label images), ``tracklet_id`` (a
branch-free run, GEFF's tracklet) and ``lineage_id`` (the id of the object a
lineage starts from; GEFF's lineage, a connected component).
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from skimage.measure import regionprops_table
from zarr.storage import LocalStore

from .._atomic import atomic_dir
from .protocol import LabelSource

_SIZE = {"area": "pixel", "volume": "pixel^3"}


@dataclass
class TrackGraph:
    """Nodes (one row each, in time order; the row number is the node id) and edges
    (``source``, ``target`` node ids, earlier to later). ``axes`` are the node
    columns that are coordinates, in GEFF's order (time first); ``extent`` the size
    of the data along each of them (for TrackMate's image description)."""

    nodes: pd.DataFrame
    edges: pd.DataFrame
    axes: list[str]
    size: str  # "area" (2D frames) or "volume" (a Z stack's objects in 3D)
    extent: dict[str, int] = field(default_factory=dict)


def read_lock(source: Any) -> contextlib.AbstractContextManager[Any]:
    """A Session's read lock (a propagation cannot change frames mid-export)."""
    reading = getattr(source, "reading", None)
    return reading() if reading is not None else contextlib.nullcontext()


def _other(source: Any) -> tuple[str | None, int, int]:
    """The stack's fixed second axis (Z of a TZYX time series, T of a Z stack at one
    time point): its letter, the index shown and its size."""
    stack = getattr(source, "stack", None)
    other = getattr(stack, "other_axis", None)
    if not other:
        return None, 0, 1
    return other.lower(), int(stack.other_index), int(stack.n_other)


def _measure(labels: np.ndarray) -> pd.DataFrame:
    props = regionprops_table(labels, properties=("label", "centroid", "area"))
    names = ["z", "y", "x"][-labels.ndim :]
    out = {"track_id": props["label"].astype(np.int64)}
    out.update({name: props[f"centroid-{k}"] for k, name in enumerate(names)})
    out["size"] = props["area"].astype(np.int64)
    return pd.DataFrame(out)


def _nodes(source: LabelSource) -> tuple[pd.DataFrame, list[str], str, dict[str, int]]:
    other, index, n_other = _other(source)
    h, w = source.frame_shape
    n = source.n_frames
    if source.frame_axis.upper() == "Z":
        volume = np.stack([source.label_frame(t) for t in range(n)])
        nodes = _measure(volume).sort_values("track_id", kind="stable")
        nodes.insert(1, "t", index if other == "t" else 0)
        extent = {"t": n_other if other == "t" else 1, "z": n, "y": h, "x": w}
        return nodes, ["t", "z", "y", "x"], "volume", extent
    frames = []
    for t in range(n):
        labels = source.label_frame(t)
        if labels.any():
            frames.append(_measure(labels).assign(t=t))
    columns = ["track_id", "t", "y", "x", "size"]
    nodes = (
        pd.concat(frames, ignore_index=True)[columns]
        if frames
        else pd.DataFrame(
            {c: pd.Series(dtype=np.float64 if c in "yx" else np.int64) for c in columns}
        )
    )
    axes = ["t", "y", "x"]
    extent = {"t": n, "y": h, "x": w}
    if other == "z":  # a TZYX time series shown at one Z: its nodes lie in that plane
        nodes.insert(2, "z", float(index))
        axes, extent = ["t", "z", "y", "x"], {"t": n, "z": n_other, "y": h, "x": w}
    return nodes, axes, "area", extent


def _edges(nodes: pd.DataFrame, parents: Mapping[int, int]) -> pd.DataFrame:
    """Each object's consecutive nodes (across gaps), then mother → daughters."""
    by_object = {int(k): v.index.to_numpy() for k, v in nodes.groupby("track_id", sort=True)}
    pairs = [np.stack([ids[:-1], ids[1:]], axis=1) for ids in by_object.values()]
    frame = nodes["t"].to_numpy()
    for daughter, mother in sorted(parents.items()):
        if daughter not in by_object or mother not in by_object:
            continue  # no mask at all: nothing to link
        first = by_object[daughter][0]
        before = by_object[mother][frame[by_object[mother]] < frame[first]]
        if not len(before):
            raise ValueError(
                f"parents: object {mother} has no mask before its daughter {daughter} "
                f"starts (frame {frame[first]})"
            )
        pairs.append(np.array([[before[-1], first]]))
    edges = np.concatenate(pairs) if pairs else np.empty((0, 2), np.int64)
    return pd.DataFrame(edges.astype(np.int64), columns=["source", "target"])


def _tracks(nodes: pd.DataFrame, edges: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """GEFF's tracklet ids (maximal branch-free paths, numbered from 1 in time
    order) and lineage ids (connected components, named after their first object)."""
    n = len(nodes)
    if not n:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    src, dst = edges["source"].to_numpy(), edges["target"].to_numpy()
    indegree, outdegree = np.bincount(dst, minlength=n), np.bincount(src, minlength=n)
    before = np.full(n, -1)
    before[dst] = src  # the one predecessor, where there is only one
    tracklet = np.zeros(n, np.int64)
    count = 0
    for node in range(n):  # nodes are in time order and edges go forward in time
        p = before[node]
        if indegree[node] == 1 and outdegree[p] == 1:
            tracklet[node] = tracklet[p]
        else:
            count += 1
            tracklet[node] = count
    graph = coo_matrix((np.ones(len(src)), (src, dst)), shape=(n, n))
    _, component = connected_components(graph, directed=True, connection="weak")
    _, first = np.unique(component, return_index=True)
    return tracklet, nodes["track_id"].to_numpy()[first][component].astype(np.int64)


def track_graph(source: LabelSource, parents: Mapping[int, int] | None = None) -> TrackGraph:
    """The tracking graph of ``source`` (see the module's notes). ``parents``
    (daughter → mother) is ignored for a Z stack, which has no time."""
    nodes, axes, size, extent = _nodes(source)
    nodes = nodes.sort_values(["t", "track_id"], kind="stable").reset_index(drop=True)
    nodes = nodes.rename(columns={"size": size})
    edges = _edges(nodes, {} if size == "volume" else dict(parents or {}))
    nodes["tracklet_id"], nodes["lineage_id"] = _tracks(nodes, edges)
    columns = [*axes, size, "track_id", "tracklet_id", "lineage_id"]
    return TrackGraph(nodes[columns], edges, axes, size, extent)


def source_graph(source: Any, parents: Mapping[int, int] | None = None) -> TrackGraph:
    """:func:`track_graph` of a Session or any LabelSource, read under its lock;
    ``parents`` defaults to the source's own (a Session's marked divisions)."""
    parents = getattr(source, "parents", None) if parents is None else parents
    with read_lock(source):
        return track_graph(source, parents)


def _geff() -> Any:
    """The ``geff`` package (an optional dependency, as ome-zarr is)."""
    try:
        import geff_spec
        from geff import core_io
    except ImportError as exc:
        raise ImportError("GEFF export needs geff: pip install 'sam2_jupyter[formats]'") from exc
    return core_io, geff_spec


def _metadata(graph: TrackGraph) -> Any:
    _, spec = _geff()
    axes = [
        spec.Axis(name=a, type="time", unit="frame")
        if a == "t"
        else spec.Axis(name=a, type="space", unit="pixel")
        for a in graph.axes
    ]
    described = {
        graph.size: (_SIZE[graph.size], f"{graph.size} of the object's mask"),
        "track_id": (None, "the object's id in the label images"),
        "tracklet_id": (None, "branch-free run of nodes (GEFF tracklet)"),
        "lineage_id": (None, "track_id of the object the lineage starts from"),
    }
    props = {
        name: spec.PropMetadata(identifier=name, dtype="int64", unit=unit, description=text)
        for name, (unit, text) in described.items()
    }
    return spec.GeffMetadata(
        directed=True,
        axes=axes,
        node_props_metadata=props,
        edge_props_metadata={},
        track_node_props={"tracklet": "tracklet_id", "lineage": "lineage_id"},
        display_hints=spec.DisplayHint(
            display_horizontal="x",
            display_vertical="y",
            display_time="t",
            display_depth="z" if "z" in graph.axes else None,
        ),
    )


def write_geff(
    source: Any,
    path: str | Path,
    *,
    overwrite: bool = False,
    parents: Mapping[int, int] | None = None,
) -> Path:
    """Write the tracking graph of ``source`` as a GEFF Zarr folder (``*.geff``).

    ``parents`` (daughter → mother) defaults to the source's divisions. The folder
    appears complete and validated by the ``geff`` package, or not at all; an
    existing ``path`` is replaced only with ``overwrite=True``.
    """
    core_io, _ = _geff()
    graph = source_graph(source, parents)
    metadata = _metadata(graph)
    node_props = {
        c: {"values": graph.nodes[c].to_numpy(), "missing": None} for c in graph.nodes.columns
    }
    node_ids = np.arange(len(graph.nodes), dtype=np.uint64)
    edge_ids = graph.edges[["source", "target"]].to_numpy(np.uint64).reshape(-1, 2)
    with atomic_dir(path, overwrite) as tmp:
        # A store, not the folder's name: geff takes an existing folder for an old geff.
        store = LocalStore(str(tmp))
        core_io.write_arrays(store, node_ids, node_props, edge_ids, {}, metadata)
    return Path(path)


def read_geff(path: str | Path) -> tuple[pd.DataFrame, pd.DataFrame, Any]:
    """A GEFF (ours or any tool's) through the ``geff`` package's validating reader:
    nodes (``id`` and every property), edges (``source``, ``target`` and every
    property) and its :class:`geff_spec.GeffMetadata`."""
    from geff.core_io import read_to_memory

    memory = read_to_memory(str(path))
    props = memory["node_props"]
    axes = [a.name for a in memory["metadata"].axes or []]
    nodes = pd.DataFrame({"id": np.asarray(memory["node_ids"])})
    for name in [*axes, *sorted(set(props) - set(axes))]:  # coordinates first
        nodes[name] = np.asarray(props[name]["values"])
    edge_ids = np.asarray(memory["edge_ids"]).reshape(-1, 2)
    edges = pd.DataFrame({"source": edge_ids[:, 0], "target": edge_ids[:, 1]})
    for name, prop in memory["edge_props"].items():
        edges[name] = np.asarray(prop["values"])
    return nodes, edges, memory["metadata"]
