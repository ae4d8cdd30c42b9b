import assert from "node:assert/strict";
import test from "node:test";

import { labelColor } from "../src/codecs.js";
import { FLAGGED, MASK, PROMPTED, TRACKED } from "../src/summary.js";
import {
  COLOURS,
  EMPTY_HEIGHT,
  follow,
  frameAt,
  fullRange,
  MIN_SPAN,
  paint,
  pixel,
  rowHeight,
  stripHeight,
  zoomed,
  zoomRange,
} from "../src/timeline-paint.js";

const close = (a, b) => assert.ok(Math.abs(a - b) < 1e-9, `${a} != ${b}`);

test("rows share ~160 px, 2 to 14 px each; with more rows the strip grows", () => {
  assert.equal(rowHeight(1), 14);
  assert.equal(rowHeight(11), 14);
  assert.equal(rowHeight(12), 13);
  assert.equal(rowHeight(40), 4);
  assert.equal(rowHeight(80), 2);
  assert.equal(rowHeight(100), 2);
  assert.equal(stripHeight(100), 200); // grows past 160 (the wrapper scrolls past 240)
  assert.equal(stripHeight(3), 42);
  assert.equal(stripHeight(0), EMPTY_HEIGHT);
});

test("the wheel zooms around the pointer, within [MIN_SPAN, all frames]", () => {
  const n = 1000;
  const full = fullRange(n);
  assert.ok(!zoomed(full, n));
  const z = zoomRange(full, 4, 600, n);
  close(z.x1 - z.x0, 250);
  // The frame under the pointer stays under it: 600 was 60% across, and still is.
  close((600 - z.x0) / (z.x1 - z.x0), 0.6);
  assert.ok(zoomed(z, n));
  const deep = zoomRange(z, 1e6, 600, n);
  close(deep.x1 - deep.x0, MIN_SPAN);
  assert.deepEqual(zoomRange(z, 1e-6, 600, n), full); // zooming out stops at every frame
  const edge = zoomRange(zoomRange(full, 10, 0, n), 0.5, 0, n);
  assert.equal(edge.x0, 0); // never before frame 0
  const right = zoomRange(full, 10, 1000, n);
  close(right.x1, 1000); // nor past the last
  assert.deepEqual(zoomRange(fullRange(3), 10, 1, 3), fullRange(3)); // 3 frames: nothing to zoom
});

test("a zoomed strip follows the frame when it leaves the range", () => {
  const n = 1000;
  const r = { x0: 100, x1: 200 };
  assert.equal(follow(r, 150, n), r);
  assert.equal(follow(r, 199, n), r);
  assert.deepEqual(follow(r, 200, n), { x0: 150.5, x1: 250.5 });
  assert.deepEqual(follow(r, 5, n), { x0: 0, x1: 100 });
  assert.deepEqual(follow(r, 999, n), { x0: 900, x1: 1000 });
  assert.deepEqual(follow(fullRange(n), 999, n), fullRange(n));
});

test("pointer to frame, clamped to the frames there are", () => {
  const r = { x0: 100, x1: 200 };
  assert.equal(frameAt(r, 0, 1000), 100);
  assert.equal(frameAt(r, 0.505, 1000), 150);
  assert.equal(frameAt(r, 1, 1000), 199);
  assert.equal(frameAt(fullRange(10), 1, 10), 9);
  assert.equal(frameAt(fullRange(10), -0.2, 10), 0);
});

test("painting: mask in the label colour, tracked grey, prompted top band, flagged bottom band", () => {
  const [r, g, b] = labelColor(3);
  const colour = pixel(r, g, b);
  const table = { nFrames: 4, labels: [3], rows: Uint8Array.from([0, TRACKED, MASK | PROMPTED, MASK | FLAGGED]) };
  const width = 4;
  const rowPx = 8; // 1 px gap, 1 px bands
  const pixels = new Uint32Array(width * rowPx);
  paint(pixels, width, rowPx, { table, range: fullRange(4), rowPx, hidden: new Set() });
  const line = (y) => Array.from(pixels.subarray(y * width, (y + 1) * width));
  const { background: bg, tracked, prompted, flagged } = COLOURS;
  assert.deepEqual(line(0), [bg, tracked, prompted, colour]);
  assert.deepEqual(line(3), [bg, tracked, colour, colour]);
  assert.deepEqual(line(6), [bg, tracked, colour, flagged]);
  assert.deepEqual(line(7), [bg, bg, bg, bg]); // the gap between rows
  // 2 px rows: one colour per cell, prompted before flagged before the mask.
  const small = new Uint32Array(width * 2);
  paint(small, width, 2, { table, range: fullRange(4), rowPx: 2, hidden: new Set() });
  assert.deepEqual(Array.from(small.subarray(0, 4)), [bg, tracked, prompted, flagged]);
  assert.deepEqual(Array.from(small.subarray(4, 8)), [bg, tracked, prompted, flagged]);
  // A hidden label keeps its row, faded.
  paint(pixels, width, rowPx, { table, range: fullRange(4), rowPx, hidden: new Set([3]) });
  assert.notEqual(line(3)[3], colour);
  assert.notEqual(line(3)[3], bg);
});

test("the pixel words are RGBA bytes in memory, as ImageData wants", () => {
  const bytes = new Uint8Array(new Uint32Array([pixel(10, 20, 30)]).buffer);
  assert.deepEqual(Array.from(bytes), [10, 20, 30, 255]);
});

test("painting 10,000 frames × 100 labels into 2000 × 400 pixels is quick", (t) => {
  const nFrames = 10_000;
  const labels = Array.from({ length: 100 }, (_, r) => r + 1);
  const rows = new Uint8Array(labels.length * nFrames);
  for (let i = 0; i < rows.length; i++) rows[i] = (i * 2654435761) % 16 === 0 ? FLAGGED : MASK | TRACKED;
  const table = { nFrames, labels, rows };
  const width = 2000;
  const rowPx = 4;
  const height = labels.length * rowPx;
  const pixels = new Uint32Array(width * height);
  const opts = { table, range: fullRange(nFrames), rowPx, hidden: new Set([5]) };
  paint(pixels, width, height, opts); // warm up
  const t0 = performance.now();
  const runs = 5;
  for (let i = 0; i < runs; i++) paint(pixels, width, height, opts);
  const ms = (performance.now() - t0) / runs;
  t.diagnostic(`paint: ${ms.toFixed(2)} ms`);
  const [r, g, b] = labelColor(100);
  assert.equal(pixels[(99 * rowPx + 1) * width + 1999], pixel(r, g, b)); // last row, last column, mid band
  assert.ok(ms < 100, `paint took ${ms} ms`);
});
