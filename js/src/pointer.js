// Pointer and wheel helpers shared by the canvas (input.js) and the timeline strip.

/**
 * Keep the pointer's events on `el` while a button is down (a drag may leave it).
 * @param {Element} el  @param {PointerEvent} e
 */
export function capturePointer(el, e) {
  try {
    el.setPointerCapture(e.pointerId);
  } catch {
    // A pointer the browser does not know as active (a synthetic event): no capture.
  }
}

/**
 * Let the pointer go. Browsers release capture after a pointerup they fire; not after
 * a synthetic one.
 * @param {Element} el  @param {PointerEvent} e
 */
export function releasePointer(el, e) {
  if (el.hasPointerCapture?.(e.pointerId)) el.releasePointerCapture(e.pointerId);
}

/**
 * The zoom factor of one wheel event: the same feel by lines (a mouse) and by pixels
 * (a trackpad); above 1 zooms in.
 * @param {WheelEvent} e
 */
export const wheelFactor = (e) => Math.exp(-e.deltaY * (e.deltaMode === 1 ? 0.05 : 0.0015));
