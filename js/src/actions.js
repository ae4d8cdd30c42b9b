// What each key action of keymap.js does. Frame and label changes are saved at once:
// the kernel acts on them (and tests wait for them). Jumps to flagged or prompted
// frames search the shared summary, ignoring hidden labels; play / pause flips the
// `playing` trait, which the player (playback.js) follows.

import { nextLabel, redo, undo } from "./intents.js";
import { FLAGGED, PROMPTED } from "./summary.js";

/** The largest label id (labels are uint16; 0 is background). */
export const MAX_LABEL = 65535;

const clamp = (v, lo, hi) => Math.min(hi, Math.max(lo, v));

/**
 * @param {object} o
 * @param {import("./sync.js").Model} o.model
 * @param {(intent: import("./intents.js").Intent) => void} o.send
 * @param {{now(values: object): void}} o.sync
 * @param {{fit(): void}} o.viewport
 * @param {{remove(x: number, y: number): void}} o.tool
 * @param {{next(frame: number, bit: number, direction: number, skip?: ReadonlySet<number>): number}} o.summary
 * @returns {Record<string, (at: {x: number, y: number} | null) => void>} by action name
 */
export function createActions({ model, send, sync, viewport, tool, summary }) {
  const frame = (f) => sync.now({ frame: clamp(f, 0, model.get("n_frames") - 1) });
  const label = (l) => sync.now({ label: clamp(l, 1, MAX_LABEL) });
  const jump = (bit, direction) => {
    const t = summary.next(model.get("frame"), bit, direction, new Set(model.get("hidden") ?? []));
    if (t >= 0) frame(t);
  };
  return {
    undo: () => send(undo()),
    redo: () => send(redo()),
    "next-label": () => send(nextLabel()),
    "label+": () => label(model.get("label") + 1),
    "label-": () => label(model.get("label") - 1),
    "frame+": () => frame(model.get("frame") + 1),
    "frame-": () => frame(model.get("frame") - 1),
    fit: () => viewport.fit(),
    remove: (at) => tool.remove(at.x, at.y),
    "next-flag": () => jump(FLAGGED, 1),
    "prev-flag": () => jump(FLAGGED, -1),
    "next-prompt": () => jump(PROMPTED, 1),
    "prev-prompt": () => jump(PROMPTED, -1),
    play: () => sync.now({ playing: !model.get("playing") }),
  };
}
