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

function setup(tool) {
  const canvas = new FakeCanvas();
  const calls = [];
  const record =
    (name) =>
    (...args) =>
      calls.push([name, ...args]);
  const active = { tool };
  const tools = tool
    ? {
        tool: () => active.tool,
        stroke: { begin: record("begin"), extend: record("extend"), end: record("end"), cancel: record("cancel") },
        fill: record("fill"),
        pick: record("pick"),
      }
    : {};
  const detach = attachInput(canvas, {
    ...tools,
    toImage: (x, y) => ({ x: x / 2, y: y / 2 }),
    point: record("point"),
    box: record("box"),
    remove: record("remove"),
    zoom: record("zoom"),
    pan: record("pan"),
    dragBox: record("dragBox"),
    action: record("action"),
  });
  const fire = (type, x, y, { timeStamp = 0, ...extra } = {}) => {
    const e = new Event(type, { cancelable: true });
    Object.defineProperty(e, "timeStamp", { value: timeStamp }); // read-only on Event
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
  return { canvas, calls, detach, fire, key, active };
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
  assert.ok(!key("c").defaultPrevented);
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

test("brush: a press starts a stroke, each move adds its coalesced points, the release ends it", () => {
  const { canvas, calls, fire } = setup("brush");
  fire("pointerdown", 10, 10);
  const coalesced = [
    { clientX: 112, clientY: 60 },
    { clientX: 114, clientY: 62 },
  ];
  fire("pointermove", 14, 12, { getCoalescedEvents: () => coalesced, timeStamp: 5 });
  fire("pointermove", 20, 12, { getCoalescedEvents: () => [], timeStamp: 6 }); // none: the event itself
  fire("pointerup", 20, 14, { timeStamp: 7 });
  assert.deepEqual(calls, [
    ["begin", 5, 5],
    [
      "extend",
      [
        { x: 6, y: 5 },
        { x: 7, y: 6 },
      ],
      5,
    ],
    ["extend", [{ x: 10, y: 6 }], 6],
    ["extend", [{ x: 10, y: 7 }], 7],
    ["end"],
  ]);
  assert.deepEqual(canvas.captured, [1, "released 1"]);
});

test("brush: a click paints (no point, no pan); other buttons pan; a cancelled press cancels the stroke", () => {
  const { calls, fire } = setup("eraser");
  fire("pointerdown", 10, 10);
  fire("pointerup", 10, 10);
  fire("pointerdown", 10, 10, { button: 1 }); // middle button
  fire("pointermove", 30, 10, { button: 1 });
  fire("pointerup", 30, 10, { button: 1 });
  fire("pointerdown", 10, 10, { button: 2 }); // right button: pans too, no negative point
  fire("pointermove", 10, 30, { button: 2 });
  fire("pointerup", 10, 30, { button: 2 });
  fire("pointerdown", 10, 10, { shiftKey: true }); // Shift is no box with the brush
  fire("pointercancel", 10, 10);
  assert.deepEqual(calls, [
    ["begin", 5, 5],
    ["extend", [{ x: 5, y: 5 }], 0],
    ["end"],
    ["pan", 20, 0],
    ["pan", 0, 20],
    ["begin", 5, 5],
    ["cancel"],
  ]);
});

test("fill and pick: a left click acts; a drag pans; the tool is read at each press", () => {
  const { calls, fire, active } = setup("fill");
  fire("pointerdown", 10, 20);
  fire("pointerup", 11, 20);
  fire("pointerdown", 10, 20);
  fire("pointermove", 30, 20);
  fire("pointerup", 30, 20);
  fire("pointerdown", 10, 20, { button: 2 });
  fire("pointerup", 10, 20, { button: 2 });
  active.tool = "pick";
  fire("pointerdown", 8, 6);
  fire("pointerup", 8, 6);
  active.tool = "prompt";
  fire("pointerdown", 8, 6);
  fire("pointerup", 8, 6);
  assert.deepEqual(calls, [
    ["fill", 5.5, 10],
    ["pan", 20, 0],
    ["pick", 4, 3],
    ["point", 4, 3, true],
  ]);
});

test("the pointer over the canvas is reported for the brush cursor; null when it leaves", () => {
  const canvas = new FakeCanvas();
  const seen = [];
  attachInput(canvas, { toImage: (x, y) => ({ x, y }), hover: (p) => seen.push(p), point() {} });
  const fire = (type, x, y) => {
    const e = new Event(type);
    Object.assign(e, { clientX: 100 + x, clientY: 50 + y, pointerId: 1, button: 0 });
    canvas.dispatchEvent(e);
  };
  fire("pointermove", 3, 4);
  fire("pointerdown", 5, 6);
  fire("pointerleave", 5, 6);
  assert.deepEqual(seen, [{ x: 3, y: 4 }, { x: 5, y: 6 }, null]);
});
