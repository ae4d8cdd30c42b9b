// The status bar under the canvas: frame, label, the busy indicator and the kernel's
// last status line; a display error replaces it until the next change.

import { listen, put } from "./sync.js";
import { frameOf } from "./words.js";

const TRAITS = ["frame", "n_frames", "label", "busy", "status"];

/**
 * @param {{frame: number, n_frames: number, label: number, busy: boolean, status: string}} s
 * @returns {string}
 */
export function statusText({ frame, n_frames, label, busy, status }) {
  const working = busy ? " · working…" : "";
  return `${frameOf(frame, n_frames)} · label ${label}${working}${status ? ` · ${status}` : ""}`;
}

/**
 * @param {import("./sync.js").Model} model
 * @param {HTMLElement} bar
 */
export function createStatus(model, bar) {
  const update = () => {
    const text = statusText(Object.fromEntries(TRAITS.map((name) => [name, model.get(name)])));
    const busy = String(Boolean(model.get("busy")));
    put(bar, "textContent", text);
    if (bar.getAttribute("aria-busy") !== busy) bar.setAttribute("aria-busy", busy);
  };
  const off = listen(model, TRAITS, update);
  update();
  return {
    /** @param {unknown} error */
    error(error) {
      bar.textContent = `display error: ${error}`;
    },
    dispose: off,
  };
}
