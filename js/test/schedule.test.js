import assert from "node:assert/strict";
import test from "node:test";

import { perFrame } from "../src/schedule.js";
import { FakeFrames } from "./fakes.js";

test("requests within one animation frame run once; flush runs a pending one now", () => {
  const frames = new FakeFrames();
  let runs = 0;
  const redraw = perFrame(() => runs++, frames);
  redraw.request();
  redraw.request();
  redraw.request();
  assert.equal(runs, 0);
  frames.step();
  assert.equal(runs, 1);
  frames.step();
  assert.equal(runs, 1);
  redraw.flush(); // nothing pending
  assert.equal(runs, 1);
  redraw.request();
  redraw.flush();
  assert.equal(runs, 2);
  frames.step();
  assert.equal(runs, 2); // the flushed request does not run again
  redraw.request();
  redraw.cancel();
  frames.step();
  assert.equal(runs, 2);
});
