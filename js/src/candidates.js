// Candidates: objects a search found (Segment everything / Find new, the kernel's
// widget/discovery.py) that are not objects yet, outlined over the image of their
// frame. A left click on one drops it and Shift+click selects it: the kernel decides
// and answers with the candidates still shown. A click anywhere else prompts as
// before. The outlines follow the pixel edges of the candidates' label image (sent
// run-length coded like labels, once per search), one path per candidate built once
// per image and stroked in image pixels at a width set in screen pixels, so they stay
// thin lines at any zoom.

import { decodeRle } from "./codecs.js";
import { bindEvents } from "./sync.js";

/** Outline colours: a candidate, a selected one, and the dark edge under both. */
export const OUTLINE = "#ffd400";
export const SELECTED = "#00e5ff";
const UNDER = "rgba(0, 0, 0, 0.65)";

/**
 * Every pixel edge between a candidate and anything else, merged into straight runs;
 * `visit(id, x0, y0, x1, y1)` gets each run of candidate `id`'s outline, in image
 * pixels (pixel corners). Two scans of the image, no allocation per pixel.
 * @param {ArrayLike<number>} labels  row-major, width × height; 0 is no candidate
 * @param {number} width
 * @param {number} height
 * @param {(id: number, x0: number, y0: number, x1: number, y1: number) => void} visit
 */
export function outlineRuns(labels, width, height, visit) {
  // Horizontal edges: the one above pixel (x, y), between rows y - 1 and y.
  for (let y = 0; y <= height; y++) {
    let above = 0;
    let below = 0;
    let start = 0;
    for (let x = 0; x <= width; x++) {
      let a = x < width && y > 0 ? labels[(y - 1) * width + x] : 0;
      let b = x < width && y < height ? labels[y * width + x] : 0;
      if (a === b) a = b = 0;
      if (a === above && b === below) continue;
      if (above) visit(above, start, y, x, y);
      if (below) visit(below, start, y, x, y);
      above = a;
      below = b;
      start = x;
    }
  }
  // Vertical edges: the one left of pixel (x, y); a run per column stays open down it.
  const left = new Uint32Array(width + 1);
  const right = new Uint32Array(width + 1);
  const from = new Int32Array(width + 1);
  for (let y = 0; y <= height; y++) {
    for (let x = 0; x <= width; x++) {
      let a = y < height && x > 0 ? labels[y * width + x - 1] : 0;
      let b = y < height && x < width ? labels[y * width + x] : 0;
      if (a === b) a = b = 0;
      if (a === left[x] && b === right[x]) continue;
      if (left[x]) visit(left[x], x, from[x], x, y);
      if (right[x]) visit(right[x], x, from[x], x, y);
      left[x] = a;
      right[x] = b;
      from[x] = y;
    }
  }
}

/**
 * The intent a click on a candidate sends (intents.js declares it; built here to keep
 * that module within its size).
 * @returns {import("./intents.js").Candidate}
 */
export function candidate(frame, id, select) {
  return { type: "candidate", frame, id, select };
}

/**
 * One path per candidate id, from its outline's runs.
 * @param {() => {moveTo(x: number, y: number): void, lineTo(x: number, y: number): void}} [makePath]
 * @returns {Map<number, any>}
 */
export function outlinePaths(labels, width, height, makePath = () => new Path2D()) {
  const paths = new Map();
  outlineRuns(labels, width, height, (id, x0, y0, x1, y1) => {
    if (!paths.has(id)) paths.set(id, makePath());
    const path = paths.get(id);
    path.moveTo(x0, y0);
    path.lineTo(x1, y1);
  });
  return paths;
}

/**
 * @param {object} o
 * @param {import("./sync.js").Model} o.model  reads frame
 * @param {(intent: import("./intents.js").Intent) => void} o.send
 * @param {HTMLElement} o.canvas  where Shift is read at each press
 * @param {{setCandidates(draw: ((ctx: CanvasRenderingContext2D, view: {scale: number}) => void) | null): void,
 *   requestDraw(): void}} o.renderer
 * @param {(node: HTMLElement, values: Record<string, string>) => void} [o.report]  debug
 *   hooks: data-candidates (shown), data-selected
 * @param {() => any} [o.makePath]
 */
export function createCandidates({ model, send, canvas, renderer, report = () => {}, makePath }) {
  let shown = { frame: null, width: 0, height: 0, image: null, paths: new Map(), ids: new Set(), selected: new Set() };
  let shift = false;
  const visible = () => shown.image !== null && shown.ids.size > 0 && shown.frame === model.get("frame");

  /** @param {CanvasRenderingContext2D} ctx  in image pixels  @param {{scale: number}} view */
  const draw = (ctx, view) => {
    if (!visible()) return;
    const px = 1 / view.scale; // one CSS pixel, in image pixels
    ctx.save();
    ctx.lineCap = "square"; // the runs meet at the pixel corners without notches
    const stroke = (ids, colour, width) => {
      ctx.strokeStyle = colour;
      ctx.lineWidth = width * px;
      for (const id of ids) {
        const path = shown.paths.get(id);
        if (path) ctx.stroke(path);
      }
    };
    stroke(shown.ids, UNDER, 3);
    stroke(
      [...shown.ids].filter((id) => !shown.selected.has(id)),
      OUTLINE,
      1.5,
    );
    stroke(shown.selected, SELECTED, 2.5);
    ctx.restore();
  };

  /** A CandidatesMsg (outbound.js): the image when it comes, and what is shown of it. */
  const apply = (msg, buffers) => {
    const { frame, width, height } = msg;
    let { image, paths } = shown;
    if (msg.has_image) {
      image = decodeRle(buffers[0], width, height);
      paths = outlinePaths(image, width, height, makePath);
    }
    if (!msg.ids.length) [image, paths] = [null, new Map()];
    shown = { frame, width, height, image, paths, ids: new Set(msg.ids), selected: new Set(msg.selected) };
    renderer.setCandidates(draw);
    renderer.requestDraw();
    report(canvas, { candidates: String(shown.ids.size), selected: String(shown.selected.size) });
  };

  /** A click at image pixel (x, y): true when it was on a candidate (then sent). */
  const click = (x, y) => {
    const col = Math.floor(x);
    const row = Math.floor(y);
    if (!visible() || col < 0 || row < 0 || col >= shown.width || row >= shown.height) return false;
    const id = shown.image[row * shown.width + col];
    if (!shown.ids.has(id)) return false;
    send(candidate(shown.frame, id, shift));
    return true;
  };

  const off = bindEvents(canvas, [
    [
      "pointerdown",
      (e) => {
        shift = e.shiftKey;
      },
    ],
  ]);
  return {
    apply,
    click,
    /** What is shown (tests). */
    get state() {
      return shown;
    },
    dispose() {
      off();
      renderer.setCandidates(null);
    },
  };
}
