import assert from "node:assert/strict";
import test from "node:test";

import { createActions, MAX_LABEL } from "../src/actions.js";
import { acceptDivision, chosen, dismissDivision, proposals } from "../src/divisions.js";
import { createSummary, FLAGGED, MASK, PROMPTED } from "../src/summary.js";
import { createSync } from "../src/sync.js";
import { createPromptTool, REMOVE_RADIUS_PX } from "../src/tools/prompt.js";
import { encodeRle, FakeModel, FakeTimers } from "./fakes.js";

function setup(traits = {}, summary = createSummary()) {
  const model = new FakeModel({ frame: 0, n_frames: 3, label: 1, image_width: 100, image_height: 50, ...traits });
  const sync = createSync(model, 300, new FakeTimers());
  let fits = 0;
  const viewport = { fit: () => fits++, scale: () => 4 };
  const send = (m) => model.send(m);
  const tool = createPromptTool({ model, send, scale: viewport.scale });
  const actions = createActions({ model, send, sync, viewport, tool, summary });
  return { model, actions, tool, fits: () => fits };
}

test("frame and label keys change the traits, clamped, and save them at once", () => {
  const { model, actions } = setup();
  actions["frame+"]();
  assert.equal(model.get("frame"), 1);
  assert.equal(model.saves, 1); // the kernel hears at once
  actions["frame+"]();
  actions["frame+"]();
  assert.equal(model.get("frame"), 2);
  actions["frame-"]();
  assert.equal(model.get("frame"), 1);
  actions["label-"]();
  assert.equal(model.get("label"), 1);
  actions["label+"]();
  assert.equal(model.get("label"), 2);
  model.set("label", MAX_LABEL);
  actions["label+"]();
  assert.equal(model.get("label"), MAX_LABEL);
  assert.equal(model.saves, 7);
});

test("undo and redo are intents; fit is the viewport's; M sets the label it is given at once", () => {
  const { model, actions, fits } = setup();
  actions.undo();
  actions.redo();
  actions.fit();
  assert.deepEqual(
    model.sent.map((m) => m.type),
    ["undo", "redo"],
  );
  assert.equal(fits(), 1);
  const model2 = new FakeModel({ label: 1 });
  const sync = createSync(model2, 300, new FakeTimers());
  const withNext = createActions({ model: model2, send: () => {}, sync, nextLabel: () => 7 });
  withNext["next-label"]();
  assert.equal(model2.get("label"), 7);
  assert.equal(model2.saves, 1); // saved at once, before the next click goes out
});

test("the prompt tool: points on the image, boxes clipped to it, removal a few screen pixels wide", () => {
  const { model, actions, tool } = setup({ frame: 2, label: 9 });
  tool.point(10.5, 20.5, true);
  tool.point(-1, 20, true); // off the image: nothing
  tool.point(100, 50, false); // the far edge is on the image
  tool.box(-5, 10, 120, 60);
  actions.remove({ x: 3, y: 4 });
  assert.deepEqual(model.sent, [
    { type: "point", frame: 2, y: 20.5, x: 10.5, label: 9, positive: true },
    { type: "point", frame: 2, y: 50, x: 100, label: 9, positive: false },
    { type: "box", frame: 2, y0: 10, x0: 0, y1: 50, x1: 100, label: 9 },
    { type: "remove", frame: 2, y: 4, x: 3, tolerance: REMOVE_RADIUS_PX / 4 },
  ]);
});

test("] [ } { jump to the next / previous flagged or prompted frame of a shown label", () => {
  const summary = createSummary();
  // Label 1: prompted at 1, flagged at 6; label 2 (hidden): flagged at 3, prompted at 8.
  const cells = [
    [0, MASK | PROMPTED, 0, 0, 0, 0, FLAGGED, 0, 0, 0],
    [0, 0, 0, FLAGGED, 0, 0, 0, 0, PROMPTED, 0],
  ].flat();
  summary.apply({ type: "timeline", full: true, n_frames: 10, labels: [1, 2] }, [encodeRle(cells)]);
  const { model, actions } = setup({ frame: 4, n_frames: 10, hidden: [2] }, summary);
  actions["next-flag"]();
  assert.equal(model.get("frame"), 6);
  actions["next-flag"](); // none after: stays
  assert.equal(model.get("frame"), 6);
  actions["prev-flag"](); // 3 is label 2's, which is hidden
  assert.equal(model.get("frame"), 6);
  actions["prev-prompt"]();
  assert.equal(model.get("frame"), 1);
  model.set("hidden", []);
  actions["next-prompt"]();
  assert.equal(model.get("frame"), 8);
  assert.equal(model.saves, 3); // each jump saved at once
});

test("space flips the playing trait and saves it", () => {
  const { model, actions } = setup({ playing: false });
  actions.play();
  assert.equal(model.get("playing"), true);
  actions.play();
  assert.equal(model.get("playing"), false);
  assert.equal(model.saves, 2);
});

test("D over a label makes it the current label's mother; over itself or nothing, no message", () => {
  const model = new FakeModel({ label: 2 });
  const sent = [];
  const under = { "10,10": 4, "20,20": 2 };
  const picker = { at: (x, y) => under[`${x},${y}`] ?? 0, pick: () => 0 };
  const actions = createActions({
    model,
    send: (m) => sent.push(m),
    sync: {},
    viewport: {},
    tool: {},
    summary: {},
    picker,
  });
  actions.parent({ x: 10, y: 10 });
  actions.parent({ x: 20, y: 20 });
  actions.parent({ x: 0, y: 0 });
  assert.deepEqual(sent, [{ type: "set_parent", daughter: 2, mother: 4 }]);
});

test("A and N accept and dismiss the proposal the divisions choose; nothing is sent without one", () => {
  const list = proposals({ frames: [4, 4, 6], mothers: [2, 5, 2], daughters: [9, 0, 11] });
  const model = new FakeModel({ frame: 4, label: 5, n_frames: 10 });
  const sync = createSync(model, 300, new FakeTimers());
  const divisions = { here: () => chosen(list, model.get("frame"), model.get("label")) };
  const actions = createActions({ model, send: (m) => model.send(m), sync, divisions });
  actions["accept-division"]();
  model.set("label", 1); // not a mother on frame 4: the first one listed
  actions["dismiss-division"]();
  model.set("frame", 5); // no proposal here
  actions["accept-division"]();
  actions["dismiss-division"]();
  assert.deepEqual(model.sent, [acceptDivision(4, 5), dismissDivision(4, 2)]);
  assert.equal(chosen(list, 6, 1).daughter, 11);
  assert.equal(chosen([], 0, 1), null);
});
