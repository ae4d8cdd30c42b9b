import assert from "node:assert/strict";
import test from "node:test";

import { acceptDivision, dismissDivision, paintMarks, proposals, sentence } from "../src/divisions.js";
import { parseIds, shownRows } from "../src/filter.js";
import { MASK } from "../src/summary-table.js";
import { COLOURS, fullRange, paint } from "../src/timeline-paint.js";

test("a divisions message becomes proposals; the bar's sentence names the daughters", () => {
  const list = proposals({ type: "divisions", frames: [3, 7], mothers: [2, 5], daughters: [9, 0] });
  assert.deepEqual(list, [
    { frame: 3, mother: 2, daughter: 9 },
    { frame: 7, mother: 5, daughter: 0 },
  ]);
  assert.match(sentence(list[0]), /label 2 divides here \(into 2 and 9\)/);
  assert.match(sentence(list[1]), /into two parts/);
  assert.deepEqual(proposals({ type: "divisions" }), []);
  assert.deepEqual(acceptDivision(3, 2), { type: "accept_division", frame: 3, mother: 2 });
  assert.deepEqual(dismissDivision(3, 2), { type: "dismiss_division", frame: 3, mother: 2 });
});

/** A 2D context that records the diamonds' centres (the first point is the top). */
function recorder() {
  const tops = [];
  return {
    tops,
    beginPath() {},
    moveTo(x, y) {
      tops.push([x, y]);
    },
    lineTo() {},
    closePath() {},
    fill() {},
    stroke() {},
  };
}

test("marks sit on the mother's row drawn, at the proposal's frame, and only in range", () => {
  const ctx = recorder();
  const list = proposals({ frames: [1, 3, 9], mothers: [5, 8, 5], daughters: [0, 0, 0] });
  // Rows drawn: label 8 then 5 (a filter may reorder or drop rows); 4 frames in 400 px.
  paintMarks(ctx, list, { range: { x0: 0, x1: 4 }, rows: [8, 5], rowPx: 20, width: 400, dpr: 1 });
  const r = 6; // the diamond's half height: at most half a row, at least 3 px
  assert.deepEqual(ctx.tops, [
    [150, 30 - r], // label 5 (row 1) at frame 1
    [350, 10 - r], // label 8 (row 0) at frame 3; frame 9 is out of range
  ]);
  const none = recorder();
  paintMarks(none, list, { range: fullRange(10), rows: [1, 2], rowPx: 2, width: 100, dpr: 1 });
  assert.deepEqual(none.tops, []); // no mother among the rows drawn
});

test("the id search: ids and ranges, anything else ignored, nothing named shows all", () => {
  const keep = parseIds("12, 30-32 x 7–5");
  assert.deepEqual([5, 6, 7, 8, 12, 13, 30, 31, 32, 33].filter(keep), [5, 6, 7, 12, 30, 31, 32]);
  assert.equal(parseIds(""), null);
  assert.equal(parseIds("abc"), null);
  const table = { labels: [4, 12, 31, 50] };
  assert.deepEqual(shownRows(table, keep), [1, 2]);
});

test("painting only the rows a filter keeps, in their order", () => {
  const table = { nFrames: 2, labels: [1, 2, 3], rows: Uint8Array.from([MASK, MASK, 0, 0, MASK, 0]) };
  const width = 2;
  const pixels = new Uint32Array(width * 2);
  paint(pixels, width, 2, { table, range: fullRange(2), rowPx: 1, hidden: new Set(), rows: [2, 1] });
  const bg = COLOURS.background;
  assert.notEqual(pixels[0], bg); // label 3 first, its mask at frame 0
  assert.equal(pixels[1], bg);
  assert.deepEqual([pixels[2], pixels[3]], [bg, bg]); // label 2: no mask
});
