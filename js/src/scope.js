// Where the annotator's keys act: anywhere inside the annotator (the canvas, its tool
// bar, timeline and object list, and the panel of ipywidgets beside it), and nowhere
// else. Inside, no key reaches JupyterLab's command shortcuts (in command mode `m`
// would turn the cell into Markdown, `d d` delete it, `0 0` restart the kernel): the
// annotator's root and whatever has focus in it carry Lumino's
// `data-lm-suppress-shortcuts`. A key pressed while one of the annotator's controls
// has focus acts as on the canvas, unless the control needs it itself (typing in a
// field, Space on a button, arrows on a slider), and a click on a control hands focus
// back to the canvas. A press outside the annotator takes focus out of it, and there
// JupyterLab's keys work.

import { bindEvents } from "./sync.js";

/** The class the kernel gives the annotator's outermost box (canvas + panel). */
export const ROOT_CLASS = "sam2j-annotator";

const SUPPRESS = "data-lm-suppress-shortcuts";
const TEXT_INPUTS = new Set(["text", "number", "search", "email", "password", "url", "tel", ""]);
const SLIDER_KEYS = new Set(["ArrowLeft", "ArrowRight", "ArrowUp", "ArrowDown", "Home", "End", "PageUp", "PageDown"]);

/**
 * @typedef {object} Target  the parts of a DOM element the rule reads
 * @property {string} tagName
 * @property {string} [type]  an input's type
 * @property {boolean} [isContentEditable]
 * @property {(name: string) => string | null} [getAttribute]
 */

/** An element that takes typing (a field, a drop-down): every key is its own. */
export function typing(target) {
  const tag = target.tagName?.toUpperCase();
  if (tag === "TEXTAREA" || tag === "SELECT" || target.isContentEditable) return true;
  return tag === "INPUT" && TEXT_INPUTS.has((target.type ?? "").toLowerCase());
}

/**
 * Whether a key pressed on `target` belongs to the control itself rather than to the
 * annotator's key table.
 * @param {Target} target
 * @param {{key: string}} event
 * @returns {boolean}
 */
export function ownKey(target, event) {
  if (typing(target)) return true;
  const tag = target.tagName?.toUpperCase();
  const role = target.getAttribute?.("role");
  const type = (target.type ?? "").toLowerCase();
  if (tag === "BUTTON" || role === "button" || type === "checkbox" || type === "radio") {
    return event.key === "Enter" || event.key === " ";
  }
  if (role === "slider" || type === "range") return SLIDER_KEYS.has(event.key);
  return false;
}

const KEY_FIELDS = ["key", "code", "ctrlKey", "metaKey", "shiftKey", "altKey", "repeat"];

/**
 * @param {object} o
 * @param {HTMLElement} o.el  the widget's own element (inside the annotator's root)
 * @param {HTMLElement} o.canvas  the focusable image canvas whose keydown runs the key table
 * @returns {() => void} dispose
 */
export function mountKeyScope({ el, canvas }) {
  const doc = el.ownerDocument;
  let root = null;
  /** The annotator's root, once the panel's box holds this widget (found lazily: the
   * box attaches its children after they render); the widget alone otherwise. */
  const scope = () => {
    const now = el.closest(`.${ROOT_CLASS}`) ?? el;
    if (now !== root) {
      root?.removeAttribute(SUPPRESS);
      root = now;
      root.setAttribute(SUPPRESS, "true");
    }
    return root;
  };
  scope();
  /** Lumino walks up from the focused element and stops at the first that either
   * matches a shortcut's selector or carries the attribute; command-mode selectors
   * match any focused descendant of the notebook, so the focused element itself must
   * carry it, not only the root. */
  const mark = (e) => {
    if (scope().contains(e.target)) e.target.setAttribute?.(SUPPRESS, "true");
  };
  const inside = (node) => node instanceof Node && scope().contains(node) && !canvas.contains(node);

  /** A press outside the annotator takes its keys out too: JupyterLab keeps focus
   * where it is when the press is on the annotator's own cell, so the press's nearest
   * focusable ancestor (that cell) gets it, or nothing does. */
  const leave = (e) => {
    const active = doc.activeElement;
    if (!(e.target instanceof Element) || !active || scope().contains(e.target) || !scope().contains(active)) return;
    const next = e.target.closest("[tabindex]");
    if (next && !scope().contains(next)) next.focus({ preventScroll: true });
    else active.blur?.();
  };
  const refocus = (e) => {
    if (inside(e.target) && !typing(e.target)) canvas.focus({ preventScroll: true });
  };
  const key = (e) => {
    if (!inside(e.target) || ownKey(e.target, e)) return;
    const init = Object.fromEntries(KEY_FIELDS.map((name) => [name, e[name]]));
    const forwarded = new KeyboardEvent("keydown", { ...init, cancelable: true });
    canvas.focus({ preventScroll: true });
    canvas.dispatchEvent(forwarded);
    if (forwarded.defaultPrevented) {
      e.preventDefault();
      e.stopPropagation();
    }
  };
  // focusin: marked before the first key reaches it.
  const offDoc = bindEvents(doc, [
    ["focusin", mark, true],
    ["pointerdown", leave, true],
    ["pointerup", refocus, true],
    ["keydown", key, true],
  ]);
  return () => {
    offDoc();
    for (const node of [root, ...root.querySelectorAll(`[${SUPPRESS}]`)]) node.removeAttribute(SUPPRESS);
  };
}
