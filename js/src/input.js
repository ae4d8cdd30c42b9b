// Mouse and keyboard on the canvas → intents. Zoom and pan stay here (high rate);
// only intents (point, box, remove, label, frame, undo) go to the kernel.

const CLICK_SLOP = 4; // CSS px a press may move and still count as a click

/**
 * @param {HTMLCanvasElement} canvas
 * @param {object} on  callbacks: point(x, y, positive), box(x0, y0, x1, y1),
 *   remove(x, y), zoom(factor, cssX, cssY), pan(dx, dy), dragBox(rect|null),
 *   key(action), toImage(cssX, cssY) → {x, y}
 * @returns {() => void} detach
 */
export function attachInput(canvas, on) {
  let press = null; // {button, x, y, shift, alt, moved}
  let pointer = null;

  const pos = (e) => {
    const r = canvas.getBoundingClientRect();
    return { x: e.clientX - r.left, y: e.clientY - r.top };
  };

  const down = (e) => {
    canvas.focus({ preventScroll: true });
    const p = pos(e);
    press = {
      button: e.button,
      x: p.x,
      y: p.y,
      lastX: p.x,
      lastY: p.y,
      shift: e.shiftKey,
      alt: e.altKey,
      moved: false,
    };
    e.preventDefault();
  };
  const move = (e) => {
    const p = pos(e);
    pointer = p;
    if (!press) return;
    if (Math.hypot(p.x - press.x, p.y - press.y) > CLICK_SLOP) press.moved = true;
    if (press.shift && press.button === 0) {
      on.dragBox({ x0: press.x, y0: press.y, x1: p.x, y1: p.y });
    } else if (press.moved) {
      on.pan(p.x - press.lastX, p.y - press.lastY);
    }
    press.lastX = p.x;
    press.lastY = p.y;
  };
  const up = (e) => {
    if (!press) return;
    const p = pos(e);
    const start = on.toImage(press.x, press.y);
    const end = on.toImage(p.x, p.y);
    if (press.shift && press.button === 0 && press.moved) {
      on.dragBox(null);
      on.box(start.x, start.y, end.x, end.y);
    } else if (!press.moved && press.button === 0 && press.alt) {
      on.remove(end.x, end.y);
    } else if (!press.moved && (press.button === 0 || press.button === 2)) {
      on.point(end.x, end.y, press.button === 0);
    }
    press = null;
  };
  const leave = () => {
    pointer = null;
  };
  const context = (e) => {
    // Right click is a negative point: neither the browser's nor JupyterLab's menu.
    e.preventDefault();
    e.stopPropagation();
  };
  const wheel = (e) => {
    e.preventDefault();
    const p = pos(e);
    on.zoom(Math.exp(-e.deltaY * (e.deltaMode === 1 ? 0.05 : 0.0015)), p.x, p.y);
  };
  const key = (e) => {
    const k = e.key;
    const mod = e.ctrlKey || e.metaKey;
    let action = null;
    if (mod && (k === "z" || k === "Z")) action = e.shiftKey ? "redo" : "undo";
    else if (mod && (k === "y" || k === "Y")) action = "redo";
    else if (mod) action = null;
    else if (k === "+" || k === "=") action = "label+";
    else if (k === "-" || k === "_") action = "label-";
    else if (k === "m" || k === "M") action = "next-label";
    else if (k === "ArrowRight" || k === ".") action = "frame+";
    else if (k === "ArrowLeft" || k === ",") action = "frame-";
    else if (k === "0") action = "fit";
    else if ((k === "Delete" || k === "Backspace") && pointer) {
      const p = on.toImage(pointer.x, pointer.y);
      on.remove(p.x, p.y);
      action = "handled";
    }
    if (action === null) return;
    e.preventDefault();
    e.stopPropagation();
    if (action !== "handled") on.key(action);
  };

  canvas.addEventListener("mousedown", down);
  window.addEventListener("mousemove", move);
  window.addEventListener("mouseup", up);
  canvas.addEventListener("mouseleave", leave);
  canvas.addEventListener("contextmenu", context);
  canvas.addEventListener("wheel", wheel, { passive: false });
  canvas.addEventListener("keydown", key);
  return () => {
    canvas.removeEventListener("mousedown", down);
    window.removeEventListener("mousemove", move);
    window.removeEventListener("mouseup", up);
    canvas.removeEventListener("mouseleave", leave);
    canvas.removeEventListener("contextmenu", context);
    canvas.removeEventListener("wheel", wheel);
    canvas.removeEventListener("keydown", key);
  };
}
