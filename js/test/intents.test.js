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
  assert.deepEqual(intents.nextLabel(), { type: "next_label" });
  assert.deepEqual(Object.entries(intents.deleteLabel(7)), [
    ["type", "delete_label"],
    ["label", 7],
  ]);
  assert.deepEqual(intents.ack(12), { type: "ack", seq: 12 });
  assert.deepEqual(intents.ready(), { type: "ready" });
});

test("messages survive JSON (what the comm sends)", () => {
  const all = [
    intents.point(0, 1, 2, 3),
    intents.box(0, 1, 2, 3, 4, 5),
    intents.remove(0, 1, 2, 3),
    intents.undo(),
    intents.redo(),
    intents.nextLabel(),
    intents.deleteLabel(2),
    intents.ack(1),
    intents.ready(),
  ];
  for (const m of all) assert.deepEqual(JSON.parse(JSON.stringify(m)), m);
  assert.equal(new Set(all.map((m) => m.type)).size, all.length);
});
