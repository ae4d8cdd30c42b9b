// The M key's next label, applied at once in the browser: the click that follows must
// use the label the person saw, not the one the kernel names a round trip later. The
// kernel's `next_label` trait counts every label in use and every edit it holds in its
// queue (widget/labels.py); this adds the labels this view sent that the kernel has not
// counted yet. A sent label leaves the list once `next_label` passes it, so deleting the
// highest label makes M offer it again.

import { listen } from "./sync.js";

/** The intents that add pixels or prompts to their label. */
const claims = (intent) =>
  intent.type === "point" ||
  intent.type === "box" ||
  intent.type === "fill" ||
  (intent.type === "stroke" && !intent.erase);

/**
 * @param {import("./sync.js").Model} model  reads next_label
 * @returns {{wrap(send: import("./intents.js").Send): import("./intents.js").Send, next(): number, dispose(): void}}
 */
export function createNextLabel(model) {
  /** @type {Set<number>} */
  const sent = new Set();
  const known = () => Math.max(1, Number(model.get("next_label")) || 1);
  const prune = () => {
    for (const label of sent) if (label < known()) sent.delete(label);
  };
  const off = listen(model, ["next_label"], prune);
  return {
    /** `send`, noting the label of every intent that claims one. */
    wrap: (send) => (intent, buffers) => {
      if (claims(intent) && Number.isInteger(intent.label) && intent.label >= known()) sent.add(intent.label);
      return send(intent, buffers);
    },
    /** One more than the largest label in use, queued, or sent from here. */
    next: () => Math.max(known(), ...[...sent].map((label) => label + 1)),
    dispose: off,
  };
}
