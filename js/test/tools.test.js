import assert from "node:assert/strict";
import test from "node:test";

import { createActions } from "../src/actions.js";
import { readRuns } from "../src/codecs.js";
import { createSend, createSync } from "../src/sync.js";
import { createToolState } from "../src/tools/active.js";
import { createCursor, cursorRadius } from "../src/tools/cursor.js";
import { createFillTool } from "../src/tools/fill.js";
import { createPickTool, labelAt } from "../src/tools/pick.js";
import { BRUSH_MAX, clampBrushSize, stepBrushSize, toolOf } from "../src/tools/traits.js";
import { encodeRle, FakeModel, FakeTimers, LiveModel } from "./fakes.js";

function setup(traits = {}) {
  const model = new LiveModel({ frame: 1, label: 2, image_width: 4, image_height: 3, hidden: [], ...traits });
  const sync = createSync(model, 300, new FakeTimers());
  const reports = [];
  const tools = createToolState({ model, sync, report: (v) => reports.push(v) });
  const heard = [];
  tools.onChange((t) => heard.push(t));
  return { model, sync, tools, reports, heard };
}

test("the tool trait, read with its default; setting it saves it at once", () => {
  const { model, tools, heard, reports } = setup();
  assert.equal(tools.current(), "prompt"); // the kernel has not declared the trait: the default
  assert.equal(toolOf(new FakeModel({ tool: "lasso" })), "prompt");
  tools.set("brush");
  assert.equal(model.get("tool"), "brush");
  assert.deepEqual(model.saved.at(-1).tool, "brush");
  tools.set("brush"); // no change: no save, nobody told
  assert.equal(model.saved.length, 1);
  model.set("tool", "eraser"); // the kernel or another view
  assert.equal(tools.current(), "eraser");
  assert.deepEqual(heard, ["brush", "eraser"]);
  assert.deepEqual(reports.at(-1), { tool: "eraser" }); // data-tool, while debug is on
});

test("the pick button arms one pick; the next click picks and the tool comes back", () => {
  const { model, tools, heard } = setup({ tool: "fill" });
  tools.togglePick();
  assert.equal(tools.current(), "pick");
  assert.equal(model.get("tool"), "fill"); // "pick" is not a value of the synced trait
  tools.picked();
  assert.equal(tools.current(), "fill");
  tools.togglePick();
  tools.togglePick(); // pressed again: no pick
  assert.equal(tools.current(), "fill");
  tools.togglePick();
  model.set("tool", "brush"); // choosing a tool ends a pending pick
  assert.equal(tools.current(), "brush");
  assert.deepEqual(heard, ["pick", "fill", "pick", "fill", "pick", "brush"]);
});

test("pick from the labels shown: the id under the point, not background, hidden labels or off the image", () => {
  const labels = readRuns(encodeRle([0, 0, 7, 7, 0, 3, 3, 0, 9, 9, 0, 0]), 4, 3);
  assert.equal(labelAt(labels, 2.9, 0.1), 7);
  assert.equal(labelAt(labels, 1, 1), 3); // pixel (1, 1) covers [1, 2) × [1, 2)
  assert.equal(labelAt(labels, 0.99, 0.99), 0);
  assert.equal(labelAt(labels, 0, 2.5), 9);
  assert.equal(labelAt(labels, 3.5, 2.5), 0); // the last pixel, in the last run
  for (const [x, y] of [
    [-0.1, 0],
    [4, 0],
    [0, 3],
  ])
    assert.equal(labelAt(labels, x, y), 0);
  assert.equal(labelAt(null, 1, 1), 0);

  const { model, sync } = setup();
  const shown = { labels, hidden: new Set([9]) };
  const picker = createPickTool({ sync, shown: () => shown });
  assert.equal(picker.pick(2, 0), 7);
  assert.equal(model.get("label"), 7);
  assert.equal(model.saved.at(-1).label, 7); // saved at once
  assert.equal(picker.pick(0, 0), 0); // background: the label stays
  assert.equal(picker.pick(0, 2), 0); // hidden: not what the user sees
  assert.equal(model.get("label"), 7);
});

