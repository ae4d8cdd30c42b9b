import assert from "node:assert/strict";
import test from "node:test";

import { ACK_AFTER_MS, TOLD } from "../src/ahead.js";
import { mountStream } from "../src/stream.js";
import { FakeModel, FakeTimers } from "./fakes.js";

/** Decoders whose image decode finishes when the test says (out of order on purpose). */
function fakeDecoders() {
  const pending = new Map();
  return {
    pending,
    image: (buffer, mime) =>
      new Promise((resolve, reject) => pending.set(buffer, { resolve: () => resolve({ buffer, mime }), reject })),
    labels: (buffer, width, height) => {
      if (buffer === "bad") throw new Error("bad runs");
      return new Uint16Array(width * height).fill(buffer);
    },
  };
}

function fakeSink() {
  const log = [];
  return {
    log,
    state: { frame: null },
    showFrame(m) {
      this.state.frame = m.frame;
      this.state.labels = m.labels;
      log.push(["frame", m.frame, m.image.buffer, m.labels?.[0] ?? null, m.lossless]);
    },
    showLabels(labels) {
      this.state.labels = labels;
      log.push(["labels", labels[0]]);
    },
    draw() {
      log.push(["draw"]);
    },
  };
}

const frameMsg = (seq, frame, extra = {}) => ({
  type: "frame",
  seq,
  frame,
  width: 2,
  height: 1,
  mime: "image/jpeg",
  lossless: false,
  has_labels: true,
  ...extra,
});
const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

function mount() {
  const model = new FakeModel({ frame: 0 });
  const decoders = fakeDecoders();
  const sink = fakeSink();
  const drawn = [];
  const errors = [];
  const timers = new FakeTimers();
  const stream = mountStream({
    model,
    send: (m) => model.send(m),
    sink,
    decoders,
    onDrawn: (seq, ms) => drawn.push([seq, ms]),
    onError: (e) => errors.push(String(e)),
    now: () => 0,
    timers,
  });
  return { model, decoders, sink, drawn, errors, stream, timers, cleanup: stream.dispose };
}

test("frames are drawn and acknowledged in arrival order, whatever order decoding ends in", async () => {
  const { model, decoders, sink, drawn } = mount();
  model.emit("msg:custom", frameMsg(1, 0), ["img1", 5]);
  await settle();
  decoders.pending.get("img1").resolve();
  model.emit("msg:custom", { type: "labels", seq: 2, frame: 0, width: 2, height: 1 }, [7]);
  await settle();
  await settle();
  assert.deepEqual(
    model.sent.flatMap((m) => m.seqs),
    [1, 2],
  );
  assert.deepEqual(sink.log, [["frame", 0, "img1", 5, false], ["draw"], ["labels", 7], ["draw"]]);
  assert.deepEqual(
    drawn.map(([seq]) => seq),
    [1, 2],
  );
});

test("a frame overtaken by a newer one is acknowledged without waiting for its decode", async () => {
  const { model, decoders, sink, drawn } = mount();
  model.emit("msg:custom", frameMsg(1, 0, { lossless: true }), ["png", 5]);
  await settle();
  assert.deepEqual(model.sent, []); // nothing acknowledged before it is drawn
  model.emit("msg:custom", frameMsg(2, 1), ["jpeg", 6]);
  await settle();
  assert.ok(decoders.pending.has("jpeg")); // decoding started on arrival, not after the PNG
  assert.deepEqual(model.sent, [{ type: "ack", seqs: [1] }]); // the PNG is not waited for
  decoders.pending.get("jpeg").resolve();
  await settle();
  await settle();
  assert.deepEqual(sink.log, [["frame", 1, "jpeg", 6, false], ["draw"]]);
  assert.deepEqual(
    model.sent.flatMap((m) => m.seqs),
    [1, 2],
  );
  assert.deepEqual(
    drawn.map(([seq]) => seq),
    [2],
  );
  decoders.pending.get("png").resolve(); // its decode ends late: never drawn
  await settle();
  assert.equal(sink.log.length, 2);
});

