// The round brush cursor: a circle of the brush's size around the pointer, drawn on the
// marks canvas while the brush or the eraser is active and the pointer is over the
// canvas (the CSS cursor is hidden then, through the sam2j-painting class), so what
// a press will paint is visible at any zoom. A pending pick shows the CSS cursor of
// the sam2j-picking class instead.

import { listen } from "../sync.js";
import { brushSizeOf, paints } from "./traits.js";

/**
 * The cursor's radius in CSS pixels: the brush radius (image pixels) at the view's scale.
 * @param {number} brushSize  image pixels
 * @param {number} scale  CSS pixels per image pixel
 */
export function cursorRadius(brushSize, scale) {
  return brushSize * scale;
}

/**
 * @param {object} o
 * @param {import("../sync.js").Model} o.model  reads brush_size
 * @param {HTMLElement} o.canvas  gets the sam2j-painting class with a painting tool,
 *   sam2j-picking while a pick is pending
 * @param {{setCursor(c: {x: number, y: number, r: number, erase: boolean} | null): void,
 *   requestDraw(): void}} o.renderer
 * @param {() => number} o.scale  CSS pixels per image pixel
 * @param {() => string} o.tool  the active tool
 */
export function createCursor({ model, canvas, renderer, scale, tool }) {
  let at = null; // the pointer over the canvas, CSS pixels
  const refresh = () => {
    const t = tool();
    const show = at !== null && paints(t);
    const r = show ? cursorRadius(brushSizeOf(model), scale()) : 0;
    renderer.setCursor(show ? { x: at.x, y: at.y, r, erase: t === "eraser" } : null);
    canvas.classList.toggle("sam2j-painting", paints(t));
    canvas.classList.toggle("sam2j-picking", t === "pick");
    renderer.requestDraw();
  };
  const off = listen(model, ["brush_size"], refresh);
  refresh();
  return {
    /** @param {{x: number, y: number} | null} p  the pointer, CSS pixels; null off the canvas */
    move(p) {
      at = p;
      refresh();
    },
    /** The tool or the zoom changed. */
    refresh,
    dispose: off,
  };
}
