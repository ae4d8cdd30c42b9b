import assert from "node:assert/strict";
import test from "node:test";

import { labelColor } from "../src/codecs.js";
import { objectRows, toggleHidden } from "../src/objects.js";
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
