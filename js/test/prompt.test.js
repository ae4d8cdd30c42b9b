import assert from "node:assert/strict";
import test from "node:test";

import { createPromptTool, OPTIMISTIC_MS } from "../src/tools/prompt.js";
import { FakeModel, FakeTimers } from "./fakes.js";

function setup() {
  const model = new FakeModel({ frame: 2, label: 4, image_width: 100, image_height: 50, prompts: [] });
  const timers = new FakeTimers();
  let changes = 0;
  const tool = createPromptTool({
    model,
    send: (m) => model.send(m),
    scale: () => 2,
    timers,
    onChange: () => changes++,
  });
  return { model, timers, tool, changes: () => changes };
}

test("a click's marker and a box show at once, before the kernel answers", () => {
  const { model, tool, changes } = setup();
  tool.point(10, 20, true);
  tool.point(-5, 20, true); // off the image: neither sent nor shown
  tool.box(-10, 5, 30, 80);
  assert.equal(model.sent.length, 2);
  assert.deepEqual(tool.optimistic(), [
    { kind: "point", frame: 2, label: 4, y: 20, x: 10, positive: true, optimistic: true },
    { kind: "box", frame: 2, label: 4, y0: 5, x0: 0, y1: 50, x1: 30, optimistic: true },
  ]);
  assert.equal(changes(), 2);
  // They belong to the frame they were made on.
  model.set("frame", 3);
  assert.deepEqual(tool.optimistic(), []);
  model.set("frame", 2);
  assert.equal(tool.optimistic().length, 2);
});

test("the kernel's answer on their frame replaces the optimistic markers", () => {
  const { timers, tool, changes } = setup();
  tool.point(10, 20, false);
  tool.answered(3); // another frame's labels: the marker stays
  assert.equal(tool.optimistic().length, 1);
  tool.answered(2); // its labels and markers were drawn
  assert.deepEqual(tool.optimistic(), []);
  assert.equal(changes(), 2);
  tool.answered(2); // nothing left to clear: no change
  assert.equal(changes(), 2);
  timers.tick(OPTIMISTIC_MS);
  assert.equal(changes(), 2); // the fallback timer went with them
});

test("without an answer each marker goes after its own OPTIMISTIC_MS", () => {
  const { timers, tool } = setup();
  tool.point(1, 1, true);
  timers.tick(OPTIMISTIC_MS / 2);
  tool.point(2, 2, true);
  timers.tick(OPTIMISTIC_MS / 2);
  assert.deepEqual(
    tool.optimistic().map((m) => m.x),
    [2],
  );
  timers.tick(OPTIMISTIC_MS / 2);
  assert.deepEqual(tool.optimistic(), []);
});

test("removal shows nothing; dispose stops listening and drops the markers", () => {
  const { model, tool } = setup();
  tool.remove(5, 5);
  assert.deepEqual(tool.optimistic(), []);
  assert.equal(model.sent[0].type, "remove");
  tool.point(3, 3, true);
  tool.dispose();
  assert.equal(model.count("change:prompts"), 0);
  assert.deepEqual(tool.optimistic(), []);
});
