import assert from "node:assert/strict";
import test from "node:test";

import { labelColor } from "../src/codecs.js";
import { createSend } from "../src/sync.js";
import { createBrushTool, KEEP_MS } from "../src/tools/brush.js";
import { ERASER_GREY } from "../src/tools/paint.js";
import { FakeFrames, FakeModel, FakeTimers } from "./fakes.js";

/** A 2D context that records the calls painting makes. */
function fakeContext() {
  const calls = [];
  const record =
    (name) =>
    (...args) =>
      calls.push([name, ...args]);
  const ctx = { calls };
  for (const name of ["beginPath", "moveTo", "lineTo", "arc", "fill", "stroke"]) ctx[name] = record(name);
  return ctx;
}

/** The renderer's stroke layer: cleared / drawn counts and the context's calls since cleared. */
function fakeLayer() {
  const ctx = fakeContext();
  return {
    ctx,
    clears: 0,
    draws: 0,
    strokeContext: () => ctx,
    clearStroke() {
      this.clears += 1;
      ctx.calls.length = 0;
    },
    draw() {
      this.draws += 1;
    },
  };
}

const floats = (buffer) => {
  const view = new DataView(buffer);
  return Array.from({ length: buffer.byteLength / 4 }, (_, i) => view.getFloat32(4 * i, true));
};

function setup(traits = {}) {
  const model = new FakeModel({
    ...{ tool: "brush", frame: 3, label: 5, brush_size: 6, track_fix: false },
    ...{ image_width: 100, image_height: 50, ...traits },
  });
  const layer = fakeLayer();
  const frames = new FakeFrames();
  const timers = new FakeTimers();
  const reports = [];
  const clock = { now: 0 };
  const brush = createBrushTool({
    model,
    send: createSend(model),
    layer,
    scale: () => 2,
    report: (values) => reports.push(values),
    frames,
    timers,
    clock: () => clock.now,
  });
  return { model, layer, frames, timers, reports, clock, brush };
}

test("press, moves and release send ONE stroke: its fields, and the points as one float32 buffer", () => {
  const { model, brush } = setup();
  brush.begin(10, 10);
  brush.extend(
    [
      { x: 10.2, y: 10 },
      { x: 12, y: 10 },
    ],
    1,
  ); // 0.2 px: dropped
  brush.extend([{ x: 14, y: 11.5 }], 2);
  assert.deepEqual(model.sendArgs, []); // nothing while painting
  brush.extend([{ x: 14, y: 11.5 }], 3);
  brush.end();
  assert.equal(model.sendArgs.length, 1);
  const [content, callbacks, buffers] = model.sendArgs[0];
  assert.deepEqual(content, { type: "stroke", frame: 3, label: 5, radius: 6, erase: false, track: false });
  assert.equal(callbacks, undefined);
  assert.equal(buffers.length, 1);
  assert.deepEqual(floats(buffers[0]), [10, 10, 12, 10, 14, 11.5]);
  brush.end(); // a second release sends nothing
  assert.equal(model.sendArgs.length, 1);
});

test("a click paints a dot and sends a one-point stroke; the eraser sends erase, track_fix defaults on", () => {
  const { model, layer, frames, brush } = setup({ tool: "eraser", track_fix: undefined });
  brush.begin(20.5, 30.25);
  brush.end();
  const [content, , buffers] = model.sendArgs[0];
  assert.deepEqual([content.erase, content.track], [true, true]);
  assert.deepEqual(floats(buffers[0]), [20.5, 30.25]);
  assert.deepEqual(
    layer.ctx.calls.filter((c) => c[0] === "arc"),
    [["arc", 20.5, 30.25, 6, 0, 2 * Math.PI]],
  );
  assert.equal(layer.ctx.fillStyle, ERASER_GREY); // no DOM here for the hatch pattern
  frames.step();
  assert.equal(layer.draws, 1);
});

