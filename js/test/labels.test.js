import assert from "node:assert/strict";
import test from "node:test";

import { createNextLabel } from "../src/labels.js";
import { LiveModel } from "./fakes.js";

function setup(nextLabel = 5) {
  const model = new LiveModel({ next_label: nextLabel });
  const labels = createNextLabel(model);
  const out = [];
  const send = labels.wrap((intent, buffers) => out.push([intent, buffers]));
  return { model, labels, send, out };
}

test("M counts the labels this view sent that the kernel has not counted yet", () => {
  const { labels, send, out } = setup(5);
  assert.equal(labels.next(), 5);
  send({ type: "point", label: 5 });
  assert.equal(labels.next(), 6); // the kernel has not answered: the click still counts
  send({ type: "box", label: 9 });
  assert.equal(labels.next(), 10);
  send({ type: "fill", label: 12 }, ["b"]);
  assert.equal(labels.next(), 13);
  assert.equal(out.length, 3);
  assert.deepEqual(out[2][1], ["b"]); // intents and buffers pass through unchanged
});

test("erasing, removals and other intents claim no label", () => {
  const { labels, send } = setup(3);
  send({ type: "stroke", label: 8, erase: true });
  send({ type: "remove", label: 9 });
  send({ type: "undo" });
  assert.equal(labels.next(), 3);
  send({ type: "stroke", label: 8, erase: false });
  assert.equal(labels.next(), 9);
});

test("once the kernel counts a sent label it leaves the list: deleting it frees it again", () => {
  const { model, labels, send } = setup(1);
  send({ type: "point", label: 7 });
  model.set("next_label", 8); // the kernel ran it
  assert.equal(labels.next(), 8);
  model.set("next_label", 7); // label 7 deleted from the object list
  assert.equal(labels.next(), 7);
  labels.dispose();
  assert.equal(model.count("change:next_label"), 0);
});
