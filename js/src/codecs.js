// Binary payloads: run-length labels from the kernel, label colours, and the brush's
// polyline to the kernel.

/**
 * Decode run-length labels: little-endian pairs of (uint16 value, uint32 run).
 * @param {ArrayBuffer | DataView | Uint8Array} data
 * @param {number} width
 * @param {number} height
 * @returns {Uint16Array}
 */
export function decodeRle(data, width, height) {
  const view = toDataView(data);
  const out = new Uint16Array(width * height);
  if (view.byteLength % 6 !== 0) throw new Error(`label runs: ${view.byteLength} bytes is not a multiple of 6`);
  let pos = 0;
  for (let off = 0; off < view.byteLength; off += 6) {
    const value = view.getUint16(off, true);
    const run = view.getUint32(off + 2, true);
    if (pos + run > out.length) throw new Error("label runs exceed the image size");
    if (value !== 0) out.fill(value, pos, pos + run);
    pos += run;
  }
  if (pos !== out.length) throw new Error(`label runs cover ${pos} of ${out.length} pixels`);
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

/**
 * Labels to RGBA pixels: each label's colour with alpha = opacity; 0 and hidden labels
 * transparent (all four bytes 0). Written a run of equal labels at a time, one 32-bit
 * word per pixel: a 1024² frame in about a millisecond, so it can run every frame of
 * a playback.
 * @param {Uint16Array} labels
 * @param {number} opacity 0..1
 * @param {Uint8ClampedArray} [out]
 * @param {ReadonlySet<number>} [hidden] label ids not to draw
 */
export function labelsToRgba(labels, opacity, out, hidden) {
  const rgba = out ?? new Uint8ClampedArray(labels.length * 4);
  const alpha = Math.round(Math.min(1, Math.max(0, opacity)) * 255);
  const words = new Uint32Array(rgba.buffer, rgba.byteOffset, labels.length);
  const cache = new Map(); // label -> its pixel word
  const word = (lab) => {
    let w = cache.get(lab);
    if (w === undefined) {
      const [r, g, b] = lab === 0 || hidden?.has(lab) ? [0, 0, 0] : labelColor(lab);
      const a = lab === 0 || hidden?.has(lab) ? 0 : alpha;
      w = (LITTLE_ENDIAN ? (a << 24) | (b << 16) | (g << 8) | r : (r << 24) | (g << 16) | (b << 8) | a) >>> 0;
      cache.set(lab, w);
    }
    return w;
  };
  const n = labels.length;
  for (let start = 0; start < n; ) {
    const lab = labels[start];
    let end = start + 1;
    while (end < n && labels[end] === lab) end++;
    words.fill(word(lab), start, end);
    start = end;
  }
  return rgba;
}
