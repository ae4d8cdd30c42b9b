// One view's zoom and pan: layout when the widget resizes (the canvas takes the
// widget's width and the image's aspect, up to view_height), the transform (high-rate
// state that stays in the browser), and the view_pixels report the kernel sizes preview
// frames by (saved at once for the first layout, debounced while resizing).

import { listen } from "./sync.js";
import { canvasHeight, fittedPixels, fitView, panBy, toImage, zoomAt } from "./view.js";

/**
 * @param {object} o
 * @param {import("./sync.js").Model} o.model
 * @param {HTMLElement} o.root  the widget's root; its width is the canvas width
 * @param {ReturnType<import("./render.js").createRenderer>} o.renderer
 * @param {ReturnType<import("./sync.js").createSync>} o.sync
 */
export function createViewport({ model, root, renderer, sync }) {
  const imageW = () => model.get("image_width");
  const imageH = () => model.get("image_height");
  /** @type {import("./view.js").View | null} */
  let view = null;

  const apply = (next) => {
    view = next;
    renderer.setView(view);
    renderer.requestDraw();
  };

  const layout = (first = false) => {
    const cssW = Math.max(64, root.clientWidth || 640);
    const cssH = canvasHeight(cssW, imageW(), imageH(), model.get("view_height"));
    const dpr = window.devicePixelRatio || 1;
    const { state } = renderer;
    const refit = !view || state.cssW !== cssW || state.cssH !== cssH;
    renderer.resize(cssW, cssH, dpr);
    const pixels = fittedPixels(imageW(), imageH(), Math.round(cssW * dpr), Math.round(cssH * dpr));
    if (model.get("view_pixels") !== pixels) {
      if (first) sync.now({ view_pixels: pixels });
      else sync.later({ view_pixels: pixels });
    }
    if (refit) view = fitView(imageW(), imageH(), cssW, cssH);
    renderer.setView(view);
    renderer.draw(); // resizing cleared the canvases: draw before the next paint
  };

  const resized = () => layout();
  const observer = new ResizeObserver(resized);
  observer.observe(root);
  const off = listen(model, ["view_height"], resized);
  layout(true);

  return {
    /** Canvas CSS pixel → image coordinate. */
    toImage: (cssX, cssY) => toImage(view, cssX, cssY),
    /** CSS pixels per image pixel. */
    scale: () => view.scale,
    zoom: (factor, cssX, cssY) => apply(zoomAt(view, factor, cssX, cssY)),
    pan: (dx, dy) => apply(panBy(view, dx, dy)),
    fit: () => apply(fitView(imageW(), imageH(), renderer.state.cssW, renderer.state.cssH)),
    dispose() {
      observer.disconnect();
      off();
    },
  };
}
