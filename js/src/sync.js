// Model traits (and DOM events): listening with one off() per listener, and saving
// at once (user intents the kernel waits on: frame, label), soon (a playing view's
// moves: one save for each tenth of a second) or debounced (high-rate state such as
// view_pixels while a window is resized). What must reach the kernel just before a
// save (the frame stream's claims) registers with `beforeSave`.

/**
 * The model methods the front end uses (an anywidget AFM model).
 * @typedef {object} Model
 * @property {(name: string) => any} get
 * @property {(name: string, value: any) => void} set
 * @property {() => void} save_changes
 * @property {(content: object, callbacks?: unknown, buffers?: ArrayBuffer[]) => void} send
 * @property {(event: string, fn: Function) => void} on
 * @property {(event: string, fn: Function) => void} off
 */

/** How long synced state must stay unchanged before it is saved (lonboard uses 300 ms). */
export const SAVE_AFTER_MS = 300;
/** A change set `soon` is saved within this, ms. */
export const SOON_MS = 100;

/**
 * Sending intents to the kernel: a plain message as `model.send(content)`, one with
 * binary data (a stroke's points) with its buffers as anywidget's third argument.
 * @param {Model} model
 * @returns {import("./intents.js").Send}
 */
export function createSend(model) {
  return (intent, buffers) => (buffers?.length ? model.send(intent, undefined, buffers) : model.send(intent));
}

/**
 * Call `fn` when any of the named traits changes.
 * @param {Model} model
 * @param {string[]} names
 * @param {Function} fn
 * @returns {() => void} off: removes exactly these listeners
 */
export function listen(model, names, fn) {
  const events = names.map((name) => `change:${name}`);
  for (const event of events) model.on(event, fn);
  return () => {
    for (const event of events) model.off(event, fn);
  };
}

/**
 * DOM event listeners, added together and removed by the one off() returned.
 * @param {EventTarget} node
 * @param {Array<[string, EventListener, AddEventListenerOptions?]>} listeners
 * @returns {() => void} off
 */
export function bindEvents(node, listeners) {
  for (const [type, fn, options] of listeners) node.addEventListener(type, fn, options);
  return () => {
    for (const [type, fn, options] of listeners) node.removeEventListener(type, fn, options);
  };
}

/**
 * Set `node[key]` only when it differs: each DOM write costs the page a style pass or
 * a layout (and resetting an input can disturb focus or a selection).
 * @param {any} node  an element, its `style` or its `dataset`
 * @param {string} key
 * @param {unknown} value
 */
export function put(node, key, value) {
  if (node[key] !== value) node[key] = value;
}

/**
 * `fn` run once `wait` ms after the last call.
 * @param {() => void} fn
 * @param {number} wait
 * @param {{setTimeout: Function, clearTimeout: Function}} [timers] injectable for tests
 * @returns {(() => void) & {flush(): void, cancel(): void, pending(): boolean}}
 */
export function debounce(fn, wait, timers = globalThis) {
  let timer = null;
  const run = () => {
    timer = null;
    fn();
  };
  const debounced = () => {
    if (timer !== null) timers.clearTimeout(timer);
    timer = timers.setTimeout(run, wait);
  };
  debounced.cancel = () => {
    if (timer !== null) timers.clearTimeout(timer);
    timer = null;
  };
  debounced.flush = () => {
    if (timer === null) return;
    debounced.cancel();
    fn();
  };
  debounced.pending = () => timer !== null;
  return debounced;
}

/**
 * Setting synced traits. `now` saves at once; `soon` sets at once and saves within
 * SOON_MS (with whatever else changed meanwhile); `later` sets at once (other modules
 * see the value) but saves after `wait` ms without further changes.
 * @param {Model} model
 * @param {number} [wait]
 * @param {{setTimeout: Function, clearTimeout: Function}} [timers]
 */
export function createSync(model, wait = SAVE_AFTER_MS, timers = globalThis) {
  const hooks = new Set();
  let soon = null;
  const saveNow = () => {
    save.cancel(); // save_changes sends every unsaved trait, the debounced ones too
    if (soon !== null) timers.clearTimeout(soon);
    soon = null;
    for (const hook of hooks) hook();
    model.save_changes();
  };
  const save = debounce(saveNow, wait, timers);
  let setting = 0;
  const set = (values) => {
    setting += 1;
    try {
      for (const [name, value] of Object.entries(values)) model.set(name, value);
    } finally {
      setting -= 1;
    }
  };
  return {
    /** Whether the change being heard now is this view's own (set through here). */
    get local() {
      return setting > 0;
    },
    /** @param {Record<string, any>} values */
    now(values) {
      set(values);
      saveNow();
    },
    /** @param {Record<string, any>} values */
    soon(values) {
      set(values);
      soon ??= timers.setTimeout(saveNow, SOON_MS);
    },
    /** @param {Record<string, any>} values */
    later(values) {
      set(values);
      save();
    },
    /** Call `hook` just before each save; returns its off(). @param {() => void} hook */
    beforeSave(hook) {
      hooks.add(hook);
      return () => hooks.delete(hook);
    },
    /** A closed view saves nothing more. */
    dispose() {
      save.cancel();
      if (soon !== null) timers.clearTimeout(soon);
      soon = null;
    },
  };
}
