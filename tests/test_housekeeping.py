"""What users notice around the edges: autosave never writes inside an installed
package or the interpreter's prefix, sam2's own progress bar and post-processing
warning stay quiet (ours are shown instead), and the panel keeps its texts whole at
a notebook's default width."""

from __future__ import annotations

import os
import site

import ipywidgets as w
import numpy as np
import tifffile
from conftest import moving_discs

from sam2_jupyter import PromptFileError, Session, load_model
from sam2_jupyter._words import plural
from sam2_jupyter.engine.autosave.where import default_folder
from sam2_jupyter.io import open_stack
from sam2_jupyter.widget.panels import build_controls


def test_data_inside_an_installed_package_autosaves_to_the_user_folder(tmp_path, monkeypatch):
    package = tmp_path / "site-packages" / "skimage" / "data"
    package.mkdir(parents=True)
    tifffile.imwrite(package / "cells.tif", moving_discs(3)[..., 0], photometric="minisblack")
    elsewhere = tmp_path / "mine"
    elsewhere.mkdir()
    tifffile.imwrite(elsewhere / "cells.tif", moving_discs(3)[..., 0], photometric="minisblack")
    monkeypatch.setattr(site, "getsitepackages", lambda: [str(tmp_path / "site-packages")])
    inside = default_folder(open_stack(package / "cells.tif"))
    assert inside.is_relative_to(os.environ["SAM2_JUPYTER_SESSION_DIR"])  # the user's
    assert default_folder(open_stack(elsewhere / "cells.tif")) == elsewhere / "cells.tif.sam2"


def test_headless_propagation_shows_our_progress_and_says_once_what_sam2_lacks(
    video, capsys, recwarn, monkeypatch
):
    """sam2 prints its own progress bar and, on every frame without its CUDA
    extension, a warning about skipped post-processing. We show one bar of our own
    (none where the caller shows progress) and say once, in our words, what the
    missing extension changes."""
    import sam2_jupyter.models.build as build

    monkeypatch.setattr(build, "_said_no_hole_filling", False, raising=False)  # a new process
    model = load_model("tiny", untrained=True, image_size=256, device="cpu")
    s = Session(video, model)
    s.add_point(0, 30, 30, 1)
    s.run_propagation(stop=2)
    shown = capsys.readouterr().err
    assert "propagate in video" not in shown  # sam2's bar
    assert "Propagating" in shown  # ours
    s.run_propagation(stop=3, progress=False)  # the caller shows its own
    s.run_propagation(stop=3, progress=False)
    assert "Propagating" not in capsys.readouterr().err
    said = [str(w.message) for w in recwarn]
    assert not [m for m in said if "Skipping the post-processing" in m]  # sam2's
    ours = [m for m in said if "sam2._C" in m]
    assert len(ours) == 1, said  # a CPU never runs sam2's CUDA kernel
    assert "holes of up to 8 pixels" in ours[0]


def test_a_count_of_one_reads_singular(annotator):
    """The panel said "1 frames" after propagating one frame; every count in a
    message now goes through one helper."""
    assert plural(1, "frame") == "1 frame"
    assert plural(0, "frame") == "0 frames"
    assert plural(3, "box", "boxes") == "3 boxes"
    assert "p.csv: 1 bad row; no prompt" in str(PromptFileError("p.csv", [(2, "bad label")]))
    a = annotator
    a.browser.send(type="point", frame=0, y=32.0, x=36.0, label=1)
    a.wait(30)
    a.controls.propagate.follow.value = False
    a.canvas.frame = a.session.n_frames - 1  # forward from the last frame: one frame
    a.controls.propagate.propagate_from.value = "current"
    stop = a.browser.auto_ack()
    a.controls.propagate.propagate.click()
    a.wait(60)
    stop.set()
    assert "Propagation done: 1 frame." in a.canvas.status
    assert a.controls.propagate.progress_text.value.startswith("1/1 frame,")


def test_the_panel_wraps_rows_and_never_squeezes_a_button():
    controls = build_controls(40, 1, None)
    assert controls.box.layout.width == "360px"
    for button in controls.buttons():
        assert button.layout.flex == "0 0 auto", button.description

    def rows(widget):
        if isinstance(widget, w.HBox):
            yield widget
        for child in getattr(widget, "children", ()):
            yield from rows(child)

    found = list(rows(controls.box))
    assert found
    assert all(r.layout.flex_flow == "row wrap" for r in found)


def test_npy_files_open_memory_mapped(tmp_path):
    np.save(tmp_path / "v.npy", moving_discs(4))
    stack = open_stack(tmp_path / "v.npy")
    assert stack.n_frames == 4
    assert stack.frame_shape == (96, 128)
