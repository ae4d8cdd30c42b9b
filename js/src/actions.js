// What each key action of keymap.js does. Frame and label changes are saved at once:
// the kernel acts on them (and tests wait for them). Jumps to flagged or prompted
// frames search the shared summary, ignoring hidden labels; play / pause flips the
// `playing` trait, which the player (playback.js) follows. Tool keys set the `tool`
// trait (through the tool state, which also ends a pending pick); the brush size keys
// step `brush_size`; `d` over a label makes it the current label's mother; `a` / `n`
// accept / dismiss the division proposed on the frame shown (the current label's, if she
// is a mother there; else the first one the bar lists).

import { acceptDivision, dismissDivision } from "./divisions.js";
import { redo, setParent, undo } from "./intents.js";
import { FLAGGED, PROMPTED } from "./summary.js";
import { brushSizeOf, hiddenOf, stepBrushSize } from "./tools/traits.js";

/** The largest label id (labels are uint16; 0 is background). */
export const MAX_LABEL = 65535;

const clamp = (v, lo, hi) => Math.min(hi, Math.max(lo, v));

/**
 * @param {object} o
 * @param {import("./sync.js").Model} o.model
 * @param {(intent: import("./intents.js").Intent) => void} o.send
 * @param {{now(values: object): void}} o.sync
 * @param {{fit(): void}} o.viewport
 * @param {{remove(x: number, y: number): void}} o.tool  the prompt tool
 * @param {{next(frame: number, bit: number, direction: number, skip?: ReadonlySet<number>): number}} o.summary
 * @param {{set(tool: import("./tools/traits.js").Tool): void}} o.tools  the tool state
 * @param {{pick(x: number, y: number): number, at(x: number, y: number): number}} o.picker
 * @param {() => number} [o.nextLabel]  the label M picks (labels.js)
 * @param {{here(): import("./divisions.js").Proposal | null}} [o.divisions]  the proposal A / N act on
 * @returns {Record<string, (at: {x: number, y: number} | null) => void>} by action name
 */
export function createActions({
  model,
  send,
  sync,
  viewport,
  tool,
  summary,
  tools,
  picker,
  nextLabel = () => 1,
  divisions = null,
}) {
  const frame = (f) => sync.now({ frame: clamp(f, 0, model.get("n_frames") - 1) });
  const label = (l) => sync.now({ label: clamp(l, 1, MAX_LABEL) });
  const jump = (bit, direction) => {
    const t = summary.next(model.get("frame"), bit, direction, hiddenOf(model));
    if (t >= 0) frame(t);
  };
  const division = (make) => {
    const p = divisions?.here();
    if (p) send(make(p.frame, p.mother));
  };
  return {
    undo: () => send(undo()),
    redo: () => send(redo()),
    "next-label": () => label(nextLabel()),
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
    "tool-prompt": () => tools.set("prompt"),
    "tool-brush": () => tools.set("brush"),
    "tool-eraser": () => tools.set("eraser"),
    "tool-fill": () => tools.set("fill"),
    pick: (at) => picker.pick(at.x, at.y),
    // The label under the pointer is the current label's mother (a division).
    parent: (at) => {
      const mother = picker.at(at.x, at.y);
      if (mother && mother !== model.get("label")) send(setParent(model.get("label"), mother));
    },
    "accept-division": () => division(acceptDivision),
    "dismiss-division": () => division(dismissDivision),
    "brush-smaller": () => sync.now({ brush_size: stepBrushSize(brushSizeOf(model), -1) }),
    "brush-larger": () => sync.now({ brush_size: stepBrushSize(brushSizeOf(model), 1) }),
  };
}
