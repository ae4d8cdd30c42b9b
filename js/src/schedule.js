// Coalescing: however many times something asks for a redraw (or a seek) within one
// animation frame, the work runs once, just before the next paint.

/**
 * @typedef {object} FrameClock
 * @property {(fn: FrameRequestCallback) => number} requestAnimationFrame
 * @property {(id: number) => void} cancelAnimationFrame
 */

/**
 * `fn` run at most once per animation frame.
 * @param {() => void} fn
 * @param {FrameClock} [clock] injectable for tests
 * @returns {{request(): void, flush(): void, cancel(): void}}
 */
export function perFrame(fn, clock = globalThis) {
  let id = 0;
  const run = () => {
    id = 0;
    fn();
  };
  const cancel = () => {
    if (id) clock.cancelAnimationFrame(id);
    id = 0;
  };
  return {
    request() {
      if (!id) id = clock.requestAnimationFrame(run);
    },
    /** Run a pending request now (a drag that ends should not wait for the next frame). */
    flush() {
      if (!id) return;
      cancel();
      fn();
    },
    cancel,
  };
}
