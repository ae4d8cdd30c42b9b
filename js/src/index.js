// anywidget glue: build the widget's DOM, mount the modules on the model, and return
// the one cleanup that undoes all of it. No behaviour of its own. Features do not
// import each other: they share the model's traits and the summary made here.

import { createActions } from "./actions.js";
import { mountActivityHints } from "./activity.js";
import { createCandidates } from "./candidates.js";
import { createDebug } from "./debug.js";
import { createDivisions } from "./divisions.js";
import { createFilter } from "./filter.js";
import { attachInput } from "./input.js";
import { ready } from "./intents.js";
import { createNextLabel } from "./labels.js";
import { createObjects } from "./objects.js";
import { createPlaybar } from "./playbar.js";
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
import { hiddenOf } from "./tools/traits.js";
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

/**
 * A lifetime: `own(x)` keeps a cleanup (a function, or an object's `dispose`) and
 * returns `x`; `dispose()` runs them all, the latest first. Nothing made here can be
 * left out of the cleanup by forgetting to list it.
 */
function scope() {
  const cleanups = [];
  return {
    own(x) {
      const cleanup = typeof x === "function" ? x : x?.dispose;
      if (typeof cleanup === "function") cleanups.push(cleanup);
      return x;
    },
    dispose() {
      while (cleanups.length) cleanups.pop()();
    },
  };
}

function render({ model, el }) {
  const { own, dispose } = scope();
  const dom = buildDom(el);
  own(() => dom.root.remove());
  const sync = own(createSync(model));
  const nextLabel = own(createNextLabel(model));
  const send = nextLabel.wrap(createSend(model));
  const renderer = own(createRenderer(dom.canvas, dom.marks));
  const status = own(createStatus(model, dom.bar));
  const summary = createSummary();
  const debug = own(createDebug(model, dom.canvas, renderer, { summary }));
  const viewport = own(createViewport({ model, root: dom.root, renderer, sync }));
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
  const tool = own(createPromptTool({ model, send, scale: viewport.scale, onChange: showPrompts }));
  const found = own(createCandidates({ model, send, canvas: dom.canvas, renderer, report: debug.report }));
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
    hidden: () => renderer.setHidden(hiddenOf(model)),
  };
  for (const set of Object.values(traits)) set();
  // The editing tools: which one is active, the brush / eraser, fill, pick, the cursor.
  const report = (values) => debug.report(dom.canvas, values);
  const tools = own(createToolState({ model, sync, report }));
  const brush = own(createBrushTool({ model, send, layer: renderer, scale: viewport.scale, report }));
  const filler = own(createFillTool({ model, send }));
  const picker = own(createPickTool({ sync, shown: () => renderer.state }));
  const cursor = own(createCursor({ model, canvas: dom.canvas, renderer, scale: viewport.scale, tool: tools.current }));
  const toolbar = own(createToolbar({ model, sync, tools }));
  dom.stage.before(toolbar.el);
  // The cursor's radius is in screen pixels: it follows the tool and the zoom.
  const zoomed =
    (change) =>
    (...args) => {
      change(...args);
      cursor.refresh();
    };
  const view = { fit: zoomed(viewport.fit) };
  const marks = own(createDivisions({ model, sync, send, report: debug.report }));
  const more = { tools, picker, nextLabel: nextLabel.next, divisions: marks };
  const actions = createActions({ model, send, sync, viewport: view, tool, summary, ...more });
  const filter = own(createFilter({ summary, marks }));
  const timeline = own(createTimeline({ model, sync, summary, filter, marks, report: debug.report }));
  const objects = own(createObjects({ model, sync, send, summary, filter, marks, report: debug.report }));
  const copyReady = (t) => stream.ready(t); // (mounted below, before any step of the player)
  const playbar = own(createPlaybar({ model, sync, summary, shown: () => renderer.state.frame, ready: copyReady }));
  dom.bar.before(marks.el, timeline.el, filter.el, objects.el, playbar.el);
  // Keys act anywhere in the annotator and never reach JupyterLab from it (scope.js).
  own(mountKeyScope({ el, canvas: dom.canvas }));

  const onDrawn = (seq, ms, msg) => {
    debug.drawn(seq, ms);
    brush.drawn(msg);
    answered(msg);
  };
  own(tools.onChange(cursor.refresh));
  for (const [name, set] of Object.entries(traits)) {
    own(
      listen(model, [name], () => {
        set();
        renderer.requestDraw();
      }),
    );
  }
  own(
    attachInput(dom.canvas, {
      toImage: viewport.toImage,
      point: (x, y, positive) => (positive && found.click(x, y)) || tool.point(x, y, positive),
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
  );
  own(mountActivityHints(dom.canvas, send));
  // The one listener of the kernel's messages: frames and labels; the rest by type.
  const route = { timeline: summary.apply, candidates: found.apply, divisions: marks.apply };
  const stream = own(mountStream({ model, send, sink: renderer, onDrawn, onError: status.error, route }));
  // A move (key, timeline, play; or the kernel's) draws the frame sent ahead at once,
  // if it is here.
  own(listen(model, ["frame"], () => stream.moved(model.get("frame"), sync.local)));
  own(sync.beforeSave(stream.report));
  send(ready());
  return dispose;
}

export default { render };
