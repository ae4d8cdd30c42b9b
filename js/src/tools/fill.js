// The fill tool: a click sends fill(frame, y, x, label, track); the kernel floods the
// region under it with the label. Clicks off the image are ignored.

import { fill } from "../intents.js";
import { inside } from "../view.js";
import { trackFixOf } from "./traits.js";

/**
 * @param {object} o
 * @param {import("../sync.js").Model} o.model  reads frame, label, track_fix, image_width, image_height
 * @param {import("../intents.js").Send} o.send
 */
export function createFillTool({ model, send }) {
  return {
    /** A click at (x, y) image pixels. */
    fill(x, y) {
      if (!inside(x, y, model.get("image_width"), model.get("image_height"))) return;
      send(fill(model.get("frame"), y, x, model.get("label"), trackFixOf(model)));
    },
  };
}
