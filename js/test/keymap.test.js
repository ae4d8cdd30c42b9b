import assert from "node:assert/strict";
import test from "node:test";

import { createActions } from "../src/actions.js";
import { chord, indexKeymap, KEYMAP, lookup } from "../src/keymap.js";

const key = (k, mods = {}) => ({ key: k, ctrlKey: false, metaKey: false, shiftKey: false, altKey: false, ...mods });
const action = (k, mods) => lookup(key(k, mods))?.action ?? null;

test("undo and redo with Ctrl or Cmd", () => {
  for (const mod of [{ ctrlKey: true }, { metaKey: true }]) {
    assert.equal(action("z", mod), "undo");
    assert.equal(action("Z", mod), "undo"); // Caps Lock
    assert.equal(action("Z", { ...mod, shiftKey: true }), "redo");
    assert.equal(action("z", { ...mod, shiftKey: true }), "redo");
    assert.equal(action("y", mod), "redo");
    assert.equal(action("Y", { ...mod, shiftKey: true }), "redo");
    assert.equal(action("z", { ...mod, altKey: true }), "undo");
  }
  assert.equal(action("z"), null); // a bare z is not undo
  assert.equal(action("y"), null);
});

test("labels, frames, fit, next label, flag and prompt jumps, play", () => {
  const cases = {
    "+": "label+",
    "=": "label+",
    "-": "label-",
    _: "label-",
    m: "next-label",
    M: "next-label",
    ArrowRight: "frame+",
    ".": "frame+",
    ArrowLeft: "frame-",
    ",": "frame-",
    0: "fit",
    "]": "next-flag",
    "[": "prev-flag",
    "}": "next-prompt",
    "{": "prev-prompt",
    " ": "play",
  };
  for (const [k, expected] of Object.entries(cases)) {
    assert.equal(action(k), expected, k);
    // Shift and Alt do not change keys without Ctrl/Cmd (the key value carries Shift).
    assert.equal(action(k, { shiftKey: true }), expected, `Shift+${k}`);
    assert.equal(action(k, { altKey: true }), expected, `Alt+${k}`);
  }
});

test("with Ctrl or Cmd only undo and redo are ours (browser zoom, tabs stay the browser's)", () => {
  for (const k of [
    "+",
    "-",
    "0",
    "ArrowRight",
    "ArrowLeft",
    "m",
    "Delete",
    "a",
    "c",
    "v",
    "[",
    "]",
    "{",
    "}",
    " ",
    "i",
  ]) {
    assert.equal(action(k, { ctrlKey: true }), null, `Ctrl+${k}`);
    assert.equal(action(k, { metaKey: true, shiftKey: true }), null, `Cmd+Shift+${k}`);
  }
});

test("Delete and Backspace remove the prompt under the pointer; I picks the label under it; D marks it the mother", () => {
  for (const k of ["Delete", "Backspace"]) {
    const b = lookup(key(k));
    assert.equal(b.action, "remove");
    assert.equal(b.atPointer, true);
  }
  assert.deepEqual(lookup(key("i")), { key: "i", mods: "", action: "pick", atPointer: true });
  assert.equal(action("I", { shiftKey: true }), "pick");
  assert.deepEqual(
    KEYMAP.filter((b) => b.atPointer).map((b) => b.action),
    ["remove", "remove", "pick", "parent"],
  );
  assert.deepEqual(lookup(key("d")), { key: "d", mods: "", action: "parent", atPointer: true });
});

test("tool keys P B E F, brush size < >, division keys A N", () => {
  const cases = {
    a: "accept-division",
    n: "dismiss-division",
    p: "tool-prompt",
    b: "tool-brush",
    e: "tool-eraser",
    f: "tool-fill",
    "<": "brush-smaller",
    ">": "brush-larger",
  };
  for (const [k, expected] of Object.entries(cases)) {
    assert.equal(action(k), expected, k);
    assert.equal(action(k, { shiftKey: true }), expected, `Shift+${k}`);
    assert.equal(action(k, { ctrlKey: true }), null, `Ctrl+${k}`); // Ctrl+P prints, Ctrl+F finds
  }
  assert.equal(action("P", { shiftKey: true }), "tool-prompt");
  assert.equal(action(","), "frame-"); // "<" is Shift+"," on many layouts: the key value tells them apart
  assert.equal(action("."), "frame+");
});

test("other keys are not ours", () => {
  for (const k of ["c", "Enter", "Escape", "Tab", "1", "ArrowUp", "Shift", "", "Unidentified"]) {
    assert.equal(action(k), null, k);
  }
  assert.equal(lookup({}), null);
});

test("chord spells events as the table does", () => {
  assert.deepEqual(chord(key("M", { shiftKey: true })), { key: "m", mods: "" });
  assert.deepEqual(chord(key("Z", { metaKey: true, shiftKey: true })), { key: "z", mods: "mod+shift" });
  assert.deepEqual(chord(key("ArrowLeft", { ctrlKey: true })), { key: "ArrowLeft", mods: "mod" });
});

test("the table binds each chord once, to an action that exists", () => {
  assert.doesNotThrow(() => indexKeymap(KEYMAP));
  assert.throws(() => indexKeymap([...KEYMAP, { key: "M", mods: "", action: "fit" }]), /bound twice/);
  const none = { model: null, send: null, sync: null, viewport: null, tool: null, summary: null };
  const actions = createActions({ ...none, tools: null, picker: null });
  for (const b of KEYMAP) assert.equal(typeof actions[b.action], "function", b.action);
  assert.ok(Object.isFrozen(KEYMAP));
});
