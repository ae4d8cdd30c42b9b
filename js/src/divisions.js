// Proposed divisions (the kernel's widget/divisions.py sends them whole as a
// "divisions" message after edits and propagations): a mark on the mother's timeline
// row at the proposal's frame, a "÷ 12" badge on her object-list row (a click shows
// that frame with the mother current), and a bar that names the proposals on the frame
// shown with Accept and Dismiss buttons (both one undo step in the kernel; keys A and N
// act on `here()`, see actions.js). A proposal changes nothing until it is accepted.

import { bindEvents, listen, put } from "./sync.js";
import { frameNumber, plural } from "./words.js";

/**
 * Accept the division proposed on `frame` for `mother`.
 * @typedef {object} AcceptDivision
 * @property {"accept_division"} type
 * @property {number} frame int
 * @property {number} mother int
 */

/**
 * Not a division: the proposal on `frame` for `mother` is not made again.
 * @typedef {object} DismissDivision
 * @property {"dismiss_division"} type
 * @property {number} frame int
 * @property {number} mother int
 */

/** @returns {AcceptDivision} */
export function acceptDivision(frame, mother) {
  return { type: "accept_division", frame, mother };
}

/** @returns {DismissDivision} */
export function dismissDivision(frame, mother) {
  return { type: "dismiss_division", frame, mother };
}

/** The mark's colours: a yellow diamond with a dark edge, over any label colour. */
export const MARK = "#ffd400";
const EDGE = "#000";

/** @typedef {{frame: number, mother: number, daughter: number}} Proposal  daughter 0: two parts of one id */

/** A "divisions" message as proposals, by frame. @returns {Proposal[]} */
export function proposals(msg) {
  const { frames = [], mothers = [], daughters = [] } = msg ?? {};
  return frames.map((frame, i) => ({ frame, mother: mothers[i], daughter: daughters[i] ?? 0 }));
}

/** What the bar says of one proposal. */
export function sentence(p) {
  const into = p.daughter ? `${p.mother} and ${p.daughter}` : "two parts";
  return `÷ label ${p.mother} divides here (into ${into})`;
}

/**
 * The proposal the keys act on: on `frame`, mother `label`'s if she has one there, else
 * the first listed; null when the frame has none.
 * @param {Proposal[]} list @param {number} frame @param {number} label
 * @returns {Proposal | null}
 */
export function chosen(list, frame, label) {
  const shown = list.filter((p) => p.frame === frame);
  return shown.find((p) => p.mother === label) ?? shown[0] ?? null;
}

/**
 * Diamonds on the timeline canvas, one per proposal whose mother's row is shown.
 * @param {CanvasRenderingContext2D} ctx
 * @param {Proposal[]} list
 * @param {{range: {x0: number, x1: number}, rows: number[], rowPx: number, width: number, dpr: number}} o
 *   rows: the label of each row drawn, top to bottom
 */
export function paintMarks(ctx, list, { range, rows, rowPx, width, dpr }) {
  if (!list.length) return;
  const at = new Map(rows.map((label, i) => [label, i]));
  const step = width / (range.x1 - range.x0);
  const r = Math.max(3 * dpr, Math.min(rowPx / 2, 6 * dpr)); // visible on 2 px rows too
  ctx.fillStyle = MARK;
  ctx.strokeStyle = EDGE;
  ctx.lineWidth = Math.max(1, dpr);
  for (const p of list) {
    const i = at.get(p.mother);
    if (i === undefined || p.frame < range.x0 || p.frame >= range.x1) continue;
    const x = (p.frame - range.x0 + 0.5) * step;
    const y = (i + 0.5) * rowPx;
    ctx.beginPath();
    ctx.moveTo(x, y - r);
    ctx.lineTo(x + r, y);
    ctx.lineTo(x, y + r);
    ctx.lineTo(x - r, y);
    ctx.closePath();
    ctx.fill();
    ctx.stroke();
  }
}

/**
 * @param {object} o
 * @param {import("./sync.js").Model} o.model  reads frame, label
 * @param {{now(values: Record<string, any>): void}} o.sync
 * @param {(intent: any) => void} o.send
 * @param {(node: HTMLElement, values: Record<string, string>) => void} [o.report]  debug hooks
 */
