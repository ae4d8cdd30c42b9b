import assert from "node:assert/strict";
import test from "node:test";

import { capturePointer, releasePointer, wheelFactor } from "../src/pointer.js";
import { hiddenOf } from "../src/tools/traits.js";
import { FakeModel } from "./fakes.js";

test("a wheel notch by lines zooms as much as a trackpad's pixels of the same size", () => {
  assert.ok(wheelFactor({ deltaY: -1, deltaMode: 1 }) > 1); // up zooms in
  assert.ok(wheelFactor({ deltaY: 100, deltaMode: 0 }) < 1);
  const lines = wheelFactor({ deltaY: 3, deltaMode: 1 });
  const pixels = wheelFactor({ deltaY: 100, deltaMode: 0 });
  assert.ok(Math.abs(Math.log(lines) - Math.log(pixels)) < 0.01);
});

test("capture is taken and released; a pointer the browser does not know is no error", () => {
  const held = new Set();
  const el = {
    setPointerCapture(id) {
      if (id === 9) throw new Error("NotFoundError");
      held.add(id);
    },
    hasPointerCapture: (id) => held.has(id),
    releasePointerCapture: (id) => held.delete(id),
  };
  capturePointer(el, { pointerId: 1 });
  capturePointer(el, { pointerId: 9 }); // synthetic: no capture, no throw
  assert.deepEqual([...held], [1]);
  releasePointer(el, { pointerId: 1 });
  releasePointer(el, { pointerId: 9 });
  assert.equal(held.size, 0);
});

test("hiddenOf reads the hidden trait as a set (none when unset)", () => {
  assert.deepEqual([...hiddenOf(new FakeModel({ hidden: [3, 5] }))], [3, 5]);
  assert.equal(hiddenOf(new FakeModel()).size, 0);
});
