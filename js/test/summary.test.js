import assert from "node:assert/strict";
import test from "node:test";

import { mountStream } from "../src/stream.js";
import { createSummary, FLAGGED, MASK, PROMPTED, TRACKED } from "../src/summary.js";
import { aggregateRow } from "../src/summary-table.js";
import { encodeRle, FakeModel } from "./fakes.js";

const full = (labels, nFrames, cells) => [
  { type: "timeline", full: true, n_frames: nFrames, labels },
  [encodeRle(cells)],
];
const delta = (labels, frames, bytes) => [
  { type: "timeline", full: false, frames, labels },
  [new DataView(new Uint8Array(bytes).buffer)],
];

// Three labels over five frames, row-major (row r = labels[r]).
const M = MASK | TRACKED;
const CELLS = [
  [0, M, M | PROMPTED, M, 0], // label 2
  [0, 0, TRACKED, M | FLAGGED, M], // label 5
  [M | PROMPTED, 0, 0, 0, FLAGGED | TRACKED], // label 9
].flat();

function loaded() {
  const summary = createSummary();
  let changes = 0;
  summary.subscribe(() => changes++);
  assert.equal(summary.apply(...full([2, 5, 9], 5, CELLS)), true);
  return { summary, changes: () => changes };
}

test("a full message replaces the table; other messages are not the summary's", () => {
  const { summary, changes } = loaded();
  assert.equal(summary.n_frames, 5);
  assert.deepEqual(summary.labels, [2, 5, 9]);
  assert.ok(summary.rows instanceof Uint8Array);
  assert.deepEqual(Array.from(summary.rows), CELLS);
  assert.equal(changes(), 1);
  assert.equal(summary.apply({ type: "frame", seq: 1 }, []), false);
  assert.equal(summary.apply(...full([], 3, [])), true); // every label gone
  assert.deepEqual(summary.labels, []);
  assert.equal(summary.n_frames, 3);
  assert.equal(changes(), 2);
});

test("a delta overwrites its frames' columns (frame-major bytes); another label set is ignored", () => {
  const { summary, changes } = loaded();
  // Frame 0: label 2 masked now; frame 4: label 5 loses its mask, 9 gets one.
  summary.apply(...delta([2, 5, 9], [0, 4], [M, 0, M, 0, TRACKED, M]));
  assert.deepEqual(
    Array.from(summary.rows),
    [
      [M, M, M | PROMPTED, M, 0],
      [0, 0, TRACKED, M | FLAGGED, TRACKED],
      [M, 0, 0, 0, M],
    ].flat(),
  );
  assert.equal(changes(), 2);
  const before = Array.from(summary.rows);
  assert.equal(summary.apply(...delta([2, 5], [1], [0, 0])), true); // labels changed: a full one follows
  assert.equal(summary.apply(...delta([2, 9, 5], [1], [0, 0, 0])), true);
  summary.apply(...delta([2, 5, 9], [7], [1, 1, 1])); // past the last frame
  assert.deepEqual(Array.from(summary.rows), before);
  assert.equal(changes(), 2);
  assert.throws(() => summary.apply(...delta([2, 5, 9], [1], [0, 0])), /2 bytes for 1 frames × 3 labels/);
  assert.throws(() => summary.apply(...full([1], 4, [0, 0, 0])), /cover 3 of 4/);
});

test("stats: frames with a mask, first and last, flagged and prompted counts", () => {
  const { summary } = loaded();
  assert.deepEqual(summary.stats(2), { frames: 3, first: 1, last: 3, flags: 0, prompted: 1 });
  assert.deepEqual(summary.stats(5), { frames: 2, first: 3, last: 4, flags: 1, prompted: 0 });
  assert.deepEqual(summary.stats(9), { frames: 1, first: 0, last: 0, flags: 1, prompted: 1 });
  assert.deepEqual(summary.stats(4), { frames: 0, first: -1, last: -1, flags: 0, prompted: 0 });
});

