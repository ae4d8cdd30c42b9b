"""Formats people exchange, read back by the tools that define them: Cell Tracking
Challenge (validated and scored by py-ctcmetrics), COCO RLE (pycocotools), OME-Zarr
(ome-zarr), napari Points/Shapes/Tracks (napari's own readers and layers)."""

from __future__ import annotations

import contextlib
import io
import warnings

import numpy as np
import pandas as pd
import pytest
import tifffile
from conftest import moving_discs

from sam2_jupyter import Session, open_stack
from sam2_jupyter.engine.napari_prompts import boxes_path
from sam2_jupyter.exports import read_coco, read_ctc, read_ome_zarr_labels, write_ctc


class Labels:
    """A LabelSource from arrays: exports need no model."""

    def __init__(self, labels, images=None, axis="T"):
        self.labels = labels
        self.images = images
        self.n_frames = len(labels)
        self.frame_shape = labels.shape[1:]
        self.frame_axis = axis

    def label_frame(self, t):
        return self.labels[t].copy()

    def data_frame(self, t):
        return self.images[t]

    def image_frame(self, t):
        return self.images[t]


def discs(n=8, gap=()):
    """Two discs moving; object 2 is missing on the frames in ``gap``."""
    yy, xx = np.mgrid[0:64, 0:80]
    out = np.zeros((n, 64, 80), np.uint16)
    for t in range(n):
        out[t][(yy - 20) ** 2 + (xx - 10 - 3 * t) ** 2 < 64] = 1
        if t not in gap:
            out[t][(yy - 45) ** 2 + (xx - 60 + 2 * t) ** 2 < 49] = 2
    return out


def quiet(fn, *args, **kw):
    """py-ctcmetrics prints progress; keep the test log readable."""
    with contextlib.redirect_stdout(io.StringIO()):
        return fn(*args, **kw)


def ctc_ground_truth(labels, folder):
    """A CTC ground-truth folder (TRA + SEG) from labels with continuous tracks."""
    (folder / "TRA").mkdir(parents=True)
    (folder / "SEG").mkdir()
    lines = []
    for obj in np.unique(labels[labels > 0]):
        frames = np.nonzero((labels == obj).any(axis=(1, 2)))[0]
        lines.append(f"{obj} {frames[0]} {frames[-1]} 0")
    (folder / "TRA" / "man_track.txt").write_text("\n".join(lines) + "\n")
    for t, frame in enumerate(labels):
        tifffile.imwrite(folder / "TRA" / f"man_track{t:03d}.tif", frame)
        tifffile.imwrite(folder / "SEG" / f"man_seg{t:03d}.tif", frame)


# -- Cell Tracking Challenge ------------------------------------------------------------
def test_ctc_folder_is_valid_and_scores_perfectly_against_itself(tmp_path):
    from ctc_metrics.scripts.evaluate import evaluate_sequence
    from ctc_metrics.scripts.validate import validate_sequence

    labels = discs()
    res = write_ctc(Labels(labels), tmp_path / "01_RES")
    assert sorted(p.name for p in res.iterdir())[:2] == ["mask000.tif", "mask001.tif"]
    assert quiet(validate_sequence, str(res), threads=1)["Valid"] == 1
    ctc_ground_truth(labels, tmp_path / "01_GT")
    scores = quiet(
        evaluate_sequence, str(res), str(tmp_path / "01_GT"), ["SEG", "TRA", "DET"], threads=1
    )
    assert scores["SEG"] == pytest.approx(1.0)
    assert scores["TRA"] == pytest.approx(1.0)
    back, table = read_ctc(res)
    assert np.array_equal(back, labels)
    assert table.values.tolist() == [[1, 0, 7, 0], [2, 0, 7, 0]]


def test_ctc_splits_an_object_that_vanishes_and_links_on_request(tmp_path):
    from ctc_metrics.scripts.validate import validate_sequence

    labels = discs(gap=(3, 4))
    res = write_ctc(Labels(labels), tmp_path / "plain")
    assert quiet(validate_sequence, str(res), threads=1)["Valid"] == 1
    back, table = read_ctc(res)
    assert table.values.tolist() == [[1, 0, 7, 0], [2, 0, 2, 0], [3, 5, 7, 0]]
    assert np.array_equal(back[5:] == 3, labels[5:] == 2)  # the second run, relabelled
    linked = write_ctc(Labels(labels), tmp_path / "linked", link_gaps=True)
    assert quiet(validate_sequence, str(linked), threads=1)["Valid"] == 1
    assert read_ctc(linked)[1].values.tolist()[-1] == [3, 5, 7, 2]


