"""The front end's unit tests (node's test runner), and Python ↔ JavaScript agreement
on the binary label encoding and the label colours."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from sam2_jupyter.exports import label_color
from sam2_jupyter.widget.codec import encode_labels

JS = Path(__file__).resolve().parent.parent / "js"
NODE = shutil.which("node")
pytestmark = pytest.mark.skipif(NODE is None, reason="needs node")


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


def test_js_unit_tests_pass():
    out = subprocess.run(
        [NODE, "--test", "test/"], cwd=JS, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert "# fail 0" in out.stdout


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


def test_label_colours_agree():
    script = """
      import { labelColor } from "./src/codecs.js";
      const out = [];
      for (let l = 0; l <= 2000; l++) out.push(labelColor(l));
      process.stdout.write(JSON.stringify(out));
    """
    js = json.loads(run_node(script))
    assert [tuple(c) for c in js] == [label_color(i) for i in range(2001)]
