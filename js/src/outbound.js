// The kernel's messages to the browser, as sam2_jupyter/widget/outbound.py declares
// them (tests/test_js.py checks that the typedefs here mirror its dataclasses). The
// frame stream adds `seq`, its flow control's sequence number, to each.

/**
 * A prompt as the kernel draws it (outbound.py `Marker`), plus its own fields:
 * y, x (point); y0, x0, y1, x1 (box); shape (mask).
 * @typedef {object} Marker
 * @property {string} kind
 * @property {number} frame int
 * @property {number} label int
 * @property {boolean} positive
 * @property {boolean} pending
 */

/**
 * A frame's image (buffer 0) and, when `has_labels`, its labels (buffer 1).
 * @typedef {object} FrameMsg
 * @property {"frame"} type
 * @property {number} frame int
 * @property {string} mime
 * @property {boolean} lossless
 * @property {boolean} has_labels
 * @property {number} width int
 * @property {number} height int
 * @property {Marker[]} markers
 */

/**
 * A frame sent ahead (buffer 0 its image, buffer 1 its labels when `has_labels`): laid
 * up by ahead.js and drawn when the view moves there.
 * @typedef {object} AheadMsg
 * @property {"ahead"} type
 * @property {number} frame int
 * @property {string} mime
 * @property {boolean} has_labels
 * @property {number} width int
 * @property {number} height int
 * @property {Marker[]} markers
 */

/**
 * Forget frames laid up (`frames`; null: every one), outside the flow control.
 * @typedef {object} ForgetMsg
 * @property {"forget"} type
 * @property {number[]} frames
 */

/**
 * A frame's labels alone (buffer 0): an edit's answer, a propagated frame in view.
 * @typedef {object} LabelsMsg
 * @property {"labels"} type
 * @property {number} frame int
 * @property {number} width int
 * @property {number} height int
 * @property {Marker[]} markers
 */

/**
 * The review summary (summary.js), outside the flow control, never acknowledged.
 * Buffer 0: when `full`, the whole table run-length coded; else the columns `frames`,
 * raw, frame-major. A message carries `n_frames` (full) or `frames`, not both.
 * @typedef {object} TimelineMsg
 * @property {"timeline"} type
 * @property {boolean} full
 * @property {number[]} labels
 * @property {number} n_frames int
 * @property {number[]} frames
 */

/**
 * The candidates of a frame (candidates.js), outside the flow control, never
 * acknowledged. Buffer 0, when `has_image`: their label image, run-length coded;
 * else the image sent before stays and only `ids` (shown) and `selected` changed.
 * No `ids`: no candidates.
 * @typedef {object} CandidatesMsg
 * @property {"candidates"} type
 * @property {number} frame int
 * @property {number} width int
 * @property {number} height int
 * @property {number[]} ids
 * @property {number[]} selected
 * @property {boolean} has_image
 */

/**
 * Every proposed division (divisions.js), whole, outside the flow control: one entry
 * per proposal in each list; `daughters` 0 where the mother became two parts of one id.
 * @typedef {object} DivisionsMsg
 * @property {"divisions"} type
 * @property {number[]} frames
 * @property {number[]} mothers
 * @property {number[]} daughters
 */

/** The message types the stream draws (and acknowledges); others are routed by type. */
export const STREAMED = new Set(["ahead", "frame", "labels"]);
