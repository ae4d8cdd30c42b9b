import assert from "node:assert/strict";
import test from "node:test";

import { ownKey, typing } from "../src/scope.js";

const el = (tagName, { type, role, editable = false } = {}) => ({
  tagName,
  type,
  isContentEditable: editable,
  getAttribute: (name) => (name === "role" ? (role ?? null) : null),
});

test("fields and drop-downs keep every key", () => {
  for (const target of [el("INPUT", { type: "text" }), el("INPUT", { type: "number" }), el("TEXTAREA"), el("SELECT")]) {
    assert.ok(typing(target));
    for (const key of ["m", "0", "ArrowRight", " ", "d"]) assert.ok(ownKey(target, { key }), key);
  }
  assert.ok(typing(el("DIV", { editable: true })));
});

test("buttons keep Enter and Space, sliders their arrows; other keys are the annotator's", () => {
  for (const target of [el("BUTTON"), el("DIV", { role: "button" }), el("INPUT", { type: "checkbox" })]) {
    assert.ok(!typing(target));
    assert.ok(ownKey(target, { key: "Enter" }));
    assert.ok(ownKey(target, { key: " " }));
    for (const key of ["m", "b", "0", "ArrowRight", "+"]) assert.ok(!ownKey(target, { key }), key);
  }
  for (const target of [el("DIV", { role: "slider" }), el("INPUT", { type: "range" })]) {
    for (const key of ["ArrowLeft", "ArrowRight", "Home", "PageDown"]) assert.ok(ownKey(target, { key }), key);
    for (const key of ["m", " ", "]", "0"]) assert.ok(!ownKey(target, { key }), key);
  }
  for (const key of ["m", "ArrowRight", " "]) assert.ok(!ownKey(el("DIV"), { key }), key);
});
