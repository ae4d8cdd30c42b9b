// Every message the browser sends to the kernel, one constructor each. The typedefs
// mirror sam2_jupyter/widget/messages.py field for field (name, type, order; numbers
// say int or float), and tests/test_js.py checks both that and that the kernel's
// parse_message accepts what these constructors build. A message is a JSON object
// sent as `send(content)`; the one that carries binary data (stroke) is built as
// {content, buffers} and sent as `send(content, buffers)`.

import { encodePoints } from "./codecs.js";

/**
 * A click: positive (left button) or negative (right button), in image pixels.
 * @typedef {object} Point
 * @property {"point"} type
 * @property {number} frame int
 * @property {number} y float
 * @property {number} x float
 * @property {number} label int
 * @property {boolean} positive
 */

/**
 * A box dragged with Shift, corners in image pixels.
 * @typedef {object} Box
 * @property {"box"} type
 * @property {number} frame int
 * @property {number} y0 float
 * @property {number} x0 float
 * @property {number} y1 float
 * @property {number} x1 float
 * @property {number} label int
 */

/**
 * Remove the prompt nearest to (y, x) within `tolerance` image pixels.
 * @typedef {object} Remove
 * @property {"remove"} type
 * @property {number} frame int
 * @property {number} y float
 * @property {number} x float
 * @property {number} tolerance float
 */

/**
 * @typedef {object} Undo
 * @property {"undo"} type
 */

/**
 * @typedef {object} Redo
 * @property {"redo"} type
 */

/**
 * The object list's delete button: remove a label everywhere (the kernel makes it undoable).
 * @typedef {object} DeleteLabel
 * @property {"delete_label"} type
 * @property {number} label int
 */

/**
 * @typedef {object} Candidate  a click on a candidate (candidates.js builds it): drop it; `select` (Shift): select it
 * @property {"candidate"} type
 * @property {number} frame int
 * @property {number} id int
 * @property {boolean} select
 */

/**
 * The messages with these sequence numbers have been drawn, or laid up (flow control).
 * @typedef {object} Ack
 * @property {"ack"} type
 * @property {number[]} seqs ints
 */

/**
 * A view (re)rendered and needs the current frame.
 * @typedef {object} Ready
 * @property {"ready"} type
 */

/**
 * A pointer went down on the image: the kernel's background work gives way now,
 * before the click, box or stroke it starts arrives.
 * @typedef {object} Active
 * @property {"active"} type
 */

/**
 * A brush or eraser stroke: every pixel whose centre lies within `radius` of the
 * polyline is painted with `label` (erase: cleared). With `track` the painted pixels
 * become a mask prompt for SAM2; without, they stay manual pixels SAM2 does not see.
 * The polyline itself is not a field: it travels as the message's one binary buffer,
 * little-endian float32 (x, y) pairs in image pixels (codecs.js encodePoints).
 * @typedef {object} Stroke
 * @property {"stroke"} type
 * @property {number} frame int
 * @property {number} label int
 * @property {number} radius float
 * @property {boolean} erase
 * @property {boolean} track
 */

/**
 * Flood-fill the region under (y, x) with `label`; `track` as for Stroke.
 * @typedef {object} Fill
 * @property {"fill"} type
 * @property {number} frame int
 * @property {number} y float
 * @property {number} x float
 * @property {number} label int
 * @property {boolean} track
 */

/**
 * A division (the `d` key over the mother): `daughter` divided from `mother`; 0 clears.
 * @typedef {object} SetParent
 * @property {"set_parent"} type
 * @property {number} daughter int
 * @property {number} mother int
 */

/** @typedef {Point | Box | Remove | Undo | Redo | DeleteLabel | Candidate | Ack | Ready | Active | Stroke | Fill | SetParent} Intent */

/**
 * Sends an intent to the kernel, with binary buffers for the messages that carry them.
 * @typedef {(intent: Intent, buffers?: ArrayBuffer[]) => void} Send
 */

/** @returns {Point} */
export function point(frame, y, x, label, positive = true) {
  return { type: "point", frame, y, x, label, positive };
}

/** @returns {Box} */
export function box(frame, y0, x0, y1, x1, label) {
  return { type: "box", frame, y0, x0, y1, x1, label };
}

/** @returns {Remove} */
export function remove(frame, y, x, tolerance) {
  return { type: "remove", frame, y, x, tolerance };
}

/** @returns {Undo} */
export function undo() {
  return { type: "undo" };
}

/** @returns {Redo} */
export function redo() {
  return { type: "redo" };
}

/** @returns {DeleteLabel} */
export function deleteLabel(label) {
  return { type: "delete_label", label };
}

/** @param {number[]} seqs @returns {Ack} */
export function ack(seqs) {
  return { type: "ack", seqs };
}

/** @returns {Ready} */
export function ready() {
  return { type: "ready" };
}

/** @returns {Active} */
export function active() {
  return { type: "active" };
}

/**
 * @param {number} frame
 * @param {number} label
 * @param {number} radius  image pixels
 * @param {boolean} erase
 * @param {boolean} track
 * @param {ArrayLike<number>} points  x0, y0, x1, y1, … in image pixels
 * @returns {{content: Stroke, buffers: [ArrayBuffer]}} for send(content, buffers)
 */
export function stroke(frame, label, radius, erase, track, points) {
  return { content: { type: "stroke", frame, label, radius, erase, track }, buffers: [encodePoints(points)] };
}

/** @returns {Fill} */
export function fill(frame, y, x, label, track) {
  return { type: "fill", frame, y, x, label, track };
}

/** @returns {SetParent} */
export function setParent(daughter, mother) {
  return { type: "set_parent", daughter, mother };
}
