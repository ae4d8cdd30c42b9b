// The prompt tool: clicks, boxes and removals on the image → intents for the kernel.
// Coordinates are image pixels; the label and frame are the model's.

import { box, point, remove } from "../intents.js";
import { inside } from "../view.js";

/** Screen pixels around the pointer in which a removal finds a prompt, at any zoom. */
export const REMOVE_RADIUS_PX = 8;

/**
 * @param {object} o
 * @param {import("../sync.js").Model} o.model
 * @param {(intent: import("../intents.js").Intent) => void} o.send
 * @param {() => number} o.scale  CSS pixels per image pixel
 */
export function createPromptTool({ model, send, scale }) {
  const w = () => model.get("image_width");
  const h = () => model.get("image_height");
  return {
    /** A click: ignored off the image. */
    point(x, y, positive) {
      if (!inside(x, y, w(), h())) return;
      send(point(model.get("frame"), y, x, model.get("label"), positive));
    },
    /** A dragged box, clipped to the image. */
    box(x0, y0, x1, y1) {
      const cx = (v) => Math.min(w(), Math.max(0, v));
      const cy = (v) => Math.min(h(), Math.max(0, v));
      send(box(model.get("frame"), cy(y0), cx(x0), cy(y1), cx(x1), model.get("label")));
    },
    /** Remove the prompt nearest to (x, y). */
    remove(x, y) {
      send(remove(model.get("frame"), y, x, REMOVE_RADIUS_PX / scale()));
    },
  };
}
