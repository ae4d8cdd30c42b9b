"""GEFF and TrackMate XML, read back by tools that are not ours: the ``geff``
package's validating reader (structure, graph, tracklets, lineages), geff's own
TrackMate converter and pytrackmate (each parses TrackMate XML its own way)."""

from __future__ import annotations

import os
import stat
import warnings
import xml.etree.ElementTree as ET
from types import SimpleNamespace

import numpy as np
import pytest
from test_formats import Labels, discs

from sam2_jupyter.exports import (
    read_geff,
    read_trackmate,
    track_graph,
    write_geff,
    write_trackmate,
)

geff = pytest.importorskip("geff")
from geff.validate.data import ValidationConfig  # noqa: E402

EVERYTHING = ValidationConfig(graph=True, lineage=True, tracklet=True)


def divided(n=8, gap=(3, 4), birth=5):
    """``discs`` with object 2 missing on ``gap`` and a daughter 3 of object 1 from
    frame ``birth`` on; object 1 goes on (it kept the mother's id)."""
    labels = discs(n, gap=gap)
    yy, xx = np.mgrid[0:64, 0:80]
    for t in range(birth, n):
        labels[t][(yy - 55) ** 2 + (xx - 10) ** 2 < 16] = 3
    source = Labels(labels)
    source.parents = {3: 1}
    return source


def geff_graph(path):
    """The geff package's own reader, every data check on."""
    return geff.read(str(path), data_validation=EVERYTHING)


def by_object(graph):
    """(object id, frame) -> node id, and the edges as (object, frame) pairs."""
    key = {n: (d["track_id"], d["t"]) for n, d in graph.nodes(data=True)}
    return key, {(key[a], key[b]) for a, b in graph.edges}


# -- GEFF ------------------------------------------------------------------------------
def test_geff_nodes_edges_and_a_division_read_back_through_geff(tmp_path):
    source = divided()
    path = write_geff(source, tmp_path / "tracks.geff")
    graph, metadata = geff_graph(path)
    key, edges = by_object(graph)
    labels = source.labels
    expected = {(int(o), t) for t in range(len(labels)) for o in np.unique(labels[t]) if o}
    assert set(key.values()) == expected
    # centroid and area of one node, as the masks say
    node = next(n for n, k in key.items() if k == (2, 6))
    ys, xs = np.nonzero(labels[6] == 2)
    assert graph.nodes[node]["y"] == pytest.approx(ys.mean())
    assert graph.nodes[node]["x"] == pytest.approx(xs.mean())
    assert graph.nodes[node]["area"] == len(ys)
    # time links, the gap closed (2 is missing on frames 3 and 4), the division
    assert ((2, 2), (2, 5)) in edges
    assert ((1, 4), (3, 5)) in edges
    assert ((1, 4), (1, 5)) in edges
    assert len(edges) == 7 + 5 + 2 + 1  # 1 on 8 frames, 2 on 6, 3 on 3, one division
    assert [(a.name, a.type, a.unit) for a in metadata.axes] == [
        ("t", "time", "frame"),
        ("y", "space", "pixel"),
        ("x", "space", "pixel"),
    ]
    lineage = {key[n]: d["lineage_id"] for n, d in graph.nodes(data=True)}
    assert lineage[(3, 7)] == lineage[(1, 0)] == 1
    assert lineage[(2, 0)] == 2
    tracklet = {key[n]: d["tracklet_id"] for n, d in graph.nodes(data=True)}
    assert tracklet[(1, 4)] != tracklet[(1, 5)] != tracklet[(3, 5)]  # the branch point


def test_geff_validation_catches_a_broken_graph(tmp_path):
    """The check above can fail: a tracklet id that spans the branch is refused."""
    path = write_geff(divided(), tmp_path / "tracks.geff")
    nodes, _, _ = read_geff(path)
    import zarr

    values = zarr.open_array(str(path / "nodes" / "props" / "tracklet_id" / "values"), mode="r+")
    values[:] = np.where(nodes["track_id"].isin([1, 3]), 1, values[:])
    with pytest.raises(ValueError, match="tracklet"):
        geff_graph(path)


