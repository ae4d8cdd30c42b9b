// Painting polylines on the stroke layer (render.js), in image pixels, the way the
// kernel rasterises a stroke: a union of capsules of the brush radius, i.e. a line of
// width 2 × radius with round caps and joins. Paint is opaque here; the renderer
// makes the whole layer translucent when it composites it, so the pieces painted frame
// by frame, which overlap at their ends, do not darken where they meet.

import { labelColor } from "../codecs.js";

/** The eraser's paint where no hatch pattern can be made. */
export const ERASER_GREY = "rgb(150,150,150)";
/** The hatch tile's side in screen pixels at the zoom the stroke began at. */
const HATCH_PX = 8;
/** …but at least this many image pixels, or stripes finer than a pixel turn to mush. */
const HATCH_MIN_IMAGE_PX = 4;

/**
 * Dark and white diagonal stripes: the eraser, clearly not any label's colour.
 * @param {CanvasRenderingContext2D} ctx
 * @param {number} scale  CSS pixels per image pixel
 * @returns {CanvasPattern | null} null where there is no DOM (tests)
 */
function hatch(ctx, scale) {
  if (typeof document === "undefined" || typeof ctx.createPattern !== "function") return null;
  const tile = document.createElement("canvas");
  tile.width = HATCH_PX;
  tile.height = HATCH_PX;
  const t = tile.getContext("2d");
  t.fillStyle = "#202020";
  t.fillRect(0, 0, HATCH_PX, HATCH_PX);
  t.strokeStyle = "#fff";
  t.lineWidth = 2.5;
  t.beginPath();
  // One diagonal plus the two corner pieces that continue it into the next tiles.
  for (const d of [-HATCH_PX, 0, HATCH_PX]) {
    t.moveTo(d - 1, HATCH_PX + 1);
    t.lineTo(d + HATCH_PX + 1, -1);
  }
  t.stroke();
  const pattern = ctx.createPattern(tile, "repeat");
  const size = Math.max(HATCH_MIN_IMAGE_PX, HATCH_PX / scale);
  if (pattern && typeof DOMMatrix === "function") {
    pattern.setTransform(new DOMMatrix().scaleSelf(size / HATCH_PX, size / HATCH_PX));
  }
  return pattern;
}

/**
 * What a stroke is painted with: the label's colour, or the eraser's hatch.
 * @param {CanvasRenderingContext2D} ctx  the stroke layer's
 * @param {{erase: boolean, label: number, scale: number}} o
 * @returns {string | CanvasPattern}
 */
export function paintStyle(ctx, { erase, label, scale }) {
  if (erase) return hatch(ctx, scale) ?? ERASER_GREY;
  const [r, g, b] = labelColor(label);
  return `rgb(${r},${g},${b})`;
}

/**
 * Paint a polyline: one point is a dot, more a round-capped, round-joined line.
 * @param {CanvasRenderingContext2D} ctx
 * @param {string | CanvasPattern} style
 * @param {number} radius  image pixels
 * @param {ArrayLike<number>} points  x0, y0, x1, y1, …
 */
export function paintPath(ctx, style, radius, points) {
  if (points.length < 2) return;
  ctx.beginPath();
  if (points.length < 4) {
    // A zero-length line draws no caps in every browser; a disc is what the kernel paints.
    ctx.fillStyle = style;
    ctx.arc(points[0], points[1], radius, 0, 2 * Math.PI);
    ctx.fill();
    return;
  }
  ctx.strokeStyle = style;
  ctx.lineWidth = 2 * radius;
  ctx.lineCap = "round";
  ctx.lineJoin = "round";
  ctx.moveTo(points[0], points[1]);
  for (let i = 2; i + 1 < points.length; i += 2) ctx.lineTo(points[i], points[i + 1]);
  ctx.stroke();
}