test("labels apply only to the frame in view; both are acknowledged", async () => {
  const { model, decoders, sink } = mount();
  model.emit("msg:custom", frameMsg(1, 4, { has_labels: false }), ["img"]);
  await settle();
  decoders.pending.get("img").resolve();
  model.emit("msg:custom", { type: "labels", seq: 2, frame: 4, width: 2, height: 1 }, [9]);
  model.emit("msg:custom", { type: "labels", seq: 3, frame: 5, width: 2, height: 1 }, [8]);
  await settle();
  await settle();
  assert.deepEqual(sink.log, [["frame", 4, "img", null, false], ["draw"], ["labels", 9], ["draw"], ["draw"]]);
  assert.deepEqual(
    model.sent.flatMap((m) => m.seqs),
    [1, 2, 3],
  );
});

test("a message that cannot be shown is reported and still acknowledged; the next one is drawn", async () => {
  const { model, decoders, errors } = mount();
  model.emit("msg:custom", frameMsg(1, 0), ["img1", "bad"]);
  await settle();
  decoders.pending.get("img1").resolve();
  await settle();
  model.emit("msg:custom", frameMsg(2, 0), ["img2", 1]);
  await settle();
  decoders.pending.get("img2").reject(new Error("not an image"));
  await settle();
  model.emit("msg:custom", frameMsg(3, 0), ["img3", 1]);
  await settle();
  decoders.pending.get("img3").resolve();
  await settle();
  assert.deepEqual(errors, ["Error: bad runs", "Error: not an image"]);
  assert.deepEqual(
    model.sent.flatMap((m) => m.seqs),
    [1, 2, 3],
  );
});

test("other message types are ignored; cleanup stops receiving", async () => {
  const { model, decoders, sink, cleanup } = mount();
  model.emit("msg:custom", { type: "something-else", seq: 1 }, []);
  await settle();
  assert.deepEqual(model.sent, []);
  model.emit("msg:custom", frameMsg(2, 0), ["img", 1]);
  await settle();
  cleanup();
  decoders.pending.get("img").resolve();
  await settle();
  assert.equal(model.count("msg:custom"), 0);
  assert.deepEqual(model.sent, []); // a closed view draws and acknowledges nothing more
  assert.deepEqual(sink.log, []);
});

test("onDrawn hears which message was drawn (the brush keeps a stroke until its frame's labels are)", async () => {
  const model = new FakeModel({ frame: 0 });
  const sink = fakeSink();
  sink.state.frame = 4;
  const heard = [];
  mountStream({
    model,
    send: () => {},
    sink,
    decoders: fakeDecoders(),
    onDrawn: (...args) => heard.push(args),
    now: () => 0,
  });
  const msg = { type: "labels", seq: 7, frame: 4, width: 2, height: 1 };
  model.emit("msg:custom", msg, [3]);
  await settle();
  assert.deepEqual(heard, [[7, 0, msg]]);
});

test("labels for the frame in view do not wait for its lossless image, which then keeps them", async () => {
  const { model, decoders, sink } = mount();
  model.emit("msg:custom", frameMsg(1, 0), ["jpeg", 5]);
  await settle();
  decoders.pending.get("jpeg").resolve();
  await settle();
  await settle();
  model.emit("msg:custom", frameMsg(2, 0, { lossless: true }), ["png", 5]); // the upgrade
  model.emit("msg:custom", { type: "labels", seq: 3, frame: 0, width: 2, height: 1 }, [9]); // a click's
  await settle();
  assert.deepEqual(sink.log.slice(2), [["labels", 9], ["draw"]]); // drawn before the PNG decoded
  assert.deepEqual(
    model.sent.flatMap((m) => m.seqs),
    [1, 3],
  );
  decoders.pending.get("png").resolve();
  await settle();
  await settle();
  assert.deepEqual(sink.log.slice(4), [["frame", 0, "png", 9, true], ["draw"]]); // not its older 5
  assert.deepEqual(
    model.sent.flatMap((m) => m.seqs),
    [1, 3, 2],
  );
});