def test_geff_z_stack_is_one_time_point_in_3d(tmp_path):
    labels = divided().labels
    path = write_geff(Labels(labels, axis="Z"), tmp_path / "volume.geff")
    graph, metadata = geff_graph(path)
    assert [a.name for a in metadata.axes] == ["t", "z", "y", "x"]
    assert graph.number_of_edges() == 0
    assert graph.number_of_nodes() == 3
    node = next(d for _, d in graph.nodes(data=True) if d["track_id"] == 2)
    zs, ys, _ = np.nonzero(labels == 2)
    assert node["t"] == 0
    assert node["volume"] == len(zs)
    assert node["z"] == pytest.approx(zs.mean())
    assert node["y"] == pytest.approx(ys.mean())


def test_a_4d_stack_places_the_nodes_at_its_fixed_index(tmp_path):
    """A TZYX time series shown at one Z puts every node in that plane; a Z stack of
    a TZYX at one time point puts them at that time (as the tracks CSV does)."""
    labels = divided().labels
    series = Labels(labels)
    series.stack = SimpleNamespace(other_axis="Z", other_index=3, n_other=5)
    graph, metadata = geff_graph(write_geff(series, tmp_path / "t.geff"))
    assert [a.name for a in metadata.axes] == ["t", "z", "y", "x"]
    assert {d["z"] for _, d in graph.nodes(data=True)} == {3.0}
    assert graph.number_of_edges() == 7 + 5 + 2  # Labels has no parents
    volume = Labels(labels, axis="Z")
    volume.stack = SimpleNamespace(other_axis="T", other_index=2, n_other=4)
    graph, _ = geff_graph(write_geff(volume, tmp_path / "z.geff"))
    assert {d["t"] for _, d in graph.nodes(data=True)} == {2}
    spots = read_trackmate(write_trackmate(volume, tmp_path / "z.xml"))[0]
    assert set(spots["FRAME"]) == {2}


def test_geff_of_nothing_is_an_empty_valid_graph(tmp_path):
    path = write_geff(Labels(np.zeros((3, 16, 16), np.uint16)), tmp_path / "none.geff")
    graph, metadata = geff_graph(path)
    assert graph.number_of_nodes() == graph.number_of_edges() == 0
    assert [a.name for a in metadata.axes] == ["t", "y", "x"]


def test_geff_is_refused_over_an_existing_one_and_follows_the_umask(tmp_path):
    source = divided()
    path = write_geff(source, tmp_path / "tracks.geff")
    before = sorted(p.name for p in path.rglob("*"))
    with pytest.raises(FileExistsError):
        write_geff(source, path)
    source.labels[:, :, :] = 0
    write_geff(source, path, overwrite=True)
    assert geff_graph(path)[0].number_of_nodes() == 0
    assert before
    previous = os.umask(0o027)
    try:
        shared = write_geff(divided(), tmp_path / "shared.geff")
    finally:
        os.umask(previous)
    assert stat.S_IMODE(shared.stat().st_mode) == 0o750
    assert stat.S_IMODE((shared / ".zattrs").stat().st_mode) == 0o640


def test_a_mother_that_starts_after_her_daughter_is_refused_one_without_masks_left_out():
    source = divided()
    source.parents = {1: 3}
    with pytest.raises(ValueError, match="object 3 has no mask before its daughter 1"):
        track_graph(source, source.parents)
    without = track_graph(source, {9: 1, 3: 8}).edges  # objects without masks: no link
    assert len(without) == len(track_graph(source).edges) == 7 + 5 + 2


# -- TrackMate -------------------------------------------------------------------------
def test_trackmate_round_trip_through_geffs_converter(tmp_path):
    """geff's converter reads the XML as TrackMate's model: spots, and edges grouped
    in tracks; a division is one track that branches."""
    from geff.convert import from_trackmate_xml_to_geff

    source = divided()
    xml = write_trackmate(source, tmp_path / "tracks.xml")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # no image, no display settings: only notes
        from_trackmate_xml_to_geff(xml, tmp_path / "converted.geff")
    graph, _ = geff.read(str(tmp_path / "converted.geff"), data_validation=EVERYTHING)
    ours, _ = geff_graph(write_geff(source, tmp_path / "ours.geff"))
    key = {n: (d["OBJECT_ID"], d["FRAME"]) for n, d in graph.nodes(data=True)}
    assert {(key[a], key[b]) for a, b in graph.edges} == by_object(ours)[1]
    tracks = {key[n]: d.get("TRACK_ID") for n, d in graph.nodes(data=True)}
    assert tracks[(1, 0)] == tracks[(3, 7)] == 1
    assert tracks[(2, 7)] == 2
    spot = next(d for n, d in graph.nodes(data=True) if key[n] == (3, 6))
    ys, xs = np.nonzero(source.labels[6] == 3)
    assert (spot["POSITION_X"], spot["POSITION_Y"]) == pytest.approx((xs.mean(), ys.mean()))
    assert spot["AREA"] == len(ys)
    assert spot["RADIUS"] == pytest.approx(np.sqrt(len(ys) / np.pi))
    outline = np.asarray(spot["ROI_coords"]) + np.array([xs.mean(), ys.mean()])
    assert outline[:, 0].min() == pytest.approx(xs.min() - 0.5)
    assert outline[:, 1].max() == pytest.approx(ys.max() + 0.5)


