// What the marks canvas shows over the stroke layer, in CSS pixels: the prompt markers,
// the box being dragged and the round brush cursor. Pure drawing on a 2D context
// already scaled to CSS pixels; render.js decides when.

import { labelColor } from "./codecs.js";
import { toScreen } from "./view.js";

/** The smallest cursor drawn, CSS pixels: a 1-pixel brush stays findable when zoomed out. */
const MIN_CURSOR_PX = 2;

/**
 * A prompt marker: a point (green positive, red negative) or a box, in its label's colour.
 * @param {CanvasRenderingContext2D} ctx
 * @param {import("./view.js").View} view
 * @param {object} p  a prompt of the kernel's `prompts` trait, or an optimistic one
 */
export function drawPrompt(ctx, view, p) {
  const [r, g, b] = labelColor(p.label);
  // Dashed: waiting for segmentation (pending) or for the kernel (optimistic, fainter).
  ctx.setLineDash(p.pending || p.optimistic ? [3, 2] : []);
  ctx.globalAlpha = p.optimistic ? 0.6 : 1;
  ctx.lineWidth = 2;
  ctx.strokeStyle = `rgb(${r},${g},${b})`;
  if (p.kind === "box") {
    const a = toScreen(view, p.x0, p.y0);
    const c = toScreen(view, p.x1, p.y1);
    ctx.strokeRect(a.x, a.y, c.x - a.x, c.y - a.y);
  } else {
    const s = toScreen(view, p.x, p.y);
    ctx.beginPath();
    ctx.arc(s.x, s.y, 5, 0, 2 * Math.PI);
    ctx.fillStyle = p.positive ? "#2ecc40" : "#ff4136";
    ctx.fill();
    ctx.stroke();
  }
  ctx.setLineDash([]);
  ctx.globalAlpha = 1;
}

/** @param {CanvasRenderingContext2D} ctx  @param {{x0: number, y0: number, x1: number, y1: number}} b */
export function drawDragBox(ctx, b) {
  ctx.setLineDash([4, 3]);
  ctx.strokeStyle = "#fff";
  ctx.lineWidth = 1.5;
  ctx.strokeRect(b.x0, b.y0, b.x1 - b.x0, b.y1 - b.y0);
  ctx.setLineDash([]);
}

/**
 * The brush cursor: a white ring with a dark edge, visible on any image; dashed for
 * the eraser.
 * @param {CanvasRenderingContext2D} ctx
 * @param {{x: number, y: number, r: number, erase: boolean}} c
 */
export function drawCursor(ctx, c) {
  const r = Math.max(MIN_CURSOR_PX, c.r);
  ctx.setLineDash(c.erase ? [4, 3] : []);
  for (const [style, width] of [
    ["rgba(0,0,0,0.7)", 3],
    ["#fff", 1.25],
  ]) {
    ctx.beginPath();
    ctx.arc(c.x, c.y, r, 0, 2 * Math.PI);
    ctx.strokeStyle = style;
    ctx.lineWidth = width;
    ctx.stroke();
  }
  ctx.setLineDash([]);
}
