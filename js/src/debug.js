// Hooks for browser tests and benchmarks, on only while the `debug` trait is true: after
// each draw the canvas carries data-seq, data-frame, data-labelled, data-draw-ms and
// data-lossless, and `canvas.sam2jDebug` holds the renderer. Nothing here runs otherwise
// (counting labelled pixels is a loop over every pixel).

import { listen } from "./sync.js";

const KEYS = ["seq", "frame", "labelled", "drawMs", "lossless"];

/** Pixels with a label other than 0. */
export function countLabelled(labels) {
  let n = 0;
  if (labels) for (let i = 0; i < labels.length; i++) n += labels[i] !== 0;
  return n;
}

/**
 * The data-* values for one drawn message.
 * @param {{seq: number, ms: number, frame: number | null, labels: Uint16Array | null, lossless: boolean}} d
 * @returns {Record<string, string>} dataset keys → values
 */
export function hooks({ seq, ms, frame, labels, lossless }) {
  return {
    seq: String(seq),
    frame: String(frame),
    labelled: String(countLabelled(labels)),
    drawMs: ms.toFixed(2),
    lossless: String(Boolean(lossless)),
  };
}

/**
 * @param {import("./sync.js").Model} model
 * @param {HTMLElement} el  the element that carries the hooks
 * @param {{state: {frame: number | null, labels: Uint16Array | null, lossless: boolean}}} renderer
 */
export function createDebug(model, el, renderer) {
  let on = false;
  const toggle = () => {
    on = Boolean(model.get("debug"));
    if (on) {
      el.sam2jDebug = { renderer };
      return;
    }
    delete el.sam2jDebug;
    for (const key of KEYS) delete el.dataset[key];
  };
  const off = listen(model, ["debug"], toggle);
  toggle();
  return {
    /** A message was drawn (stream.js): what the canvas shows now. */
    drawn(seq, ms) {
      if (!on) return;
      const { frame, labels, lossless } = renderer.state;
      Object.assign(el.dataset, hooks({ seq, ms, frame, labels, lossless }));
    },
    dispose: off,
  };
}