def test_ctc_parents_from_the_user(tmp_path):
    from ctc_metrics.scripts.validate import validate_sequence

    labels = discs()
    labels[4:][labels[4:] == 2] = 0  # object 2 ends at frame 3 ...
    labels[4:][labels[4:] == 1] = 3  # ... and object 1 becomes 3 (a "daughter")
    labels[:4][labels[:4] == 1] = 1
    res = write_ctc(Labels(labels), tmp_path / "res", parents={3: 2})
    assert quiet(validate_sequence, str(res), threads=1)["Valid"] == 1
    table = read_ctc(res)[1].set_index("L")
    assert table.loc[3, "P"] == 2
    with pytest.raises(ValueError, match="must end before its child"):
        write_ctc(Labels(labels), tmp_path / "bad", parents={2: 3})
    with pytest.raises(ValueError, match="object 9 is not in the labels"):
        write_ctc(Labels(labels), tmp_path / "bad", parents={9: 1})
    assert not (tmp_path / "bad").exists()


def test_ctc_volume_empty_frames_and_no_clobber(tmp_path):
    volume = discs()
    res = write_ctc(Labels(volume, axis="Z"), tmp_path / "vol")
    back, table = read_ctc(res)
    assert back.shape == volume.shape
    assert np.array_equal(back, volume)
    assert table.values.tolist() == [[1, 0, 0, 0], [2, 0, 0, 0]]
    sparse = discs()
    sparse[2] = 0
    with pytest.warns(UserWarning, match="without any object"):
        write_ctc(Labels(sparse), tmp_path / "sparse")
    with pytest.raises(FileExistsError):
        write_ctc(Labels(volume), tmp_path / "vol")
    write_ctc(Labels(sparse[:3]), tmp_path / "vol", overwrite=True)
    assert len(list((tmp_path / "vol").glob("mask*.tif"))) == 3
    assert not list(tmp_path.glob(".*tmp*"))


# -- COCO -------------------------------------------------------------------------------
def test_coco_rle_reads_back_with_pycocotools(tmp_path):
    from pycocotools.coco import COCO

    labels = discs(gap=(3,))
    from sam2_jupyter.exports import write_coco

    path = write_coco(Labels(labels), tmp_path / "labels.json")
    with contextlib.redirect_stdout(io.StringIO()):
        coco = COCO(str(path))
    assert len(coco.getImgIds()) == len(labels)
    assert len(coco.getAnnIds()) == 2 * len(labels) - 1
    for ann in coco.loadAnns(coco.getAnnIds()):
        t = coco.loadImgs(ann["image_id"])[0]["frame_index"]
        mask = coco.annToMask(ann).astype(bool)
        assert np.array_equal(mask, labels[t] == ann["track_id"])
        assert ann["area"] == mask.sum()
    assert np.array_equal(read_coco(path), labels)


# -- OME-Zarr ---------------------------------------------------------------------------
def test_ome_zarr_image_and_labels_read_back_with_ome_zarr(tmp_path):
    from ome_zarr.io import parse_url
    from ome_zarr.reader import Reader

    labels = discs()
    images = np.stack([np.stack([f * 40] * 3, axis=-1).astype(np.uint8) for f in labels])
    from sam2_jupyter.exports import write_ome_zarr

    path = write_ome_zarr(Labels(labels, images), tmp_path / "out.ome.zarr")
    nodes = list(Reader(parse_url(str(path)))())
    image = np.asarray(nodes[0].data[0])
    assert image.shape == (len(labels), 3, 64, 80)
    assert np.array_equal(image.transpose(0, 2, 3, 1), images)
    label_nodes = [n for n in nodes if any(type(s).__name__ == "Label" for s in n.specs)]
    assert len(label_nodes) == 1
    assert np.array_equal(read_ome_zarr_labels(path), labels)
    colors = label_nodes[-1].metadata.get("color", {})
    assert set(colors) >= {1, 2}


