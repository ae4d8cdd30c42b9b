"""The front end's unit tests (node's test runner), its module size budget, and Python ↔
JavaScript agreement on the binary label encoding, the label colours and the messages
the browser sends."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from dataclasses import fields
from pathlib import Path

import numpy as np
import pytest

from sam2_jupyter.exports import label_color
from sam2_jupyter.widget.codec import encode_labels
from sam2_jupyter.widget.messages import MESSAGES, parse_message
from sam2_jupyter.widget.outbound import (
    STREAMED,
    CandidatesMsg,
    DivisionsMsg,
    ForgetMsg,
    Marker,
    TimelineMsg,
)

JS = Path(__file__).resolve().parent.parent / "js"
NODE = shutil.which("node")
needs_node = pytest.mark.skipif(NODE is None, reason="needs node")
MAX_MODULE_LINES = 200


def run_node(script: str, stdin: bytes = b"") -> str:
    out = subprocess.run(
        [NODE, "--input-type=module", "-e", script],
        input=stdin,
        cwd=JS,
        capture_output=True,
        check=True,
        timeout=60,
    )
    return out.stdout.decode()


@pytest.mark.slow
@needs_node
def test_js_unit_tests_pass():
    tests = sorted(str(p.relative_to(JS)) for p in (JS / "test").glob("*.test.js"))
    out = subprocess.run(
        [NODE, "--test", *tests], cwd=JS, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert "# fail 0" in out.stdout


@needs_node
def test_python_rle_decodes_in_javascript():
    rng = np.random.default_rng(1)
    labels = np.zeros((37, 53), np.uint16)
    labels[5:20, 10:40] = 3
    labels[rng.random(labels.shape) < 0.05] = 65535
    script = """
      import { decodeRle } from "./src/codecs.js";
      import { readFileSync } from "node:fs";
      const data = readFileSync(0);
      const out = decodeRle(new Uint8Array(data), 53, 37);
      process.stdout.write(JSON.stringify(Array.from(out)));
    """
    decoded = json.loads(run_node(script, encode_labels(labels)))
    assert np.array_equal(np.array(decoded, np.uint16).reshape(labels.shape), labels)


@needs_node
def test_label_colours_agree():
    script = """
      import { labelColor } from "./src/codecs.js";
      const out = [];
      for (let l = 0; l <= 2000; l++) out.push(labelColor(l));
      process.stdout.write(JSON.stringify(out));
    """
    js = json.loads(run_node(script))
    assert [tuple(c) for c in js] == [label_color(i) for i in range(2001)]


def test_every_front_end_module_is_small():
    sizes = {
        str(p.relative_to(JS)): len(p.read_text().splitlines())
        for p in sorted((JS / "src").rglob("*"))
        if p.is_file()
    }
    assert "src/index.js" in sizes
    too_long = {name: n for name, n in sizes.items() if n > MAX_MODULE_LINES}
    assert not too_long, f"over {MAX_MODULE_LINES} lines: {too_long}"


@needs_node
def test_every_intent_is_a_message_the_kernel_accepts():
    script = """
      import * as i from "./src/intents.js";
      import { candidate } from "./src/candidates.js";
      import { acceptDivision, dismissDivision } from "./src/divisions.js";
      import { createTold } from "./src/ahead.js";
      const all = [i.point(2, 10.5, 20.25, 3, false), i.box(1, 1.5, 2.5, 30, 40.75, 2),
        i.remove(0, 5, 6, 0.5), i.undo(), i.redo(), i.deleteLabel(4),
        i.setParent(5, 2), candidate(3, 7, true), i.ack([17, 18]),
        i.ready(), i.active(), i.stroke(2, 3, 4.5, false, true, [1, 2, 3, 4]).content,
        i.fill(1, 10.5, 20.25, 3, false), acceptDivision(4, 2), dismissDivision(5, 3),
        createTold(9).add([[6, 41]], [40])];
      process.stdout.write(JSON.stringify(all));
    """
    sent = json.loads(run_node(script))
    assert sorted(m["type"] for m in sent) == sorted(MESSAGES)
    for content in sent:
        cls = MESSAGES[content["type"]]
        # Every field is sent, defaults included, and nothing else; a message with a
        # declared buffer gets its ``data`` from the buffer.
        names = [f.name for f in fields(cls) if not (f.name == "data" and _buffered(cls))]
        assert list(content) == ["type", *names]
        buffers = [b"\0" * 8] if _buffered(cls) else []
        msg = parse_message(content, buffers)
        assert type(msg) is cls
        for name in names:
            value = content[name]
            assert getattr(msg, name) == (tuple(value) if isinstance(value, list) else value)


def _buffered(cls: type) -> bool:
    return bool(getattr(cls, "max_buffer", 0))


def _typedefs(source: str) -> dict[str, list[tuple[str, str]]]:
    """JSDoc ``@typedef {object} Name`` blocks → [(property, int|float|bool|literal)]."""
    found = {}
    for block in re.findall(r"/\*\*(.*?)\*/", source, re.S):
        name = re.search(r"@typedef \{object\} (\w+)", block)
        if not name:
            continue
        props = []
        for kind, prop, note in re.findall(r"@property \{([^}]*)\} (\w+) ?(\w*)", block):
            if kind == "number":
                assert note in ("int", "float"), f"{name[1]}.{prop}: say int or float"
                kind = note
            props.append((prop, {"boolean": "bool"}.get(kind, kind)))
        found[name[1]] = props
    return found


def _js_type(python: str) -> str:
    """A dataclass field's annotation as the JSDoc typedefs write it."""
    python = python.removesuffix(" | None")  # optional: present in some messages
    python = re.sub(r"^list\[(int|float)\]$", "number[]", python)
    return {"str": "string"}.get(python, re.sub(r"^list\[(\w+)\]$", r"\1[]", python))


def test_outbound_typedefs_mirror_the_kernel_messages():
    typedefs = _typedefs((JS / "src" / "outbound.js").read_text())
    messages = {**STREAMED, TimelineMsg.type: TimelineMsg, CandidatesMsg.type: CandidatesMsg}
    messages[ForgetMsg.type] = ForgetMsg
    messages[DivisionsMsg.type] = DivisionsMsg
    assert sorted(typedefs) == sorted([*(cls.__name__ for cls in messages.values()), "Marker"])
    for kind, cls in messages.items():
        expected = [("type", f'"{kind}"')] + [(f.name, _js_type(str(f.type))) for f in fields(cls)]
        assert typedefs[cls.__name__] == expected, cls.__name__
    # A marker's own fields (y, x; y0 … x1; shape) follow the common ones, flat.
    common = [(f.name, _js_type(str(f.type))) for f in fields(Marker) if f.name != "fields"]
    assert typedefs["Marker"] == common
    source = (JS / "src" / "outbound.js").read_text()
    assert f"new Set({json.dumps(sorted(STREAMED))})" in source


def test_intent_typedefs_mirror_the_python_messages():
    typedefs = _typedefs((JS / "src" / "intents.js").read_text())
    typedefs |= _typedefs((JS / "src" / "divisions.js").read_text())  # its own two
    typedefs |= _typedefs((JS / "src" / "ahead.js").read_text())  # its own one
    assert sorted(typedefs) == sorted(cls.__name__ for cls in MESSAGES.values())
    for kind, cls in MESSAGES.items():
        expected = [("type", f'"{kind}"')] + [
            (f.name, "number[]" if str(f.type) == "tuple[int, ...]" else str(f.type))
            for f in fields(cls)
            if not (f.name == "data" and _buffered(cls))
        ]
        assert typedefs[cls.__name__] == expected, cls.__name__
