import assert from "node:assert/strict";
import test from "node:test";

import { COPY_WAIT_MS, clampFps, createPlayer, DEFAULT_FPS, MAX_FPS, playStep } from "../src/playback.js";
import { FLAGGED } from "../src/summary.js";
import { createSync } from "../src/sync.js";
import { FakeTimers, LiveModel } from "./fakes.js";

test("playStep: wait for the stream, advance by one, stop at the end or on a flag", () => {
  const s = { frame: 3, shown: 3, nFrames: 10, stopAtFlags: false, flagged: (t) => t === 4 };
  assert.deepEqual(playStep(s), { kind: "advance", frame: 4, stop: false });
  assert.deepEqual(playStep({ ...s, stopAtFlags: true }), { kind: "advance", frame: 4, stop: true });
  assert.deepEqual(playStep({ ...s, shown: 2 }), { kind: "wait" });
  assert.deepEqual(playStep({ ...s, shown: null }), { kind: "wait" });
  assert.deepEqual(playStep({ ...s, frame: 8, shown: 8 }), { kind: "advance", frame: 9, stop: true });
  assert.deepEqual(playStep({ ...s, frame: 9, shown: 9 }), { kind: "stop" });
  assert.deepEqual(playStep({ ...s, ready: (t) => t !== 4 }), { kind: "wait" });
});

test("a step waits for the copy of its frame to be decoded, for up to COPY_WAIT_MS", () => {
  const decoded = new Set([1]);
  const { model, timers, player, catchUp } = setup({ n_frames: 20 }, (t) => decoded.has(t));
  player.play();
  timers.tick(100);
  assert.equal(model.get("frame"), 1);
  catchUp();
  timers.tick(100); // frame 2's copy is not here yet
  assert.equal(model.get("frame"), 1);
  decoded.add(2);
  timers.tick(15);
  assert.equal(model.get("frame"), 2); // drawn from its copy as soon as it is
  catchUp();
  timers.tick(100 + COPY_WAIT_MS - 15);
  assert.equal(model.get("frame"), 2);
  timers.tick(30); // no copy of frame 3 after COPY_WAIT_MS: the kernel sends it
  assert.equal(model.get("frame"), 3);
});

test("speeds are 1 to 60 frames per second, 10 when unset", () => {
  assert.equal(clampFps(undefined), DEFAULT_FPS);
  assert.equal(clampFps(""), DEFAULT_FPS);
  assert.equal(clampFps("abc"), DEFAULT_FPS);
  assert.equal(clampFps("25"), 25);
  assert.equal(clampFps(0), 1);
  assert.equal(clampFps(500), MAX_FPS);
});

function setup(traits = {}, ready = undefined) {
  const timers = new FakeTimers();
  const model = new LiveModel({ frame: 0, n_frames: 5, playing: false, play_fps: 10, hidden: [], ...traits });
  const sync = createSync(model, 300, timers);
  let shown = model.get("frame");
  const flagged = new Set();
  const skipped = [];
  const summary = {
    any(t, bit, skip) {
      skipped.push([...(skip ?? [])]);
      return bit === FLAGGED && flagged.has(t);
    },
  };
  const states = [];
  const player = createPlayer({
    model,
    sync,
    shown: () => shown,
    ready,
    summary,
    timers,
    clock: () => timers.now,
    onChange: (playing) => states.push(playing),
  });
  const catchUp = () => {
    shown = model.get("frame"); // the stream has drawn the frame asked for
  };
  return { model, timers, player, flagged, skipped, states, catchUp };
}

test("playing advances one frame per period, only once the frame asked for is shown", () => {
  const { model, timers, player, catchUp } = setup();
  player.play();
  assert.equal(model.get("playing"), true);
  assert.deepEqual(model.saved.at(-1), { ...model.traits }); // saved at once: the kernel prefetches
  timers.tick(99);
  assert.equal(model.get("frame"), 0);
  timers.tick(1);
  assert.equal(model.get("frame"), 1);
  timers.tick(500); // the stream has not drawn frame 1: no queueing ahead
  assert.equal(model.get("frame"), 1);
  catchUp();
  timers.tick(15);
  assert.equal(model.get("frame"), 2);
  catchUp();
  timers.tick(99);
  assert.equal(model.get("frame"), 2); // a period after the last step, not after the wait
  timers.tick(1);
  assert.equal(model.get("frame"), 3);
  catchUp();
  timers.tick(100);
  assert.equal(model.get("frame"), 4);
  // The last frame: playing stops, saved with the frame in one message.
  assert.equal(model.get("playing"), false);
  assert.deepEqual([model.saved.at(-1).frame, model.saved.at(-1).playing], [4, false]);
  assert.equal(player.running(), false);
  catchUp();
  timers.tick(1000);
  assert.equal(model.get("frame"), 4);
});

