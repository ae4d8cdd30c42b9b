// Binary payloads: run-length labels from the kernel, label colours, and the brush's
// polyline to the kernel.

/**
 * A frame's labels as they travel, checked: the runs themselves, never a pixel array
 * (the overlay, the pick and the debug count read the runs; a 1024² frame of 300
 * objects has some 10⁴ runs against 10⁶ pixels).
 * @typedef {object} Labels
 * @property {number} width
 * @property {number} height
 * @property {Uint16Array} values  each run's label id
 * @property {Uint32Array} ends  each run's end: the index of the pixel after it
 * @property {number} labelled  pixels with a label other than 0
 * @property {(index: number) => number} at  the label of pixel ``index`` (row-major)
 */

/**
 * Read run-length labels: little-endian pairs of (uint16 value, uint32 run).
 * @param {ArrayBuffer | DataView | Uint8Array} data
 * @param {number} width
 * @param {number} height
 * @returns {Labels}
 */
export function readRuns(data, width, height) {
  const view = toDataView(data);
  if (view.byteLength % 6 !== 0) throw new Error(`label runs: ${view.byteLength} bytes is not a multiple of 6`);
  const n = view.byteLength / 6;
  const size = width * height;
  const values = new Uint16Array(n);
  const ends = new Uint32Array(n);
  let pos = 0;
  let labelled = 0;
  for (let r = 0; r < n; r++) {
    const value = view.getUint16(r * 6, true);
    const run = view.getUint32(r * 6 + 2, true);
    if (pos + run > size) throw new Error("label runs exceed the image size");
    pos += run;
    values[r] = value;
    ends[r] = pos;
    if (value !== 0) labelled += run;
  }
  if (pos !== size) throw new Error(`label runs cover ${pos} of ${size} pixels`);
  const at = (index) => {
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (ends[mid] > index) hi = mid;
      else lo = mid + 1;
    }
    return lo < n && index >= 0 ? values[lo] : 0;
  };
  return { width, height, values, ends, labelled, at };
}

/**
 * Decode run-length labels to one id per pixel (the candidates' outlines and the
 * timeline's table need every pixel).
 * @param {ArrayBuffer | DataView | Uint8Array} data
 * @param {number} width
 * @param {number} height
 * @returns {Uint16Array}
 */
export function decodeRle(data, width, height) {
  const { values, ends } = readRuns(data, width, height);
  const out = new Uint16Array(width * height);
  for (let r = 0, start = 0; r < values.length; start = ends[r], r++) {
    if (values[r] !== 0) out.fill(values[r], start, ends[r]);
  }
  return out;
}

/** @returns {DataView} */
export function toDataView(data) {
  if (data instanceof DataView) return data;
  if (ArrayBuffer.isView(data)) return new DataView(data.buffer, data.byteOffset, data.byteLength);
  return new DataView(data);
}

/**
 * A polyline as the kernel reads a stroke's buffer: little-endian float32 (x, y) pairs
 * in image pixels. Written through a DataView so the byte order does not depend on the
 * machine's (a Float32Array's buffer would be native-endian).
 * @param {ArrayLike<number>} points  x0, y0, x1, y1, …
 * @returns {ArrayBuffer} 4 × points.length bytes
 */
export function encodePoints(points) {
  const buffer = new ArrayBuffer(points.length * 4);
  const view = new DataView(buffer);
  for (let i = 0; i < points.length; i++) view.setFloat32(i * 4, points[i], true);
  return buffer;
}

const GOLDEN = 0.618033988749895;

const SATURATION = [1.0, 0.5]; // by id % 2
const VALUE = [1.0, 0.825, 0.65]; // by id % 3

/**
 * The colour of a label id: the same formula as sam2_jupyter.exports.colors.label_color
 * (golden-ratio hues, saturation and value by id so that ids 8, 13 or 21 apart, whose
 * hues nearly meet, still differ; HSV to RGB as Python's colorsys does).
 * @param {number} label
 * @returns {[number, number, number]}
 */
export function labelColor(label) {
  if (label <= 0) return [0, 0, 0];
  const h = (label * GOLDEN) % 1.0;
  const s = SATURATION[label % 2];
  const v = VALUE[label % 3];
  const i = Math.floor(h * 6.0);
  const f = h * 6.0 - i;
  const p = v * (1.0 - s);
  const q = v * (1.0 - s * f);
  const t = v * (1.0 - s * (1.0 - f));
  const rgb = [
    [v, t, p],
    [q, v, p],
    [p, v, t],
    [p, q, v],
    [t, p, v],
    [v, p, q],
  ][i % 6];
  return /** @type {[number, number, number]} */ (rgb.map((c) => Math.floor(c * 255 + 0.5)));
}

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** Label id -> 0x1RRGGBB once its colour was worked out (0: not yet). */
const RGB = new Uint32Array(65536);

/** The RGBA pixel word of a label's colour, as this machine's bytes lie. */
function colourWord(label, alpha) {
  let rgb = RGB[label];
  if (rgb === 0) {
    const [r, g, b] = labelColor(label);
    rgb = 0x1000000 | (r << 16) | (g << 8) | b;
    RGB[label] = rgb;
  }
  const [r, g, b] = [(rgb >> 16) & 255, (rgb >> 8) & 255, rgb & 255];
  return (LITTLE_ENDIAN ? (alpha << 24) | (b << 16) | (g << 8) | r : (r << 24) | (g << 16) | (b << 8) | alpha) >>> 0;
}

/**
 * Labels to RGBA pixels: each label's colour with alpha = opacity; 0 and hidden labels
 * transparent (all four bytes 0). Written straight from the runs, one 32-bit word per
 * pixel (no pass over the pixels to find them): a 1024² frame of 300 objects in about
 * a millisecond, so it can run every frame of a playback.
 * @param {Labels} labels
 * @param {number} opacity 0..1
 * @param {Uint8ClampedArray} [out]
 * @param {ReadonlySet<number>} [hidden] label ids not to draw
 */
export function labelsToRgba(labels, opacity, out, hidden) {
  const size = labels.width * labels.height;
  const rgba = out ?? new Uint8ClampedArray(size * 4);
  const alpha = Math.round(Math.min(1, Math.max(0, opacity)) * 255);
  const words = new Uint32Array(rgba.buffer, rgba.byteOffset, size);
  const { values, ends } = labels;
  let most = 0;
  for (let r = 0; r < values.length; r++) if (values[r] > most) most = values[r];
  const palette = new Uint32Array(most + 1); // label -> its pixel word (0: clear)
  for (let r = 0; r < values.length; r++) {
    const lab = values[r];
    if (lab === 0 || palette[lab] !== 0 || hidden?.has(lab)) continue;
    palette[lab] = colourWord(lab, alpha);
  }
  words.fill(0); // one clear, then only the drawn runs (a loop: most runs are short)
  for (let r = 0, start = 0; r < values.length; start = ends[r], r++) {
    const w = palette[values[r]];
    if (w !== 0) for (let i = start, end = ends[r]; i < end; i++) words[i] = w;
  }
  return rgba;
}
