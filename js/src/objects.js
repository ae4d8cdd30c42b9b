// The object list under the timeline: one row per label of the summary with its colour,
// id, frames covered and flagged frames; the current label's row is highlighted. A
// click on a row makes its label current; the eye checkbox (checked = shown) edits the
// synced `hidden` trait; × sends delete_label (the kernel makes it undoable, so no
// confirm dialog); a daughter shows "↳ mother" (the `parents` trait), a click on it
// removes the link. Rows are kept per label and only their changed text is touched;
// only the rows in view are in the DOM (rowwindow.js: with 300 objects the list adds
// nothing to a frame switch), the current label's row is scrolled into view when the label changes, and
// updates are coalesced to one per animation frame.

import { labelColor } from "./codecs.js";
import { deleteLabel, setParent } from "./intents.js";
import { createRowWindow } from "./rowwindow.js";
import { perFrame } from "./schedule.js";
import { bindEvents, listen, put } from "./sync.js";
import { hiddenOf } from "./tools/traits.js";
import { frameSpan, plural } from "./words.js";

/**
 * @typedef {object} ObjectRow
 * @property {number} label
 * @property {string} colour  CSS colour of the label
 * @property {number} frames  frames with a mask
 * @property {string} span  first–last frame with a mask (0-based, see words.js); "" if none
 * @property {number} flags  flagged frames
 * @property {boolean} current
 * @property {boolean} hidden
 * @property {number} parent  the mother's label after a division, 0 if none
 */

/**
 * What the list shows, from the summary and the current label / hidden labels.
 * @param {{labels: number[], stats(label: number): {frames: number, first: number, last: number, flags: number}}} summary
 * @param {{label: number, hidden: ReadonlySet<number>, parents?: Record<string, number>}} state
 * @returns {ObjectRow[]}
 */
export function objectRows(summary, { label, hidden, parents = {} }) {
  return summary.labels.map((id) => {
    const s = summary.stats(id);
    const [r, g, b] = labelColor(id);
    return {
      label: id,
      colour: `rgb(${r}, ${g}, ${b})`,
      frames: s.frames,
      span: s.frames ? frameSpan(s.first, s.last) : "",
      flags: s.flags,
      current: id === label,
      hidden: hidden.has(id),
      parent: parents[String(id)] ?? 0,
    };
  });
}

/** The hidden list with `label` shown (`show`) or hidden, sorted. @returns {number[]} */
export function toggleHidden(hidden, label, show) {
  const next = new Set(hidden);
  if (show) next.delete(label);
  else next.add(label);
  return [...next].sort((a, b) => a - b);
}

function child(parent, tag, className) {
  const node = document.createElement(tag);
  node.className = className;
  parent.append(node);
  return node;
}

/** A row's elements, built once per label. */
function buildRow(label) {
  const row = document.createElement("div");
  row.className = "sam2j-object";
  row.dataset.label = String(label);
  const eye = child(row, "input", "sam2j-object-hide");
  eye.type = "checkbox";
  eye.title = `show / hide label ${label}`;
  const swatch = child(row, "span", "sam2j-object-swatch");
  child(row, "span", "sam2j-object-id").textContent = String(label);
  const parent = child(row, "span", "sam2j-object-parent");
  const division = child(row, "span", "sam2j-object-division");
  const frames = child(row, "span", "sam2j-object-frames");
  const flags = child(row, "span", "sam2j-object-flags");
  const del = child(row, "button", "sam2j-object-delete");
  del.type = "button";
  del.textContent = "×";
  del.title = `delete label ${label} (undo brings it back)`;
  return { row, eye, swatch, parent, division, frames, flags };
}

function updateRow(r, d) {
  put(r.swatch.style, "background", d.colour);
  put(r.eye, "checked", !d.hidden);
  put(r.parent, "textContent", d.parent ? `↳ ${d.parent}` : "");
  put(r.parent, "title", d.parent ? `divided from ${d.parent} (click to undo the link)` : "");
  put(r.frames, "textContent", d.frames ? `${plural(d.frames, "frame")} · ${d.span}` : "no frames");
  put(r.flags, "textContent", d.flags ? `⚑ ${d.flags}` : "");
  put(r.flags, "title", d.flags ? `${plural(d.flags, "flagged frame")}` : "");
  r.row.classList.toggle("sam2j-object-current", d.current);
  r.row.classList.toggle("sam2j-object-hidden", d.hidden);
}

