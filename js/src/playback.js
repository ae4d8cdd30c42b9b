// Play / pause. The synced `playing` trait is the state (saved at once, so the kernel
// prefetches ahead; the space key and the kernel may set it too) and `play_fps` the
// speed. While playing, the frame advances by one every 1000 / fps ms, but only once
// the renderer shows the frame asked for, so playback never queues ahead of the
// stream. It stops at the last frame and, with "stop at flags", on arriving at a frame
// where a shown label is flagged. Playing from the last frame starts over at frame 0.
// A frame change made elsewhere (timeline, keys, another view of the same widget)
// does not stop playback: the next step waits a full period from that change and goes
// on from there, as video players do; this also keeps several views from fighting.

import { FLAGGED } from "./summary.js";
import { bindEvents, listen } from "./sync.js";
import { hiddenOf } from "./tools/traits.js";

export const DEFAULT_FPS = 10;
export const MAX_FPS = 60;
/** How often a player waiting for the stream looks again, ms. */
export const POLL_MS = 15;

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
 * @returns {{kind: "wait"} | {kind: "stop"} | {kind: "advance", frame: number, stop: boolean}}
 *   wait: the stream has not shown the frame yet; stop: nothing left to play;
 *   advance: go to `frame`, and stop there when `stop`
 */
export function playStep({ frame, shown, nFrames, stopAtFlags, flagged }) {
  if (frame >= nFrames - 1) return { kind: "stop" };
  if (shown !== frame) return { kind: "wait" };
  const next = frame + 1;
  return { kind: "advance", frame: next, stop: next >= nFrames - 1 || (stopAtFlags && flagged(next)) };
}

/**
 * @param {object} o
 * @param {import("./sync.js").Model} o.model  reads playing, play_fps, frame, n_frames, hidden
 * @param {{now(values: Record<string, any>): void, soon(values: Record<string, any>): void}} o.sync
 * @param {() => number | null} o.shown  the frame the renderer shows
 * @param {{any(frame: number, bit: number, skip?: ReadonlySet<number>): boolean}} o.summary
 * @param {{setTimeout: Function, clearTimeout: Function}} [o.timers]
 * @param {() => number} [o.clock]  milliseconds
 * @param {(playing: boolean) => void} [o.onChange]
 */
export function createPlayer({
  model,
  sync,
  shown,
  summary,
  timers = globalThis,
  clock = () => performance.now(),
  onChange = () => {},
}) {
  let timer = null;
  let running = false;
  let changed = clock(); // when the frame last changed, by anyone
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
    const wait = changed + period() - clock();
    if (wait > 0) return schedule(wait);
    const frame = model.get("frame");
    const step = playStep({ frame, shown: shown(), nFrames: model.get("n_frames"), stopAtFlags, flagged });
    if (step.kind === "wait") return schedule(POLL_MS);
    if (step.kind === "stop") return player.pause();
    if (step.stop) sync.now({ frame: step.frame, playing: false });
    else sync.soon({ frame: step.frame }); // the kernel hears the moves a tenth of a second at a time
    changed = clock();
    update(); // the model may not have announced the change yet
    if (running) schedule(period());
  }

  /** Start or stop to match the `playing` trait. */
  function update() {
    const playing = Boolean(model.get("playing"));
    if (playing && !running) {
      running = true;
      if (model.get("n_frames") <= 1) return player.pause();
      if (model.get("frame") >= model.get("n_frames") - 1) sync.now({ frame: 0 });
      changed = clock();
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
      changed = clock();
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

/**
 * The play bar: ▶/⏸, the speed and "stop at flags".
 * @param {Parameters<typeof createPlayer>[0]} o
 * @returns {{el: HTMLElement, dispose(): void}}
 */
export function createPlaybar(o) {
  const { model, sync } = o;
  const el = document.createElement("div");
  el.className = "sam2j-playbar";
  el.innerHTML = `<button type="button" class="sam2j-play"></button>
    <label>fps <input type="number" class="sam2j-fps" min="1" max="${MAX_FPS}" step="1"></label>
    <label><input type="checkbox" class="sam2j-stop-flags"> stop at flags</label>`;
  const button = el.querySelector(".sam2j-play");
  const fps = el.querySelector(".sam2j-fps");
  const flags = el.querySelector(".sam2j-stop-flags");
  const show = (playing) => {
    button.textContent = playing ? "⏸" : "▶";
    button.title = playing ? "pause (space)" : "play (space)";
    button.setAttribute("aria-pressed", String(playing));
  };
  const player = createPlayer({ ...o, onChange: show });
  const showFps = () => {
    fps.value = String(clampFps(model.get("play_fps")));
  };
  const setFps = () => {
    sync.now({ play_fps: clampFps(fps.value) });
    showFps();
  };
  const setFlags = () => player.setStopAtFlags(flags.checked);
  const offs = [
    bindEvents(button, [["click", player.toggle]]),
    bindEvents(fps, [["change", setFps]]),
    bindEvents(flags, [["change", setFlags]]),
    listen(model, ["play_fps"], showFps),
  ];
  showFps();
  return {
    el,
    dispose() {
      for (const off of offs) off();
      player.dispose();
    },
  };
}