test("fill: a click on the image sends fill(frame, y, x, label, track)", () => {
  const model = new FakeModel({ frame: 5, label: 3, image_width: 10, image_height: 8, track_fix: false });
  const filler = createFillTool({ model, send: createSend(model) });
  filler.fill(2.5, 7.25);
  filler.fill(11, 2); // off the image
  model.set("track_fix", undefined); // not declared yet: on
  filler.fill(0, 0);
  assert.deepEqual(model.sendArgs, [
    [{ type: "fill", frame: 5, y: 7.25, x: 2.5, label: 3, track: false }],
    [{ type: "fill", frame: 5, y: 0, x: 0, label: 3, track: true }],
  ]);
});

test("send: plain intents as send(content); one with buffers as send(content, undefined, buffers)", () => {
  const model = new FakeModel();
  const send = createSend(model);
  const buffer = new ArrayBuffer(8);
  send({ type: "undo" });
  send({ type: "stroke" }, [buffer]);
  assert.deepEqual(model.sendArgs, [[{ type: "undo" }], [{ type: "stroke" }, undefined, [buffer]]]);
});

test("the brush cursor: radius × view scale in screen pixels, only with the brush or eraser over the canvas", () => {
  assert.equal(cursorRadius(8, 2.5), 20);
  assert.equal(cursorRadius(1, 0.25), 0.25);
  const model = new LiveModel({ brush_size: 8 });
  const classes = new Set();
  const canvas = { classList: { toggle: (c, on) => (on ? classes.add(c) : classes.delete(c)) } };
  const seen = [];
  const renderer = { setCursor: (c) => seen.push(c), requestDraw() {} };
  let tool = "brush";
  let scale = 2;
  const cursor = createCursor({ model, canvas, renderer, scale: () => scale, tool: () => tool });
  assert.equal(seen.at(-1), null); // the pointer is not over the canvas yet
  assert.ok(classes.has("sam2j-painting")); // no CSS cursor with the brush
  cursor.move({ x: 30, y: 40 });
  assert.deepEqual(seen.at(-1), { x: 30, y: 40, r: 16, erase: false });
  scale = 3; // zoomed
  cursor.refresh();
  assert.equal(seen.at(-1).r, 24);
  model.set("brush_size", 2);
  assert.equal(seen.at(-1).r, 6);
  tool = "eraser";
  cursor.refresh();
  assert.equal(seen.at(-1).erase, true);
  tool = "fill";
  cursor.refresh();
  assert.equal(seen.at(-1), null);
  assert.ok(!classes.has("sam2j-painting"));
  tool = "pick";
  cursor.refresh();
  assert.ok(classes.has("sam2j-picking"));
  tool = "brush";
  cursor.move(null); // off the canvas
  assert.equal(seen.at(-1), null);
  cursor.dispose();
  assert.equal(model.count("change:brush_size"), 0);
});

test("brush size: < and > step ×0.8 / ×1.25 in whole pixels, at least 1, clamped to 1…200", () => {
  assert.equal(stepBrushSize(8, 1), 10);
  assert.equal(stepBrushSize(10, -1), 8);
  assert.equal(stepBrushSize(1, 1), 2); // small sizes do not get stuck
  assert.equal(stepBrushSize(2, -1), 1);
  assert.equal(stepBrushSize(1, -1), 1);
  assert.equal(stepBrushSize(190, 1), BRUSH_MAX);
  assert.equal(clampBrushSize(undefined), 8);
  assert.equal(clampBrushSize(0), 1);
  assert.equal(clampBrushSize("500"), 200);
});

test("tool keys set the tool; I picks at the pointer; < > change the brush size", () => {
  const { model, sync, tools } = setup({ brush_size: 8, tool: "prompt" });
  const picked = [];
  const picker = { pick: (x, y) => picked.push([x, y]) };
  const none = { send: null, viewport: null, tool: null, summary: null };
  const actions = createActions({ ...none, model, sync, tools, picker });
  for (const t of ["brush", "eraser", "fill", "prompt"]) {
    actions[`tool-${t}`](null);
    assert.equal(model.get("tool"), t);
  }
  actions.pick({ x: 3, y: 4 });
  assert.deepEqual(picked, [[3, 4]]);
  actions["brush-larger"](null);
  assert.equal(model.get("brush_size"), 10);
  actions["brush-smaller"](null);
  actions["brush-smaller"](null);
  assert.equal(model.get("brush_size"), 6);
  assert.equal(model.saved.at(-1).brush_size, 6);
});
