// The timeline strip under the canvas: one row per label, frames along x, drawn from
// the shared summary with ImageData at the device pixel ratio (timeline-paint.js).
// Redraws are coalesced to one per animation frame; a move of the frame alone redraws
// the cursor over the strip painted before (300 rows take ms to paint). Click or drag
// seeks (one seek per animation frame while dragging); the wheel zooms around the
// pointer, a double click shows every frame again, and a zoomed strip follows the frame.

import { capturePointer, releasePointer, wheelFactor } from "./pointer.js";
import { perFrame } from "./schedule.js";
import { bindEvents, listen, put } from "./sync.js";
import { drawCursor, follow, frameAt, fullRange, paint, rowHeight, stripHeight, zoomRange } from "./timeline-paint.js";
import { hiddenOf } from "./tools/traits.js";
import { frameNumber } from "./words.js";

/**
 * @param {object} o
 * @param {import("./sync.js").Model} o.model  reads frame, n_frames, hidden
 * @param {{now(values: Record<string, any>): void}} o.sync
 * @param {import("./summary.js").Summary} o.summary
 * @param {{rows(table: object): number[], subscribe(fn: () => void): () => void}} [o.filter]  the rows drawn
 * @param {{paint(ctx: any, o: object): void, subscribe(fn: () => void): () => void}} [o.marks]  divisions
 * @param {(node: HTMLElement, values: Record<string, string>) => void} [o.report]  debug
 *   hooks (data-timeline-*) on the canvas after each draw
 * @returns {{el: HTMLElement, canvas: HTMLCanvasElement, draw(): void, dispose(): void}}
 */