test("labels for a frame still on its way wait for it", async () => {
  const { model, decoders, sink } = mount();
  model.emit("msg:custom", frameMsg(1, 0), ["a", 5]);
  await settle();
  decoders.pending.get("a").resolve();
  await settle();
  await settle();
  model.emit("msg:custom", frameMsg(2, 1), ["b", 6]);
  model.emit("msg:custom", { type: "labels", seq: 3, frame: 1, width: 2, height: 1 }, [9]);
  await settle();
  assert.equal(sink.log.length, 2); // only frame 0 so far
  decoders.pending.get("b").resolve();
  await settle();
  await settle();
  assert.deepEqual(sink.log.slice(2), [["frame", 1, "b", 6, false], ["draw"], ["labels", 9], ["draw"]]);
});

const aheadMsg = (seq, frame, extra = {}) => ({
  type: "ahead",
  seq,
  frame,
  width: 2,
  height: 1,
  mime: "image/jpeg",
  has_labels: true,
  markers: [],
  ...extra,
});

test("a frame sent ahead is laid up, acknowledged once decoded, and drawn at once on the move", async () => {
  const { model, decoders, sink, drawn, stream, timers } = mount();
  model.emit("msg:custom", aheadMsg(1, 3), ["img3", 4]);
  await settle();
  assert.deepEqual(sink.log, []); // laid up, not drawn
  timers.tick(ACK_AFTER_MS);
  assert.deepEqual(model.sent, []); // acknowledged only once decoded
  assert.equal(stream.ready(3), false); // still decoding (the player waits for it)
  assert.equal(stream.moved(3, true), false); // still decoding: not taken, the kernel sends it
  assert.equal(model.get("shown_ahead"), undefined); // set just before the move is saved
  stream.report();
  const told = model.get("shown_ahead");
  assert.deepEqual({ ...told, view: 0 }, { type: "shown_ahead", view: 0, first: 1, frames: [3], seqs: [-1], acks: [] });
  stream.report();
  assert.equal(model.get("shown_ahead"), told); // nothing new: left as it is
  assert.deepEqual(model.sent, []); // no message of its own: the save carries it
  decoders.pending.get("img3").resolve();
  await settle();
  timers.tick(ACK_AFTER_MS - 1);
  assert.deepEqual(model.sent, []); // waits for a move to carry it
  timers.tick(1);
  assert.deepEqual(model.sent, [{ type: "ack", seqs: [1] }]); // none came
  assert.deepEqual([stream.ready(3), stream.ready(4)], [true, false]);
  assert.equal(stream.moved(3, true), true);
  assert.equal(stream.ready(3), false); // taken
  stream.report();
  const { first, frames, seqs } = model.get("shown_ahead");
  assert.deepEqual([first, frames, seqs], [1, [3, 3], [-1, 1]]); // which copy, after the last move
  assert.deepEqual(sink.log, [["frame", 3, "img3", 4, false], ["draw"]]);
  assert.deepEqual(drawn, [[1, 0]]);
  assert.equal(stream.moved(3, true), false); // handed over: the view's now, not held twice
});

test("each save carries the latest moves and acknowledgements, repeated (a merged save loses none)", async () => {
  const { model, decoders, stream, timers } = mount();
  for (const [seq, frame] of [
    [1, 1],
    [2, 2],
    [3, 3],
  ]) {
    model.emit("msg:custom", aheadMsg(seq, frame), [`img${frame}`, 4]);
    decoders.pending.get(`img${frame}`).resolve();
  }
  await settle();
  assert.equal(stream.moved(1, true), true);
  assert.equal(stream.moved(2, true), true);
  assert.equal(stream.moved(7, true), false); // none laid up
  stream.report();
  const told = model.get("shown_ahead");
  assert.deepEqual([told.first, told.frames, told.seqs, told.acks], [1, [1, 2, 7], [1, 2, -1], [1, 2, 3]]);
  timers.tick(ACK_AFTER_MS);
  assert.deepEqual(model.sent, []); // carried: the timer sends nothing
  stream.moved(3, false); // a move the kernel made is not told
  stream.report();
  assert.equal(model.get("shown_ahead"), told);
  for (let frame = 10; frame < 10 + TOLD; frame++) {
    stream.moved(frame, true);
    stream.report();
  }
  const last = model.get("shown_ahead");
  assert.equal(last.view, told.view); // the same view's count
  assert.equal(last.frames.length, TOLD); // the latest TOLD moves
  assert.deepEqual([last.first, last.frames[0], last.frames.at(-1)], [4, 10, 9 + TOLD]);
  assert.deepEqual(last.acks, [1, 2, 3]);
  model.emit("msg:custom", aheadMsg(4, 4), ["img4", 4]);
  decoders.pending.get("img4").resolve();
  await settle();
  stream.moved(4, true);
  stream.dispose();
  stream.report();
  timers.tick(ACK_AFTER_MS);
  assert.deepEqual(model.sent, []); // a closed view acknowledges nothing
  assert.equal(model.get("shown_ahead"), last);
});

