"""Exports read back: label TIFF, overlay mp4, tracks; atomic and never clobbering."""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pytest
import tifffile

from sam2_jupyter import Session, open_stack
from sam2_jupyter.exports import label_color


@pytest.fixture(scope="module")
def tracked(model, video):
    s = Session(open_stack(video[..., 0], axes="ZYX"), model)
    s.add_point(1, 32, 36, 1)
    s.add_point(1, 62, 92, 2)
    s.run_propagation()
    assert set(np.unique(s.labels)) >= {1, 2} or s.labels.any()
    return s


def test_label_tiff_reads_back_with_axes(tracked, tmp_path):
    path = tracked.export_masks(tmp_path / "labels.tif")
    with tifffile.TiffFile(path) as tif:
        assert tif.is_imagej
        assert tif.series[0].axes == "ZYX"
        data = tif.asarray()
    assert data.dtype == np.uint16
    assert np.array_equal(data, tracked.labels)


def test_exports_never_clobber_and_leave_no_partial_file(tracked, tmp_path, monkeypatch):
    path = tmp_path / "labels.tif"
    path.write_bytes(b"precious")
    with pytest.raises(FileExistsError, match="overwrite=True"):
        tracked.export_masks(path)
    assert path.read_bytes() == b"precious"

    import sam2_jupyter.io.label_images as tiff_mod  # where label TIFFs are written

    def failing(tmp, **kwargs):
        tmp.write_bytes(b"half")
        raise OSError("disk full")

    monkeypatch.setattr(tiff_mod.tifffile, "imwrite", failing)
    with pytest.raises(OSError, match="disk full"):
        tracked.export_masks(path, overwrite=True)
    assert path.read_bytes() == b"precious"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["labels.tif"]


def _read_mp4(path):
    """Decode every frame with imageio-ffmpeg; returns (frames, fps)."""
    import imageio_ffmpeg

    gen = imageio_ffmpeg.read_frames(str(path))
    meta = gen.__next__()
    w, h = meta["size"]
    frames = [np.frombuffer(buf, np.uint8).reshape(h, w, 3) for buf in gen]
    return np.stack(frames), meta["fps"]


def test_overlay_mp4(tracked, tmp_path):
    path = tracked.export_overlay(tmp_path / "overlay.mp4", opacity=1.0, fps=5)
    frames, fps = _read_mp4(path)
    assert fps == pytest.approx(5)
    assert frames.shape == (tracked.n_frames, *tracked.frame_shape, 3)
    # Each decoded frame is close to the image with labels painted in their colours
    # (up to codec loss), and much closer to that than to the bare image.
    checked = 0
    for t in range(tracked.n_frames):
        labels = tracked.label_frame(t)
        if (labels > 0).mean() < 0.05:
            continue
        image = tracked.image_frame(t).astype(float)
        painted = image.copy()
        for lab in np.unique(labels[labels > 0]):
            painted[labels == lab] = label_color(int(lab))
        decoded = frames[t].astype(float)
        err_painted = np.abs(decoded - painted).mean()
        err_bare = np.abs(decoded - image).mean()
        # Fine speckle loses chroma in yuv420p, so compare mean colours strictly and
        # pixels loosely.
        assert np.abs(decoded.mean((0, 1)) - painted.mean((0, 1))).max() < 6
        assert err_painted < err_bare / 3
        checked += 1
    assert checked
    with pytest.raises(ValueError, match="opacity"):
        tracked.export_overlay(tmp_path / "x.mp4", opacity=2)
    assert not (tmp_path / "x.mp4").exists()


def test_odd_sized_overlay(model, video, tmp_path):
    s = Session(video[:3, :95, :127], model)
    s.add_point(0, 30, 30, 1)
    frames, _ = _read_mp4(s.export_overlay(tmp_path / "odd.mp4"))
    assert frames.shape == (3, 96, 128, 3)


