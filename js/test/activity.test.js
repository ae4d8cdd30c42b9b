import assert from "node:assert/strict";
import test from "node:test";

import { mountActivityHints } from "../src/activity.js";

test("a pointer going down on the image tells the kernel, at most once per interval", () => {
  const target = new EventTarget();
  const sent = [];
  let clock = 0;
  const cleanup = mountActivityHints(target, (m) => sent.push(m), { every: 100, now: () => clock });
  target.dispatchEvent(new Event("pointerdown"));
  clock = 50;
  target.dispatchEvent(new Event("pointerdown")); // a double click: one hint
  clock = 160;
  target.dispatchEvent(new Event("pointermove")); // moving is not acting
  target.dispatchEvent(new Event("pointerdown"));
  assert.deepEqual(sent, [{ type: "active" }, { type: "active" }]);
  cleanup();
  clock = 400;
  target.dispatchEvent(new Event("pointerdown"));
  assert.equal(sent.length, 2);
});
