"""Small modules with one job each: a size budget, checked.

No Python module of the package over 350 lines, with no exception: a module that
grows past it splits by job (the Session's verbs went to topic mixins and its
machinery to components). (ES modules: ``test_js.py``.)
"""

from __future__ import annotations

from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "sam2_jupyter"
LIMIT = 350
EXCEPTIONS: dict[str, int] = {}


def test_no_python_module_is_over_budget():
    over = {}
    for path in PACKAGE.rglob("*.py"):
        name = path.relative_to(PACKAGE).as_posix()
        lines = len(path.read_text().splitlines())
        if lines > EXCEPTIONS.get(name, LIMIT):
            over[name] = lines
    assert not over, f"modules over {LIMIT} lines: {over}"