test("a move the kernel made draws a copy too, and tells the kernel nothing", async () => {
  const { model, decoders, sink, stream } = mount();
  model.emit("msg:custom", aheadMsg(1, 5), ["img5", 4]);
  decoders.pending.get("img5").resolve();
  await settle();
  model.sent.length = 0;
  assert.equal(stream.moved(5, false), true);
  assert.deepEqual(sink.log, [["frame", 5, "img5", 4, false], ["draw"]]);
  assert.deepEqual(model.sent, []);
  assert.equal(stream.moved(6, false), false);
  assert.deepEqual(model.sent, []);
});

test("older labels for a frame drawn from its copy never replace the copy's", async () => {
  const { model, decoders, sink, stream } = mount();
  model.emit("msg:custom", aheadMsg(5, 2), ["img2", 4]);
  decoders.pending.get("img2").resolve();
  await settle();
  stream.moved(2, true);
  model.emit("msg:custom", { type: "labels", seq: 3, frame: 2, width: 2, height: 1 }, [1]); // older
  model.emit("msg:custom", { type: "labels", seq: 6, frame: 2, width: 2, height: 1 }, [8]); // the answer
  await settle();
  assert.deepEqual(sink.log.slice(2), [["labels", 8], ["draw"]]);
});

test("after a move drawn from a copy, a frame message received before it for another frame is not drawn", async () => {
  const { model, decoders, sink, stream } = mount();
  model.emit("msg:custom", aheadMsg(1, 1), ["img1", 4]);
  decoders.pending.get("img1").resolve();
  await settle();
  model.emit("msg:custom", frameMsg(2, 0, { lossless: true }), ["png0", 5]); // frame 0's upgrade
  await settle();
  stream.moved(1, true); // the user stepped on while the PNG decodes
  await settle();
  assert.ok(model.sent.some((m) => m.type === "ack" && m.seqs.includes(2))); // released at once
  decoders.pending.get("png0").resolve();
  await settle();
  assert.deepEqual(sink.log, [["frame", 1, "img1", 4, false], ["draw"]]); // frame 1 stays in view
  model.emit("msg:custom", frameMsg(3, 1, { lossless: true }), ["png1", 4]); // a newer one of frame 1
  await settle();
  decoders.pending.get("png1").resolve();
  await settle();
  assert.deepEqual(sink.log.at(-2), ["frame", 1, "png1", 4, true]);
});

test("forget drops copies (one, or all); a copy that cannot be decoded is not held", async () => {
  const { model, decoders, errors, stream, timers } = mount();
  const closed = [];
  decoders.image = (buffer) => {
    if (buffer === "bad") return Promise.reject(new Error("not an image"));
    return Promise.resolve({ buffer, close: () => closed.push(buffer) });
  };
  for (const [seq, frame] of [
    [1, 1],
    [2, 2],
    [3, 3],
  ])
    model.emit("msg:custom", aheadMsg(seq, frame), [`img${frame}`, 0]);
  model.emit("msg:custom", aheadMsg(4, 4), ["bad", 0]);
  await settle();
  await settle();
  assert.deepEqual(errors, ["Error: not an image"]);
  timers.tick(ACK_AFTER_MS);
  assert.deepEqual(model.sent, [{ type: "ack", seqs: [1, 2, 3, 4] }]); // in one, the bad one all the same
  model.emit("msg:custom", { type: "forget", frames: [2] });
  assert.deepEqual(closed, ["img2"]); // released
  assert.equal(stream.moved(2, true), false);
  assert.equal(stream.moved(4, true), false);
  model.emit("msg:custom", { type: "forget", frames: null });
  assert.deepEqual(closed, ["img2", "img1", "img3"]);
  assert.equal(stream.moved(3, true), false);
});
