// anywidget glue: build the widget's DOM, mount the modules on the model, and return
// the one cleanup that undoes all of it. No behaviour of its own. Features do not
// import each other: they share the model's traits and the summary made here.

import { createActions } from "./actions.js";
import { mountActivityHints } from "./activity.js";
import { createDebug } from "./debug.js";
import { attachInput } from "./input.js";
import { ready } from "./intents.js";
import { createNextLabel } from "./labels.js";
import { createObjects } from "./objects.js";
import { createPlaybar } from "./playback.js";
import { createRenderer } from "./render.js";
import { mountKeyScope } from "./scope.js";
import { createStatus } from "./status.js";
import { mountStream } from "./stream.js";
import { createSummary } from "./summary.js";
import { createSend, createSync, listen } from "./sync.js";
import { createTimeline } from "./timeline.js";
import { createToolbar } from "./toolbar.js";
import { createToolState } from "./tools/active.js";
import { createBrushTool } from "./tools/brush.js";
import { createCursor } from "./tools/cursor.js";
import { createFillTool } from "./tools/fill.js";
import { createPickTool } from "./tools/pick.js";
import { createPromptTool } from "./tools/prompt.js";
import { createViewport } from "./viewport.js";

/** The canvas' tooltip: what the mouse does on it, and how to scroll past it. */
export const CANVAS_HINT =
  "Click: point · right click: negative point · Shift+drag: box · drag: pan · " +
  "wheel: zoom (0 fits). To scroll the notebook, use the wheel beside the image or the scrollbar.";

function element(tag, className) {
  const node = document.createElement(tag);
  node.className = className;
  return node;
}

/** root > [toolbar], (stage > scene canvas, marks canvas), [timeline, objects, play bar], status bar */
function buildDom(el) {
  const root = element("div", "sam2j");
  root.dataset.jpSuppressContextMenu = ""; // JupyterLab's menu stays shut on right click
  const stage = element("div", "sam2j-stage");
  const canvas = element("canvas", "sam2j-canvas");
  canvas.tabIndex = 0;
  // The wheel zooms here, so a person scrolling the notebook needs to know the way past.
  canvas.title = CANVAS_HINT;
  const marks = element("canvas", "sam2j-marks");
  const bar = element("div", "sam2j-bar");
  stage.append(canvas, marks);
  root.append(stage, bar);
  el.appendChild(root);
  return { root, stage, canvas, marks, bar };
}

function render({ model, el }) {
  const dom = buildDom(el);
  const nextLabel = createNextLabel(model);
  const send = nextLabel.wrap(createSend(model));
  const sync = createSync(model);
  const renderer = createRenderer(dom.canvas, dom.marks);
  const status = createStatus(model, dom.bar);
  const summary = createSummary();
  const debug = createDebug(model, dom.canvas, renderer, { summary });
  const viewport = createViewport({ model, root: dom.root, renderer, sync });
  // The kernel's prompt markers (they come with the frame's image or labels), then the
  // ones the tool shows before the kernel answers.
  let markers = { frame: null, seq: Number.NEGATIVE_INFINITY, list: [] };
  const showPrompts = () => {
    const optimistic = tool.optimistic();
    const kernel = markers.frame === model.get("frame") ? markers.list : [];
    renderer.setPrompts([...kernel, ...optimistic]);
    renderer.requestDraw();
    debug.report(dom.canvas, { optimistic: String(optimistic.length) });
  };
  const tool = createPromptTool({ model, send, scale: viewport.scale, onChange: showPrompts });
  /** A frame or labels message was drawn: its markers replace the optimistic ones. */
  const answered = (msg) => {
    if (!Array.isArray(msg.markers) || (msg.frame === markers.frame && msg.seq < markers.seq)) return;
    markers = { frame: msg.frame, seq: msg.seq, list: msg.markers };
    if (msg.type === "labels") tool.answered(msg.frame);
    showPrompts();
  };
  // Traits the renderer draws, set now and on every change.
  const traits = {
    frame: showPrompts, // markers belong to the frame they were made on
    opacity: () => renderer.setOpacity(model.get("opacity")),
    hidden: () => renderer.setHidden(new Set(model.get("hidden") ?? [])),
  };
  for (const set of Object.values(traits)) set();
  // The editing tools: which one is active, the brush / eraser, fill, pick, the cursor.
  const report = (values) => debug.report(dom.canvas, values);
  const tools = createToolState({ model, sync, report });
  const brush = createBrushTool({ model, send, layer: renderer, scale: viewport.scale, report });
  const filler = createFillTool({ model, send });
  const picker = createPickTool({ sync, shown: () => renderer.state });
  const cursor = createCursor({ model, canvas: dom.canvas, renderer, scale: viewport.scale, tool: tools.current });
  const toolbar = createToolbar({ model, sync, tools });
  dom.stage.before(toolbar.el);
  // The cursor's radius is in screen pixels: it follows the tool and the zoom.
  const zoomed =
    (change) =>
    (...args) => {
      change(...args);
      cursor.refresh();
    };
  const view = { fit: zoomed(viewport.fit) };
  const actions = createActions({
    model,
    send,
    sync,
    viewport: view,
    tool,
    summary,
    tools,
    picker,
    nextLabel: nextLabel.next,
  });
  const timeline = createTimeline({ model, sync, summary, report: debug.report });
  const objects = createObjects({ model, sync, send, summary, report: debug.report });
  const playbar = createPlaybar({ model, sync, summary, shown: () => renderer.state.frame });
  dom.bar.before(timeline.el, objects.el, playbar.el);
  // Keys act anywhere in the annotator and never reach JupyterLab from it (scope.js).
  const keyScope = mountKeyScope({ el, canvas: dom.canvas });

  const onDrawn = (seq, ms, msg) => {
    debug.drawn(seq, ms);
    brush.drawn(msg);
    answered(msg);
  };
  const cleanups = [
    tools.onChange(cursor.refresh),
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
      zoom: zoomed(viewport.zoom),
      pan: viewport.pan,
      dragBox: (rect) => {
        renderer.setDragBox(rect);
        renderer.requestDraw();
      },
      action: (name, at) => actions[name](at),
      tool: tools.current,
      stroke: brush,
      fill: filler.fill,
      pick: (x, y) => {
        picker.pick(x, y);
        tools.picked();
      },
      hover: cursor.move,
    }),
    mountActivityHints(dom.canvas, send),
    // The one listener of the kernel's messages: frames and labels, and the timeline.
    mountStream({ model, send, sink: renderer, onDrawn, onError: status.error, route: { timeline: summary.apply } }),
    keyScope,
    nextLabel.dispose,
    toolbar.dispose,
    cursor.dispose,
    brush.dispose,
    tools.dispose,
    playbar.dispose,
    objects.dispose,
    timeline.dispose,
    tool.dispose,
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
