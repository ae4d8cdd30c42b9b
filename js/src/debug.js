// Hooks for browser tests and benchmarks, on only while the `debug` trait is true: after
// each draw the canvas carries data-seq, data-frame, data-labelled, data-draw-ms and
// data-lossless, and `canvas.sam2jDebug` holds the renderer (and the extras index.js
// passes, such as the summary). Other parts report their own data-* values through
// report() (the timeline's draws, the object list's labels, the optimistic markers,
// and on the canvas the editing tools': data-tool, the active tool; data-stroke-points,
// the points of the last stroke sent; data-strokes-sent, how many; data-stroke-draw-ms,
// for the last pointer move painted, ms from the event's timeStamp to the stroke drawn
// in its animation frame); these are kept while debug is off and written only while
// it is on. Nothing costly runs otherwise.

import { listen, put } from "./sync.js";

const KEYS = ["seq", "frame", "labelled", "drawMs", "lossless"];

/** Write only the values that changed. */
function setData(node, values) {
  for (const [key, value] of Object.entries(values)) put(node.dataset, key, value);
}

/**
 * The data-* values for one drawn message.
 * @param {{seq: number, ms: number, frame: number | null, labels: import("./codecs.js").Labels | null, lossless: boolean}} d
 * @returns {Record<string, string>} dataset keys → values
 */
export function hooks({ seq, ms, frame, labels, lossless }) {
  return {
    seq: String(seq),
    frame: String(frame),
    labelled: String(labels?.labelled ?? 0), // counted when the runs were read
    drawMs: ms.toFixed(2),
    lossless: String(Boolean(lossless)),
  };
}

/**
 * @param {import("./sync.js").Model} model
 * @param {HTMLElement} el  the element that carries the hooks
 * @param {{state: {frame: number | null, labels: import("./codecs.js").Labels | null, lossless: boolean}}} renderer
 * @param {Record<string, any>} [extras]  also put on `el.sam2jDebug`
 */
export function createDebug(model, el, renderer, extras = {}) {
  let on = false;
  /** @type {Map<{dataset: DOMStringMap}, Record<string, string>>} latest reported values */
  const reported = new Map();
  const toggle = () => {
    on = Boolean(model.get("debug"));
    if (on) {
      el.sam2jDebug = { renderer, ...extras };
      for (const [node, values] of reported) setData(node, values);
      return;
    }
    delete el.sam2jDebug;
    for (const key of KEYS) delete el.dataset[key];
    for (const [node, values] of reported) for (const key of Object.keys(values)) delete node.dataset[key];
  };
  const off = listen(model, ["debug"], toggle);
  toggle();
  return {
    /** A message was drawn (stream.js): what the canvas shows now. */
    drawn(seq, ms) {
      if (!on) return;
      const { frame, labels, lossless } = renderer.state;
      setData(el, hooks({ seq, ms, frame, labels, lossless }));
    },
    /**
     * data-* values of some element (dataset keys → strings), shown while debug is on.
     * @param {{dataset: DOMStringMap}} node
     * @param {Record<string, string>} values
     */
    report(node, values) {
      reported.set(node, { ...reported.get(node), ...values });
      if (on) setData(node, values);
    },
    dispose: off,
  };
}
