import assert from "node:assert/strict";
import test from "node:test";

import { createCandidates, outlineRuns } from "../src/candidates.js";
import { encodeRle, FakeModel } from "./fakes.js";

// 5 × 4: candidate 1 a 2 × 2 square, candidate 2 the column right of it.
const W = 5;
const H = 4;
const IMAGE = [0, 0, 0, 0, 0, 0, 1, 1, 2, 0, 0, 1, 1, 2, 0, 0, 0, 0, 0, 0];

test("outline runs: each candidate's pixel edges, merged into straight runs", () => {
  const runs = [];
  outlineRuns(IMAGE, W, H, (id, x0, y0, x1, y1) => runs.push([id, x0, y0, x1, y1].join(" ")));
  assert.deepEqual(runs.filter((r) => r.startsWith("1 ")).sort(), ["1 1 1 1 3", "1 1 1 3 1", "1 1 3 3 3", "1 3 1 3 3"]);
  // The edge the two share is in both outlines.
  assert.deepEqual(runs.filter((r) => r.startsWith("2 ")).sort(), ["2 3 1 3 3", "2 3 1 4 1", "2 3 3 4 3", "2 4 1 4 3"]);
});

test("a click on a candidate sends it (Shift: select); elsewhere, or on another frame, it does not", () => {
  const model = new FakeModel({ frame: 3 });
  const sent = [];
  const canvas = new EventTarget();
  const renderer = { setCandidates() {}, requestDraw() {} };
  const path = () => ({ moveTo() {}, lineTo() {} });
  const found = createCandidates({ model, send: (m) => sent.push(m), canvas, renderer, makePath: path });
  const msg = { type: "candidates", frame: 3, width: W, height: H, ids: [1, 2], selected: [], has_image: true };
  found.apply(msg, [encodeRle(IMAGE)]);
  assert.equal(found.state.paths.size, 2);
  assert.equal(found.click(1.5, 2.2), true);
  assert.equal(found.click(0.5, 0.5), false); // background: a prompt, as before
  const shift = new Event("pointerdown");
  shift.shiftKey = true;
  canvas.dispatchEvent(shift);
  assert.equal(found.click(3.1, 1.9), true);
  assert.deepEqual(sent, [
    { type: "candidate", frame: 3, id: 1, select: false },
    { type: "candidate", frame: 3, id: 2, select: true },
  ]);
  found.apply({ ...msg, ids: [2], has_image: false }, []); // 1 dropped: its image stays
  assert.equal(found.click(1.5, 2.2), false);
  model.set("frame", 4);
  assert.equal(found.click(3.1, 1.9), false);
  found.dispose();
});
