"""Masks group: a label image or volume from a file (Cellpose, StarDist, a threshold,
an export) to seed objects on the frame in view, or to load whole for review."""

from __future__ import annotations

from dataclasses import dataclass

import ipywidgets as w

from .widgets import button, row


@dataclass
class SeedPanel:
    labels_path: w.Text
    seed: w.Button
    load: w.Button
    box: w.VBox


def seed_panel() -> SeedPanel:
    path = w.Text(
        "",
        placeholder="labels.tif",
        description="Masks",
        tooltip="A label TIFF: one image (Y, X) or a volume (frames, Y, X)",
    )
    seed = button(
        "Seed this frame",
        "Every object of the label image (for a volume: its slice at the frame in view) "
        "becomes a label SAM2 tracks from this frame",
    )
    load = button(
        "Load masks",
        "Show the whole label volume for review and correction (SAM2 is not changed)",
    )
    return SeedPanel(path, seed, load, w.VBox([path, row([seed, load])]))
