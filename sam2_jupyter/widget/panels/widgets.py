"""Small constructors shared by the panel groups."""

from __future__ import annotations

import ipywidgets as w


def button(text: str, tip: str, style: str = "") -> w.Button:
    """Each button its own Layout: hiding one must not hide them all."""
    return w.Button(
        description=text, tooltip=tip, button_style=style, layout=w.Layout(width="auto")
    )
