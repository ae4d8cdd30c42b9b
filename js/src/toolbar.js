// The tool bar above the canvas: the tools (the active one pressed), the brush size
// and "track the fix". It edits the synced traits (tool, brush_size, track_fix) and
// follows them, so keys, other views and the kernel changing them show here too. The
// pick button arms a one-shot pick through the tool state (see tools/active.js).

import { bindEvents, listen } from "./sync.js";
import { BRUSH_MIN, brushSizeOf, SLIDER_MAX, trackFixOf } from "./tools/traits.js";

/** The buttons, in order: data-tool, text, tooltip. */
export const TOOL_BUTTONS = Object.freeze([
  ["prompt", "Prompt", "Prompt tool (P): click a point, right click a negative one, Shift+drag a box"],
  ["brush", "Brush", "Brush (B): paint the current label; middle or right drag pans"],
  ["eraser", "Eraser", "Eraser (E): clear painted pixels; middle or right drag pans"],
  ["fill", "Fill", "Fill (F): click a region to fill it with the current label"],
  ["pick", "Pick", "Pick (I at the pointer): the next click makes the label under it current"],
]);

const TRACK_TITLE =
  "Track the fix: painted and filled pixels become SAM2 mask prompts (tracked to other frames); " +
  "off, they stay manual pixels SAM2 does not see";

/**
 * @param {object} o
 * @param {import("./sync.js").Model} o.model  reads brush_size, track_fix
 * @param {ReturnType<import("./sync.js").createSync>} o.sync
 * @param {{current(): string, set(tool: string): void, togglePick(): void,
 *   onChange(fn: (tool: string) => void): () => void}} o.tools  the tool state
 * @returns {{el: HTMLElement, dispose(): void}}
 */
export function createToolbar({ model, sync, tools }) {
  const el = document.createElement("div");
  el.className = "sam2j-toolbar";
  el.setAttribute("role", "toolbar");
  const buttons = TOOL_BUTTONS.map(([tool, text, title]) => {
    const button = document.createElement("button");
    Object.assign(button, { type: "button", className: "sam2j-tool", textContent: text, title });
    button.dataset.tool = tool;
    return button;
  });
  const extras = document.createElement("span");
  extras.className = "sam2j-tool-options";
  extras.innerHTML = `<label title="Brush radius in image pixels (&lt; and &gt; keys)">size
      <input type="range" class="sam2j-brush-size" min="${BRUSH_MIN}" max="${SLIDER_MAX}" step="1">
      <output class="sam2j-brush-size-value"></output></label>
    <label title="${TRACK_TITLE}"><input type="checkbox" class="sam2j-track-fix"> track the fix</label>`;
  el.append(...buttons, extras);
  const size = extras.querySelector(".sam2j-brush-size");
  const sizeValue = extras.querySelector(".sam2j-brush-size-value");
  const track = extras.querySelector(".sam2j-track-fix");

  const showTool = () => {
    const active = tools.current();
    for (const b of buttons) b.setAttribute("aria-pressed", String(b.dataset.tool === active));
  };
  const showSize = () => {
    const s = brushSizeOf(model);
    size.value = String(Math.min(SLIDER_MAX, s));
    sizeValue.textContent = `${s} px`;
  };
  const showTrack = () => {
    track.checked = Boolean(trackFixOf(model));
  };
  // Dragging the slider sets the size at once (the cursor follows) and saves it once it rests.
  const sliding = () => sync.later({ brush_size: Number(size.value) });
  const slid = () => sync.now({ brush_size: Number(size.value) });
  const choose = (event) => {
    const tool = event.currentTarget.dataset.tool;
    if (tool === "pick") tools.togglePick();
    else tools.set(tool);
  };
  const offs = [
    ...buttons.map((b) => bindEvents(b, [["click", choose]])),
    bindEvents(size, [
      ["input", sliding],
      ["change", slid],
    ]),
    bindEvents(track, [["change", () => sync.now({ track_fix: track.checked })]]),
    listen(model, ["brush_size"], showSize),
    listen(model, ["track_fix"], showTrack),
    tools.onChange(showTool),
  ];
  showTool();
  showSize();
  showTrack();
  return {
    el,
    dispose() {
      for (const off of offs) off();
    },
  };
}
