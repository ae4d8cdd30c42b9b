// Frames laid up ahead of the view (the kernel's "ahead" messages: the neighbours of the
// frame in view, the next frames of a playback), decoded as they arrive so that a move
// to one is drawn at once, without waiting for the kernel. The kernel keeps the record
// of what is held here (sam2_jupyter/widget/ahead.py): a copy goes only when the kernel
// says so ("forget") or when the view takes it (it becomes the view's image, which the
// renderer releases when it replaces it). A copy still decoding is not taken: the
// kernel, told of no copy drawn, sends the frame itself.
//
// Every message to the kernel costs a round of its busy and idle status besides
// itself (and JupyterLab swaps its favicon for each), so the view's claims go in the
// save of its moves (the `shown_ahead` trait, set just before the save), one message
// for both (a person stepping saves each move; playback, a tenth of a second of
// them), with the acknowledgements of the copies laid up; these go alone
// ACK_AFTER_MS after the first when no move comes.

import { ack } from "./intents.js";

/** How long a copy laid up waits for a move to carry its acknowledgement, ms. */
export const ACK_AFTER_MS = 150;
/** Moves and acknowledgements each report repeats (ipywidgets merges the saves made
 * while one is on its way: only the last value arrives). */
export const TOLD = 32;

/**
 * The view's latest moves (numbered from `first`, in this view's count): to
 * `frames[i]`, drawn from the copy sent ahead as message `seqs[i]` (-1: none was
 * ready); `acks`: the copies laid up lately. messages.py's ShownAhead.
 * @typedef {object} ShownAhead
 * @property {"shown_ahead"} type
 * @property {number} view int, drawn at random
 * @property {number} first int
 * @property {number[]} frames ints
 * @property {number[]} seqs ints
 * @property {number[]} acks ints
 */

/**
 * What a view has told of its moves: each report repeats the latest TOLD of them
 * and of its acknowledgements; the kernel acts on the moves it has not heard of.
 * @param {number} [view]
 * @returns {{add(claims: Array<[number, number]>, acks: number[]): ShownAhead}}
 */
export function createTold(view = Math.floor(Math.random() * 2 ** 31)) {
  let next = 1; // the number of the view's next move
  const moves = [];
  const acked = [];
  const keep = (list) => list.splice(0, Math.max(0, list.length - TOLD));
  return {
    add(claims, acks) {
      moves.push(...claims);
      next += claims.length;
      acked.push(...acks);
      keep(moves);
      keep(acked);
      const frames = moves.map((claim) => claim[0]);
      const seqs = moves.map((claim) => claim[1]);
      return { type: "shown_ahead", view, first: next - moves.length, frames, seqs, acks: [...acked] };
    },
  };
}

/** @typedef {{msg: any, bitmap: any, labels: DataView | ArrayBuffer | null}} Copy  labels run-length coded */

/**
 * @param {object} o
 * @param {import("./decode.js").Decoders} o.decoders
 * @returns {{put(msg: any, buffers: any[]): Promise<void>, take(frame: number): Copy | null,
 *   ready(frame: number): boolean, forget(frames: number[] | null): void, size(): number,
 *   dispose(): void}}
 */