test("the speed is read at each step", () => {
  const { model, timers, player, catchUp } = setup({ play_fps: 20 });
  player.play();
  timers.tick(50);
  assert.equal(model.get("frame"), 1);
  catchUp();
  model.set("play_fps", 4);
  timers.tick(50); // the step scheduled at 20 fps finds it is not due yet
  timers.tick(199);
  assert.equal(model.get("frame"), 1);
  timers.tick(1);
  assert.equal(model.get("frame"), 2);
});

test("stop at flags: playing stops on arriving at a flagged frame (hidden labels ignored)", () => {
  const { model, timers, player, flagged, skipped, catchUp } = setup({ n_frames: 10, hidden: [7] });
  flagged.add(2);
  player.setStopAtFlags(true);
  player.play();
  timers.tick(100);
  catchUp();
  timers.tick(100);
  assert.equal(model.get("frame"), 2);
  assert.equal(model.get("playing"), false);
  assert.deepEqual(skipped.at(-1), [7]);
  catchUp();
  // Playing on from a flagged frame leaves it; without the option flags do not stop it.
  player.setStopAtFlags(false);
  flagged.add(3);
  player.play();
  timers.tick(100);
  catchUp();
  timers.tick(100);
  assert.equal(model.get("frame"), 4);
  assert.equal(model.get("playing"), true);
});

test("the playing trait drives the player: set by the space key or the kernel, pause stops it", () => {
  const { model, timers, player, states } = setup();
  model.set("playing", true); // as the space key's action or the kernel would
  assert.equal(player.running(), true);
  timers.tick(100);
  assert.equal(model.get("frame"), 1);
  player.pause();
  assert.equal(model.get("playing"), false);
  timers.tick(1000);
  assert.equal(model.get("frame"), 1);
  assert.deepEqual(states, [false, true, false]); // each change once: initial, started, paused
  player.toggle();
  assert.equal(model.get("playing"), true);
  player.toggle();
  assert.equal(model.get("playing"), false);
});

test("play at the last frame starts over; with one frame there is nothing to play", () => {
  const { model, timers, player, catchUp } = setup({ frame: 4 });
  player.play();
  assert.equal(model.get("frame"), 0);
  catchUp();
  timers.tick(100);
  assert.equal(model.get("frame"), 1);
  const single = setup({ n_frames: 1 });
  single.player.play();
  assert.equal(single.model.get("playing"), false);
  assert.equal(single.player.running(), false);
});

test("a step run late does not put off the next; more than a period behind starts the count again", () => {
  const { model, timers, player, catchUp } = setup({ n_frames: 20 });
  player.play();
  timers.tick(130); // the step due at 100 runs at 130 (the page was busy)
  assert.equal(model.get("frame"), 1);
  catchUp();
  timers.tick(69);
  assert.equal(model.get("frame"), 1);
  timers.tick(1); // due at 200, a period after the late step was due
  assert.equal(model.get("frame"), 2);
  catchUp();
  timers.tick(250); // due at 300, run at 450: over a period behind
  assert.equal(model.get("frame"), 3);
  catchUp();
  timers.tick(99);
  assert.equal(model.get("frame"), 3); // no burst to catch up: due a period from the step
  timers.tick(1);
  assert.equal(model.get("frame"), 4);
});

test("a frame change made elsewhere does not stop playing: the next step waits a period from it", () => {
  const { model, timers, player, catchUp } = setup({ n_frames: 20 });
  player.play();
  timers.tick(60);
  model.set("frame", 10); // the timeline, a key, another view
  catchUp();
  timers.tick(99); // the step due at 100 waits for 160
  assert.equal(model.get("frame"), 10);
  timers.tick(1);
  assert.equal(model.get("frame"), 11);
  assert.equal(model.get("playing"), true);
});

test("dispose stops the player and its listeners", () => {
  const { model, timers, player } = setup();
  player.play();
  player.dispose();
  timers.tick(1000);
  assert.equal(model.get("frame"), 0);
  assert.equal(model.count("change:playing"), 0);
  assert.equal(model.count("change:frame"), 0);
});

test("playing saves the moves a tenth of a second at a time, and the last at once when it stops", () => {
  const { model, timers, player, catchUp } = setup({ n_frames: 12, play_fps: 50 });
  player.play();
  const saves = model.saves;
  for (let ms = 0; ms < 200; ms += 20) {
    timers.tick(20);
    catchUp();
  }
  assert.equal(model.get("frame"), 10);
  assert.equal(model.saves - saves, 1); // ten moves in 200 ms: saved at most every SOON_MS
  assert.ok(model.saved.at(-1).frame < 10); // the latest ones wait for the next save
  timers.tick(20); // the last frame: saved at once, with playing off
  assert.deepEqual([model.saved.at(-1).frame, model.saved.at(-1).playing], [11, false]);
});