export function createDivisions({ model, sync, send, report = () => {} }) {
  let list = [];
  let byMother = new Map();
  const listeners = new Set();
  const el = Object.assign(document.createElement("div"), { className: "sam2j-divisions", hidden: true });
  el.style.cssText = "display:flex;flex-direction:column;gap:2px";

  function render() {
    const frame = model.get("frame");
    const here = list.filter((p) => p.frame === frame);
    report(el, { divisions: String(list.length), divisionsHere: here.map((p) => p.mother).join(",") });
    if (here.length === 0 && el.hidden) return; // none shown before or now: the page stays
    el.replaceChildren(
      ...here.map((p) => {
        const row = document.createElement("div");
        row.className = "sam2j-division";
        row.style.cssText = "display:flex;align-items:center;gap:6px";
        const text = document.createElement("span");
        text.textContent = sentence(p);
        text.style.color = "#8a6d00";
        row.append(text, button("Accept", "accept", p), button("Dismiss", "dismiss", p));
        return row;
      }),
    );
    el.hidden = here.length === 0;
  }

  function button(label, action, p) {
    const b = document.createElement("button");
    b.type = "button";
    b.className = `sam2j-division-${action}`;
    b.textContent = label;
    b.dataset.frame = String(p.frame);
    b.dataset.mother = String(p.mother);
    b.title =
      action === "accept"
        ? `make it lineage: the daughters get label ${p.mother} as their mother (key A; Ctrl+Z undoes it)`
        : "not a division: it is not proposed again (key N; Ctrl+Z undoes it)";
    return b;
  }

  const click = (e) => {
    const b = e.target.closest?.("button");
    if (!b) return;
    const [frame, mother] = [Number(b.dataset.frame), Number(b.dataset.mother)];
    const accept = b.classList.contains("sam2j-division-accept");
    send(accept ? acceptDivision(frame, mother) : dismissDivision(frame, mother));
  };
  const offs = [bindEvents(el, [["click", click]]), listen(model, ["frame"], render)];
  render();

  return {
    el,
    /** Take a "divisions" message. */
    apply(msg) {
      list = proposals(msg);
      byMother = new Map();
      for (const p of list) byMother.set(p.mother, [...(byMother.get(p.mother) ?? []), p]);
      render();
      for (const fn of listeners) fn();
    },
    /** The proposal keys A / N act on (see chosen). @returns {Proposal | null} */
    here: () => chosen(list, model.get("frame"), model.get("label")),
    /** Every proposal. @returns {Proposal[]} */
    all: () => list,
    /** The proposals of mother `label`, by frame. @returns {Proposal[]} */
    of: (label) => byMother.get(label) ?? [],
    /** @param {() => void} fn @returns {() => void} off */
    subscribe(fn) {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
    /** The timeline's marks (see paintMarks). */
    paint: (ctx, o) => paintMarks(ctx, list, o),
    /** An object-list row's badge: "÷ 12" (the first proposal's frame), "" for none. */
    badge(node, label) {
      const mine = byMother.get(label) ?? [];
      const text = mine.length ? `÷ ${frameNumber(mine[0].frame)}${mine.length > 1 ? "…" : ""}` : "";
      put(node, "textContent", text);
      if (!node.style.color) node.style.cssText = "color:#8a6d00;cursor:pointer;font-variant-numeric:tabular-nums";
      const frames = mine.map((p) => frameNumber(p.frame)).join(", ");
      node.title = mine.length ? `${plural(mine.length, "proposed division")} (frame ${frames}): click to see` : "";
    },
    /** A badge's click: the mother's next proposal after the frame shown (then the
     * first again), with her the current label. */
    seek(label) {
      const mine = byMother.get(label) ?? [];
      const p = mine.find((q) => q.frame > model.get("frame")) ?? mine[0];
      if (p) sync.now({ frame: p.frame, label });
    },
    dispose() {
      for (const off of offs) off();
      listeners.clear();
    },
  };
}
