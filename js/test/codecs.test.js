import assert from "node:assert/strict";
import test from "node:test";

import { decodeRle, labelColor, labelsToRgba, readRuns } from "../src/codecs.js";
import { encodeRle as encode } from "./fakes.js";

test("decodeRle inverts run-length encoding", () => {
  const values = [0, 0, 3, 3, 3, 65535, 1, 0, 0, 0, 7, 7];
  const out = decodeRle(encode(values), 4, 3);
  assert.deepEqual(Array.from(out), values);
});

test("decodeRle accepts typed-array views at an offset", () => {
  const buf = encode([5, 5, 0, 9]);
  const padded = new Uint8Array(buf.byteLength + 3);
  padded.set(new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength), 3);
  const out = decodeRle(padded.subarray(3), 2, 2);
  assert.deepEqual(Array.from(out), [5, 5, 0, 9]);
});

test("decodeRle rejects runs that do not cover the image", () => {
  assert.throws(() => decodeRle(encode([1, 1, 1]), 2, 2), /cover 3 of 4/);
  assert.throws(() => decodeRle(encode([1, 1, 1, 1, 1]), 2, 2), /exceed/);
  assert.throws(() => decodeRle(new ArrayBuffer(5), 1, 1), /multiple of 6/);
});

test("labelColor is stable, bright and distinct for neighbouring labels", () => {
  assert.deepEqual(labelColor(0), [0, 0, 0]);
  const seen = new Set();
  for (let l = 1; l <= 50; l++) {
    const c = labelColor(l);
    assert.deepEqual(c, labelColor(l));
    assert.ok(c.every((v) => Number.isInteger(v) && v >= 0 && v <= 255));
    assert.ok(Math.max(...c) >= 165); // value at least 0.65 in HSV: visible over dark images
    seen.add(c.join());
  }
  assert.equal(seen.size, 50);
});

test("readRuns: every pixel's label as decodeRle has it, and the labelled pixels counted", () => {
  let seed = 7;
  const random = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  const values = Array.from({ length: 9 * 7 }, () => (random() < 0.5 ? 0 : 1 + Math.floor(random() * 3)));
  const labels = readRuns(encode(values), 9, 7);
  assert.deepEqual(
    Array.from({ length: values.length }, (_, i) => labels.at(i)),
    values,
  );
  assert.equal(labels.labelled, values.filter((v) => v !== 0).length);
  assert.deepEqual(Array.from(decodeRle(encode(values), 9, 7)), values);
  assert.throws(() => readRuns(encode([1, 1, 1]), 2, 2), /cover 3 of 4/);
});

const runs = (values) => readRuns(encode(values), values.length, 1);

test("labelsToRgba paints labels with opacity and leaves background clear", () => {
  const rgba = labelsToRgba(runs([0, 2, 2, 5]), 0.5);
  assert.equal(rgba[3], 0);
  assert.deepEqual(Array.from(rgba.slice(4, 7)), labelColor(2));
  assert.equal(rgba[7], 128);
  assert.deepEqual(Array.from(rgba.slice(12, 15)), labelColor(5));
});

test("labelsToRgba leaves hidden labels out", () => {
  const rgba = labelsToRgba(runs([3, 3, 4, 0, 3]), 1, undefined, new Set([3]));
  assert.deepEqual(
    Array.from({ length: 5 }, (_, i) => rgba[i * 4 + 3]),
    [0, 0, 255, 0, 0],
  );
  assert.deepEqual(Array.from(rgba.slice(8, 11)), labelColor(4));
});

test("labelsToRgba into a buffer drawn before clears what the new labels leave out", () => {
  const out = labelsToRgba(runs([1, 1, 1]), 1);
  labelsToRgba(runs([0, 2, 0]), 1, out);
  assert.deepEqual([out[3], out[7], out[11]], [0, 255, 0]);
  assert.deepEqual(Array.from(out.slice(4, 7)), labelColor(2));
});
