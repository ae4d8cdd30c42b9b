// The summary's table and the pure operations on it: decoding a full "timeline"
// message, applying a delta, per-label stats, searches along frames and the column
// aggregation the timeline draws with. Sized for 10,000 frames × 100 labels: a delta
// costs O(its size), stats one pass over a row, searches allocate nothing.

import { decodeRle, toDataView } from "./codecs.js";

/** The label has pixels on that frame. */
export const MASK = 1;
/** The user gave prompts for that label on that frame. */
export const PROMPTED = 2;
/** The kernel's quality check flags it (lost, empty, area jump, moved, overlap). */
export const FLAGGED = 4;
/** SAM2 produced an output for it there (maybe empty). */
export const TRACKED = 8;

/**
 * @typedef {object} Table
 * @property {number} nFrames
 * @property {number[]} labels  label id of each row
 * @property {Uint8Array} rows  labels.length * nFrames, row-major
 */

/** A full message's table. @returns {Table} */
export function decodeFull(msg, buffer) {
  const nFrames = msg.n_frames;
  if (!(Number.isInteger(nFrames) && nFrames >= 0)) throw new Error(`timeline: n_frames ${nFrames}`);
  const labels = Array.from(msg.labels, Number);
  const cells = decodeRle(buffer ?? new ArrayBuffer(0), nFrames, labels.length);
  const rows = new Uint8Array(cells.length);
  rows.set(cells); // every value fits a byte
  return { nFrames, labels, rows };
}

/**
 * Overwrite the columns a delta message carries, in place. A delta for another set of
 * labels than the table's (a full message is on its way) is ignored.
 * @param {Table} table
 * @returns {boolean} whether the table changed
 */
export function applyDelta(table, msg, buffer) {
  const { nFrames, labels, rows } = table;
  const n = labels.length;
  if (msg.labels.length !== n || msg.labels.some((id, r) => id !== labels[r])) return false;
  const view = toDataView(buffer ?? new ArrayBuffer(0));
  const bytes = new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
  if (bytes.length !== msg.frames.length * n) {
    throw new Error(`timeline delta: ${bytes.length} bytes for ${msg.frames.length} frames × ${n} labels`);
  }
  let changed = false;
  msg.frames.forEach((t, i) => {
    if (!(Number.isInteger(t) && t >= 0 && t < nFrames)) return;
    for (let r = 0; r < n; r++) rows[r * nFrames + t] = bytes[i * n + r];
    changed = true;
  });
  return changed;
}

/**
 * One label's row in one pass: frames with a mask (count, first, last; -1 when none),
 * flagged and prompted frame counts.
 * @param {Table} table
 * @param {number} r  row index
 */
export function rowStats({ nFrames, rows }, r) {
  let frames = 0;
  let first = -1;
  let last = -1;
  let flags = 0;
  let prompted = 0;
  const base = r * nFrames;
  for (let t = 0; t < nFrames; t++) {
    const v = rows[base + t];
    if (v & MASK) {
      frames += 1;
      if (first < 0) first = t;
      last = t;
    }
    if (v & FLAGGED) flags += 1;
    if (v & PROMPTED) prompted += 1;
  }
  return { frames, first, last, flags, prompted };
}

/**
 * The nearest frame after (direction > 0) or before `frame` where any label not in
 * `skip` has `bit`; -1 if none. Each row is scanned contiguously, only up to the best
 * frame found so far; nothing is allocated.
 * @param {Table} table
 * @param {ReadonlySet<number>} [skip]  label ids to ignore (hidden ones)
 */
export function nextFrame({ nFrames, labels, rows }, frame, bit, direction, skip) {
  let best = -1;
  if (direction > 0) {
    let limit = nFrames;
    for (let r = 0; r < labels.length; r++) {
      if (skip?.has(labels[r])) continue;
      const base = r * nFrames;
      for (let t = Math.max(0, frame + 1); t < limit; t++) {
        if (rows[base + t] & bit) {
          best = limit = t;
          break;
        }
      }
    }
  } else {
    let limit = -1;
    for (let r = 0; r < labels.length; r++) {
      if (skip?.has(labels[r])) continue;
      const base = r * nFrames;
      for (let t = Math.min(nFrames - 1, frame - 1); t > limit; t--) {
        if (rows[base + t] & bit) {
          best = limit = t;
          break;
        }
      }
    }
  }
  return best;
}

/** Whether any label not in `skip` has `bit` at `frame`. @param {Table} table */
export function anyAt({ nFrames, labels, rows }, frame, bit, skip) {
  if (!(frame >= 0 && frame < nFrames)) return false;
  for (let r = 0; r < labels.length; r++) {
    if (rows[r * nFrames + frame] & bit && !skip?.has(labels[r])) return true;
  }
  return false;
}

/**
 * For drawing: `out.length` pixel columns span frames [x0, x1); each gets the OR of
 * row r's values over the frames that fall in it (when zoomed in, a frame spans
 * several columns). Columns past the last frame get 0.
 * @param {Table} table
 * @param {number} r
 * @param {number} x0
 * @param {number} x1
 * @param {Uint8Array} out
 */
export function aggregateRow({ nFrames, rows }, r, x0, x1, out) {
  const cols = out.length;
  const k = (x1 - x0) / cols;
  const base = r * nFrames;
  for (let c = 0; c < cols; c++) {
    const a = Math.max(0, Math.floor(x0 + c * k));
    if (a >= nFrames) {
      out[c] = 0;
      continue;
    }
    // The epsilon keeps the last frame in the last column despite rounding.
    const b = Math.min(nFrames, Math.max(a + 1, Math.floor(x0 + (c + 1) * k + 1e-9)));
    let v = 0;
    for (let t = a; t < b; t++) v |= rows[base + t];
    out[c] = v;
  }
  return out;
}
