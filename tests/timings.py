"""Where the suite's time goes: ``pytest --timings=FILE`` records, for every test, its
wall time and the machine's busy CPU time while it ran (setup, call and teardown
together), and its kind; ``python tests/timings.py FILE`` prints them by kind and by
file.

The CPU time is read from ``/proc/stat`` for the whole machine, so it includes what a
test's servers, kernels and browsers spend in other processes. That is only the
test's own in a run without xdist (``-p no:xdist``); wall times hold in either.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections import defaultdict
from pathlib import Path

import pytest

KINDS = {
    "test_hub.py": "hub",
    "test_install.py": "install",
    "test_notebooks.py": "notebooks",
    "test_app.py": "app",
    "test_js.py": "js",
}


def busy_cpu_s() -> float:
    """Seconds the machine's CPUs have spent busy (all but idle and iowait)."""
    with open("/proc/stat") as f:
        fields = [int(v) for v in f.readline().split()[1:]]
    idle = fields[3] + fields[4]
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def kind_of(item: pytest.Item) -> str:
    name = Path(str(item.fspath)).name
    if name in KINDS:
        return KINDS[name]
    if item.get_closest_marker("browser"):
        return "browser"
    if getattr(getattr(item, "obj", None), "is_hypothesis_test", False):
        return "hypothesis"
    return "engine"


class Recorder:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.rows: list[dict[str, object]] = []

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_protocol(self, item: pytest.Item, nextitem: pytest.Item | None):
        wall, cpu = time.perf_counter(), busy_cpu_s()
        yield
        self.rows.append(
            {
                "test": item.nodeid,
                "file": item.nodeid.split("::")[0],
                "kind": kind_of(item),
                "wall_s": round(time.perf_counter() - wall, 3),
                "cpu_s": round(busy_cpu_s() - cpu, 3),
            }
        )

    def pytest_sessionfinish(self) -> None:
        worker = os.environ.get("PYTEST_XDIST_WORKER")
        path = self.path.with_suffix(f".{worker}.json") if worker else self.path
        path.write_text(json.dumps(self.rows, indent=0))


def report(paths: list[str]) -> str:
    rows = [r for p in paths for r in json.loads(Path(p).read_text())]
    lines = []
    for key in ("kind", "file"):
        wall: dict[str, float] = defaultdict(float)
        cpu: dict[str, float] = defaultdict(float)
        count: dict[str, int] = defaultdict(int)
        for r in rows:
            wall[r[key]] += r["wall_s"]
            cpu[r[key]] += r["cpu_s"]
            count[r[key]] += 1
        lines += [f"| {key} | tests | wall s | CPU s |", "|---|---:|---:|---:|"]
        for name in sorted(wall, key=lambda k: -wall[k]):
            lines.append(f"| {name} | {count[name]} | {wall[name]:.1f} | {cpu[name]:.1f} |")
        lines.append(
            f"| all | {sum(count.values())} | {sum(wall.values()):.1f} | {sum(cpu.values()):.1f} |"
        )
        lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    print(report(sys.argv[1:]))