test("painting: new points are painted once per animation frame, from the last one painted", () => {
  const { layer, frames, brush, reports, clock } = setup({ label: 1 });
  brush.begin(0, 0);
  brush.extend([{ x: 2, y: 0 }], 10);
  brush.extend([{ x: 4, y: 0 }], 11);
  assert.equal(frames.callbacks.size, 1); // one draw requested for many moves
  assert.deepEqual(layer.ctx.calls, []);
  clock.now = 15;
  frames.step();
  assert.equal(layer.draws, 1);
  const paths = (calls) => calls.filter((c) => c[0] === "moveTo" || c[0] === "lineTo");
  assert.deepEqual(paths(layer.ctx.calls), [
    ["moveTo", 0, 0],
    ["lineTo", 2, 0],
    ["lineTo", 4, 0],
  ]);
  assert.equal(layer.ctx.lineWidth, 12); // 2 × radius
  assert.deepEqual([layer.ctx.lineCap, layer.ctx.lineJoin], ["round", "round"]);
  // The label's colour, opaque: the renderer shows the whole layer translucent.
  assert.equal(layer.ctx.strokeStyle, `rgb(${labelColor(1).join(",")})`);
  assert.deepEqual(reports.at(-1), { strokeDrawMs: "4.00" }); // from the last move's timeStamp
  layer.ctx.calls.length = 0;
  brush.extend([{ x: 6, y: 1 }], 20);
  frames.step();
  assert.deepEqual(paths(layer.ctx.calls), [
    ["moveTo", 4, 0],
    ["lineTo", 6, 1],
  ]);
  frames.step(); // nothing new: no draw requested
  assert.equal(layer.draws, 2);
});

test("a sent stroke stays drawn until the kernel's labels for its frame are drawn", () => {
  const { layer, frames, brush, timers } = setup();
  brush.begin(5, 5);
  brush.extend([{ x: 9, y: 5 }], 1);
  brush.end();
  frames.step();
  assert.equal(layer.clears, 0);
  brush.drawn({ type: "labels", frame: 4 }); // another frame's labels
  brush.drawn({ type: "ack", frame: 3 });
  assert.equal(layer.clears, 0);
  brush.drawn({ type: "labels", frame: 3 });
  assert.equal(layer.clears, 1);
  assert.deepEqual(layer.ctx.calls, []); // nothing left to paint
  timers.tick(KEEP_MS);
  assert.equal(layer.clears, 1); // its fallback timer went with it
});

test("without the kernel's labels a stroke goes after KEEP_MS; a frame message for another frame takes it", () => {
  const { layer, brush, timers } = setup();
  brush.begin(5, 5);
  brush.end();
  timers.tick(KEEP_MS - 1);
  assert.equal(layer.clears, 0);
  timers.tick(1);
  assert.equal(layer.clears, 1);
  brush.begin(7, 7);
  brush.end();
  brush.drawn({ type: "frame", frame: 8 }); // the user went to frame 8: the stroke is not on it
  assert.equal(layer.clears, 2);
});

test("strokes painted meanwhile stay: labels retire the oldest stroke of the frame; the one being painted stays", () => {
  const { layer, brush } = setup();
  brush.begin(1, 1);
  brush.end();
  brush.begin(40, 40);
  brush.end();
  brush.begin(20, 20);
  brush.extend([{ x: 30, y: 20 }], 1);
  brush.drawn({ type: "labels", frame: 3 });
  assert.equal(layer.clears, 1);
  const arcs = layer.ctx.calls.filter((c) => c[0] === "arc").map((c) => c.slice(1, 3));
  assert.deepEqual(arcs, [[40, 40]]); // the second stroke, repainted
  const lines = layer.ctx.calls.filter((c) => c[0] === "lineTo").map((c) => c.slice(1));
  assert.deepEqual(lines, [[30, 20]]); // the stroke in progress, repainted whole
});

test("a cancelled press sends nothing and its paint goes; a stroke off the image is not sent", () => {
  const { model, layer, brush, reports } = setup();
  brush.begin(5, 5);
  brush.extend([{ x: 9, y: 9 }], 1);
  brush.cancel();
  assert.equal(layer.clears, 1);
  assert.equal(brush.painting(), false);
  brush.begin(-20, 5); // radius 6: paints nothing of the image
  assert.equal(brush.painting(), true);
  brush.end();
  assert.deepEqual(model.sendArgs, []);
  assert.equal(layer.clears, 2);
  assert.ok(!reports.some((r) => "strokesSent" in r));
});

test("debug hooks: points of the last stroke sent and the count", () => {
  const { brush, reports } = setup();
  brush.begin(0, 0);
  brush.extend(
    [
      { x: 1, y: 0 },
      { x: 2, y: 0 },
    ],
    1,
  );
  brush.end();
  brush.begin(5, 5);
  brush.end();
  const sent = reports.filter((r) => "strokesSent" in r);
  assert.deepEqual(sent, [
    { strokePoints: "3", strokesSent: "1" },
    { strokePoints: "1", strokesSent: "2" },
  ]);
});

test("dispose cancels the pending draw and the fallback timers", () => {
  const { layer, frames, timers, brush } = setup();
  brush.begin(5, 5);
  brush.end();
  brush.dispose();
  assert.equal(frames.callbacks.size, 0);
  timers.tick(KEEP_MS);
  assert.equal(layer.clears, 0);
});
