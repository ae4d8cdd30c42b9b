import assert from "node:assert/strict";
import test from "node:test";

import * as intents from "../src/intents.js";

test("each constructor builds its message with every field, in messages.py's order", () => {
  assert.deepEqual(Object.entries(intents.point(3, 1.5, 2.5, 7, false)), [
    ["type", "point"],
    ["frame", 3],
    ["y", 1.5],
    ["x", 2.5],
    ["label", 7],
    ["positive", false],
  ]);
  assert.equal(intents.point(0, 0, 0, 1).positive, true);
  assert.deepEqual(intents.box(1, 2, 3, 4, 5, 6), { type: "box", frame: 1, y0: 2, x0: 3, y1: 4, x1: 5, label: 6 });
  assert.deepEqual(intents.remove(2, 10, 20, 0.5), { type: "remove", frame: 2, y: 10, x: 20, tolerance: 0.5 });
  assert.deepEqual(intents.undo(), { type: "undo" });
  assert.deepEqual(intents.redo(), { type: "redo" });
  assert.deepEqual(Object.entries(intents.deleteLabel(7)), [
    ["type", "delete_label"],
    ["label", 7],
  ]);
  assert.deepEqual(intents.ack([12, 13]), { type: "ack", seqs: [12, 13] });
  assert.deepEqual(intents.ready(), { type: "ready" });
});

test("stroke: the fields in messages.py's order, the polyline as one float32 little-endian buffer", () => {
  const { content, buffers } = intents.stroke(4, 2, 6.5, true, false, new Float32Array([1, 2, 3.25, 4]));
  assert.deepEqual(Object.entries(content), [
    ["type", "stroke"],
    ["frame", 4],
    ["label", 2],
    ["radius", 6.5],
    ["erase", true],
    ["track", false],
  ]);
  assert.equal(buffers.length, 1);
  assert.ok(buffers[0] instanceof ArrayBuffer);
  const view = new DataView(buffers[0]);
  assert.deepEqual(
    [0, 4, 8, 12].map((o) => view.getFloat32(o, true)),
    [1, 2, 3.25, 4],
  );
  assert.equal(intents.stroke(0, 1, 1, false, true, [7, 8]).buffers[0].byteLength, 8); // a dot: one point
});

test("fill: frame, y, x, label, track", () => {
  assert.deepEqual(Object.entries(intents.fill(3, 10.5, 20.25, 9, true)), [
    ["type", "fill"],
    ["frame", 3],
    ["y", 10.5],
    ["x", 20.25],
    ["label", 9],
    ["track", true],
  ]);
});

test("messages survive JSON (what the comm sends)", () => {
  const all = [
    intents.point(0, 1, 2, 3),
    intents.box(0, 1, 2, 3, 4, 5),
    intents.remove(0, 1, 2, 3),
    intents.undo(),
    intents.redo(),
    intents.deleteLabel(2),
    intents.ack(1),
    intents.ready(),
    intents.stroke(0, 1, 2, false, true, [1, 2]).content,
    intents.fill(0, 1, 2, 3, false),
  ];
  for (const m of all) assert.deepEqual(JSON.parse(JSON.stringify(m)), m);
  assert.equal(new Set(all.map((m) => m.type)).size, all.length);
});
