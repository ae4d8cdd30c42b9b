// The brush and the eraser (the `tool` trait says which): a press starts a stroke, the
// pointer's moves add points, the release sends ONE stroke message with the polyline
// as its binary buffer. New points are painted on the renderer's stroke layer once per
// animation frame (the label overlay is never rebuilt while painting). A sent stroke
// stays drawn until the kernel's next labels for its frame have been drawn, or its
// frame is replaced by another, or KEEP_MS passes without either; strokes painted
// meanwhile stay.

import { stroke } from "../intents.js";
import { paintPath, paintStyle } from "./paint.js";
import { createPolyline, touchesImage } from "./polyline.js";
import { brushSizeOf, trackFixOf } from "./traits.js";

/** How long a sent stroke stays drawn when the kernel's labels do not come. */
export const KEEP_MS = 5000;

/**
 * @typedef {object} StrokeLayer  the renderer's stroke layer
 * @property {() => CanvasRenderingContext2D} strokeContext  in image pixels
 * @property {() => void} clearStroke
 * @property {() => void} draw  draw the changed layers now
 */

/**
 * @param {object} o
 * @param {import("../sync.js").Model} o.model  reads tool, frame, label, brush_size,
 *   track_fix, image_width, image_height
 * @param {import("../intents.js").Send} o.send
 * @param {StrokeLayer} o.layer
 * @param {() => number} o.scale  CSS pixels per image pixel
 * @param {(values: Record<string, string>) => void} [o.report]  debug hooks
 * @param {{requestAnimationFrame: Function, cancelAnimationFrame: Function}} [o.frames]
 * @param {{setTimeout: Function, clearTimeout: Function}} [o.timers]
 * @param {() => number} [o.clock]  milliseconds, the clock of events' timeStamp
 */
export function createBrushTool({
  model,
  send,
  layer,
  scale,
  report = () => {},
  frames = globalThis,
  timers = globalThis,
  clock = () => performance.now(),
}) {
  /** The stroke being painted: its points, and those not yet painted. */
  let current = null;
  /** Sent strokes still drawn, oldest first: {frame, style, radius, points, timer}. */
  const kept = [];
  let request = 0;
  let moveStamp = null; // the timeStamp of the last move not yet drawn
  let sent = 0;

  /** Paint the current stroke's new points, from the last painted one. */
  const paintNew = () => {
    if (!current || current.fresh.length === 0) return;
    paintPath(layer.strokeContext(), current.style, current.radius, [...current.last, ...current.fresh]);
    current.last = current.fresh.slice(-2);
    current.fresh = [];
  };
  const onAnimationFrame = () => {
    request = 0;
    paintNew();
    layer.draw();
    if (moveStamp !== null) report({ strokeDrawMs: (clock() - moveStamp).toFixed(2) });
    moveStamp = null;
  };
  const schedule = () => {
    if (!request) request = frames.requestAnimationFrame(onAnimationFrame);
  };
  /** Start the layer over with what should still show. */
  const repaint = () => {
    layer.clearStroke();
    for (const s of kept) paintPath(layer.strokeContext(), s.style, s.radius, s.points);
    if (current) {
      const points = current.line.points();
      paintPath(layer.strokeContext(), current.style, current.radius, points);
      current.last = Array.from(points.slice(-2));
      current.fresh = [];
    }
    schedule();
  };
  /**
   * Moves: points in image pixels (a move's coalesced events), painted next frame.
   * @param {{x: number, y: number}[]} points
   * @param {number} [stamp]  the event's timeStamp, for the draw-latency hook
   */
  const extend = (points, stamp) => {
    if (!current) return;
    for (const { x, y } of points) if (current.line.add(x, y)) current.fresh.push(x, y);
    if (stamp !== undefined) moveStamp = stamp;
    schedule();
  };
  const retire = (s) => {
    const i = kept.indexOf(s);
    if (i < 0) return;
    timers.clearTimeout(s.timer);
    kept.splice(i, 1);
    repaint();
  };

  return {
    /** Press: a stroke starts at (x, y) image pixels on the frame and label in view. */
    begin(x, y) {
      const erase = model.get("tool") === "eraser";
      const label = model.get("label");
      const style = paintStyle(layer.strokeContext(), { erase, label, scale: scale() });
      const line = createPolyline();
      current = { frame: model.get("frame"), label, erase, radius: brushSizeOf(model), style, line };
      current.track = trackFixOf(model);
      current.last = [];
      current.fresh = [];
      extend([{ x, y }]);
    },
    extend,
    /** Release: send the stroke (unless it misses the image) and keep it drawn. */
    end() {
      if (!current) return;
      paintNew();
      const s = current;
      current = null;
      const points = s.line.points();
      if (!touchesImage(points, s.radius, model.get("image_width"), model.get("image_height"))) return repaint();
      const { content, buffers } = stroke(s.frame, s.label, s.radius, s.erase, s.track, points);
      send(content, buffers);
      sent += 1;
      report({ strokePoints: String(s.line.length), strokesSent: String(sent) });
      const entry = { frame: s.frame, style: s.style, radius: s.radius, points };
      entry.timer = timers.setTimeout(() => retire(entry), KEEP_MS);
      kept.push(entry);
      schedule();
    },
    /** A cancelled press (pointercancel, lost capture): nothing is sent, its paint goes. */
    cancel() {
      if (!current) return;
      current = null;
      repaint();
    },
    /** Whether a stroke is being painted. */
    painting: () => current !== null,
    /**
     * The stream drew a message: labels for a frame retire the oldest stroke sent on
     * it; a frame message also retires the strokes of every other frame (not in view).
     * @param {{type: string, frame: number}} msg
     */
    drawn(msg) {
      if (msg.type !== "frame" && msg.type !== "labels") return;
      const gone = kept.filter((s) => msg.type === "frame" && s.frame !== msg.frame);
      const answered = kept.find((s) => s.frame === msg.frame);
      if (answered) gone.push(answered);
      if (gone.length === 0) return;
      for (const s of gone) timers.clearTimeout(s.timer);
      kept.splice(0, kept.length, ...kept.filter((s) => !gone.includes(s)));
      repaint();
    },
    dispose() {
      if (request) frames.cancelAnimationFrame(request);
      request = 0;
      for (const s of kept) timers.clearTimeout(s.timer);
      kept.length = 0;
      current = null;
    },
  };
}
