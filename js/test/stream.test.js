import assert from "node:assert/strict";
import test from "node:test";

import { mountStream } from "../src/stream.js";
import { FakeModel } from "./fakes.js";

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
      log.push(["frame", m.frame, m.image.buffer, m.labels?.[0] ?? null, m.lossless]);
    },
    showLabels(labels) {
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
  const cleanup = mountStream({
    model,
    send: (m) => model.send(m),
    sink,
    decoders,
    onDrawn: (seq, ms) => drawn.push([seq, ms]),
    onError: (e) => errors.push(String(e)),
    now: () => 0,
  });
  return { model, decoders, sink, drawn, errors, cleanup };
}

test("messages are drawn and acknowledged in arrival order, whatever order decoding ends in", async () => {
  const { model, decoders, sink, drawn } = mount();
  model.emit("msg:custom", frameMsg(1, 0), ["img1", 5]);
  model.emit("msg:custom", frameMsg(2, 1, { lossless: true }), ["img2", 6]);
  await settle();
  assert.deepEqual(model.sent, []); // nothing acknowledged before it is drawn
  assert.ok(!decoders.pending.has("img2")); // the second waits for the first
  decoders.pending.get("img1").resolve();
  await settle();
  assert.deepEqual(model.sent, [{ type: "ack", seq: 1 }]);
  decoders.pending.get("img2").resolve();
  await settle();
  assert.deepEqual(model.sent, [
    { type: "ack", seq: 1 },
    { type: "ack", seq: 2 },
  ]);
  assert.deepEqual(sink.log, [["frame", 0, "img1", 5, false], ["draw"], ["frame", 1, "img2", 6, true], ["draw"]]);
  assert.deepEqual(drawn, [
    [1, 0],
    [2, 0],
  ]);
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
    model.sent.map((m) => m.seq),
    [1, 2, 3],
  );
});

test("a message that cannot be shown is reported and still acknowledged; the next one is drawn", async () => {
  const { model, decoders, errors } = mount();
  model.emit("msg:custom", frameMsg(1, 0), ["img1", "bad"]);
  model.emit("msg:custom", frameMsg(2, 0), ["img2", 1]);
  await settle();
  decoders.pending.get("img1").resolve();
  await settle();
  decoders.pending.get("img2").reject(new Error("not an image"));
  await settle();
  model.emit("msg:custom", frameMsg(3, 0), ["img3", 1]);
  await settle();
  decoders.pending.get("img3").resolve();
  await settle();
  assert.deepEqual(errors, ["Error: bad runs", "Error: not an image"]);
  assert.deepEqual(
    model.sent.map((m) => m.seq),
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
