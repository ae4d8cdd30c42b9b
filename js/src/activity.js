// The user is about to act: as a pointer goes down on the image, the kernel hears it
// before the click, box or stroke is finished, so its background work (the feature
// precompute) has stepped aside by the time the action arrives instead of after.
// At most one hint per `every` milliseconds (a double click sends one).

import { active } from "./intents.js";
import { bindEvents } from "./sync.js";

/**
 * @param {EventTarget} target  the image canvas
 * @param {(intent: import("./intents.js").Intent) => void} send
 * @param {{every?: number, now?: () => number}} [o]
 * @returns {() => void} cleanup
 */
export function mountActivityHints(target, send, { every = 100, now = () => performance.now() } = {}) {
  let last = Number.NEGATIVE_INFINITY;
  const hint = () => {
    const t = now();
    if (t - last < every) return;
    last = t;
    send(active());
  };
  return bindEvents(target, [["pointerdown", hint]]);
}