test("next: nearest frame after or before with the bit in any label not skipped", () => {
  const { summary } = loaded();
  assert.equal(summary.next(0, FLAGGED, 1), 3);
  assert.equal(summary.next(3, FLAGGED, 1), 4);
  assert.equal(summary.next(4, FLAGGED, 1), -1);
  assert.equal(summary.next(4, FLAGGED, -1), 3);
  assert.equal(summary.next(3, FLAGGED, -1), -1);
  assert.equal(summary.next(4, PROMPTED, -1), 2);
  assert.equal(summary.next(2, PROMPTED, -1), 0);
  assert.equal(summary.next(-1, PROMPTED, 1), 0); // from before the first frame
  assert.equal(summary.next(99, PROMPTED, -1), 2); // from past the last
  assert.equal(summary.next(0, FLAGGED, 1, new Set([5])), 4); // label 5 hidden
  assert.equal(summary.next(0, FLAGGED, 1, new Set([5, 9])), -1);
  assert.equal(summary.any(3, FLAGGED), true);
  assert.equal(summary.any(3, FLAGGED, new Set([5])), false);
  assert.equal(summary.any(7, FLAGGED), false);
  assert.equal(createSummary().next(0, MASK, 1), -1); // nothing yet
});

/**
 * Bounds on a column's value, the slow, obvious way: at least the OR of the frames
 * lying wholly inside it, at most the OR of the frames touching it.
 */
function columnBounds(row, lo, hi) {
  let inner = 0;
  let touching = 0;
  for (let t = 0; t < row.length; t++) {
    if (t >= lo && t + 1 <= hi) inner |= row[t];
    if (t + 1 > lo && t < hi) touching |= row[t];
  }
  return { inner, touching };
}

test("column aggregation: the OR of the frames in each pixel column, zoomed out or in", () => {
  const nFrames = 37;
  const row = Array.from({ length: nFrames }, (_, t) => (t * 7919) % 16);
  const table = { nFrames, labels: [1], rows: Uint8Array.from(row) };
  const columns = (x0, x1, cols) => Array.from(aggregateRow(table, 0, x0, x1, new Uint8Array(cols)));
  // One column per frame, and whole frames per column: exactly the frames' values / ORs.
  assert.deepEqual(columns(0, 37, 37), row);
  assert.deepEqual(columns(10, 14, 2), [row[10] | row[11], row[12] | row[13]]);
  // Zoomed in: each column shows the frame under it.
  assert.deepEqual(
    columns(10, 12, 8),
    [10, 10, 10, 10, 11, 11, 11, 11].map((t) => row[t]),
  );
  for (const [x0, x1, cols] of [
    [0, 37, 5],
    [0, 37, 100],
    [3.5, 20.25, 6],
    [0, 37, 1],
  ]) {
    const out = columns(x0, x1, cols);
    const k = (x1 - x0) / cols;
    out.forEach((v, c) => {
      const { inner, touching } = columnBounds(row, x0 + c * k, x0 + (c + 1) * k);
      assert.equal(v & inner, inner, `${x0}..${x1} in ${cols}: column ${c} misses a frame`);
      assert.equal(v & ~touching, 0, `${x0}..${x1} in ${cols}: column ${c} has a frame from elsewhere`);
    });
  }
  // Zoomed out, every frame counts: the columns' ORs together give the row's OR.
  const or = (values) => values.reduce((a, b) => a | b, 0);
  assert.equal(or(columns(0, nFrames, 4)), or(row));
  const last = aggregateRow({ nFrames: 3, labels: [1], rows: Uint8Array.from([0, 0, 4]) }, 0, 0, 3, new Uint8Array(2));
  assert.deepEqual(Array.from(last), [0, 4]); // the last frame is never dropped
});

test("the stream routes the model's timeline messages to it and reports malformed ones", () => {
  const model = new FakeModel();
  const summary = createSummary();
  const errors = [];
  const stream = mountStream({
    model,
    send: () => {},
    sink: { state: { frame: null }, showFrame() {}, showLabels() {}, draw() {} },
    onError: (e) => errors.push(String(e)),
    route: { timeline: summary.apply },
  });
  model.emit("msg:custom", ...full([3], 2, [M, 0]));
  model.emit("msg:custom", { type: "labels", seq: 1 }, []);
  model.emit("msg:custom", { type: "timeline", full: true, n_frames: 2, labels: [3] }, [new ArrayBuffer(5)]);
  assert.deepEqual(summary.labels, [3]);
  assert.equal(errors.length, 1);
  stream.dispose();
  assert.equal(model.count("msg:custom"), 0);
});

