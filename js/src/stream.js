// The kernel's frame stream: messages are handled strictly in arrival order, decoded
// (images by the browser, labels from their run-length buffer), drawn, and then
// acknowledged, which is the kernel's flow control (at most two in flight). A message
// that cannot be shown is acknowledged too, and the error is reported.

import { decodeRle } from "./codecs.js";
import { ack } from "./intents.js";

/**
 * @typedef {object} Decoders
 * @property {(buffer: DataView | ArrayBuffer, mime: string) => Promise<ImageBitmap>} image
 * @property {(buffer: DataView | ArrayBuffer, width: number, height: number) => Uint16Array} labels
 */

/** @type {Decoders} */
export const browserDecoders = {
  image: (buffer, mime) => createImageBitmap(new Blob([buffer], { type: mime })),
  labels: (buffer, width, height) => decodeRle(buffer, width, height),
};

/**
 * Where decoded messages go (the renderer).
 * @typedef {object} Sink
 * @property {(m: {frame: number, width: number, height: number, image: any,
 *   labels: Uint16Array | null, lossless: boolean}) => void} showFrame
 * @property {(labels: Uint16Array) => void} showLabels  for the frame in view
 * @property {{frame: number | null}} state  the frame in view
 * @property {() => void} draw  draw now
 */

/** The message types this module handles; others are left to whoever wants them. */
const STREAMED = new Set(["frame", "labels"]);

/**
 * Decode one message. Labels for a frame other than the one in view are not decoded
 * (the frame's own message brings them).
 * @returns {Promise<{image?: any, labels?: Uint16Array | null}>}
 */
async function decode(msg, buffers, frameInView, decoders) {
  if (msg.type === "frame") {
    const image = await decoders.image(buffers[0], msg.mime);
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
function apply(msg, { image, labels }, sink) {
  if (msg.type === "frame") {
    const { frame, width, height } = msg;
    sink.showFrame({ frame, width, height, image, labels, lossless: Boolean(msg.lossless) });
  } else if (labels) {
    sink.showLabels(labels);
  }
}

/**
 * Receive the kernel's custom messages until the returned cleanup is called.
 * @param {object} o
 * @param {import("./sync.js").Model} o.model
 * @param {(intent: import("./intents.js").Intent) => void} o.send
 * @param {Sink} o.sink
 * @param {Decoders} [o.decoders]
 * @param {(seq: number, ms: number, msg: {type: string, frame: number}) => void} [o.onDrawn]
 *   after each draw: the sequence number, the milliseconds from arrival to drawn and
 *   the message (the brush keeps a stroke drawn until its frame's labels are)
 * @param {(error: unknown) => void} [o.onError]
 * @param {() => number} [o.now]  milliseconds
 * @returns {() => void} cleanup
 */
export function mountStream({
  model,
  send,
  sink,
  decoders = browserDecoders,
  onDrawn = () => {},
  onError = () => {},
  now = () => performance.now(),
}) {
  let chain = Promise.resolve();
  let disposed = false;
  const handle = async (msg, buffers, received) => {
    if (disposed || !STREAMED.has(msg.type)) return;
    const decoded = await decode(msg, buffers ?? [], sink.state.frame, decoders);
    if (disposed) {
      decoded.image?.close?.();
      return;
    }
    apply(msg, decoded, sink);
    sink.draw();
    onDrawn(msg.seq, now() - received, msg);
    send(ack(msg.seq));
  };
  const receive = (msg, buffers) => {
    const received = now();
    chain = chain
      .then(() => handle(msg, buffers, received))
      .catch((error) => {
        if (disposed) return;
        onError(error);
        send(ack(msg.seq));
      });
  };
  model.on("msg:custom", receive);
  return () => {
    disposed = true;
    model.off("msg:custom", receive);
  };
}
