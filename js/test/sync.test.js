import assert from "node:assert/strict";
import test from "node:test";

import { bindEvents, createSync, debounce, listen, SAVE_AFTER_MS, SOON_MS } from "../src/sync.js";
import { FakeModel, FakeTimers, LiveModel } from "./fakes.js";

test("listen calls back on each named change and off removes exactly its listeners", () => {
  const model = new FakeModel();
  const calls = [];
  const other = () => {};
  model.on("change:frame", other);
  const off = listen(model, ["frame", "label"], (...args) => calls.push(args));
  model.emit("change:frame", 1);
  model.emit("change:label", 2);
  model.emit("change:busy", 3);
  assert.deepEqual(calls, [[1], [2]]);
  off();
  assert.equal(model.count("change:frame"), 1); // the other listener stays
  assert.equal(model.count("change:label"), 0);
});

test("debounce runs once after the calls stop", () => {
  const timers = new FakeTimers();
  let runs = 0;
  const d = debounce(() => runs++, 300, timers);
  d();
  timers.tick(200);
  d();
  timers.tick(200);
  d();
  assert.equal(runs, 0);
  assert.ok(d.pending());
  timers.tick(299);
  assert.equal(runs, 0);
  timers.tick(1);
  assert.equal(runs, 1);
  assert.ok(!d.pending());
  timers.tick(1000);
  assert.equal(runs, 1);
});

test("debounce flush runs a pending call now; cancel drops it", () => {
  const timers = new FakeTimers();
  let runs = 0;
  const d = debounce(() => runs++, 300, timers);
  d.flush();
  assert.equal(runs, 0); // nothing pending
  d();
  d.flush();
  assert.equal(runs, 1);
  d();
  d.cancel();
  timers.tick(1000);
  assert.equal(runs, 1);
});

test("debounce works with real timers", async () => {
  let runs = 0;
  const d = debounce(() => runs++, 20);
  for (let i = 0; i < 5; i++) d();
  await new Promise((resolve) => setTimeout(resolve, 60));
  assert.equal(runs, 1);
});

test("sync.later sets at once and saves once, 300 ms after the last change", () => {
  assert.equal(SAVE_AFTER_MS, 300);
  const timers = new FakeTimers();
  const model = new FakeModel({ view_pixels: 0 });
  const sync = createSync(model, SAVE_AFTER_MS, timers);
  for (let px = 100; px <= 500; px += 100) {
    sync.later({ view_pixels: px });
    assert.equal(model.get("view_pixels"), px);
    timers.tick(50);
  }
  assert.equal(model.saves, 0);
  timers.tick(300);
  assert.equal(model.saves, 1);
  assert.equal(model.saved[0].view_pixels, 500);
});

test("sync.now saves at once and takes a pending debounced save with it", () => {
  const timers = new FakeTimers();
  const model = new FakeModel({ frame: 0, view_pixels: 0 });
  const sync = createSync(model, 300, timers);
  sync.later({ view_pixels: 640 });
  sync.now({ frame: 3 });
  assert.equal(model.saves, 1);
  assert.deepEqual(model.saved[0], { frame: 3, view_pixels: 640 });
  timers.tick(1000);
  assert.equal(model.saves, 1);
});

test("sync.soon sets at once and saves the changes of SOON_MS in one; a save calls the hooks first", () => {
  const timers = new FakeTimers();
  const model = new FakeModel({ frame: 0 });
  const sync = createSync(model, 300, timers);
  const order = [];
  const off = sync.beforeSave(() => order.push(["hook", model.saves]));
  for (const frame of [1, 2, 3]) {
    sync.soon({ frame });
    assert.equal(model.get("frame"), frame);
    timers.tick(SOON_MS / 4);
  }
  assert.equal(model.saves, 0);
  timers.tick(SOON_MS / 4);
  assert.equal(model.saves, 1);
  assert.equal(model.saved[0].frame, 3);
  assert.deepEqual(order, [["hook", 0]]); // before the save
  sync.soon({ frame: 4 });
  sync.now({ label: 2 }); // takes the pending one with it
  timers.tick(SOON_MS);
  assert.equal(model.saves, 2);
  assert.deepEqual([model.saved[1].frame, model.saved[1].label], [4, 2]);
  off();
  sync.now({ frame: 5 });
  assert.equal(order.length, 2); // off: not called again
  sync.soon({ frame: 6 });
  sync.dispose();
  timers.tick(SOON_MS);
  assert.equal(model.saves, 3); // disposed: the pending one is not saved
});

test("a disposed sync saves nothing more", () => {
  const timers = new FakeTimers();
  const model = new FakeModel();
  const sync = createSync(model, 300, timers);
  sync.later({ view_pixels: 1 });
  sync.dispose();
  timers.tick(1000);
  assert.equal(model.saves, 0);
});

test("bindEvents adds listeners together and its off() removes exactly them", () => {
  const calls = [];
  const node = new EventTarget();
  const other = () => calls.push("other");
  node.addEventListener("b", other);
  const off = bindEvents(node, [
    ["a", () => calls.push("a")],
    ["b", () => calls.push("b")],
  ]);
  node.dispatchEvent(new Event("a"));
  node.dispatchEvent(new Event("b"));
  off();
  node.dispatchEvent(new Event("a"));
  node.dispatchEvent(new Event("b"));
  assert.deepEqual(calls, ["a", "other", "b", "other"]);
});

test("sync.local is true only while a change set through it is heard", () => {
  const model = new LiveModel({ frame: 0 });
  const sync = createSync(model, 300, new FakeTimers());
  const heard = [];
  model.on("change:frame", () => heard.push([model.get("frame"), sync.local]));
  sync.now({ frame: 2 });
  model.set("frame", 3); // from elsewhere (the kernel)
  assert.deepEqual(heard, [
    [2, true],
    [3, false],
  ]);
  assert.equal(sync.local, false);
});
