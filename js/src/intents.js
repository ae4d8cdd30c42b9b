// Every message the browser sends to the kernel, one constructor each. The typedefs
// mirror sam2_jupyter/widget/messages.py field for field (name, type, order; numbers
// say int or float), and tests/test_js.py checks both that and that the kernel's
// parse_message accepts what these constructors build.

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
 * M key: switch to the next unused label.
 * @typedef {object} NextLabel
 * @property {"next_label"} type
 */

/**
 * The object list's delete button: remove a label everywhere (the kernel makes it undoable).
 * @typedef {object} DeleteLabel
 * @property {"delete_label"} type
 * @property {number} label int
 */

/**
 * The message with this sequence number has been drawn (flow control).
 * @typedef {object} Ack
 * @property {"ack"} type
 * @property {number} seq int
 */

/**
 * A view (re)rendered and needs the current frame.
 * @typedef {object} Ready
 * @property {"ready"} type
 */

/** @typedef {Point | Box | Remove | Undo | Redo | NextLabel | DeleteLabel | Ack | Ready} Intent */

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

/** @returns {NextLabel} */
export function nextLabel() {
  return { type: "next_label" };
}

/** @returns {DeleteLabel} */
export function deleteLabel(label) {
  return { type: "delete_label", label };
}

/** @returns {Ack} */
export function ack(seq) {
  return { type: "ack", seq };
}

/** @returns {Ready} */
export function ready() {
  return { type: "ready" };
}
