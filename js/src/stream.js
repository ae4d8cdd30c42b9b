// The kernel's frame stream: messages are handled strictly in arrival order, decoded
// (images by the browser, labels from their run-length buffer), drawn, and then
// acknowledged, which is the kernel's flow control (at most two in flight). A message
// that cannot be shown is acknowledged too, and the error is reported.
//
// Nothing the user waits for queues behind the lossless PNG of the frame in view (a
// 1024² PNG takes tens of milliseconds to decode):
// - a frame that a newer frame has overtaken is not drawn: image decodes start on
//   arrival, and once the newer frame arrives the older one is acknowledged without
//   waiting for its decode;
// - labels for the frame in view, when only that frame's own images are still
//   decoding, are drawn at once; older labels for that frame (in a message still
//   queued, or carried by the image being decoded) never replace them.
//
// Frames sent ahead (ahead.js) are laid up as they arrive and acknowledged once
// decoded. `moved(frame)`, called as the view moves, draws the copy of that frame if
// one is ready, and `report()`, just before the move is saved, sets which copy it drew
// for the save to carry; frame messages received before that move, for other frames,
// are then not drawn.

import { createAhead } from "./ahead.js";
import { apply, browserDecoders, decode, discard } from "./decode.js";
import { ack } from "./intents.js";
import { STREAMED } from "./outbound.js";

/**
 * Receive the kernel's custom messages until the returned cleanup is called: the one
 * `msg:custom` listener of the widget. Frames and labels are drawn here; any other
 * type goes to its handler in `route` (the timeline to the summary).
 * @param {object} o
 * @param {import("./sync.js").Model} o.model
 * @param {(intent: import("./intents.js").Intent) => void} o.send
 * @param {import("./decode.js").Sink} o.sink
 * @param {import("./decode.js").Decoders} [o.decoders]
 * @param {(seq: number, ms: number, msg: {type: string, frame: number}) => void} [o.onDrawn]
 *   after each draw: the sequence number, the milliseconds from arrival to drawn and
 *   the message (the brush keeps a stroke drawn until its frame's labels are)
 * @param {(error: unknown) => void} [o.onError]
 * @param {Record<string, (msg: any, buffers: any[]) => void>} [o.route]  by message type
 * @param {() => number} [o.now]  milliseconds
 * @param {{setTimeout: Function, clearTimeout: Function}} [o.timers]  injectable for tests
 * @returns {{moved(frame: number, local: boolean): boolean, ready(frame: number): boolean,
 *   report(): void, dispose(): void}}
 *   moved: the view moves to `frame` (`local`: by this view's own doing); true when a
 *   copy laid up was drawn. ready: a copy of `frame` is laid up and decoded. report:
 *   call just before the moves are saved
 */
export function mountStream({
  model,
  send,
  sink,
  decoders = browserDecoders,
  onDrawn = () => {},
  onError = () => {},
  route = {},
  now = () => performance.now(),
  timers = globalThis,
}) {
  const tell = (value) => model.set("shown_ahead", value); // saved with the moves
  let chain = Promise.resolve();
  let disposed = false;
  let newestFrame = Number.NEGATIVE_INFINITY; // the seq of the newest frame message
  let overtake = () => {}; // ends the wait for the image being decoded
  const decoding = new Map(); // seq -> frame of frame messages not yet drawn or skipped
  let latest = { frame: null, seq: Number.NEGATIVE_INFINITY }; // the labels in view came with
  const stale = (msg) => msg.frame === latest.frame && msg.seq < latest.seq;
  const ahead = createAhead({ decoders, send, tell, sink, onDrawn, onError, now, timers });
  const passed = ahead.passed;
  let awaited = null; // the frame message whose image is awaited
  /** The frame's image, or null when a newer frame (or a move) came first. */
  const imageOf = async (msg, image) => {
    if (msg.seq < newestFrame || passed(msg)) return null;
    const overtaken = new Promise((resolve) => {
      overtake = () => resolve(null);
    });
    awaited = msg;
    return Promise.race([image, overtaken]).finally(() => {
      awaited = null;
    });
  };
  const show = (msg, decoded, received) => {
    const newer = stale(msg);
    if (msg.type === "labels" && newer) return; // newer labels are drawn already
    apply(msg, decoded, sink, newer);
    if (!newer && (msg.type === "labels" || msg.has_labels)) latest = msg;
    sink.draw();
    onDrawn(msg.seq, now() - received, msg);
  };
  const handle = async (msg, buffers, received, pending) => {
    if (disposed || !STREAMED.has(msg.type)) return;
    let image;
    if (msg.type === "frame") {
      image = await imageOf(msg, pending).finally(() => decoding.delete(msg.seq));
      if (image === null || disposed) {
        discard(pending);
        if (!disposed) send(ack([msg.seq]));
        return;
      }
    }
    const decoded = decode(msg, buffers ?? [], sink.state.frame, decoders, image);
    if (disposed) {
      decoded.image?.close?.();
      return;
    }
    show(msg, decoded, received);
    send(ack([msg.seq]));
  };
  /** Labels for the frame in view, with only that frame's own images ahead of them. */
  const outOfTurn = (msg) =>
    msg.type === "labels" && msg.frame === sink.state.frame && [...decoding.values()].every((f) => f === msg.frame);
  const receive = (msg, buffers) => {
    const received = now();
    if (disposed) return;
    if (ahead.receive(msg, buffers ?? [], () => disposed)) return;
    if (!STREAMED.has(msg?.type)) {
      try {
        route[msg?.type]?.(msg, buffers);
      } catch (error) {
        onError(error);
      }
      return;
    }
    if (outOfTurn(msg)) {
      try {
        show(msg, decode(msg, buffers ?? [], sink.state.frame, decoders), received);
      } catch (error) {
        onError(error);
      }
      send(ack([msg.seq]));
      return;
    }
    let pending = null;
    if (msg.type === "frame") {
      decoding.set(msg.seq, msg.frame);
      pending = (async () => decoders.image((buffers ?? [])[0], msg.mime))();
      pending.catch(() => {}); // reported when its turn comes
      if (msg.seq > newestFrame) {
        newestFrame = msg.seq;
        overtake();
      }
    }
    chain = chain
      .then(() => handle(msg, buffers, received, pending))
      .catch((error) => {
        if (disposed) return;
        onError(error);
        send(ack([msg.seq]));
      });
  };
  /**
   * The view moves to `frame`: its copy laid up is drawn now, if one is ready. A move
   * of this view's own (`local`) tells the kernel which copy it drew, or that none was.
   */
  const moved = (frame, local) => {
    if (disposed || sink.state.frame === frame) return false;
    const msg = ahead.moved(frame, local);
    if (!msg) return false;
    if (msg.has_labels) latest = msg;
    if (awaited && passed(awaited)) overtake();
    return true;
  };
  model.on("msg:custom", receive);
  return {
    moved,
    ready: (frame) => ahead.ready(frame),
    report() {
      if (!disposed) ahead.report();
    },
    dispose() {
      disposed = true;
      model.off("msg:custom", receive);
      ahead.dispose();
    },
  };
}
