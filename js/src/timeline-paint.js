// The timeline's pure parts: its layout, the visible frame range (zoom, follow, pointer
// → frame) and painting the summary into 32-bit pixels. No DOM, so node tests run it.

import { labelColor } from "./codecs.js";
import { aggregateRow, FLAGGED, MASK, PROMPTED, TRACKED } from "./summary-table.js";

/** CSS pixels the rows share before they shrink to MIN_ROW. */
export const MAX_HEIGHT = 160;
/** With more rows than fit, the strip grows to this and then scrolls (CSS). */
export const MAX_GROWN = 240;
export const MIN_ROW = 2;
export const MAX_ROW = 14;
/** Height of the strip without labels: still shows and seeks the frame. */
export const EMPTY_HEIGHT = 8;
/** Zooming in stops at this many frames across the strip. */
export const MIN_SPAN = 8;

/** Row height in CSS pixels for `nLabels` rows. */
export function rowHeight(nLabels) {
  if (nLabels <= 0) return EMPTY_HEIGHT;
  return Math.min(MAX_ROW, Math.max(MIN_ROW, Math.floor(MAX_HEIGHT / nLabels)));
}

/** The strip's full height in CSS pixels (its wrapper scrolls beyond MAX_GROWN). */
export function stripHeight(nLabels) {
  return nLabels > 0 ? nLabels * rowHeight(nLabels) : EMPTY_HEIGHT;
}

/** @typedef {{x0: number, x1: number}} Range  frames [x0, x1) across the strip */

/** @returns {Range} */
export function fullRange(n) {
  return { x0: 0, x1: Math.max(1, n) };
}

/** A range of `span` frames starting near x0, kept inside [0, n]. @returns {Range} */
function place(x0, span, n) {
  const start = Math.min(Math.max(0, n - span), Math.max(0, x0));
  return { x0: start, x1: start + span };
}

/**
 * Zoom by `factor` (> 1 in) keeping frame coordinate `at` under the pointer.
 * @param {Range} range
 * @returns {Range}
 */
export function zoomRange(range, factor, at, n) {
  const span = range.x1 - range.x0;
  const next = Math.min(Math.max(1, n), Math.max(Math.min(n, MIN_SPAN), span / factor));
  return place(at - ((at - range.x0) * next) / span, next, n);
}

/** Whether the range shows fewer than all `n` frames. */
export function zoomed(range, n) {
  return range.x1 - range.x0 < n - 1e-9;
}

/**
 * The range moved to centre `frame` when it has left it (playback, keys), else as it
 * was.
 * @param {Range} range
 * @returns {Range}
 */
export function follow(range, frame, n) {
  if (frame >= range.x0 && frame + 1 <= range.x1) return range;
  const span = range.x1 - range.x0;
  return place(frame + 0.5 - span / 2, span, n);
}

/**
 * The frame under a point `fraction` (0..1) across the strip; a drag past either end
 * gives the first or last frame in view.
 */
export function frameAt(range, fraction, n) {
  const f = Math.min(1 - 1e-9, Math.max(0, fraction));
  const t = Math.floor(range.x0 + f * (range.x1 - range.x0));
  return Math.min(n - 1, Math.max(0, t));
}

/** Whether Uint32 pixels are stored little-endian (RGBA bytes → ABGR words). */
const LITTLE = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** One opaque pixel as a 32-bit word of an ImageData's Uint32Array view. */
export function pixel(r, g, b) {
  return LITTLE ? ((255 << 24) | (b << 16) | (g << 8) | r) >>> 0 : ((r << 24) | (g << 16) | (b << 8) | 255) >>> 0;
}

export const COLOURS = Object.freeze({
  background: pixel(32, 32, 32),
  tracked: pixel(88, 88, 88), // SAM2 ran there, but the label has no pixels
  prompted: pixel(255, 255, 255),
  flagged: pixel(255, 59, 48),
});

/** A label's colour; faded towards the background for a hidden label. */
function rowColour(label, hidden) {
  const [r, g, b] = labelColor(label);
  if (!hidden) return pixel(r, g, b);
  const fade = (c) => Math.round(32 + (c - 32) * 0.3);
  return pixel(fade(r), fade(g), fade(b));
}

/**
 * Paint the table into `pixels` (width × height words, row-major), one row of
 * `rowPx` device pixels per label: the mask in the label's colour, tracked-but-empty
 * grey, prompted frames white and flagged frames red. Rows of 4 px or more keep the
 * mask visible: prompted takes the top band, flagged the bottom band; 6 px or more
 * leave a 1 px gap below each row. Each device row is a copy of one of three
 * precomputed scanlines, so the cost is one aggregation per label plus memcpy.
 * @param {Uint32Array} pixels
 * @param {number} width
 * @param {number} height
 * @param {object} o
 * @param {import("./summary-table.js").Table} o.table
 * @param {Range} o.range
 * @param {number} o.rowPx  device pixels per row
 * @param {ReadonlySet<number>} o.hidden
 * @param {number[] | null} [o.rows]  the table rows to draw, top to bottom (a filter); all when null
 */
export function paint(pixels, width, height, { table, range, rowPx, hidden, rows = null }) {
  pixels.fill(COLOURS.background);
  if (width <= 0 || table.nFrames <= 0) return;
  const cells = new Uint8Array(width);
  const [top, mid, bottom] = [0, 1, 2].map(() => new Uint32Array(width));
  const split = rowPx >= 4;
  const gap = rowPx >= 6 ? 1 : 0;
  const band = Math.max(1, Math.floor((rowPx - gap) / 4));
  const count = rows ? rows.length : table.labels.length;
  for (let i = 0; i < count && i * rowPx < height; i++) {
    const r = rows ? rows[i] : i;
    aggregateRow(table, r, range.x0, range.x1, cells);
    const colour = rowColour(table.labels[r], hidden.has(table.labels[r]));
    for (let c = 0; c < width; c++) {
      const v = cells[c];
      const base = v & MASK ? colour : v & TRACKED ? COLOURS.tracked : COLOURS.background;
      const flagged = v & FLAGGED ? COLOURS.flagged : base;
      top[c] = v & PROMPTED ? COLOURS.prompted : split ? base : flagged;
      mid[c] = base;
      bottom[c] = flagged;
    }
    const inner = Math.min(rowPx - gap, height - i * rowPx);
    for (let y = 0; y < inner; y++) {
      const line = !split || y < band ? top : y >= rowPx - gap - band ? bottom : mid;
      pixels.set(line, (i * rowPx + y) * width);
    }
  }
}

/**
 * The current frame over the painted strip: a white line with dark edges (visible over
 * white ticks and any label colour), and the frame's whole width shaded when zoomed in.
 * @param {CanvasRenderingContext2D} ctx
 * @param {Range} range
 */
export function drawCursor(ctx, range, frame, width, height, dpr) {
  const step = width / (range.x1 - range.x0); // device pixels per frame
  const x = (frame - range.x0) * step;
  if (step >= 4) {
    ctx.fillStyle = "rgba(255, 255, 255, 0.2)";
    ctx.fillRect(x, 0, step, height);
  }
  const lw = Math.max(2, Math.round(dpr));
  const mid = Math.round(x + step / 2 - lw / 2);
  ctx.fillStyle = "#000";
  ctx.fillRect(mid - 1, 0, lw + 2, height);
  ctx.fillStyle = "#fff";
  ctx.fillRect(mid, 0, lw, height);
}