def test_tracks_are_centroids_in_napari_order(tracked, tmp_path):
    table = tracked.tracks()
    assert list(table.columns) == ["track_id", "z", "y", "x", "parent_id"]
    assert not table.parent_id.any()  # no divisions marked
    expected = []
    for t in range(tracked.n_frames):
        labels = tracked.label_frame(t)
        for lab in sorted(set(np.unique(labels)) - {0}):
            ys, xs = np.nonzero(labels == lab)
            expected.append((lab, t, ys.mean(), xs.mean()))
    expected.sort()
    got = sorted(map(tuple, table[["track_id", "z", "y", "x"]].to_numpy()))
    assert len(got) == len(expected) > 0
    assert np.allclose(np.array(got), np.array(expected))
    path = tracked.export_tracks(tmp_path / "tracks.csv")
    assert np.allclose(pd.read_csv(path).to_numpy(), table.to_numpy())


def test_empty_tracks(model, video):
    s = Session(video[:2], model)
    table = s.tracks()
    assert list(table.columns) == ["track_id", "t", "y", "x", "parent_id"]
    assert len(table) == 0


def _modes(root):
    """Permission bits of ``root`` and everything under it, by path."""
    from pathlib import Path

    root = Path(root)
    paths = [root, *root.rglob("*")] if root.is_dir() else [root]
    return {p: p.stat().st_mode & 0o777 for p in paths}


@pytest.mark.parametrize("umask", [0o022, 0o027])
def test_exports_and_autosave_get_the_modes_the_umask_gives(model, video, tmp_path, umask):
    """Colleagues in the group (or anyone, under 022) read what was exported: a
    temporary file's private mode must not survive its rename into place."""
    previous = os.umask(umask)
    try:
        s = Session(video[:4], model, autosave=tmp_path / "autosave")
        s.add_point(0, 32, 36, 1)
        s.run_propagation()
        written = [
            s.export_masks(tmp_path / "labels.tif"),
            s.export_overlay(tmp_path / "overlay.mp4"),
            s.export_tracks(tmp_path / "tracks.csv"),
            s.export_ctc(tmp_path / "labels_RES"),
            s.export_coco(tmp_path / "labels.json"),
            s.export_ome_zarr(tmp_path / "labels.ome.zarr"),
            s.save_prompts(tmp_path / "prompts.csv"),
            *s.save_prompts_napari(tmp_path / "napari.csv"),
            tmp_path / "autosave",
        ]
        modes: dict = {}
        for path in written:
            modes.update(_modes(path))
        # a second write over existing files keeps to the umask too
        modes.update(_modes(s.export_ome_zarr(tmp_path / "labels.ome.zarr", overwrite=True)))
        modes.update(_modes(s.export_masks(tmp_path / "labels.tif", overwrite=True)))
    finally:
        os.umask(previous)
    autosaved = [p for p in modes if "autosave" in p.parts and p.is_file()]
    assert autosaved  # the autosave folder's files are checked, not only the folder
    wrong = {
        str(p.relative_to(tmp_path)): oct(m)
        for p, m in modes.items()
        if m != (0o777 if p.is_dir() else 0o666) & ~umask
    }
    assert not wrong, f"under umask {umask:03o}: {wrong}"


def test_the_umask_is_read_without_proc_too(monkeypatch):
    """Where /proc/self/status is missing (macOS) the umask is set and restored."""
    from sam2_jupyter import _atomic

    def no_proc(*_args, **_kw):
        raise FileNotFoundError("/proc/self/status")

    previous = os.umask(0o027)
    try:
        assert _atomic.current_umask() == 0o027  # from /proc on Linux
        monkeypatch.setattr(_atomic, "open", no_proc, raising=False)
        assert _atomic.current_umask() == 0o027
        assert os.umask(0o027) == 0o027  # and left as it was
    finally:
        os.umask(previous)


# -- one registry of formats --------------------------------------------------------


def _tree(path):
    """Every file's bytes under ``path`` (or the file's own), by relative name."""
    from pathlib import Path

    path = Path(path)
    if path.is_file():
        return {".": path.read_bytes()}
    return {
        str(p.relative_to(path)): p.read_bytes() for p in sorted(path.rglob("*")) if p.is_file()
    }


