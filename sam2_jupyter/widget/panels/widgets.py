"""Small constructors shared by the panel groups."""

from __future__ import annotations

import ipywidgets as w


def button(text: str, tip: str, style: str = "") -> w.Button:
    """Each button its own Layout (hiding one must not hide them all), as wide as its
    text and never squeezed narrower: a row that runs out of room wraps instead."""
    return w.Button(
        description=text,
        tooltip=tip,
        button_style=style,
        layout=w.Layout(width="auto", flex="0 0 auto"),
    )


def row(children: list[w.Widget], **layout: str) -> w.HBox:
    """A row of controls that wraps at the panel's width instead of cutting texts
    (a notebook's default width leaves the panel about 340 px)."""
    return w.HBox(children, layout=w.Layout(flex_flow="row wrap", **layout))
