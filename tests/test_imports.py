"""No import circle in the package: the layers build on each other one way.

Every ``import`` and ``from ... import`` of a module of the package counts, at
module level, inside functions and under ``TYPE_CHECKING`` alike: a circle that
closes only through a deferred or type-only import still makes the modules one
knot (importing the small state owner pulled in the disk store, REVIEW §3).
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "sam2_jupyter"


def modules(root: Path = PACKAGE) -> dict[str, tuple[Path, list[str]]]:
    """Dotted module name -> (file, the package its relative imports start from)."""
    out = {}
    for path in root.rglob("*.py"):
        parts = list(path.relative_to(root.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
            out[".".join(parts)] = (path, parts)
        else:
            out[".".join(parts)] = (path, parts[:-1])
    return out


def import_graph(root: Path = PACKAGE) -> dict[str, set[str]]:
    """Module -> the package modules it imports (a ``from pkg import sub`` counts
    as importing ``pkg.sub``; a name that is not a module as importing ``pkg``)."""
    mods = modules(root)
    graph: dict[str, set[str]] = {}
    for name, (path, package) in mods.items():
        edges = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom):
                base = package[: len(package) - node.level + 1] if node.level else []
                target = ".".join(base + ([node.module] if node.module else []))
                subs = [f"{target}.{a.name}" for a in node.names if f"{target}.{a.name}" in mods]
                found = subs if len(subs) == len(node.names) else [*subs, target]
            elif isinstance(node, ast.Import):
                found = [a.name for a in node.names]
            else:
                continue
            edges.update(f for f in found if f in mods and f != name)
        graph[name] = edges
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_the_package_has_no_import_circle():
    assert cycles(import_graph()) == []


def test_the_engine_never_imports_the_widget():
    graph = import_graph()
    engine = [m for m in graph if m.startswith("sam2_jupyter.engine")]
    reach = {t for m in engine for t in graph[m]}
    assert not [t for t in reach if t.startswith("sam2_jupyter.widget")]


def test_the_check_finds_a_circle_even_through_a_deferred_import(tmp_path):
    pkg = tmp_path / "sam2_jupyter"
    (pkg / "a").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "a" / "__init__.py").write_text("from .x import X\n")
    (pkg / "a" / "x.py").write_text("from ..b import helper\nX = 1\n")
    (pkg / "b.py").write_text("def helper():\n    from .a import x\n")
    (pkg / "c.py").write_text("from . import b\n")
    assert cycles(import_graph(pkg)) == [["sam2_jupyter.a.x", "sam2_jupyter.b"]]