def test_the_panel_batch_runs_and_the_cli_offer_the_registry(tracked, tmp_path, capsys):
    """Every format is one entry of FORMATS: a batch run writes each under its name
    (a file or a folder, as the entry says), the CLI and batch runs refuse other
    names listing exactly these, and the panel has a button for each it offers."""
    from dataclasses import fields

    from sam2_jupyter import batch, cli
    from sam2_jupyter.exports.formats import FORMATS
    from sam2_jupyter.widget.panels.files import FilesPanel, files_panel

    for name, fmt in FORMATS.items():
        out = batch._export(tracked, name, tmp_path, overwrite=False)
        assert out == tmp_path / fmt.filename
        assert out.is_dir() if fmt.kind == "folder" else out.is_file(), name
    listed = ", ".join(FORMATS)
    with pytest.raises(ValueError, match=f"choose from {listed}$"):
        batch.propagate_many([], tmp_path / "p.csv", tmp_path, formats=["tiff", "gif"])
    assert cli.main(["propagate", "x.tif", "--prompts", "p.csv", "--out", "o", "--formats", "gif"])
    assert f"choose from {listed}" in capsys.readouterr().err
    buttons = {f.name for f in fields(FilesPanel) if f.name.startswith("export_")} - {"export_path"}
    assert buttons == {fmt.method for fmt in FORMATS.values() if fmt.panel}
    panel = files_panel()
    for fmt in FORMATS.values():
        assert getattr(panel, fmt.method if fmt.panel else "store_prompts").description == fmt.title


@pytest.mark.parametrize(
    ("name", "method", "options"),
    [
        ("tiff", "export_masks", {}),
        ("tracks", "export_tracks", {}),
        ("ctc", "export_ctc", {"link_gaps": True}),
        ("coco", "export_coco", {}),
        ("ome-zarr", "export_ome_zarr", {"name": "cells", "include_image": False}),
        ("overlay", "export_overlay", {"opacity": 0.3, "fps": 5}),
        ("prompts", "save_prompts", {}),
    ],
)
def test_export_by_name_writes_what_the_named_method_writes(
    tracked, tmp_path, name, method, options
):
    from sam2_jupyter.exports.formats import FORMATS

    suffix = FORMATS[name].suffix
    by_name = tracked.export(name, tmp_path / f"a{suffix}", **options)
    by_method = getattr(tracked, method)(tmp_path / f"b{suffix}", **options)
    assert _tree(by_name) == _tree(by_method)
    assert _tree(by_name)
    with pytest.raises(FileExistsError):
        tracked.export(name, by_name, **options)
    with pytest.raises(ValueError, match="unknown format 'gif'; choose from tiff"):
        tracked.export("gif", tmp_path / "x.gif")


def test_a_positional_overwrite_still_works_and_warns(tracked, tmp_path):
    path = tracked.export_masks(tmp_path / "labels.tif")
    with pytest.warns(DeprecationWarning, match="overwrite= by keyword"):
        assert tracked.export_masks(path, True) == path
    with pytest.warns(DeprecationWarning, match="overwrite= by keyword"):
        tracked.export_overlay(tmp_path / "o.mp4", 0.5, 10, False)
    with pytest.warns(DeprecationWarning, match="overwrite=, include_image= by keyword"):
        zarr = tracked.export_ome_zarr(tmp_path / "l.ome.zarr", "sam2", False, False)
    assert not (zarr / "0").exists()  # include_image=False: labels only
    prompts = tracked.save_prompts(tmp_path / "p.csv")
    with pytest.warns(DeprecationWarning, match="overwrite="), pytest.raises(FileExistsError):
        tracked.save_prompts(prompts, False)
    for method in ("export_masks", "export_tracks", "export_coco", "save_prompts"):
        with pytest.raises(TypeError, match="positional"):
            getattr(tracked, method)(tmp_path / "x", True, True)


def test_label_colours_keep_ids_up_to_40_apart_distinguishable():
    # Ids come in scan order: the object in the next row is often 8-21 ids on, where
    # golden-ratio hues alone nearly meet (the old rule gave CIEDE2000 0.3 at 21 apart).
    from skimage.color import deltaE_ciede2000, rgb2lab

    rgb = np.array([label_color(i) for i in range(1, 301)], float)[None] / 255
    lab = rgb2lab(rgb)[0]
    closest = min(deltaE_ciede2000(lab[:-k], lab[k:]).min() for k in range(1, 41))
    assert closest > 2.3  # the smallest colour difference people see
    assert rgb.max(axis=2).min() >= 0.64  # bright enough over a dark image