def _ome_zarr_image(path):
    """The full-resolution image of an OME-Zarr and its axis names, read with zarr."""
    import zarr

    root = zarr.open_group(str(path), mode="r")
    attrs = root.attrs.asdict()
    multiscales = (attrs.get("ome") or attrs)["multiscales"][0]
    array = root[multiscales["datasets"][0]["path"]]
    return array, [a["name"] for a in multiscales["axes"]]


def test_ome_zarr_holds_the_source_data_not_the_display(model, tmp_path):
    """A 16-bit one-channel stack is written as itself: intensities measured in napari
    or Fiji from the export are those of the microscope, not of the contrast stretch."""
    rng = np.random.default_rng(1)
    data = rng.integers(100, 4000, (4, 64, 80)).astype(np.uint16)
    data[:, 20:40, 30:50] += 20000
    s = Session(data, model)
    s.add_point(1, 30, 40, 1)
    path = s.export_ome_zarr(tmp_path / "o.ome.zarr")
    image, axes = _ome_zarr_image(path)
    assert image.dtype == np.uint16
    assert axes == ["t", "y", "x"]  # one channel, as the source: no made-up colour axis
    assert np.array_equal(image[:], data)
    labels = read_ome_zarr_labels(path)
    assert np.array_equal(labels, s.labels)


def test_ome_zarr_keeps_every_channel_of_multichannel_data(model, tmp_path):
    rng = np.random.default_rng(2)
    data = rng.integers(0, 60000, (3, 2, 48, 64)).astype(np.uint16)  # T, C, Y, X
    s = Session(open_stack(data, axes="TCYX", channel=1), model)  # channel 1 is shown
    image, axes = _ome_zarr_image(s.export_ome_zarr(tmp_path / "c.ome.zarr"))
    assert axes == ["t", "c", "y", "x"]
    assert image.dtype == np.uint16
    assert np.array_equal(image[:], data)
    # 4D data: the annotated sequence, every channel, in the source's own dtype.
    zdata = rng.random((2, 3, 48, 64, 2)).astype(np.float32)  # T, Z, Y, X, C
    z = Session(open_stack(zdata, axes="TZYXC", prop_axis="Z", other_index=1), model)
    image, axes = _ome_zarr_image(z.export_ome_zarr(tmp_path / "z.ome.zarr"))
    assert axes == ["c", "z", "y", "x"]  # NGFF: channel before the space axes
    assert image.dtype == np.float32
    assert np.array_equal(image[:], zdata[1].transpose(3, 0, 1, 2))
    assert read_ome_zarr_labels(tmp_path / "z.ome.zarr").shape == (3, 48, 64)


# -- napari -----------------------------------------------------------------------------
def test_napari_reads_our_prompt_csvs_and_we_read_them_back(model, video, tmp_path, session):
    from napari_builtins.io import csv_to_layer_data

    session.add_point(1, 32.5, 36.25, 1)
    session.add_point(1, 40, 30, 1, positive=False)
    session.add_box(3, 50, 80, 80, 110, 2)
    files = session.save_prompts_napari(tmp_path / "prompts.csv")
    assert files == [tmp_path / "prompts.csv", boxes_path(tmp_path / "prompts.csv")]
    data, meta, kind = csv_to_layer_data(str(files[0]), require_type="points")
    assert kind == "points"
    assert data.tolist() == [[1, 32.5, 36.25], [1, 40, 30]]
    assert meta["properties"]["label"].tolist() == [1, 1]
    assert meta["properties"]["positive"].tolist() == [1, 0]
    shapes, smeta, kind = csv_to_layer_data(str(files[1]), require_type="shapes")
    assert kind == "shapes"
    assert smeta["shape_type"] == ["rectangle"]
    assert shapes[0][:, 1:].min(axis=0).tolist() == [50, 80]
    again = Session(video, model)
    loaded = again.load_prompts_napari(tmp_path / "prompts.csv")
    assert [(p.kind, p.frame, p.label, p.positive) for p in loaded] == [
        ("point", 1, 1, True),
        ("point", 1, 1, False),
        ("box", 3, 2, True),
    ]
    assert (loaded[-1].y0, loaded[-1].x0, loaded[-1].y1, loaded[-1].x1) == (50, 80, 80, 110)


