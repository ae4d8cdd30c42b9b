// The prompt tool: clicks, boxes and removals on the image → intents for the kernel.
// Coordinates are image pixels; the label and frame are the model's. A click's marker
// (and a box) is shown at once, before the kernel answers: these optimistic markers go
// when the kernel's answer for their frame is drawn (its labels bring its markers,
// which replace them) or, should no answer come, after OPTIMISTIC_MS.

import { box, point, remove } from "../intents.js";
import { inside } from "../view.js";

/** Screen pixels around the pointer in which a removal finds a prompt, at any zoom. */
export const REMOVE_RADIUS_PX = 8;
/** How long an optimistic marker waits for the kernel's version. */
export const OPTIMISTIC_MS = 5000;

/**
 * A marker drawn before the kernel confirms it: the kernel's prompt fields plus
 * `optimistic` (render.js draws it dashed and fainter).
 * @typedef {({kind: "point", y: number, x: number, positive: boolean} |
 *   {kind: "box", y0: number, x0: number, y1: number, x1: number}) &
 *   {frame: number, label: number, optimistic: true}} Optimistic
 */

/**
 * @param {object} o
 * @param {import("../sync.js").Model} o.model
 * @param {(intent: import("../intents.js").Intent) => void} o.send
 * @param {() => number} o.scale  CSS pixels per image pixel
 * @param {() => void} [o.onChange]  the optimistic markers changed
 * @param {{setTimeout: Function, clearTimeout: Function}} [o.timers]
 */
export function createPromptTool({ model, send, scale, onChange = () => {}, timers = globalThis }) {
  const w = () => model.get("image_width");
  const h = () => model.get("image_height");
  /** @type {Map<Optimistic, any>} marker → its fallback timer */
  const pending = new Map();

  const show = (marker) => {
    const timer = timers.setTimeout(() => {
      pending.delete(marker);
      onChange();
    }, OPTIMISTIC_MS);
    pending.set(marker, timer);
    onChange();
  };
  /** The kernel answered on `frame`: its markers replace the optimistic ones there. */
  const answered = (frame) => {
    const done = [...pending.keys()].filter((m) => m.frame === frame);
    if (done.length === 0) return;
    for (const marker of done) {
      timers.clearTimeout(pending.get(marker));
      pending.delete(marker);
    }
    onChange();
  };

  return {
    /** A click: ignored off the image. */
    point(x, y, positive) {
      if (!inside(x, y, w(), h())) return;
      const m = point(model.get("frame"), y, x, model.get("label"), positive);
      send(m);
      show({ kind: "point", frame: m.frame, label: m.label, y, x, positive, optimistic: true });
    },
    /** A dragged box, clipped to the image. */
    box(x0, y0, x1, y1) {
      const cx = (v) => Math.min(w(), Math.max(0, v));
      const cy = (v) => Math.min(h(), Math.max(0, v));
      const m = box(model.get("frame"), cy(y0), cx(x0), cy(y1), cx(x1), model.get("label"));
      send(m);
      const { frame, label } = m;
      show({ kind: "box", frame, label, y0: m.y0, x0: m.x0, y1: m.y1, x1: m.x1, optimistic: true });
    },
    /** Remove the prompt nearest to (x, y). */
    remove(x, y) {
      send(remove(model.get("frame"), y, x, REMOVE_RADIUS_PX / scale()));
    },
    answered,
    /** @returns {Optimistic[]} the optimistic markers on the frame in view */
    optimistic() {
      const frame = model.get("frame");
      return [...pending.keys()].filter((m) => m.frame === frame);
    },
    dispose() {
      for (const timer of pending.values()) timers.clearTimeout(timer);
      pending.clear();
    },
  };
}
