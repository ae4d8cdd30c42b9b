// The synced traits the editing tools share, read with their defaults (a kernel that
// does not declare them yet leaves them undefined), and the brush size's rules. The
// tools, the toolbar and the keys talk to each other only through these traits.
//   tool        "prompt" | "brush" | "eraser" | "fill"
//   brush_size  the brush radius in image pixels, BRUSH_MIN…BRUSH_MAX
//   track_fix   painted fixes become SAM2 mask prompts (true) or stay manual pixels

/** @typedef {"prompt" | "brush" | "eraser" | "fill"} Tool */

/** @type {readonly Tool[]} */
export const TOOLS = Object.freeze(["prompt", "brush", "eraser", "fill"]);
export const DEFAULT_BRUSH_SIZE = 8;
export const BRUSH_MIN = 1;
export const BRUSH_MAX = 200;
/** The toolbar's slider stops here; keys go on to BRUSH_MAX. */
export const SLIDER_MAX = 100;

/**
 * @param {import("../sync.js").Model} model
 * @returns {Tool}
 */
export function toolOf(model) {
  const tool = model.get("tool");
  return TOOLS.includes(tool) ? tool : "prompt";
}

/** Whether a tool paints strokes (and shows the round brush cursor). */
export const paints = (tool) => tool === "brush" || tool === "eraser";

/** A brush radius within BRUSH_MIN…BRUSH_MAX; the default when not a number. */
export function clampBrushSize(value) {
  const size = Number(value);
  if (value === null || value === undefined || value === "" || !Number.isFinite(size)) return DEFAULT_BRUSH_SIZE;
  return Math.min(BRUSH_MAX, Math.max(BRUSH_MIN, size));
}

/** @param {import("../sync.js").Model} model */
export const brushSizeOf = (model) => clampBrushSize(model.get("brush_size"));

/**
 * The labels the canvas does not draw (the object list's eye), as a set.
 * @param {import("../sync.js").Model} model
 * @returns {Set<number>}
 */
export const hiddenOf = (model) => new Set(model.get("hidden") ?? []);

/** @param {import("../sync.js").Model} model */
export const trackFixOf = (model) => model.get("track_fix") ?? true;

/**
 * The `<` / `>` keys: ×0.8 or ×1.25, rounded to whole pixels (so the trait holds an
 * integer whether the kernel declares it Int or Float), always at least one pixel
 * of change, so small sizes do not get stuck; clamped.
 * @param {number} size
 * @param {1 | -1} direction
 */
export function stepBrushSize(size, direction) {
  const s = clampBrushSize(size);
  const next = direction > 0 ? Math.max(s + 1, Math.round(s * 1.25)) : Math.min(s - 1, Math.round(s * 0.8));
  return clampBrushSize(next);
}
