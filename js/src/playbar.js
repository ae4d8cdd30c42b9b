// The play bar: ▶/⏸, the speed and "stop at flags", over the player (playback.js).

import { clampFps, createPlayer, MAX_FPS } from "./playback.js";
import { bindEvents, listen } from "./sync.js";

/**
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