export function createTimeline({ model, sync, summary, filter, marks, report = () => {} }) {
  const el = document.createElement("div");
  el.className = "sam2j-timeline-wrap";
  const canvas = document.createElement("canvas");
  canvas.className = "sam2j-timeline";
  el.append(canvas);
  const ctx = canvas.getContext("2d");
  /** @type {import("./timeline-paint.js").Range | null} null until the first draw */
  let range = null;
  let shown = { n: 0, frame: -1 }; // what the last draw used: a new frame may move the range
  let image = null;
  let words = null;
  let draws = 0;
  let hidden = new Set();
  let drawn = []; // the label of each row drawn, top to bottom
  let stale = true; // what the strip shows changed since it was painted
  let painted = ""; // the range and row height it was painted at
  // The summary's frame count once it has arrived; until then the model's.
  const frames = () => summary.n_frames || model.get("n_frames") || 1;
  const currentRange = () => range ?? fullRange(frames());
  function draw() {
    const started = performance.now();
    const n = frames();
    const table = summary.table();
    const rows = filter ? filter.rows(table) : null;
    drawn = rows ? rows.map((r) => table.labels[r]) : table.labels;
    const nLabels = drawn.length;
    const dpr = window.devicePixelRatio || 1;
    const cssW = Math.max(1, el.clientWidth);
    const rowPx = Math.max(1, Math.round(rowHeight(nLabels) * dpr));
    const width = Math.max(1, Math.round(cssW * dpr));
    const height = nLabels > 0 ? nLabels * rowPx : Math.round(stripHeight(0) * dpr);
    if (canvas.width !== width || canvas.height !== height) {
      canvas.width = width;
      canvas.height = height;
    }
    canvas.style.width = `${cssW}px`;
    canvas.style.height = `${stripHeight(nLabels)}px`;
    const frame = model.get("frame");
    if (!range || n !== shown.n) range = fullRange(n);
    if (frame !== shown.frame) range = follow(range, frame, n);
    shown = { n, frame };
    if (!image || image.width !== width || image.height !== height) {
      image = ctx.createImageData(width, height);
      words = new Uint32Array(image.data.buffer);
      stale = true;
    }
    const key = `${range.x0} ${range.x1} ${rowPx}`;
    if (stale || key !== painted) paint(words, width, height, { table, range, rowPx, hidden, rows });
    stale = false;
    painted = key;
    ctx.putImageData(image, 0, 0);
    drawCursor(ctx, range, frame, width, height, dpr);
    marks?.paint(ctx, { range, rows: drawn, rowPx, width, dpr });
    draws += 1;
    report(canvas, {
      timelineDraws: String(draws),
      timelineMs: (performance.now() - started).toFixed(2),
      timelineLabels: drawn.join(","),
      timelineFrames: String(n),
    });
  }
  const redraw = perFrame(draw);
  /** What the strip shows changed (not only the frame): paint it again. */
  const repaint = () => {
    stale = true;
    redraw.request();
  };
  // Pointer: press seeks at once, a drag at most once per animation frame.
  let press = null;
  let fraction = 0;
  const at = (e) => {
    const r = canvas.getBoundingClientRect();
    return { x: r.width ? (e.clientX - r.left) / r.width : 0, y: e.clientY - r.top };
  };
  const seek = () => {
    const frame = frameAt(currentRange(), fraction, Math.min(frames(), model.get("n_frames") || frames()));
    if (frame !== model.get("frame")) sync.now({ frame });
  };
  const seeking = perFrame(seek);
  const hover = (p) => {
    const r = currentRange();
    const label = drawn[Math.floor(p.y / rowHeight(drawn.length))];
    const text = `frame ${frameNumber(frameAt(r, p.x, frames()))}${label === undefined ? "" : ` · label ${label}`}`;
    put(canvas, "title", text);
  };
  const down = (e) => {
    if (e.button !== 0 || press !== null) return;
    press = e.pointerId;
    capturePointer(canvas, e);
    fraction = at(e).x;
    seek();
  };
  const move = (e) => {
    const p = at(e);
    if (press === null) {
      hover(p);
      return;
    }
    if (e.pointerId !== press) return;
    fraction = p.x;
    seeking.request();
  };
  const up = (e) => {
    if (e.pointerId !== press) return;
    press = null;
    fraction = at(e).x;
    seeking.cancel();
    seek();
    releasePointer(canvas, e);
  };
  const cancel = (e) => {
    if (e.pointerId !== press) return;
    press = null;
    seeking.flush();
  };
  const wheel = (e) => {
    const r = currentRange();
    const next = zoomRange(r, wheelFactor(e), r.x0 + at(e).x * (r.x1 - r.x0), frames());
    if (next.x0 === r.x0 && next.x1 === r.x1) return; // nothing to zoom: the page scrolls
    e.preventDefault();
    range = next;
    repaint();
  };
  const reset = () => {
    range = fullRange(frames());
    repaint();
  };

  const listeners = [
    ["pointerdown", down],
    ["pointermove", move],
    ["pointerup", up],
    ["pointercancel", cancel],
    ["lostpointercapture", cancel],
    ["wheel", wheel, { passive: false }],
    ["dblclick", reset],
  ];
  const offEvents = bindEvents(canvas, listeners);
  const readHidden = () => {
    hidden = hiddenOf(model);
  };
  readHidden();
  const observer = new ResizeObserver(repaint);
  observer.observe(el);
  const offs = [
    summary.subscribe(repaint),
    filter?.subscribe(repaint) ?? (() => {}),
    marks?.subscribe(repaint) ?? (() => {}),
    listen(model, ["frame"], redraw.request),
    listen(model, ["n_frames"], repaint),
    listen(model, ["hidden"], () => {
      readHidden();
      repaint();
    }),
  ];
  repaint();

  return {
    el,
    canvas,
    /** Draw now, painted again (benchmarks; else draws come once per animation frame). */
    draw() {
      stale = true;
      draw();
    },
    dispose() {
      offEvents();
      for (const off of offs) off();
      observer.disconnect();
      redraw.cancel();
      seeking.cancel();
    },
  };
}
