// A long list that keeps only the rows in view (and a few either side) in the DOM.
// With 300 objects the object list's 2,400 elements made every frame switch pay for
// the page's style, layout and paint work on them (about 10 ms a switch, measured in
// one page against 3 labels, though nothing in the list changed); a list of fixed-height
// rows needs only the window's rows, under a body as tall as all of them, so the
// scrollbar reads as it would with every row there.

export const ROW_HEIGHT = 22; // px, the .sam2j-object height in widget.css

/**
 * The rows [first, end) to put in the DOM: those a viewport of `height` px scrolled
 * to `top` shows, and `overscan` more either side.
 * @returns {{first: number, end: number}}
 */
export function rowWindow({ count, top, height, rowHeight = ROW_HEIGHT, overscan = 4 }) {
  const first = Math.min(count, Math.max(0, Math.floor(top / rowHeight) - overscan));
  const end = Math.min(count, Math.ceil((top + height) / rowHeight) + overscan);
  return { first, end: Math.max(first, end) };
}

/**
 * The scroll position that shows row `index` whole, or null when it is in view
 * already (no scroll: a click on a row must not move the list under the pointer).
 * @returns {number | null}
 */
export function scrollToShow({ index, top, height, rowHeight = ROW_HEIGHT }) {
  const start = index * rowHeight;
  if (index < 0 || (start >= top && start + rowHeight <= top + height)) return null;
  return Math.max(0, Math.round(start - (height - rowHeight) / 2));
}

/**
 * @param {HTMLElement} scroller  the element that scrolls (overflow: auto)
 * @param {() => void} moved  called when a scroll moves the window (ask for a redraw)
 * @returns {{body: HTMLElement, show(count: number, row: (i: number) => HTMLElement, focus?: number):
 *   {first: number, end: number}, dispose(): void}}
 */
export function createRowWindow(scroller, moved, { rowHeight = ROW_HEIGHT, overscan = 4 } = {}) {
  const body = document.createElement("div");
  body.className = "sam2j-rows";
  body.style.boxSizing = "border-box";
  scroller.append(body);
  let top = 0;
  const onScroll = () => {
    top = scroller.scrollTop;
    moved();
  };
  scroller.addEventListener("scroll", onScroll, { passive: true });
  const set = (key, value) => {
    if (body.style[key] !== value) body.style[key] = value;
  };
  return {
    body,
    /** Lay out `count` rows (row(i) gives row i's element), row `focus` scrolled into view. */
    show(count, row, focus = -1) {
      // Read each time: the list grows from one row to its full height (a show runs
      // when the list changes, not on a frame switch). Not laid out yet: six rows.
      const height = scroller.clientHeight || 6 * rowHeight;
      const to = focus < count ? scrollToShow({ index: focus, top, height, rowHeight }) : null;
      if (to !== null) {
        scroller.scrollTop = to;
        top = Math.min(to, Math.max(0, count * rowHeight - height));
      }
      const { first, end } = rowWindow({ count, top, height, rowHeight, overscan });
      set("height", `${count * rowHeight}px`);
      set("paddingTop", `${first * rowHeight}px`);
      for (let i = first; i < end; i++) {
        const node = row(i);
        const at = body.children[i - first];
        if (at !== node) body.insertBefore(node, at ?? null);
      }
      while (body.children.length > end - first) body.lastElementChild.remove();
      return { first, end };
    },
    dispose() {
      scroller.removeEventListener("scroll", onScroll);
    },
  };
}
