// Drawing: frame image, label overlay (nearest-neighbour, crisp at any zoom),
// prompt markers and the box being dragged, at the device pixel ratio.

import { labelColor, labelsToRgba } from "./codecs.js";
import { toScreen } from "./view.js";

export function createRenderer(canvas) {
  const ctx = canvas.getContext("2d");
  const overlay = document.createElement("canvas");
  const octx = overlay.getContext("2d");
  const state = {
    image: null,
    labels: null,
    frame: null,
    lossless: false,
    width: 0,
    height: 0,
    opacity: 0.5,
    prompts: [],
    view: { scale: 1, tx: 0, ty: 0 },
    dragBox: null,
    cssW: 0,
    cssH: 0,
    dpr: 1,
  };
  let frameRequest = 0;

  function rebuildOverlay() {
    if (!state.labels || !state.width) return;
    overlay.width = state.width;
    overlay.height = state.height;
    const img = octx.createImageData(state.width, state.height);
    labelsToRgba(state.labels, state.opacity, img.data);
    octx.putImageData(img, 0, 0);
  }

  function draw() {
    if (frameRequest) cancelAnimationFrame(frameRequest);
    frameRequest = 0;
    const { dpr, view } = state;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    ctx.setTransform(dpr * view.scale, 0, 0, dpr * view.scale, dpr * view.tx, dpr * view.ty);
    ctx.imageSmoothingEnabled = false;
    if (state.image) ctx.drawImage(state.image, 0, 0, state.width, state.height);
    if (state.labels) ctx.drawImage(overlay, 0, 0);
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    for (const p of state.prompts) drawPrompt(p);
    if (state.dragBox) {
      const b = state.dragBox;
      ctx.setLineDash([4, 3]);
      ctx.strokeStyle = "#fff";
      ctx.lineWidth = 1.5;
      ctx.strokeRect(b.x0, b.y0, b.x1 - b.x0, b.y1 - b.y0);
      ctx.setLineDash([]);
    }
  }

  function drawPrompt(p) {
    const [r, g, b] = labelColor(p.label);
    ctx.setLineDash(p.pending ? [3, 2] : []);
    ctx.lineWidth = 2;
    if (p.kind === "box") {
      const a = toScreen(state.view, p.x0, p.y0);
      const c = toScreen(state.view, p.x1, p.y1);
      ctx.strokeStyle = `rgb(${r},${g},${b})`;
      ctx.strokeRect(a.x, a.y, c.x - a.x, c.y - a.y);
    } else {
      const s = toScreen(state.view, p.x, p.y);
      ctx.beginPath();
      ctx.arc(s.x, s.y, 5, 0, 2 * Math.PI);
      ctx.fillStyle = p.positive ? "#2ecc40" : "#ff4136";
      ctx.fill();
      ctx.strokeStyle = `rgb(${r},${g},${b})`;
      ctx.stroke();
    }
    ctx.setLineDash([]);
  }

  return {
    state,
    resize(cssW, cssH, dpr) {
      state.cssW = cssW;
      state.cssH = cssH;
      state.dpr = dpr;
      canvas.style.width = `${cssW}px`;
      canvas.style.height = `${cssH}px`;
      canvas.width = Math.max(1, Math.round(cssW * dpr));
      canvas.height = Math.max(1, Math.round(cssH * dpr));
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
    setPrompts(prompts) {
      state.prompts = prompts ?? [];
    },
    setView(view) {
      state.view = view;
    },
    setDragBox(box) {
      state.dragBox = box;
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
