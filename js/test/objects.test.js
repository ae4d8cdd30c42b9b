import assert from "node:assert/strict";
import test from "node:test";

import { labelColor } from "../src/codecs.js";
import { objectRows, toggleHidden } from "../src/objects.js";
import { rowWindow, scrollToShow } from "../src/rowwindow.js";
import { createSummary, FLAGGED, MASK, TRACKED } from "../src/summary.js";
import { encodeRle } from "./fakes.js";

test("object rows: colour, frames covered (0-based span, as the slider), flags, current and hidden", () => {
  const summary = createSummary();
  const M = MASK | TRACKED;
  const cells = [
    [0, M, M, M | FLAGGED, 0], // label 2
    [TRACKED, TRACKED, 0, 0, 0], // label 7: tracked, never a mask
  ].flat();
  summary.apply({ type: "timeline", full: true, n_frames: 5, labels: [2, 7] }, [encodeRle(cells)]);
  const [r, g, b] = labelColor(2);
  assert.deepEqual(objectRows(summary, { label: 7, hidden: new Set([2]), parents: { 7: 2 } }), [
    {
      label: 2,
      colour: `rgb(${r}, ${g}, ${b})`,
      frames: 3,
      span: "1–3",
      flags: 1,
      current: false,
      hidden: true,
      parent: 0,
    },
    {
      label: 7,
      colour: `rgb(${labelColor(7).join(", ")})`,
      frames: 0,
      span: "",
      flags: 0,
      current: true,
      hidden: false,
      parent: 2,
    },
  ]);
  assert.deepEqual(objectRows(createSummary(), { label: 1, hidden: new Set() }), []);
});

test("the hidden list: sorted ids, each once", () => {
  assert.deepEqual(toggleHidden([5, 2], 3, false), [2, 3, 5]);
  assert.deepEqual(toggleHidden([5, 2], 5, false), [2, 5]);
  assert.deepEqual(toggleHidden([5, 2], 5, true), [2]);
  assert.deepEqual(toggleHidden([], 9, true), []);
});

test("frame numbers read 0-based everywhere, counts agree with their number", async () => {
  const { frameOf, frameSpan, plural } = await import("../src/words.js");
  assert.equal(frameOf(0, 1), "frame 0 of 0–0");
  assert.equal(frameOf(7, 20), "frame 7 of 0–19");
  assert.equal(frameSpan(0, 19), "0–19");
  assert.equal(plural(1, "frame"), "1 frame");
  assert.equal(plural(2, "frame"), "2 frames");
  assert.equal(plural(0, "flagged frame"), "0 flagged frames");
});

test("the row window: the rows in view and a few either side, within the list", () => {
  // 132 px of 22 px rows shows 6; scrolled to row 100 of 300, rows 96..110 are built
  assert.deepEqual(rowWindow({ count: 300, top: 2200, height: 132, overscan: 4 }), { first: 96, end: 110 });
  assert.deepEqual(rowWindow({ count: 300, top: 0, height: 132, overscan: 4 }), { first: 0, end: 10 });
  assert.deepEqual(rowWindow({ count: 3, top: 0, height: 132 }), { first: 0, end: 3 });
  assert.deepEqual(rowWindow({ count: 0, top: 0, height: 132 }), { first: 0, end: 0 });
  // a list that shrank under a scrolled view: nothing past its end
  assert.deepEqual(rowWindow({ count: 5, top: 2200, height: 132 }), { first: 5, end: 5 });
  // a partly shown row at either edge counts as shown
  assert.deepEqual(rowWindow({ count: 300, top: 11, height: 132, overscan: 0 }), { first: 0, end: 7 });
});

test("bringing a row into view: no scroll when it shows whole, else centred", () => {
  assert.equal(scrollToShow({ index: 2, top: 0, height: 132 }), null);
  assert.equal(scrollToShow({ index: 5, top: 0, height: 132 }), null); // 110..132: the last whole row
  assert.equal(scrollToShow({ index: 6, top: 0, height: 132 }), 132 - 55);
  assert.equal(scrollToShow({ index: 249, top: 0, height: 132 }), 249 * 22 - 55);
  assert.equal(scrollToShow({ index: 0, top: 500, height: 132 }), 0);
  assert.equal(scrollToShow({ index: -1, top: 0, height: 132 }), null); // not in the list
});
