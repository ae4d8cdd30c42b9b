// anywidget glue: build the widget's DOM, mount the modules on the model, and return
// the one cleanup that undoes all of it. No behaviour of its own.

import { createActions } from "./actions.js";
import { createDebug } from "./debug.js";
import { attachInput } from "./input.js";
import { ready } from "./intents.js";
import { createRenderer } from "./render.js";
import { createStatus } from "./status.js";
import { mountStream } from "./stream.js";
import { createSync, listen } from "./sync.js";
import { createPromptTool } from "./tools/prompt.js";
import { createViewport } from "./viewport.js";

function element(tag, className) {
  const node = document.createElement(tag);
  node.className = className;
  return node;
}

/** root > (stage > scene canvas, marks canvas), status bar */
function buildDom(el) {
  const root = element("div", "sam2j");
  root.dataset.jpSuppressContextMenu = ""; // JupyterLab's menu stays shut on right click
  const stage = element("div", "sam2j-stage");
  const canvas = element("canvas", "sam2j-canvas");
  canvas.tabIndex = 0;
  const marks = element("canvas", "sam2j-marks");
  const bar = element("div", "sam2j-bar");
  stage.append(canvas, marks);
  root.append(stage, bar);
  el.appendChild(root);
  return { root, canvas, marks, bar };
}

function render({ model, el }) {
  const dom = buildDom(el);
  const send = (intent) => model.send(intent);
  const sync = createSync(model);
  const renderer = createRenderer(dom.canvas, dom.marks);
  const status = createStatus(model, dom.bar);
  const debug = createDebug(model, dom.canvas, renderer);
  // Traits the renderer draws, set now and on every change.
  const traits = {
    prompts: () => renderer.setPrompts(model.get("prompts")),
    opacity: () => renderer.setOpacity(model.get("opacity")),
  };
  for (const set of Object.values(traits)) set();
  const viewport = createViewport({ model, root: dom.root, renderer, sync });
  const tool = createPromptTool({ model, send, scale: viewport.scale });
  const actions = createActions({ model, send, sync, viewport, tool });

  const cleanups = [
    ...Object.entries(traits).map(([name, set]) =>
      listen(model, [name], () => {
        set();
        renderer.requestDraw();
      }),
    ),
    attachInput(dom.canvas, {
      toImage: viewport.toImage,
      point: tool.point,
      box: tool.box,
      remove: tool.remove,
      zoom: viewport.zoom,
      pan: viewport.pan,
      dragBox: (rect) => {
        renderer.setDragBox(rect);
        renderer.requestDraw();
      },
      action: (name, at) => actions[name](at),
    }),
    mountStream({ model, send, sink: renderer, onDrawn: debug.drawn, onError: status.error }),
    viewport.dispose,
    debug.dispose,
    status.dispose,
    renderer.dispose,
    sync.dispose,
    () => dom.root.remove(),
  ];
  send(ready());
  return () => {
    for (const cleanup of cleanups) cleanup();
  };
}

export default { render };
