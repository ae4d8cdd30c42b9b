import assert from "node:assert/strict";
import test from "node:test";

import { encodePoints } from "../src/codecs.js";
import { createPolyline, MAX_POINTS, MIN_STEP, touchesImage } from "../src/tools/polyline.js";

test("points closer than half an image pixel to the previous one are dropped", () => {
  const line = createPolyline();
  assert.equal(MIN_STEP, 0.5);
  assert.equal(line.add(10, 10), true);
  assert.equal(line.add(10.3, 10.3), false); // 0.42 px away
  assert.equal(line.add(10.4, 10.4), true); // 0.57 px away
  assert.equal(line.add(10.4, 10.4), false); // no move
  assert.equal(line.add(Number.NaN, 3), false);
  assert.equal(line.add(12, 10), true);
  assert.equal(line.length, 3);
  assert.deepEqual(Array.from(line.points()), [10, 10, Math.fround(10.4), Math.fround(10.4), 12, 10]);
  // Where the pointer stops ends the stroke, however close to the last point kept.
  assert.equal(line.add(12.2, 10), false);
  assert.deepEqual(Array.from(line.points().slice(-4)), [12, 10, Math.fround(12.2), 10]);
  assert.equal(line.length, 4);
  assert.equal(line.add(13, 10), true);
  assert.deepEqual(Array.from(line.points().slice(-4)), [12, 10, 13, 10]);
  assert.equal(line.length, 4);
});

test("a stroke never holds more than MAX_POINTS: at the limit it is thinned, ends kept", () => {
  assert.equal(MAX_POINTS, 65536);
  const line = createPolyline({ max: 8 });
  for (let i = 0; i < 8; i++) assert.ok(line.add(i, 0));
  assert.equal(line.length, 8);
  assert.ok(line.add(8, 0)); // full: points 0 2 4 6 7 kept, then 8
  assert.deepEqual(Array.from(line.points()), [0, 0, 2, 0, 4, 0, 6, 0, 7, 0, 8, 0]);
  assert.equal(line.add(8.9, 0), false); // the step doubled to 1 px
  assert.ok(line.add(9, 0));
  const full = createPolyline({ max: 4 });
  for (let i = 0; i < 4; i++) full.add(i, 0);
  full.add(3.2, 0); // dropped, yet the end: the full stroke's last kept point makes room
  assert.deepEqual(Array.from(full.points()), [0, 0, 1, 0, 2, 0, Math.fround(3.2), 0]);
  assert.equal(full.length, 4);
  const long = createPolyline();
  for (let i = 0; i < 3 * MAX_POINTS; i++) long.add(i / 3, (i * 7) % 3);
  assert.ok(long.length <= MAX_POINTS);
  assert.ok(long.length > MAX_POINTS / 2);
  const pts = long.points();
  assert.deepEqual([pts[0], pts.at(-2), pts.at(-1)], [0, MAX_POINTS - 1 / 3, 2].map(Math.fround)); // both ends
  assert.ok(encodePoints(pts).byteLength <= 1 << 20); // within the kernel's message limit
});

test("points() is a copy that survives further points", () => {
  const line = createPolyline();
  line.add(1, 2);
  const before = line.points();
  for (let i = 0; i < 1000; i++) line.add(i, i);
  assert.deepEqual(Array.from(before), [1, 2]);
  assert.equal(line.points().length, 2 * line.length);
});

test("encodePoints: little-endian float32 (x, y) pairs", () => {
  const buffer = encodePoints([1.5, -2, 1e6, 0.1]);
  assert.ok(buffer instanceof ArrayBuffer);
  assert.equal(buffer.byteLength, 16);
  const bytes = new Uint8Array(buffer);
  assert.deepEqual(Array.from(bytes.subarray(0, 4)), [0x00, 0x00, 0xc0, 0x3f]); // 1.5 = 0x3fc00000, low byte first
  assert.deepEqual(Array.from(bytes.subarray(4, 8)), [0x00, 0x00, 0x00, 0xc0]); // -2 = 0xc0000000
  const view = new DataView(buffer);
  const read = [0, 4, 8, 12].map((o) => view.getFloat32(o, true));
  assert.deepEqual(read, [1.5, -2, 1e6, Math.fround(0.1)]);
  assert.equal(encodePoints(new Float32Array(0)).byteLength, 0);
});

test("a stroke touches the image when its box grown by the radius overlaps it", () => {
  assert.equal(touchesImage([5, 5], 1, 10, 10), true);
  assert.equal(touchesImage([-3, 5], 2, 10, 10), false);
  assert.equal(touchesImage([-3, 5], 4, 10, 10), true);
  assert.equal(touchesImage([-5, -5, 20, 20], 1, 10, 10), true); // crosses with both ends off it
  assert.equal(touchesImage([12, -5, 20, 20], 1, 10, 10), false);
  assert.equal(touchesImage([], 5, 10, 10), false);
});
