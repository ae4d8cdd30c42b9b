// The per-label, per-frame summary the kernel sends as "timeline" custom messages (not
// flow-controlled, never acknowledged; stream.js routes them to `apply`), shared by the timeline, the object list, the
// player and the key actions. One byte per (label, frame) holds the bits of
// summary-table.js, rows label-major: rows[r * n_frames + t] is label labels[r] at
// frame t. A full message replaces everything (run-length coded like label images); a
// delta overwrites whole columns (raw bytes, frame-major), costing O(its size).

import { anyAt, applyDelta, decodeFull, nextFrame, rowStats } from "./summary-table.js";

export { FLAGGED, MASK, PROMPTED, TRACKED } from "./summary-table.js";

/** @typedef {ReturnType<typeof createSummary>} Summary */

/** The shared summary: the latest table and who to tell when it changes. */
export function createSummary() {
  /** @type {Table} */
  let table = { nFrames: 0, labels: [], rows: new Uint8Array(0) };
  let index = new Map(); // label id → row
  const listeners = new Set();
  const notify = () => {
    for (const fn of listeners) fn();
  };
  const summary = {
    get n_frames() {
      return table.nFrames;
    },
    get labels() {
      return table.labels;
    },
    get rows() {
      return table.rows;
    },
    /** The current table (for the pure functions above). */
    table: () => table,
    /**
     * Take a custom message if it is a timeline one; malformed content throws.
     * @returns {boolean} whether it was a timeline message
     */
    apply(msg, buffers) {
      if (msg?.type !== "timeline") return false;
      if (msg.full) {
        table = decodeFull(msg, buffers?.[0]);
        index = new Map(table.labels.map((id, r) => [id, r]));
        notify();
      } else if (applyDelta(table, msg, buffers?.[0])) {
        notify();
      }
      return true;
    },
    /** @param {() => void} fn  called after each change @returns {() => void} off */
    subscribe(fn) {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
    /** @param {number} label @returns {{frames: number, first: number, last: number, flags: number, prompted: number}} */
    stats(label) {
      const r = index.get(label);
      return r === undefined ? { frames: 0, first: -1, last: -1, flags: 0, prompted: 0 } : rowStats(table, r);
    },
    /** Nearest frame after/before `frame` where a label not in `skip` has `bit`, or -1. */
    next: (frame, bit, direction, skip) => nextFrame(table, frame, bit, direction, skip),
    /** Whether a label not in `skip` has `bit` at `frame`. */
    any: (frame, bit, skip) => anyAt(table, frame, bit, skip),
  };
  return summary;
}
