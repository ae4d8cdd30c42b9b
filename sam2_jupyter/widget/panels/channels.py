"""Channels group (multichannel data only): up to three channels, each with a colour
and contrast limits, shown as one composite; Apply opens the sessions on it."""

from __future__ import annotations

from dataclasses import dataclass

import ipywidgets as w

from ...io.channels import COLORS, DEFAULT_ORDER, MAX_CHANNELS
from .widgets import button, row


@dataclass
class ChannelRow:
    channel: w.Dropdown
    color: w.Dropdown
    limits: w.FloatRangeSlider
    box: w.HBox


@dataclass
class ChannelsPanel:
    rows: list[ChannelRow]
    apply: w.Button
    box: w.VBox


def channels_panel(n_channels: int, high: float) -> ChannelsPanel:
    """``high``: the top of the contrast sliders (the dtype's range, or the data's)."""
    rows = []
    for k in range(MAX_CHANNELS):
        channel = w.Dropdown(
            options=[("none", -1)] + [(f"channel {c}", c) for c in range(n_channels)],
            value=k if k < n_channels and k == 0 else -1,
            layout=w.Layout(width="110px"),
        )
        color = w.Dropdown(
            options=list(COLORS), value=DEFAULT_ORDER[k], layout=w.Layout(width="90px")
        )
        limits = w.FloatRangeSlider(
            value=(0.0, high),
            min=0.0,
            max=high,
            step=max(high / 1000, 0.001),
            readout_format=".0f",
            layout=w.Layout(width="150px"),
        )
        rows.append(ChannelRow(channel, color, limits, row([channel, color, limits])))
    apply = button("Apply channels", "Show (and segment) this composite; prompts are kept")
    box = w.VBox(
        [w.HTML("<b>Channels</b>"), *(r.box for r in rows), apply],
        layout=w.Layout(display="flex" if n_channels > 1 else "none"),
    )
    return ChannelsPanel(rows, apply, box)
