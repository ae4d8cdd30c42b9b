// anywidget glue: model traits and custom messages ↔ renderer and input.

import { decodeRle } from "./codecs.js";
import { attachInput } from "./input.js";
import { createRenderer } from "./render.js";
import { fitView, inside, panBy, toImage, zoomAt } from "./view.js";

function render({ model, el }) {
  const root = document.createElement("div");
  root.className = "sam2j";
  root.dataset.jpSuppressContextMenu = "";
  const canvas = document.createElement("canvas");
  canvas.className = "sam2j-canvas";
  canvas.tabIndex = 0;
  const bar = document.createElement("div");
  bar.className = "sam2j-bar";
  root.append(canvas, bar);
  el.appendChild(root);

  const r = createRenderer(canvas);
  const imageW = () => model.get("image_width");
  const imageH = () => model.get("image_height");
  let view = null;
  let disposed = false;

  const updateBar = () => {
    const busy = model.get("busy") ? " · working…" : "";
    const status = model.get("status");
    bar.textContent = `frame ${model.get("frame") + 1}/${model.get("n_frames")} · label ${model.get("label")}${busy}${status ? ` · ${status}` : ""}`;
  };

  const layout = () => {
    const cssW = Math.max(64, root.clientWidth || 640);
    const cssH = model.get("view_height");
    const dpr = window.devicePixelRatio || 1;
    const refit = !view || r.state.cssW !== cssW || r.state.cssH !== cssH;
    r.resize(cssW, cssH, dpr);
    // Device pixels the fitted image spans along its longer side.
    const fit = Math.min(canvas.width / imageW(), canvas.height / imageH());
    const pixels = Math.round(fit * Math.max(imageW(), imageH()));
    if (model.get("view_pixels") !== pixels) {
      model.set("view_pixels", pixels);
      model.save_changes();
    }
    if (refit) view = fitView(imageW(), imageH(), cssW, cssH);
    r.setView(view);
    r.draw();
  };
  const ro = new ResizeObserver(() => layout());
  ro.observe(root);

  const setFrame = (f) => {
    const n = model.get("n_frames");
    model.set("frame", Math.min(n - 1, Math.max(0, f)));
    model.save_changes();
  };
  const setLabel = (l) => {
    model.set("label", Math.min(65535, Math.max(1, l)));
    model.save_changes();
  };

  const detach = attachInput(canvas, {
    toImage: (x, y) => toImage(view, x, y),
    point: (x, y, positive) => {
      if (!inside(x, y, imageW(), imageH())) return;
      model.send({ type: "point", frame: model.get("frame"), y, x, label: model.get("label"), positive });
    },
    box: (x0, y0, x1, y1) => {
      const cx = (v) => Math.min(imageW(), Math.max(0, v));
      const cy = (v) => Math.min(imageH(), Math.max(0, v));
      model.send({
        type: "box",
        frame: model.get("frame"),
        y0: cy(y0),
        x0: cx(x0),
        y1: cy(y1),
        x1: cx(x1),
        label: model.get("label"),
      });
    },
    // 8 screen pixels around the pointer, whatever the zoom.
    remove: (x, y) => model.send({ type: "remove", frame: model.get("frame"), y, x, tolerance: 8 / view.scale }),
    zoom: (factor, x, y) => {
      view = zoomAt(view, factor, x, y);
      r.setView(view);
      r.requestDraw();
    },
    pan: (dx, dy) => {
      view = panBy(view, dx, dy);
      r.setView(view);
      r.requestDraw();
    },
    dragBox: (box) => {
      r.setDragBox(box);
      r.requestDraw();
    },
    key: (action) => {
      if (action === "undo" || action === "redo") model.send({ type: action });
      else if (action === "label+") setLabel(model.get("label") + 1);
      else if (action === "label-") setLabel(model.get("label") - 1);
      else if (action === "next-label") model.send({ type: "next_label" });
      else if (action === "frame+") setFrame(model.get("frame") + 1);
      else if (action === "frame-") setFrame(model.get("frame") - 1);
      else if (action === "fit") {
        view = fitView(imageW(), imageH(), r.state.cssW, r.state.cssH);
        r.setView(view);
        r.requestDraw();
      }
    },
  });

  // Frames arrive in order; each is acknowledged once drawn (flow control).
  let chain = Promise.resolve();
  const onMessage = (msg, buffers) => {
    const received = performance.now();
    chain = chain
      .then(async () => {
        if (disposed) return;
        if (msg.type === "frame") {
          const blob = new Blob([buffers[0]], { type: msg.mime });
          const bitmap = await createImageBitmap(blob);
          r.setImage(bitmap, msg.width, msg.height);
          r.setLabels(msg.has_labels ? decodeRle(buffers[1], msg.width, msg.height) : null);
        } else if (msg.type === "labels") {
          if (msg.frame === model.get("frame")) r.setLabels(decodeRle(buffers[0], msg.width, msg.height));
        } else {
          return;
        }
        r.draw();
        // Hooks for browser tests and benchmarks, only with the debug trait on (the
        // labelled-pixel count is a loop over every pixel).
        if (model.get("debug")) {
          const labels = r.state.labels;
          let labelled = 0;
          if (labels) for (let i = 0; i < labels.length; i++) labelled += labels[i] !== 0;
          canvas.dataset.labelled = String(labelled);
          canvas.dataset.frame = String(msg.frame);
          canvas.dataset.drawMs = (performance.now() - received).toFixed(2);
          canvas.dataset.seq = String(msg.seq);
          canvas.dataset.lossless = String(Boolean(msg.lossless));
        }
        model.send({ type: "ack", seq: msg.seq });
      })
      .catch((err) => {
        bar.textContent = `display error: ${err}`;
        model.send({ type: "ack", seq: msg.seq });
      });
  };
  model.on("msg:custom", onMessage);
  const onPrompts = () => {
    r.setPrompts(model.get("prompts"));
    r.requestDraw();
  };
  const onOpacity = () => {
    r.setOpacity(model.get("opacity"));
    r.requestDraw();
  };
  model.on("change:prompts", onPrompts);
  model.on("change:opacity", onOpacity);
  model.on("change:view_height", layout);
  for (const name of ["frame", "label", "busy", "status", "n_frames"]) model.on(`change:${name}`, updateBar);

  r.setOpacity(model.get("opacity"));
  r.setPrompts(model.get("prompts"));
  updateBar();
  layout();
  model.send({ type: "ready" });

  return () => {
    disposed = true;
    detach();
    ro.disconnect();
    r.dispose();
    model.off("msg:custom", onMessage);
    model.off("change:prompts", onPrompts);
    model.off("change:opacity", onOpacity);
    model.off("change:view_height", layout);
    for (const name of ["frame", "label", "busy", "status", "n_frames"]) model.off(`change:${name}`, updateBar);
  };
}

export default { render };