def test_points_saved_by_napari_load_as_clicks(model, video, tmp_path, session):
    from napari_builtins.io import napari_write_points

    napari_write_points(str(tmp_path / "n.csv"), np.array([[2, 30.0, 40.0], [5, 10, 12]]), {})
    loaded = session.load_prompts_napari(tmp_path / "n.csv", label=4)
    assert [(p.frame, p.y, p.x, p.label, p.positive) for p in loaded] == [
        (2, 30.0, 40.0, 4, True),
        (5, 10.0, 12.0, 4, True),
    ]
    other = Session(video, model)
    assert len(other.load_prompts(tmp_path / "n.csv")) == 2  # the Load button takes it too
    (tmp_path / "bad.csv").write_text("index,axis-0,axis-1,axis-2\n0,99,1,1\n1,1,1,1e9\n")
    from sam2_jupyter import PromptFileError

    with pytest.raises(PromptFileError, match=r"row 2.*\n.*row 3"):
        session.load_prompts_napari(tmp_path / "bad.csv")
    assert len(session.prompts) == 2


def test_tracks_csv_is_a_napari_tracks_layer(model, tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from napari.layers import Tracks

    s = Session(moving_discs(6), model)
    s.add_point(0, 30, 30, 1)
    s.add_point(0, 65, 95, 2)
    s.run_propagation()
    s.set_parent(2, 1)
    path = s.export_tracks(tmp_path / "tracks.csv")
    table = pd.read_csv(path)
    assert list(table.columns) == ["track_id", "t", "y", "x", "parent_id"]
    # napari's Tracks layer: the data columns, and the divisions as its graph.
    daughters = table[table.parent_id > 0].groupby("track_id").parent_id.first()
    graph = {int(d): [int(m)] for d, m in daughters.items()}
    layer = Tracks(table[["track_id", "t", "y", "x"]].to_numpy(), graph=graph)
    assert sorted(np.unique(layer.data[:, 0]).astype(int)) == s.label_ids
    assert layer.graph == {2: [1]}


def test_session_exports_every_format(model, tmp_path):
    s = Session(moving_discs(6), model)
    s.add_point(0, 30, 30, 1)
    s.add_point(0, 65, 95, 2)
    s.run_propagation()
    labels = s.labels
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # untrained masks may leave gaps
        back, _ = read_ctc(s.export_ctc(tmp_path / "01_RES"))
    assert np.array_equal(back > 0, labels > 0)
    assert np.array_equal(read_coco(s.export_coco(tmp_path / "c.json")), labels)
    assert np.array_equal(read_ome_zarr_labels(s.export_ome_zarr(tmp_path / "o.zarr")), labels)


# -- keyword-only options ---------------------------------------------------------------
def test_the_writers_take_overwrite_by_keyword_and_the_old_positional_form_warns(tmp_path):
    """Every low-level writer has keyword-only options, as Session.export does; the
    old positional call still writes, with a warning naming the keyword."""
    from sam2_jupyter.engine.prompt_io import write_prompts_csv
    from sam2_jupyter.exports import write_coco, write_label_tiff, write_tracks_csv

    src = Labels(discs(gap=(3,)))
    tif = write_label_tiff(src, tmp_path / "l.tif")
    with pytest.raises(FileExistsError):
        write_label_tiff(src, tif)
    with pytest.warns(DeprecationWarning, match="pass overwrite= by keyword to write_label_tiff"):
        assert write_label_tiff(src, tif, True) == tif
    coco = write_coco(src, tmp_path / "c.json")
    with pytest.warns(DeprecationWarning, match="overwrite="), pytest.raises(FileExistsError):
        write_coco(src, coco, False)
    with pytest.warns(DeprecationWarning, match="link_gaps=, overwrite= by keyword"):
        write_ctc(src, tmp_path / "res", None, True, False)
    csv = write_tracks_csv(pd.DataFrame({"frame": [0]}), tmp_path / "t.csv")
    with pytest.warns(DeprecationWarning, match="overwrite="):
        write_tracks_csv(pd.DataFrame({"frame": [1]}), csv, True)
    assert pd.read_csv(csv)["frame"].tolist() == [1]
    with pytest.raises(TypeError, match="write_prompts_csv\\(\\) takes 2 positional"):
        write_prompts_csv([], tmp_path / "p.csv", True, True)
