// Which tool the pointer drives: the synced `tool` trait, except after the toolbar's
// pick button, when the next click picks a label and the trait's tool comes back.
// That one-shot pick is local to this view: "pick" is not a value of the `tool` trait,
// which the kernel validates.

import { listen } from "../sync.js";
import { toolOf } from "./traits.js";

/** @typedef {import("./traits.js").Tool | "pick"} ActiveTool */

/**
 * @param {object} o
 * @param {import("../sync.js").Model} o.model
 * @param {{now(values: Record<string, any>): void}} o.sync
 * @param {(values: Record<string, string>) => void} [o.report]  debug hooks (data-tool)
 */
export function createToolState({ model, sync, report = () => {} }) {
  let armed = false;
  /** @type {Set<(tool: ActiveTool) => void>} */
  const listeners = new Set();
  let told = null; // the tool listeners last heard, so each change is told once
  /** @returns {ActiveTool} */
  const current = () => (armed ? "pick" : toolOf(model));
  const changed = () => {
    const tool = current();
    if (tool === told) return;
    told = tool;
    report({ tool });
    for (const fn of listeners) fn(tool);
  };
  const off = listen(model, ["tool"], () => {
    armed = false; // a tool chosen anywhere (another view, the kernel) ends a pending pick
    changed();
  });
  changed();
  return {
    current,
    /** @param {import("./traits.js").Tool} tool */
    set(tool) {
      armed = false;
      if (model.get("tool") !== tool) sync.now({ tool });
      changed();
    },
    /** The pick button: the next click picks (pressed again: it does not). */
    togglePick() {
      armed = !armed;
      changed();
    },
    /** A click picked: back to the trait's tool. */
    picked() {
      armed = false;
      changed();
    },
    /**
     * @param {(tool: ActiveTool) => void} fn  called on each change of the active tool
     * @returns {() => void} off
     */
    onChange(fn) {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
    dispose() {
      off();
      listeners.clear();
    },
  };
}
