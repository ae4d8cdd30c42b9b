// The zoom/pan transform between image pixels and canvas CSS pixels:
// css = image * scale + t. Image coordinates are continuous: pixel (i, j) covers
// [j, j+1) × [i, i+1), which is what the kernel and SAM2 expect.

/** @typedef {{scale: number, tx: number, ty: number}} View */

/** The image fitted and centred in the canvas. @returns {View} */
export function fitView(imageW, imageH, cssW, cssH) {
  const scale = Math.min(cssW / imageW, cssH / imageH);
  return { scale, tx: (cssW - imageW * scale) / 2, ty: (cssH - imageH * scale) / 2 };
}

/** Canvas CSS pixel → image coordinate. @returns {{x: number, y: number}} */
export function toImage(view, cssX, cssY) {
  return { x: (cssX - view.tx) / view.scale, y: (cssY - view.ty) / view.scale };
}

/** Image coordinate → canvas CSS pixel. @returns {{x: number, y: number}} */
export function toScreen(view, x, y) {
  return { x: x * view.scale + view.tx, y: y * view.scale + view.ty };
}

/** Zoom by `factor` keeping the image point under (cssX, cssY) fixed. @returns {View} */
export function zoomAt(view, factor, cssX, cssY, minScale = 1e-3, maxScale = 1e3) {
  const scale = Math.min(maxScale, Math.max(minScale, view.scale * factor));
  const k = scale / view.scale;
  return { scale, tx: cssX - (cssX - view.tx) * k, ty: cssY - (cssY - view.ty) * k };
}

/** @returns {View} */
export function panBy(view, dx, dy) {
  return { scale: view.scale, tx: view.tx + dx, ty: view.ty + dy };
}

/** Whether an image coordinate lies on the image. */
export function inside(x, y, imageW, imageH) {
  return x >= 0 && y >= 0 && x <= imageW && y <= imageH;
}

/**
 * Device pixels the fitted image spans along its longer side on a canvas of
 * `canvasW` × `canvasH` device pixels: frames sent while moving need no more.
 */
export function fittedPixels(imageW, imageH, canvasW, canvasH) {
  if (!(imageW > 0 && imageH > 0)) return 0;
  const fit = Math.min(canvasW / imageW, canvasH / imageH);
  return Math.round(fit * Math.max(imageW, imageH));
}

/** The shortest the canvas gets, in CSS pixels (a very wide image keeps a usable strip). */
export const MIN_CANVAS_HEIGHT = 160;

/**
 * The canvas height for a width: the image's own aspect at that width, so a wide
 * image gets no black bands above and below it, capped at `maxH` (the `view_height`
 * trait) so a tall one leaves room for the timeline below.
 * @returns {number} CSS pixels
 */
export function canvasHeight(cssW, imageW, imageH, maxH) {
  if (!(imageW > 0 && imageH > 0)) return maxH;
  return Math.round(Math.min(maxH, Math.max(Math.min(MIN_CANVAS_HEIGHT, maxH), (cssW * imageH) / imageW)));
}
