import assert from "node:assert/strict";
import test from "node:test";

import { readRuns } from "../src/codecs.js";
import { createDebug, hooks } from "../src/debug.js";
import { statusText } from "../src/status.js";
import { fittedPixels } from "../src/view.js";
import { encodeRle, FakeModel } from "./fakes.js";

test("the status bar says frame (from 0, as the slider), label, busy and the kernel's status", () => {
  const s = { frame: 0, n_frames: 40, label: 3, busy: false, status: "" };
  assert.equal(statusText(s), "frame 0 of 0–39 · label 3");
  assert.equal(statusText({ ...s, busy: true }), "frame 0 of 0–39 · label 3 · working…");
  assert.equal(statusText({ ...s, frame: 39, status: "3 prompts" }), "frame 39 of 0–39 · label 3 · 3 prompts");
});

test("debug hooks: labelled pixels counted, draw time in ms with two decimals", () => {
  assert.equal(hooks({ seq: 1, ms: 0, frame: 0, labels: null, lossless: false }).labelled, "0");
  const labels = readRuns(encodeRle([0, 1, 0, 65535, 2, 2, 0, 0]), 4, 2);
  assert.deepEqual(hooks({ seq: 7, ms: 1.234, frame: 2, labels, lossless: true }), {
    seq: "7",
    frame: "2",
    labelled: "4",
    drawMs: "1.23",
    lossless: "true",
  });
});

test("view pixels: the fitted image's longer side in device pixels", () => {
  assert.equal(fittedPixels(128, 96, 640, 400), 533); // height-bound: 400 / 96 * 128
  assert.equal(fittedPixels(1024, 1024, 1280, 800), 800);
  assert.equal(fittedPixels(0, 0, 640, 400), 0); // no image yet
});

test("debug hooks only while the debug trait is on; off, a draw reads nothing", () => {
  const model = new FakeModel({ debug: false });
  const el = { dataset: {} };
  let reads = 0;
  const renderer = {
    get state() {
      reads += 1;
      return { frame: 1, labels: readRuns(encodeRle([1, 1, 0]), 3, 1), lossless: false };
    },
  };
  const debug = createDebug(model, el, renderer);
  debug.drawn(1, 2);
  assert.deepEqual(el.dataset, {});
  assert.equal(reads, 0); // no labelled-pixel count in the production path
  assert.equal(el.sam2jDebug, undefined);
  model.set("debug", true);
  model.emit("change:debug");
  debug.drawn(2, 3);
  assert.deepEqual(el.dataset, { seq: "2", frame: "1", labelled: "2", drawMs: "3.00", lossless: "false" });
  assert.equal(el.sam2jDebug.renderer, renderer);
  model.set("debug", false);
  model.emit("change:debug");
  assert.deepEqual(el.dataset, {});
  assert.equal(el.sam2jDebug, undefined);
  debug.dispose();
  assert.equal(model.count("change:debug"), 0);
});

test("reported hooks (timeline, objects, optimistic markers) appear only while debug is on", () => {
  const model = new FakeModel({ debug: false });
  const canvas = { dataset: {} };
  const timeline = { dataset: {} };
  const summary = {};
  const debug = createDebug(model, canvas, { state: {} }, { summary });
  debug.report(timeline, { timelineDraws: "1", timelineMs: "0.50" });
  debug.report(timeline, { timelineDraws: "2" });
  assert.deepEqual(timeline.dataset, {});
  model.set("debug", true);
  model.emit("change:debug");
  assert.deepEqual(timeline.dataset, { timelineDraws: "2", timelineMs: "0.50" }); // the latest values
  assert.equal(canvas.sam2jDebug.summary, summary);
  debug.report(canvas, { optimistic: "1" });
  assert.deepEqual(canvas.dataset, { optimistic: "1" });
  model.set("debug", false);
  model.emit("change:debug");
  assert.deepEqual(timeline.dataset, {});
  assert.deepEqual(canvas.dataset, {});
});
