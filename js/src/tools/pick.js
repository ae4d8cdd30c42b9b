// Pick: make the label under the pointer the current one (the `i` key, or a click after
// the toolbar's pick button). It reads the labels the canvas shows, so it picks what
// the user sees: background and hidden labels pick nothing.

/**
 * The label id at image point (x, y) (pixel (i, j) covers [j, j+1) × [i, i+1)), or 0
 * off the image or where there are no labels.
 * @param {import("../codecs.js").Labels | null} labels
 * @param {number} x
 * @param {number} y
 */
export function labelAt(labels, x, y) {
  if (!labels) return 0;
  const j = Math.floor(x);
  const i = Math.floor(y);
  if (j < 0 || i < 0 || j >= labels.width || i >= labels.height) return 0;
  return labels.at(i * labels.width + j);
}

/**
 * @param {object} o
 * @param {{now(values: Record<string, any>): void}} o.sync
 * @param {() => {labels: import("../codecs.js").Labels | null, hidden: ReadonlySet<number>}} o.shown
 *   what the canvas shows (the renderer's state)
 */
export function createPickTool({ sync, shown }) {
  return {
    /** The shown label at (x, y) image pixels, 0 for none (hidden labels are not shown). */
    at(x, y) {
      const { labels, hidden } = shown();
      const label = labelAt(labels, x, y);
      return hidden?.has(label) ? 0 : label;
    },
    /**
     * Pick at (x, y) image pixels.
     * @returns {number} the label picked, 0 for none
     */
    pick(x, y) {
      const { labels, hidden } = shown();
      const label = labelAt(labels, x, y);
      if (label === 0 || hidden?.has(label)) return 0;
      sync.now({ label });
      return label;
    },
  };
}
