// Drawing in layers, at the device pixel ratio. Two stacked canvases of one size:
// - scene: the frame image, then the label overlay (an image-sized canvas rebuilt only
//   when the labels, the opacity or the hidden labels change; nearest-neighbour);
// - marks: the stroke layer (image-sized, empty until a tool draws into it; painted
//   opaque, shown at STROKE_ALPHA as a whole), then the prompt markers, the box being
//   dragged and the brush cursor (marks.js).
// A marker, drag box, cursor or stroke change redraws only the marks canvas. Draws
// requested through requestDraw() are coalesced into one per animation frame.

import { labelsToRgba } from "./codecs.js";
import { drawCursor, drawDragBox, drawPrompt } from "./marks.js";

/** How opaque the stroke layer is shown: the paint reads as paint, the image shows through. */
export const STROKE_ALPHA = 0.6;

/** An image-sized offscreen canvas. */
function imageLayer() {
  const canvas = document.createElement("canvas");
  return { canvas, ctx: canvas.getContext("2d"), used: false };
}

function sizeTo(layer, width, height) {
  if (layer.canvas.width !== width || layer.canvas.height !== height) {
    layer.canvas.width = width;
    layer.canvas.height = height;
  }
}

/**
 * @param {HTMLCanvasElement} scene  the frame and its labels (what tests sample)
 * @param {HTMLCanvasElement} marks  drawn over the scene; lets pointer events through
 */
export function createRenderer(scene, marks) {
  const sctx = scene.getContext("2d");
  const mctx = marks.getContext("2d");
  const overlay = imageLayer();
  const stroke = imageLayer();
  const state = {
    image: null,
    labels: null,
    frame: null,
    lossless: false,
    width: 0,
    height: 0,
    opacity: 0.5,
    hidden: new Set(), // label ids the overlay leaves out
    prompts: [],
    view: { scale: 1, tx: 0, ty: 0 },
    dragBox: null,
    candidates: null, // draws the candidates' outlines, in image pixels (candidates.js)
    cursor: null, // the brush cursor, CSS pixels: {x, y, r, erase}
    cssW: 0,
    cssH: 0,
    dpr: 1,
    overlayBuilds: 0,
  };
  // What is drawn, for the other modules to read: getters only, so that nobody but
  // the renderer can change it.
  const shown = Object.freeze(
    Object.defineProperties(
      {},
      Object.fromEntries(Object.keys(state).map((k) => [k, { get: () => state[k], enumerable: true }])),
    ),
  );
  const dirty = { scene: true, marks: true };
  let frameRequest = 0;
  let pixels = null; // the overlay's ImageData, kept while the size holds

  function rebuildOverlay() {
    dirty.scene = true;
    if (!state.labels?.labelled || !state.width) return; // nothing labelled: no overlay
    sizeTo(overlay, state.width, state.height);
    if (pixels?.width !== state.width || pixels?.height !== state.height) {
      pixels = overlay.ctx.createImageData(state.width, state.height);
    }
    labelsToRgba(state.labels, state.opacity, pixels.data, state.hidden);
    overlay.ctx.putImageData(pixels, 0, 0);
    state.overlayBuilds += 1;
  }

  /** Transform a 2D context from image pixels (or, with `image` false, CSS pixels). */
  function place(ctx, image) {
    const { dpr, view } = state;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, ctx.canvas.width, ctx.canvas.height);
    if (image) ctx.setTransform(dpr * view.scale, 0, 0, dpr * view.scale, dpr * view.tx, dpr * view.ty);
    else ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.imageSmoothingEnabled = false;
  }

  function drawScene() {
    place(sctx, true);
    if (state.image) sctx.drawImage(state.image, 0, 0, state.width, state.height);
    if (state.labels?.labelled) sctx.drawImage(overlay.canvas, 0, 0);
  }

  function drawMarks() {
    place(mctx, true);
    if (stroke.used) {
      mctx.globalAlpha = STROKE_ALPHA;
      mctx.drawImage(stroke.canvas, 0, 0);
      mctx.globalAlpha = 1;
    }
    state.candidates?.(mctx, state.view);
    mctx.setTransform(state.dpr, 0, 0, state.dpr, 0, 0);
    for (const p of state.prompts) drawPrompt(mctx, state.view, p);
    if (state.dragBox) drawDragBox(mctx, state.dragBox);
    if (state.cursor) drawCursor(mctx, state.cursor);
  }

  /** Draw the layers that changed, now. */
  function draw() {
    if (frameRequest) cancelAnimationFrame(frameRequest);
    frameRequest = 0;
    if (dirty.scene) drawScene();
    if (dirty.marks) drawMarks();
    dirty.scene = false;
    dirty.marks = false;
  }

  return {
    state: shown,
    resize(cssW, cssH, dpr) {
      Object.assign(state, { cssW, cssH, dpr });
      for (const c of [scene, marks]) {
        c.style.width = `${cssW}px`;
        c.style.height = `${cssH}px`;
        c.width = Math.max(1, Math.round(cssW * dpr));
        c.height = Math.max(1, Math.round(cssH * dpr));
      }
      dirty.scene = dirty.marks = true;
    },
    /** A decoded frame message: its image (released when replaced) and labels. */
    showFrame({ frame, width, height, image, labels, lossless }) {
      if (state.image && state.image !== image) state.image.close?.();
      Object.assign(state, { frame, width, height, image, lossless });
      state.labels = labels;
      rebuildOverlay();
    },
    showLabels(labels) {
      state.labels = labels;
      rebuildOverlay();
    },
    setOpacity(opacity) {
      state.opacity = opacity;
      rebuildOverlay();
    },
    /** @param {ReadonlySet<number>} hidden  label ids not to draw */
    setHidden(hidden) {
      state.hidden = hidden;
      rebuildOverlay();
    },
    setPrompts(prompts) {
      if (!state.prompts.length && !prompts?.length) return; // none before or now: the layer stays
      state.prompts = prompts ?? [];
      dirty.marks = true;
    },
    setView(view) {
      state.view = view;
      dirty.scene = dirty.marks = true;
    },
    setCandidates(draw) {
      state.candidates = draw;
      dirty.marks = true;
    },
    setDragBox(box) {
      state.dragBox = box;
      dirty.marks = true;
    },
    /** @param {{x: number, y: number, r: number, erase: boolean} | null} cursor  CSS pixels */
    setCursor(cursor) {
      state.cursor = cursor;
      dirty.marks = true;
    },
    /** The stroke layer's context, in image pixels; call requestDraw() after drawing. */
    strokeContext() {
      sizeTo(stroke, Math.max(1, state.width), Math.max(1, state.height));
      stroke.used = true;
      dirty.marks = true;
      return stroke.ctx;
    },
    clearStroke() {
      if (!stroke.used) return;
      stroke.ctx.clearRect(0, 0, stroke.canvas.width, stroke.canvas.height);
      stroke.used = false;
      dirty.marks = true;
    },
    draw,
    /** Coalesce many requests into one draw per animation frame. */
    requestDraw() {
      if (!frameRequest) frameRequest = requestAnimationFrame(draw);
    },
    dispose() {
      if (frameRequest) cancelAnimationFrame(frameRequest);
      frameRequest = 0;
      state.image?.close?.();
      state.image = null;
    },
  };
}
