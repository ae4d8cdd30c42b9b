// A stroke's points as they are collected, in image pixels. Pointer events arrive far
// more often than the brush moves by a visible amount, so a point closer than
// MIN_STEP to the previous one is dropped; a stroke that still reaches MAX_POINTS is
// thinned (every other point kept, the step doubled), so one pointer-up is always
// one message whatever its length, and the kernel's buffer limit is never reached.
// The last point offered always ends the stroke, dropped or not: where the pointer
// was released is where the paint ends.

/** At most this many points per stroke (8 bytes each in the message). */
export const MAX_POINTS = 65536;
/** Image pixels a point must be from the previous one to be kept. */
export const MIN_STEP = 0.5;

/**
 * @param {object} [o]
 * @param {number} [o.max]  points kept at most (≥ 2)
 * @param {number} [o.step]  minimum distance between kept points, image pixels
 */
export function createPolyline({ max = MAX_POINTS, step = MIN_STEP } = {}) {
  let data = new Float32Array(2 * Math.min(max, 256));
  let n = 0;
  let minStep = step;
  let tail = null; // the last point offered, when it was dropped

  /** Keep points 0, 2, 4, … and the last one: half the points, the same outline. */
  const thin = () => {
    const last = n - 1;
    let k = 0;
    for (let i = 0; i < n; i++) {
      if (i % 2 !== 0 && i !== last) continue;
      data[2 * k] = data[2 * i];
      data[2 * k + 1] = data[2 * i + 1];
      k += 1;
    }
    n = k;
    minStep *= 2;
  };

  return {
    /**
     * Add a point unless it is within the minimum step of the last one.
     * @returns {boolean} whether it was kept
     */
    add(x, y) {
      if (!Number.isFinite(x) || !Number.isFinite(y)) return false;
      const close = n > 0 && Math.hypot(x - data[2 * n - 2], y - data[2 * n - 1]) < minStep;
      tail = close && (x !== data[2 * n - 2] || y !== data[2 * n - 1]) ? [x, y] : null;
      if (close) return false;
      if (n === max) thin();
      if (2 * n === data.length) {
        const grown = new Float32Array(Math.min(2 * max, 2 * data.length));
        grown.set(data);
        data = grown;
      }
      data[2 * n] = x;
      data[2 * n + 1] = y;
      n += 1;
      return true;
    },
    /** Points in the stroke so far (those kept, and a dropped last one). */
    get length() {
      return tail ? Math.min(n, max - 1) + 1 : n;
    },
    /** @returns {Float32Array} x0, y0, x1, y1, … (a copy) ending at the last point offered */
    points() {
      if (!tail) return data.slice(0, 2 * n);
      const k = Math.min(n, max - 1); // a full stroke gives up its last kept point for it
      const out = new Float32Array(2 * k + 2);
      out.set(data.subarray(0, 2 * k));
      out.set(tail, 2 * k);
      return out;
    },
  };
}

/**
 * Whether a stroke of this radius may paint a pixel of a `width` × `height` image: its
 * bounding box, grown by the radius, overlaps the image. (A box, not the points: a
 * segment between two points off the image can still cross it.)
 * @param {ArrayLike<number>} points  x0, y0, x1, y1, …
 */
export function touchesImage(points, radius, width, height) {
  if (points.length < 2) return false;
  let [x0, y0, x1, y1] = [Infinity, Infinity, -Infinity, -Infinity];
  for (let i = 0; i + 1 < points.length; i += 2) {
    x0 = Math.min(x0, points[i]);
    x1 = Math.max(x1, points[i]);
    y0 = Math.min(y0, points[i + 1]);
    y1 = Math.max(y1, points[i + 1]);
  }
  return x1 > -radius && y1 > -radius && x0 < width + radius && y0 < height + radius;
}