export function createAheadStore({ decoders }) {
  /** @type {Map<number, {msg: any, labels: any, bitmap: any, gone: boolean, image: Promise<any>}>} */
  const held = new Map();
  /** Forget a copy: its image is released now, or when its decode ends. */
  const drop = (frame) => {
    const entry = held.get(frame);
    if (!entry) return;
    held.delete(frame);
    entry.gone = true;
    entry.bitmap?.close?.();
  };
  return {
    /** A copy arrived: its image decodes now; the promise settles when it has (a copy
     * that cannot be decoded is not held, so the kernel sends that frame when asked). */
    put(msg, buffers) {
      drop(msg.frame);
      const entry = { msg, labels: msg.has_labels ? buffers[1] : null, bitmap: null, gone: false };
      entry.image = (async () => decoders.image(buffers[0], msg.mime))();
      held.set(msg.frame, entry);
      return entry.image.then(
        (bitmap) => {
          if (entry.gone) bitmap?.close?.();
          else entry.bitmap = bitmap;
        },
        (error) => {
          if (held.get(msg.frame) === entry) held.delete(msg.frame);
          throw error;
        },
      );
    },
    /** The decoded copy of `frame`, handed over (no longer held); null if none is ready. */
    take(frame) {
      const entry = held.get(frame);
      if (!entry || entry.bitmap === null) return null;
      held.delete(frame);
      return { msg: entry.msg, bitmap: entry.bitmap, labels: entry.labels };
    },
    /** Forget `frames` (null: every copy). */
    forget(frames) {
      for (const frame of frames ?? [...held.keys()]) drop(frame);
    },
    size: () => held.size,
    ready: (frame) => Boolean(held.get(frame)?.bitmap),
    dispose() {
      for (const frame of [...held.keys()]) drop(frame);
    },
  };
}

/**
 * The stream's part for copies: lays them up, draws one when the view moves to it, and
 * says which frame messages that move passed (received before it, for other frames,
 * or older than the copy).
 * @param {object} o  as mountStream's (stream.js)
 */
export function createAhead({ decoders, send, tell, sink, onDrawn, onError, now, timers = globalThis }) {
  const store = createAheadStore({ decoders });
  const told = createTold();
  const acks = []; // copies laid up, not yet acknowledged
  const claims = []; // [frame, seq] of the view's moves not yet told
  let timer = null;
  const taken = () => {
    if (timer !== null) timers.clearTimeout(timer);
    timer = null;
    return acks.splice(0);
  };
  const acked = (seq) => {
    acks.push(seq);
    timer ??= timers.setTimeout(() => send(ack(taken())), ACK_AFTER_MS);
  };
  let newest = Number.NEGATIVE_INFINITY; // the seq of the newest streamed message
  let move = { frame: null, seq: Number.NEGATIVE_INFINITY, received: Number.NEGATIVE_INFINITY };
  return {
    /** A message arrived: true when it was this module's ("ahead", "forget"). */
    receive(msg, buffers, disposed) {
      if (msg?.type === "forget") {
        store.forget(msg.frames ?? null);
        return true;
      }
      if (typeof msg?.seq === "number") newest = Math.max(newest, msg.seq);
      if (msg?.type !== "ahead") return false;
      store
        .put(msg, buffers)
        .catch(onError)
        .finally(() => disposed() || acked(msg.seq));
      return true;
    },
    /** @param {{seq: number, frame: number}} msg */
    passed: (msg) => msg.seq <= move.received && (msg.frame !== move.frame || msg.seq < move.seq),
    /** Draw the copy of `frame` if one is ready; returns its message, or null. A
     * `local` move notes which copy it drew (-1: none), told by `report`. */
    moved(frame, local) {
      const copy = store.take(frame);
      if (local) claims.push([frame, copy ? copy.msg.seq : -1]);
      if (!copy) return null;
      const { msg } = copy;
      move = { frame, seq: msg.seq, received: newest };
      let labels = null;
      try {
        labels = copy.labels ? decoders.labels(copy.labels, msg.width, msg.height) : null;
      } catch (error) {
        onError(error); // drawn without labels; the kernel's answer to the move brings them
      }
      const t0 = now();
      sink.showFrame({ frame, width: msg.width, height: msg.height, image: copy.bitmap, labels, lossless: false });
      sink.draw();
      onDrawn(msg.seq, now() - t0, msg);
      return labels ? msg : { ...msg, has_labels: false };
    },
    ready: (frame) => store.ready(frame),
    /** The view's moves are about to be saved: what they drew goes with them. */
    report() {
      if (claims.length) tell(told.add(claims.splice(0), taken()));
    },
    dispose() {
      taken();
      claims.length = 0;
      store.dispose();
    },
  };
}