def test_trackmate_round_trip_through_pytrackmate(tmp_path):
    from pytrackmate import trackmate_peak_import

    source = divided()
    xml = write_trackmate(source, tmp_path / "tracks.xml")
    spots = trackmate_peak_import(str(xml), get_tracks=True)
    graph = track_graph(source, source.parents)
    assert len(spots) == len(graph.nodes)
    assert sorted(zip(spots["t_stamp"], spots["x"], spots["y"], strict=True)) == sorted(
        zip(graph.nodes["t"], graph.nodes["x"], graph.nodes["y"], strict=True)
    )
    # two tracks: 1 with its daughter 3, and 2 across its gap
    by_track = spots.groupby("label")["spot_id"].count().sort_values().tolist()
    assert by_track == [6, 11]
    tracks = {t.get("TRACK_ID"): t.attrib for t in ET.parse(xml).iter("Track")}
    assert (tracks["1"]["NUMBER_SPLITS"], tracks["1"]["NUMBER_GAPS"]) == ("1", "0")
    assert (tracks["2"]["NUMBER_GAPS"], tracks["2"]["LONGEST_GAP"]) == ("1", "2")
    assert tracks["2"]["NUMBER_SPOTS"] == "6"
    ours_spots, ours_edges = read_trackmate(xml)
    assert set(ours_edges["TRACK_ID"]) == {1, 2}
    assert (ours_spots["QUALITY"] == 1).all()


def test_trackmate_z_stack_empty_and_overwrite(tmp_path):
    from pytrackmate import trackmate_peak_import

    labels = divided().labels
    xml = write_trackmate(Labels(labels, axis="Z"), tmp_path / "volume.xml")
    spots = trackmate_peak_import(str(xml), get_tracks=True)
    assert len(spots) == 3
    assert (spots["t_stamp"] == 0).all()
    zs = np.nonzero(labels == 3)[0]
    assert spots.loc[spots["x"] == 10.0, "z"].item() == pytest.approx(zs.mean())
    assert read_trackmate(xml)[1].empty  # no links in a single time point
    with pytest.raises(FileExistsError):
        write_trackmate(Labels(labels, axis="Z"), xml)
    empty = Labels(np.zeros((2, 8, 8), np.uint16))
    write_trackmate(empty, xml, overwrite=True)
    assert trackmate_peak_import(str(xml), get_tracks=True).empty


# -- through a Session -----------------------------------------------------------------
def test_session_exports_by_name_and_method(session, tmp_path):
    """A session's divisions reach both files; the registry and the methods agree."""
    labels = np.zeros((session.n_frames, *session.frame_shape), np.uint16)
    source = divided(n=session.n_frames)
    labels[:, : source.labels.shape[1], : source.labels.shape[2]] = source.labels
    session.load_labels(labels)
    session.set_parent(3, 1)
    by_name = session.export("geff", tmp_path / "a.geff")
    by_method = session.export_geff(tmp_path / "b.geff")
    _, edges = by_object(geff_graph(by_name)[0])
    assert edges == by_object(geff_graph(by_method)[0])[1]
    assert ((1, 4), (3, 5)) in edges
    xml = session.export_trackmate(tmp_path / "a.xml")
    assert session.export("trackmate", tmp_path / "b.xml").read_bytes() == xml.read_bytes()
    assert set(read_trackmate(xml)[1]["TRACK_ID"]) == {1, 2}
    with pytest.raises(FileExistsError):
        session.export_trackmate(xml)
