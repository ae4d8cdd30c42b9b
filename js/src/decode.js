// What the frame stream (stream.js) decodes and how it hands the result to the
// renderer: images by the browser, labels as their checked runs (codecs.js).

import { readRuns } from "./codecs.js";

/** @typedef {import("./codecs.js").Labels} Labels */

/**
 * @typedef {object} Decoders
 * @property {(buffer: DataView | ArrayBuffer, mime: string) => Promise<ImageBitmap>} image
 * @property {(buffer: DataView | ArrayBuffer, width: number, height: number) => Labels} labels
 */

/** @type {Decoders} */
export const browserDecoders = {
  image: (buffer, mime) => createImageBitmap(new Blob([buffer], { type: mime })),
  labels: (buffer, width, height) => readRuns(buffer, width, height),
};

/**
 * Where decoded messages go (the renderer).
 * @typedef {object} Sink
 * @property {(m: {frame: number, width: number, height: number, image: any,
 *   labels: Labels | null, lossless: boolean}) => void} showFrame
 * @property {(labels: Labels) => void} showLabels  for the frame in view
 * @property {{frame: number | null, labels?: Labels | null}} state  the frame in
 *   view and its labels
 * @property {() => void} draw  draw now
 */

/** Release a decoded image nobody will draw (when its decode ends). */
export const discard = (image) =>
  image.then(
    (bitmap) => bitmap?.close?.(),
    () => {},
  );

/**
 * Decode one message; a frame's image is already decoding (``image``). Labels for a
 * frame other than the one in view are not decoded (the frame's own message brings
 * them).
 * @returns {{image?: any, labels?: Labels | null}}
 */
export function decode(msg, buffers, frameInView, decoders, image) {
  if (msg.type === "frame") {
    try {
      return { image, labels: msg.has_labels ? decoders.labels(buffers[1], msg.width, msg.height) : null };
    } catch (error) {
      image?.close?.();
      throw error;
    }
  }
  if (msg.frame !== frameInView) return {};
  return { labels: decoders.labels(buffers[0], msg.width, msg.height) };
}

/** Hand decoded content to the sink. */
export function apply(msg, { image, labels }, sink, newer) {
  if (msg.type === "frame") {
    if (newer) labels = sink.state.labels ?? null; // newer labels came out of turn
    const { frame, width, height } = msg;
    sink.showFrame({ frame, width, height, image, labels, lossless: Boolean(msg.lossless) });
  } else if (labels) {
    sink.showLabels(labels);
  }
}
