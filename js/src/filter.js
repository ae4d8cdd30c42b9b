// Which objects the object list and the timeline show, for sequences of hundreds of
// them: a search by id ("12", "3, 10-20": ids and ranges) and a "flagged only" toggle
// (labels with a flagged frame or a proposed division). Browser-only state: it hides
// rows, never labels (the eye checkbox hides labels on the image).

import { bindEvents, put } from "./sync.js";

/**
 * The ids a search names, as a test; null when it names none (show all). Tokens are
 * separated by commas or spaces; "a-b" is a range; anything else is ignored.
 * @param {string} text
 * @returns {((label: number) => boolean) | null}
 */
export function parseIds(text) {
  const ranges = [];
  for (const token of String(text ?? "").split(/[\s,;]+/)) {
    const m = /^(\d+)(?:\s*[-–]\s*(\d+))?$/.exec(token);
    if (!m) continue;
    const a = Number(m[1]);
    const b = m[2] === undefined ? a : Number(m[2]);
    ranges.push([Math.min(a, b), Math.max(a, b)]);
  }
  if (!ranges.length) return null;
  return (label) => ranges.some(([a, b]) => label >= a && label <= b);
}

/**
 * The rows of `table` to draw, top to bottom (row indices).
 * @param {{labels: number[]}} table
 * @param {(label: number) => boolean} keep
 * @returns {number[]}
 */
export function shownRows(table, keep) {
  const out = [];
  table.labels.forEach((label, r) => {
    if (keep(label)) out.push(r);
  });
  return out;
}

/**
 * @param {object} o
 * @param {{stats(label: number): {flags: number}, subscribe(fn: () => void): () => void}} o.summary
 * @param {{of(label: number): any[], subscribe(fn: () => void): () => void}} [o.marks]  proposed divisions
 * @returns {{el: HTMLElement, keep(label: number): boolean, rows(table: {labels: number[]}): number[],
 *   active(): boolean, subscribe(fn: () => void): () => void, dispose(): void}}
 */
export function createFilter({ summary, marks }) {
  const el = document.createElement("div");
  el.className = "sam2j-filter";
  el.style.cssText = "display:flex;align-items:center;gap:10px";
  const search = document.createElement("input");
  search.type = "search";
  search.className = "sam2j-filter-ids";
  search.placeholder = "ids: 12, 30-40";
  search.title = "show only these labels in the list and the timeline (ids and ranges)";
  search.style.width = "10em";
  const label = document.createElement("label");
  const flagged = document.createElement("input");
  flagged.type = "checkbox";
  flagged.className = "sam2j-filter-flagged";
  label.append(flagged, " flagged only");
  label.title = "only labels with a flagged frame or a proposed division";
  const count = document.createElement("span");
  count.className = "sam2j-filter-count";
  count.style.color = "var(--jp-ui-font-color2, #616161)";
  el.append(search, label, count);

  let ids = null;
  const listeners = new Set();
  const flags = (l) => summary.stats(l).flags > 0 || (marks?.of(l).length ?? 0) > 0;
  const keep = (l) => (ids === null || ids(l)) && (!flagged.checked || flags(l));
  const notify = () => {
    for (const fn of listeners) fn();
  };
  const changed = () => {
    ids = parseIds(search.value);
    notify();
  };
  const offs = [
    bindEvents(search, [["input", changed]]),
    bindEvents(flagged, [["change", changed]]),
    // A new summary or new proposals change what "flagged only" keeps.
    summary.subscribe(() => flagged.checked && notify()),
    marks?.subscribe(() => flagged.checked && notify()) ?? (() => {}),
  ];

  return {
    el,
    keep,
    /** Whether anything is filtered out. */
    active: () => ids !== null || flagged.checked,
    /** @param {{labels: number[]}} table @returns {number[]} the rows drawn */
    rows(table) {
      const rows = shownRows(table, keep);
      const text = rows.length === table.labels.length ? "" : `${rows.length} of ${table.labels.length} shown`;
      put(count, "textContent", text);
      return rows;
    },
    /** @param {() => void} fn @returns {() => void} off */
    subscribe(fn) {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
    dispose() {
      for (const off of offs) off();
      listeners.clear();
    },
  };
}