/**
 * @param {object} o
 * @param {import("./sync.js").Model} o.model  reads label, hidden
 * @param {{now(values: Record<string, any>): void}} o.sync
 * @param {(intent: import("./intents.js").Intent) => void} o.send
 * @param {import("./summary.js").Summary} o.summary
 * @param {{keep(label: number): boolean, subscribe(fn: () => void): () => void}} [o.filter]  rows shown
 * @param {{badge(node: HTMLElement, label: number): void, seek(label: number): void,
 *   subscribe(fn: () => void): () => void}} [o.marks]  proposed divisions (divisions.js)
 * @param {(node: HTMLElement, values: Record<string, string>) => void} [o.report]  debug
 *   hooks (data-objects) on the list after each update
 * @returns {{el: HTMLElement, dispose(): void}}
 */
export function createObjects({ model, sync, send, summary, filter, marks, report = () => {} }) {
  const el = document.createElement("div");
  el.className = "sam2j-objects";
  const empty = child(el, "div", "sam2j-objects-empty");
  empty.textContent = "no objects yet: click the image to start one";
  /** @type {Map<number, ReturnType<typeof buildRow>>} */
  const rows = new Map();
  const hidden = () => model.get("hidden") ?? [];

  let shown = Number.NaN; // the label whose row was last brought into view
  function update() {
    const state = { label: model.get("label"), hidden: hiddenOf(model), parents: model.get("parents") ?? {} };
    const descriptors = objectRows(summary, state).filter((d) => !filter || filter.keep(d.label));
    const kept = new Set(descriptors.map((d) => d.label));
    for (const label of rows.keys()) if (!kept.has(label)) rows.delete(label);
    const focus = state.label === shown ? -1 : descriptors.findIndex((d) => d.label === state.label);
    shown = state.label;
    win.show(
      descriptors.length,
      (i) => {
        const d = descriptors[i];
        let r = rows.get(d.label);
        if (!r) {
          r = buildRow(d.label);
          rows.set(d.label, r);
        }
        updateRow(r, d);
        marks?.badge(r.division, d.label);
        return r.row;
      },
      focus,
    );
    empty.hidden = descriptors.length > 0 || summary.labels.length > 0; // filtered out: the filter says so
    report(el, { objects: descriptors.map((d) => d.label).join(",") });
  }
  const refresh = perFrame(update);
  const win = createRowWindow(el, refresh.request);

  const labelOf = (target) => Number(target.closest?.(".sam2j-object")?.dataset.label);
  const click = (e) => {
    const label = labelOf(e.target);
    if (!Number.isInteger(label) || e.target.classList.contains("sam2j-object-hide")) return;
    if (e.target.classList.contains("sam2j-object-delete")) send(deleteLabel(label));
    else if (e.target.classList.contains("sam2j-object-parent")) send(setParent(label, 0));
    else if (e.target.classList.contains("sam2j-object-division")) marks?.seek(label);
    else if (label !== model.get("label")) sync.now({ label });
  };
  const change = (e) => {
    const label = labelOf(e.target);
    if (!Number.isInteger(label) || !e.target.classList.contains("sam2j-object-hide")) return;
    sync.now({ hidden: toggleHidden(hidden(), label, e.target.checked) });
  };
  const offs = [
    bindEvents(el, [
      ["click", click],
      ["change", change],
    ]),
    summary.subscribe(refresh.request),
    filter?.subscribe(refresh.request) ?? (() => {}),
    marks?.subscribe(refresh.request) ?? (() => {}),
    listen(model, ["label", "hidden", "parents"], refresh.request),
  ];
  update();

  return {
    el,
    dispose() {
      for (const off of offs) off();
      refresh.cancel();
      win.dispose();
    },
  };
}