test("10,000 frames × 100 labels: correct, and each operation quick", (t) => {
  const nFrames = 10_000;
  const labels = Array.from({ length: 100 }, (_, r) => r + 1);
  // Label r has a mask on frames [100 r, 100 r + 5000) (up to the last), prompted at its first frame,
  // flagged every 997 frames from 500 r + 13.
  const cells = new Uint8Array(labels.length * nFrames);
  for (let r = 0; r < labels.length; r++) {
    for (let f = 100 * r; f < Math.min(nFrames, 100 * r + 5000); f++) cells[r * nFrames + f] = MASK | TRACKED;
    cells[r * nFrames + 100 * r] |= PROMPTED;
    for (let f = 500 * r + 13; f < nFrames; f += 997) cells[r * nFrames + f] |= FLAGGED;
  }
  const summary = createSummary();
  const timed = (name, fn) => {
    const t0 = performance.now();
    const out = fn();
    const ms = performance.now() - t0;
    t.diagnostic(`${name}: ${ms.toFixed(2)} ms`);
    return [out, ms];
  };
  timed("full", () => summary.apply(...full(labels, nFrames, cells)));
  assert.deepEqual(summary.rows, cells);

  // A delta of 50 frames: every label flagged there.
  const frames = Array.from({ length: 50 }, (_, i) => 9000 + i);
  const bytes = new Uint8Array(frames.length * labels.length);
  frames.forEach((f, i) => {
    for (let r = 0; r < labels.length; r++) {
      bytes[i * labels.length + r] = cells[r * nFrames + f] | FLAGGED;
      cells[r * nFrames + f] |= FLAGGED; // what the table should hold now
    }
  });
  const [, deltaMs] = timed("delta", () => summary.apply(...delta(labels, frames, bytes)));
  assert.deepEqual(summary.rows, cells);
  assert.ok(deltaMs < 50, `delta took ${deltaMs} ms`);

  const [all, statsMs] = timed("stats ×100", () => labels.map((l) => summary.stats(l)));
  const naiveStats = (r) => {
    const row = Array.from(cells.subarray(r * nFrames, (r + 1) * nFrames));
    const masked = row.flatMap((v, f) => (v & MASK ? [f] : []));
    const count = (bit) => row.filter((v) => v & bit).length;
    const [first, last] = masked.length ? [masked[0], masked.at(-1)] : [-1, -1];
    return { frames: masked.length, first, last, flags: count(FLAGGED), prompted: count(PROMPTED) };
  };
  for (const r of [0, 10, 55, 99]) assert.deepEqual(all[r], naiveStats(r), `label ${labels[r]}`);
  assert.deepEqual(all[10], { frames: 5000, first: 1000, last: 5999, flags: 55, prompted: 1 });
  assert.ok(statsMs < 500, `stats took ${statsMs} ms`);

  const naiveNext = (frame, bit, direction, skip = new Set()) => {
    for (let f = frame + direction; f >= 0 && f < nFrames; f += direction) {
      if (labels.some((l, r) => !skip.has(l) && cells[r * nFrames + f] & bit)) return f;
    }
    return -1;
  };
  const queries = [
    [0, PROMPTED, 1],
    [9999, PROMPTED, -1],
    [9100, FLAGGED, 1],
    [8990, FLAGGED, -1],
    [5000, PROMPTED, 1, new Set(labels.slice(0, 60))],
    [9900, PROMPTED, 1],
  ];
  const [found, nextMs] = timed("next ×6", () => queries.map((q) => summary.next(...q)));
  assert.deepEqual(
    found,
    queries.map((q) => naiveNext(...q)),
  );
  assert.deepEqual([found[0], found[1], found[4], found[5]], [100, 9900, 6000, -1]);
  assert.ok(nextMs < 200, `searches took ${nextMs} ms`);

  const out = new Uint8Array(2000);
  const [, aggMs] = timed("aggregate 100 rows × 2000 columns", () => {
    for (let r = 0; r < labels.length; r++) aggregateRow(summary.table(), r, 0, nFrames, out);
  });
  assert.equal(out[0] & MASK, 0); // label 100 starts at frame 9900
  assert.equal(out[1999] & MASK, MASK);
  assert.ok(aggMs < 200, `aggregation took ${aggMs} ms`);
});
