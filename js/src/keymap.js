// Keys → named actions, as data. Pure: what an action does lives in actions.js, and
// input.js only asks this table. Keys act while focus is anywhere in the annotator
// (scope.js says where, and keeps them from JupyterLab there).
//   Ctrl/Cmd+Z undo (prompts, strokes, fills), Ctrl/Cmd+Shift+Z or Ctrl/Cmd+Y redo;
//   + / - next / previous label id, M next unused label; → . / ← , next / previous
//   frame; 0 fit; ] [ next / previous flagged frame, } { next / previous prompted one;
//   space play / pause; Delete or Backspace remove the prompt under the pointer;
//   P prompt tool, B brush, E eraser, F fill; I picks the label under the pointer;
//   < / > brush smaller / larger; D makes the label under the pointer the current
//   label's mother; A / N accept / dismiss the division proposed on the frame shown.

/**
 * @typedef {object} Binding
 * @property {string} key KeyboardEvent.key; a letter matches either case
 * @property {"" | "mod" | "mod+shift"} mods "mod" is Ctrl, or Cmd on a Mac. Without
 *   "mod", Shift is ignored: the key value already says whether Shift was held ("+" or
 *   "="), and keyboard layouts differ in which symbols need it. Alt is always ignored.
 * @property {string} action
 * @property {boolean} [atPointer] acts on the image point under the pointer, so does
 *   nothing (and lets the key through) while the pointer is off the canvas
 */

/** @type {readonly Binding[]} */
export const KEYMAP = Object.freeze([
  { key: "z", mods: "mod", action: "undo" },
  { key: "z", mods: "mod+shift", action: "redo" },
  { key: "y", mods: "mod", action: "redo" },
  { key: "y", mods: "mod+shift", action: "redo" },
  { key: "+", mods: "", action: "label+" },
  { key: "=", mods: "", action: "label+" },
  { key: "-", mods: "", action: "label-" },
  { key: "_", mods: "", action: "label-" },
  { key: "m", mods: "", action: "next-label" },
  { key: "ArrowRight", mods: "", action: "frame+" },
  { key: ".", mods: "", action: "frame+" },
  { key: "ArrowLeft", mods: "", action: "frame-" },
  { key: ",", mods: "", action: "frame-" },
  { key: "0", mods: "", action: "fit" },
  { key: "]", mods: "", action: "next-flag" },
  { key: "[", mods: "", action: "prev-flag" },
  { key: "}", mods: "", action: "next-prompt" },
  { key: "{", mods: "", action: "prev-prompt" },
  { key: " ", mods: "", action: "play" },
  { key: "Delete", mods: "", action: "remove", atPointer: true },
  { key: "Backspace", mods: "", action: "remove", atPointer: true },
  { key: "p", mods: "", action: "tool-prompt" },
  { key: "b", mods: "", action: "tool-brush" },
  { key: "e", mods: "", action: "tool-eraser" },
  { key: "f", mods: "", action: "tool-fill" },
  { key: "i", mods: "", action: "pick", atPointer: true },
  { key: "d", mods: "", action: "parent", atPointer: true },
  { key: "a", mods: "", action: "accept-division" },
  { key: "n", mods: "", action: "dismiss-division" },
  { key: "<", mods: "", action: "brush-smaller" },
  { key: ">", mods: "", action: "brush-larger" },
]);

/**
 * A key event as the table spells it.
 * @param {{key: string, ctrlKey?: boolean, metaKey?: boolean, shiftKey?: boolean}} event
 * @returns {{key: string, mods: string}}
 */
export function chord(event) {
  const key = event.key.length === 1 ? event.key.toLowerCase() : event.key;
  if (!(event.ctrlKey || event.metaKey)) return { key, mods: "" };
  return { key, mods: event.shiftKey ? "mod+shift" : "mod" };
}

const normalise = (b) => ({ key: b.key.length === 1 ? b.key.toLowerCase() : b.key, mods: b.mods });
const id = ({ key, mods }) => `${mods} ${key}`;

/**
 * Index a key table; two bindings for one chord are a mistake in the table.
 * @param {readonly Binding[]} keymap
 * @returns {Map<string, Binding>}
 */
export function indexKeymap(keymap) {
  const index = new Map();
  for (const binding of keymap) {
    const k = id(normalise(binding));
    if (index.has(k)) throw new Error(`key ${k.trim()} is bound twice`);
    index.set(k, binding);
  }
  return index;
}

const DEFAULT_INDEX = indexKeymap(KEYMAP);

/**
 * The binding for a key event, or null when the key is not ours (the browser and
 * JupyterLab then handle it as usual).
 * @param {{key: string, ctrlKey?: boolean, metaKey?: boolean, shiftKey?: boolean}} event
 * @param {Map<string, Binding>} [index] from indexKeymap
 * @returns {Binding | null}
 */
export function lookup(event, index = DEFAULT_INDEX) {
  if (typeof event.key !== "string" || event.key === "") return null;
  return index.get(id(chord(event))) ?? null;
}
