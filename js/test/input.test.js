import assert from "node:assert/strict";
import test from "node:test";

import { attachInput } from "../src/input.js";

/** A canvas at (100, 50) on the page; image coordinates = CSS / 2. */
class FakeCanvas extends EventTarget {
  constructor() {
    super();
    this.focused = 0;
    this.captured = [];
  }
  getBoundingClientRect() {
    return { left: 100, top: 50 };
  }
  focus() {
    this.focused += 1;
  }
  setPointerCapture(id) {
    if (id !== 1) throw new Error("NotFoundError");
    this.captured.push(id);
  }
  hasPointerCapture(id) {
    return this.captured.at(-1) === id;
  }
  releasePointerCapture(id) {
    this.captured.push(`released ${id}`);
  }
}

function setup() {
  const canvas = new FakeCanvas();
  const calls = [];
  const record =
    (name) =>
    (...args) =>
      calls.push([name, ...args]);
  const detach = attachInput(canvas, {
    toImage: (x, y) => ({ x: x / 2, y: y / 2 }),
    point: record("point"),
    box: record("box"),
    remove: record("remove"),
    zoom: record("zoom"),
    pan: record("pan"),
    dragBox: record("dragBox"),
    action: record("action"),
  });
  const fire = (type, x, y, extra = {}) => {
    const e = new Event(type, { cancelable: true });
    Object.assign(e, { clientX: 100 + x, clientY: 50 + y, pointerId: 1, button: 0, ...extra });
    canvas.dispatchEvent(e);
    return e;
  };
  const key = (k, extra = {}) => {
    const e = new Event("keydown", { cancelable: true });
    Object.assign(e, { key: k, ...extra });
    canvas.dispatchEvent(e);
    return e;
  };
  return { canvas, calls, detach, fire, key };
}

test("a left click is a positive point, a right click a negative one, with focus and capture", () => {
  const { canvas, calls, fire } = setup();
  fire("pointerdown", 20, 40);
  fire("pointerup", 21, 41); // within the click slop
  fire("pointerdown", 60, 10, { button: 2 });
  fire("pointerup", 60, 10, { button: 2 });
  assert.deepEqual(calls, [
    ["point", 10.5, 20.5, true],
    ["point", 30, 5, false],
  ]);
  assert.equal(canvas.focused, 2);
  assert.deepEqual(canvas.captured, [1, "released 1", 1, "released 1"]);
});

test("no context menu on the canvas", () => {
  const { fire } = setup();
  const e = fire("contextmenu", 0, 0);
  assert.ok(e.defaultPrevented);
});

test("Shift+drag draws a box and sends it; Alt+click removes", () => {
  const { calls, fire } = setup();
  fire("pointerdown", 10, 10, { shiftKey: true });
  fire("pointermove", 30, 20);
  fire("pointerup", 50, 30);
  fire("pointerdown", 8, 6, { altKey: true });
  fire("pointerup", 8, 6);
  assert.deepEqual(calls, [
    ["dragBox", { x0: 10, y0: 10, x1: 30, y1: 20 }],
    ["dragBox", null],
    ["box", 5, 5, 25, 15],
    ["remove", 4, 3],
  ]);
});

test("a drag pans by each step and sends no point; the wheel zooms at the pointer", () => {
  const { calls, fire } = setup();
  fire("pointerdown", 10, 10);
  fire("pointermove", 12, 11); // within the slop: no pan yet
  fire("pointermove", 20, 15);
  fire("pointermove", 25, 15);
  fire("pointerup", 25, 15);
  fire("wheel", 7, 9, { deltaY: -100, deltaMode: 0 });
  assert.deepEqual(calls.slice(0, 2), [
    ["pan", 8, 4],
    ["pan", 5, 0],
  ]);
  assert.equal(calls[2][0], "zoom");
  assert.ok(Math.abs(calls[2][1] - Math.exp(0.15)) < 1e-12);
  assert.deepEqual(calls[2].slice(2), [7, 9]);
  assert.equal(calls.length, 3);
});

test("a lost capture or a cancelled pointer ends the gesture without an intent", () => {
  const { calls, fire } = setup();
  fire("pointerdown", 10, 10, { shiftKey: true });
  fire("pointermove", 40, 40);
  fire("lostpointercapture", 40, 40);
  fire("pointerup", 40, 40);
  fire("pointerdown", 10, 10);
  fire("pointercancel", 10, 10);
  fire("pointerup", 10, 10);
  assert.deepEqual(calls, [
    ["dragBox", { x0: 10, y0: 10, x1: 40, y1: 40 }],
    ["dragBox", null],
  ]);
});

test("one gesture at a time; events of another pointer are ignored", () => {
  const { calls, fire } = setup();
  fire("pointerdown", 10, 10);
  fire("pointerdown", 90, 90, { pointerId: 2 }); // a second finger: no capture, no gesture
  fire("pointermove", 50, 50, { pointerId: 2 });
  fire("pointerup", 90, 90, { pointerId: 2 });
  fire("pointerup", 10, 10);
  assert.deepEqual(calls, [["point", 5, 5, true]]);
});

test("keys go through the key map; Delete needs the pointer over the canvas", () => {
  const { calls, fire, key } = setup();
  assert.ok(key("ArrowRight").defaultPrevented);
  assert.ok(key("z", { ctrlKey: true }).defaultPrevented);
  assert.ok(!key("a").defaultPrevented);
  assert.ok(!key("Delete").defaultPrevented); // no pointer yet: the key is not ours
  fire("pointermove", 30, 40);
  assert.ok(key("Delete").defaultPrevented);
  fire("pointerleave", 30, 40);
  key("Backspace");
  assert.deepEqual(calls, [
    ["action", "frame+", null],
    ["action", "undo", null],
    ["action", "remove", { x: 15, y: 20 }],
  ]);
});

test("detach removes every listener", () => {
  const { calls, detach, fire, key } = setup();
  detach();
  fire("pointerdown", 1, 1);
  fire("pointerup", 1, 1);
  key("ArrowRight");
  assert.deepEqual(calls, []);
});
