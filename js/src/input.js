// Pointer and keyboard on the canvas → the active tool, the viewport and key actions.
// Pointer Events with capture: a drag keeps reporting outside the canvas and ends
// exactly once (pointerup, or pointercancel / lostpointercapture without an intent).
// Zoom and pan stay in the browser; only intents reach the kernel.

import { lookup } from "./keymap.js";
import { capturePointer, releasePointer, wheelFactor } from "./pointer.js";
import { bindEvents } from "./sync.js";
import { paints } from "./tools/traits.js";

/** CSS pixels a press may move and still count as a click. */
export const CLICK_SLOP = 4;

/**
 * Gestures by the active tool (on.tool()):
 * - prompt: left click a positive point, right click a negative one, Shift+drag a box,
 *   Alt+click removes;
 * - brush / eraser: a left-button press paints a stroke until released (every
 *   coalesced pointer event a point; a click paints a dot);
 * - fill: a left click fills; pick: a left click picks.
 * In every tool any other drag pans (with the brush: the middle or right button), the
 * wheel zooms at the pointer, and there is no context menu. Keys (keymap.js) act on
 * the canvas's keydown; scope.js forwards those pressed on the annotator's controls.
 * @param {HTMLElement} canvas
 * @param {object} on
 * @param {(cssX: number, cssY: number) => {x: number, y: number}} on.toImage
 * @param {(x: number, y: number, positive: boolean) => void} on.point  image pixels
 * @param {(x0: number, y0: number, x1: number, y1: number) => void} on.box  image pixels
 * @param {(x: number, y: number) => void} on.remove  image pixels
 * @param {(factor: number, cssX: number, cssY: number) => void} on.zoom
 * @param {(dx: number, dy: number) => void} on.pan  CSS pixels
 * @param {(rect: {x0: number, y0: number, x1: number, y1: number} | null) => void} on.dragBox  CSS pixels
 * @param {(action: string, at: {x: number, y: number} | null) => void} on.action  a key's
 *   action; `at` is the image point under the pointer for bindings that need one
 * @param {() => string} [on.tool]  the active tool; "prompt" when not given
 * @param {{begin(x: number, y: number): void, extend(points: {x: number, y: number}[], stamp: number): void,
 *   end(): void, cancel(): void}} [on.stroke]  image pixels; stamp: the event's timeStamp
 * @param {(x: number, y: number) => void} [on.fill]  image pixels
 * @param {(x: number, y: number) => void} [on.pick]  image pixels
 * @param {(p: {x: number, y: number} | null) => void} [on.hover]  the pointer, CSS
 *   pixels; null when it leaves the canvas
 * @returns {() => void} detach
 */
export function attachInput(canvas, on) {
  let press = null; // {id, button, x, y, lastX, lastY, shift, alt, moved, tool, paint}
  let pointer = null; // where a pointer over the canvas is, CSS pixels
  const hover = on.hover ?? (() => {});

  const pos = (e, r = canvas.getBoundingClientRect()) => ({ x: e.clientX - r.left, y: e.clientY - r.top });
  const boxing = () => press.tool === "prompt" && press.shift && press.button === 0;
  /** A move's points in image pixels: every coalesced event where the browser has them. */
  const strokePoints = (e) => {
    const r = canvas.getBoundingClientRect();
    const events = e.getCoalescedEvents?.() ?? [];
    return (events.length ? events : [e]).map((ev) => {
      const p = pos(ev, r);
      return on.toImage(p.x, p.y);
    });
  };

  const down = (e) => {
    canvas.focus({ preventScroll: true });
    if (press && press.id !== e.pointerId) return; // one gesture at a time
    const p = pos(e);
    hover(p);
    press = { id: e.pointerId, button: e.button, x: p.x, y: p.y, lastX: p.x, lastY: p.y, moved: false };
    Object.assign(press, { shift: e.shiftKey, alt: e.altKey, tool: on.tool?.() ?? "prompt" });
    press.paint = paints(press.tool) && e.button === 0;
    capturePointer(canvas, e);
    if (e.button === 1) e.preventDefault(); // middle-button drag pans; no autoscroll
    if (press.paint) {
      const a = on.toImage(p.x, p.y);
      on.stroke.begin(a.x, a.y);
    }
  };
  const move = (e) => {
    const p = pos(e);
    pointer = p;
    hover(p);
    if (!press || e.pointerId !== press.id) return;
    if (press.paint) return on.stroke.extend(strokePoints(e), e.timeStamp);
    if (Math.hypot(p.x - press.x, p.y - press.y) > CLICK_SLOP) press.moved = true;
    if (boxing()) on.dragBox({ x0: press.x, y0: press.y, x1: p.x, y1: p.y });
    else if (press.moved) on.pan(p.x - press.lastX, p.y - press.lastY);
    press.lastX = p.x;
    press.lastY = p.y;
  };
  /** What a released press does, by its tool (other tools' drags have only panned). */
  const finish = (start, end, stamp) => {
    const click = !press.moved && press.button === 0;
    if (press.paint) {
      on.stroke.extend([end], stamp);
      on.stroke.end();
    } else if (press.tool === "fill" || press.tool === "pick") {
      if (click) on[press.tool](end.x, end.y);
    } else if (press.tool === "prompt") {
      if (boxing() && press.moved) on.box(start.x, start.y, end.x, end.y);
      else if (click && press.alt) on.remove(end.x, end.y);
      else if (!press.moved && (press.button === 0 || press.button === 2)) on.point(end.x, end.y, press.button === 0);
    }
  };
  const up = (e) => {
    if (!press || e.pointerId !== press.id) return;
    const p = pos(e);
    if (boxing()) on.dragBox(null);
    finish(on.toImage(press.x, press.y), on.toImage(p.x, p.y), e.timeStamp);
    press = null;
    releasePointer(canvas, e);
  };
  const cancel = (e) => {
    if (!press || e.pointerId !== press.id) return;
    if (boxing()) on.dragBox(null);
    if (press.paint) on.stroke.cancel();
    press = null;
  };
  const leave = () => {
    pointer = null;
    hover(null);
  };
  const context = (e) => {
    // Right click is a negative point (or pans): neither the browser's nor JupyterLab's menu.
    e.preventDefault();
    e.stopPropagation();
  };
  const wheel = (e) => {
    e.preventDefault();
    const p = pos(e);
    on.zoom(wheelFactor(e), p.x, p.y);
  };
  const key = (e) => {
    const binding = lookup(e);
    if (!binding) return;
    let at = null;
    if (binding.atPointer) {
      if (!pointer) return;
      at = on.toImage(pointer.x, pointer.y);
    }
    e.preventDefault();
    e.stopPropagation();
    on.action(binding.action, at);
  };

  const listeners = [
    ["pointerdown", down],
    ["pointermove", move],
    ["pointerup", up],
    ["pointercancel", cancel],
    ["lostpointercapture", cancel],
    ["pointerleave", leave],
    ["contextmenu", context],
    ["wheel", wheel, { passive: false }],
    ["keydown", key],
  ];
  return bindEvents(canvas, listeners);
}
