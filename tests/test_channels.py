"""Multichannel data: one channel or a composite of up to three, each with its colour
and contrast; SAM2 sees exactly what is shown; the panel changes it and the prompts
stay."""

from __future__ import annotations

import numpy as np
import pytest

from sam2_jupyter import Annotator, open_stack
from sam2_jupyter.errors import StackError


def four_channels(n=4, shape=(48, 64), seed=0):
    """(T, C, Y, X) uint16: each channel a bright square somewhere else."""
    rng = np.random.default_rng(seed)
    data = rng.integers(0, 200, (n, 4, *shape)).astype(np.uint16)
    for c in range(4):
        data[:, c, 5 + 8 * c : 15 + 8 * c, 5 + 10 * c : 20 + 10 * c] = 3000 + 500 * c
    return data


def test_a_composite_tints_and_adds_each_channel_with_its_own_limits():
    data = four_channels()
    stack = open_stack(data, "TCYX", channels=[(1, "green", (0, 3500)), (3, "magenta", (0, 4500))])
    frame = stack.display_frame(2)
    g = np.clip((data[2, 1].astype(float) - 0) / 3500 * 255, 0, 255)
    m = np.clip((data[2, 3].astype(float) - 0) / 4500 * 255, 0, 255)
    expected = np.stack([m, g, m], axis=-1)
    assert frame.dtype == np.uint8
    assert np.abs(frame.astype(float) - expected).max() <= 1.0


def test_three_or_four_channel_fluorescence_can_be_composited():
    data = four_channels()[:, :3]
    stack = open_stack(data, "TCYX")
    assert stack.rgb  # opened as colour ...
    one = stack.with_channels([2])
    assert not one.rgb  # ... a composite picks channels
    assert one.views[0].color == "green"
    assert one.display_frame(0)[..., 0].max() == 0  # green only


@pytest.mark.parametrize(
    ("channels", "match"),
    [
        ([0, 1, 2, 3], "1 to 3"),
        ([7], "out of range"),
        ([(0, "purple")], "colour"),
        ([(0, "red", (5, 5))], "low < high"),
        (["a"], "integer"),
    ],
)
def test_bad_channels_are_named(channels, match):
    with pytest.raises(StackError, match=match):
        open_stack(four_channels(), "TCYX", channels=channels)


def test_single_channel_data_has_no_channels():
    with pytest.raises(StackError, match="channel axis"):
        open_stack(np.zeros((3, 20, 20), np.uint16), "TYX", channels=[0])


def test_sam2_sees_the_composite_and_the_panel_changes_it(model, tmp_path):
    data = four_channels()
    a = Annotator(data, model=model, axes="TCYX", channels=[0], autosave=tmp_path / "save")
    try:
        from harness import FakeBrowser

        a.browser = FakeBrowser(a)
        a.browser.ready()
        assert a.controls.channels.box.layout.display == "flex"
        a.browser.click(0, 10, 12, label=1)
        a.wait(30)
        first = a.session
        rows = a.controls.channels.rows
        rows[0].channel.value = 2
        rows[0].color.value = "cyan"
        rows[1].channel.value = 3
        rows[1].color.value = "magenta"
        a.controls.channels.apply.click()
        a.wait(60)
        second = a.session
        assert second is not first
        assert [(v.channel, v.color) for v in second.stack.views] == [(2, "cyan"), (3, "magenta")]
        expected = open_stack(
            data, "TCYX", channels=[(v.channel, v.color, v.limits) for v in second.stack.views]
        )
        assert np.array_equal(second.image_frame(1), expected.display_frame(1))
        # What SAM2 encodes is that image (its frames come from display_frame).
        assert np.array_equal(second._frames.stack.display_frame(1), expected.display_frame(1))
        assert second.resumed is not None  # the same data: its save resumes
        assert [(p.frame, p.label) for p in second.prompts] == [(0, 1)]
        assert "Showing 2 cyan, 3 magenta" in a.canvas.status
    finally:
        a.close()


def test_colour_video_shows_no_channel_picker(model, video):
    a = Annotator(video, model=model, autosave=False)
    try:
        assert a.controls.channels.box.layout.display == "none"
    finally:
        a.close()
