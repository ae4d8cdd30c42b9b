// Play / pause. The synced `playing` trait is the state (saved at once, so the kernel
// prefetches ahead; the space key and the kernel may set it too) and `play_fps` the
// speed. While playing, the frame advances by one every 1000 / fps ms, but only once
// the renderer shows the frame asked for, so playback never queues ahead of the
// stream, and once the copy of the next frame sent ahead is decoded (for up to
// COPY_WAIT_MS: a move without its copy waits for the kernel's answer to the save of
// the move, several times longer). It stops at the last frame and, with "stop at
// flags", on arriving at a frame where a shown label is flagged. Playing from the last
// frame starts over at frame 0.
// Steps keep to their schedule: a step run late (the page was busy) does not put off
// the next, due a period after this one was due, as video players do; after a wait for
// the stream, or more than a period behind, the count starts again from the step.
// A frame change made elsewhere (timeline, keys, another view of the same widget)
// does not stop playback: the next step waits a full period from that change and goes
// on from there; this also keeps several views from fighting.

import { FLAGGED } from "./summary.js";
import { listen } from "./sync.js";
import { hiddenOf } from "./tools/traits.js";

export const DEFAULT_FPS = 10;
export const MAX_FPS = 60;
/** How often a player waiting for the stream looks again, ms. */
export const POLL_MS = 15;
/** How long a step waits for the copy of its frame, ms. */
export const COPY_WAIT_MS = 250;

/** A speed in frames per second within 1…MAX_FPS; DEFAULT_FPS when not a number. */
export function clampFps(value) {
  const fps = Number(value);
  if (value === null || value === undefined || value === "" || !Number.isFinite(fps)) return DEFAULT_FPS;
  return Math.min(MAX_FPS, Math.max(1, fps));
}

/**
 * The player's decision when a step is due.
 * @param {object} s
 * @param {number} s.frame  the model's frame
 * @param {number | null} s.shown  the frame the renderer shows
 * @param {number} s.nFrames
 * @param {boolean} s.stopAtFlags
 * @param {(frame: number) => boolean} s.flagged
 * @param {(frame: number) => boolean} [s.ready]  the next frame can be drawn at once
 * @returns {{kind: "wait"} | {kind: "stop"} | {kind: "advance", frame: number, stop: boolean}}
 *   wait: the stream has not shown the frame (or readied the next) yet; stop: nothing left to play;
 *   advance: go to `frame`, and stop there when `stop`
 */
export function playStep({ frame, shown, nFrames, stopAtFlags, flagged, ready = () => true }) {
  if (frame >= nFrames - 1) return { kind: "stop" };
  if (shown !== frame || !ready(frame + 1)) return { kind: "wait" };
  const next = frame + 1;
  return { kind: "advance", frame: next, stop: next >= nFrames - 1 || (stopAtFlags && flagged(next)) };
}

/**
 * @param {object} o
 * @param {import("./sync.js").Model} o.model  reads playing, play_fps, frame, n_frames, hidden
 * @param {{now(values: Record<string, any>): void, soon(values: Record<string, any>): void}} o.sync
 * @param {() => number | null} o.shown  the frame the renderer shows
 * @param {(frame: number) => boolean} [o.ready]  a copy of the frame is decoded
 * @param {{any(frame: number, bit: number, skip?: ReadonlySet<number>): boolean}} o.summary
 * @param {{setTimeout: Function, clearTimeout: Function}} [o.timers]
 * @param {() => number} [o.clock]  milliseconds
 * @param {(playing: boolean) => void} [o.onChange]
 */
export function createPlayer({
  model,
  sync,
  shown,
  ready = () => true,
  summary,
  timers = globalThis,
  clock = () => performance.now(),
  onChange = () => {},
}) {
  let timer = null;
  let running = false;
  let anchor = clock(); // when the last step was due, or the frame changed elsewhere
  let waited = false; // the step due waited for the stream
  let stopAtFlags = false;
  let reported = null; // the state onChange last heard
  const period = () => 1000 / clampFps(model.get("play_fps"));
  const clear = () => {
    if (timer !== null) timers.clearTimeout(timer);
    timer = null;
  };
  const schedule = (ms) => {
    clear();
    timer = timers.setTimeout(tick, Math.max(0, ms));
  };
  const flagged = (t) => summary.any(t, FLAGGED, hiddenOf(model));

  function tick() {
    timer = null;
    if (!running) return;
    const now = clock();
    const due = anchor + period();
    if (due > now) return schedule(due - now);
    const frame = model.get("frame");
    const nFrames = model.get("n_frames");
    const patient = (t) => now - due > COPY_WAIT_MS || ready(t);
    const step = playStep({ frame, shown: shown(), nFrames, stopAtFlags, flagged, ready: patient });
    if (step.kind === "wait") {
      waited = true;
      return schedule(POLL_MS);
    }
    if (step.kind === "stop") return player.pause();
    if (step.stop) sync.now({ frame: step.frame, playing: false });
    else sync.soon({ frame: step.frame }); // the kernel hears the moves a tenth of a second at a time
    anchor = waited || now - due > period() ? now : due; // (after the frame's listener)
    waited = false;
    update(); // the model may not have announced the change yet
    if (running) schedule(anchor + period() - clock());
  }

  /** Start or stop to match the `playing` trait. */
  function update() {
    const playing = Boolean(model.get("playing"));
    if (playing && !running) {
      running = true;
      if (model.get("n_frames") <= 1) return player.pause();
      if (model.get("frame") >= model.get("n_frames") - 1) sync.now({ frame: 0 });
      anchor = clock();
      waited = false;
      schedule(period());
    } else if (!playing && running) {
      running = false;
      clear();
    }
    if (playing !== reported) onChange(playing);
    reported = playing;
  }

  const offs = [
    listen(model, ["playing"], update),
    listen(model, ["frame"], () => {
      anchor = clock();
    }),
  ];
  const player = {
    play() {
      sync.now({ playing: true });
      update();
    },
    pause() {
      sync.now({ playing: false });
      update();
    },
    toggle: () => (model.get("playing") ? player.pause() : player.play()),
    /** @param {boolean} on */
    setStopAtFlags(on) {
      stopAtFlags = Boolean(on);
    },
    running: () => running,
    dispose() {
      for (const off of offs) off();
      running = false;
      clear();
    },
  };
  update();
  return player;
}
