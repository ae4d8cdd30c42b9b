"""Counts in what users read: "1 frame", "2 frames", never "1 frames"."""

from __future__ import annotations


def plural(n: int, noun: str, nouns: str | None = None) -> str:
    """``n`` and the form of ``noun`` that agrees with it ("1 frame", "0 frames").

    One helper for every message, so that a count of one reads right wherever it
    can occur; ``nouns`` is the plural where adding an s is wrong ("box", "boxes").
    """
    return f"{n} {noun if n == 1 else (nouns or noun + 's')}"
