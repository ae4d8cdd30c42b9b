import assert from "node:assert/strict";
import test from "node:test";

import { canvasHeight, fitView, inside, MIN_CANVAS_HEIGHT, panBy, toImage, toScreen, zoomAt } from "../src/view.js";

const close = (a, b) => assert.ok(Math.abs(a - b) < 1e-9, `${a} != ${b}`);

test("fitView fits and centres the image", () => {
  const v = fitView(200, 100, 400, 400);
  assert.equal(v.scale, 2);
  assert.equal(v.tx, 0);
  assert.equal(v.ty, 100);
  const corner = toScreen(v, 200, 100);
  close(corner.x, 400);
  close(corner.y, 300);
});

test("toImage inverts toScreen at any zoom and pan", () => {
  let v = fitView(1024, 768, 640, 480);
  for (const [f, x, y, dx, dy] of [
    [1.5, 10, 20, 3, -7],
    [0.3, 600, 470, -50, 12],
    [8, 320, 240, 0, 0],
  ]) {
    v = panBy(zoomAt(v, f, x, y), dx, dy);
    for (const [ix, iy] of [
      [0, 0],
      [512.25, 100.5],
      [1024, 768],
    ]) {
      const s = toScreen(v, ix, iy);
      const back = toImage(v, s.x, s.y);
      close(back.x, ix);
      close(back.y, iy);
    }
  }
});

test("zoomAt keeps the point under the cursor fixed", () => {
  const v = fitView(100, 100, 300, 300);
  const before = toImage(v, 123, 77);
  const z = zoomAt(v, 4, 123, 77);
  const after = toImage(z, 123, 77);
  close(before.x, after.x);
  close(before.y, after.y);
  close(z.scale, v.scale * 4);
});

test("zoom is clamped", () => {
  const v = { scale: 1, tx: 0, ty: 0 };
  assert.equal(zoomAt(v, 1e9, 0, 0, 0.1, 50).scale, 50);
  assert.equal(zoomAt(v, 1e-9, 0, 0, 0.1, 50).scale, 0.1);
});

test("clicks map to pixel coordinates as the kernel expects", () => {
  // 10×10 image drawn at 3× with a 5 px margin: CSS (5 + 3*4.5) is the centre of pixel 4.
  const v = { scale: 3, tx: 5, ty: 5 };
  const p = toImage(v, 5 + 3 * 4.5, 5 + 3 * 2.5);
  close(p.x, 4.5);
  close(p.y, 2.5);
  assert.ok(inside(p.x, p.y, 10, 10));
  assert.ok(!inside(-0.1, 3, 10, 10));
});

test("the canvas takes the image's aspect at its width, up to view_height", () => {
  assert.equal(canvasHeight(488, 128, 96, 480), 366); // wide: no bands above and below
  assert.equal(canvasHeight(488, 96, 128, 480), 480); // tall: capped
  assert.equal(canvasHeight(800, 4000, 100, 480), MIN_CANVAS_HEIGHT); // a strip stays usable
  assert.equal(canvasHeight(800, 4000, 100, 100), 100); // never above the cap
  assert.equal(canvasHeight(488, 0, 0, 480), 480); // no image yet
});
