// Test doubles: an anywidget model (traits, events, sent messages) and manual timers.

export class FakeModel {
  constructor(traits = {}) {
    this.traits = { ...traits };
    this.listeners = new Map();
    this.sent = [];
    this.sendArgs = [];
    this.saves = 0;
    this.saved = [];
  }
  get(name) {
    return this.traits[name];
  }
  set(name, value) {
    this.traits[name] = value;
  }
  save_changes() {
    this.saves += 1;
    this.saved.push({ ...this.traits });
  }
  /** `sent` holds the contents; `sendArgs` every call's arguments as given. */
  send(...args) {
    this.sent.push(args[0]);
    this.sendArgs.push(args);
  }
  on(event, fn) {
    if (!this.listeners.has(event)) this.listeners.set(event, new Set());
    this.listeners.get(event).add(fn);
  }
  off(event, fn) {
    this.listeners.get(event)?.delete(fn);
  }
  count(event) {
    return this.listeners.get(event)?.size ?? 0;
  }
  emit(event, ...args) {
    for (const fn of this.listeners.get(event) ?? []) fn(...args);
  }
}

/** A model that announces changes as anywidget's does: change:<name> when set to a new value. */
export class LiveModel extends FakeModel {
  set(name, value) {
    const old = this.traits[name];
    super.set(name, value);
    if (old !== value) this.emit(`change:${name}`);
  }
}

/** requestAnimationFrame / cancelAnimationFrame run by step(). */
export class FakeFrames {
  constructor() {
    this.callbacks = new Map();
    this.next = 1;
  }
  requestAnimationFrame(fn) {
    const id = this.next++;
    this.callbacks.set(id, fn);
    return id;
  }
  cancelAnimationFrame(id) {
    this.callbacks.delete(id);
  }
  step() {
    const due = [...this.callbacks.values()];
    this.callbacks.clear();
    for (const fn of due) fn(0);
  }
}

/** setTimeout / clearTimeout driven by tick(ms). */
export class FakeTimers {
  constructor() {
    this.now = 0;
    this.timers = new Map();
    this.next = 1;
  }
  setTimeout(fn, ms) {
    const id = this.next++;
    this.timers.set(id, { fn, at: this.now + ms });
    return id;
  }
  clearTimeout(id) {
    this.timers.delete(id);
  }
  tick(ms) {
    this.now += ms;
    for (const [id, t] of [...this.timers].sort((a, b) => a[1].at - b[1].at)) {
      if (t.at <= this.now) {
        this.timers.delete(id);
        t.fn();
      }
    }
  }
}

/** Run-length encode values as the kernel does: little-endian (uint16 value, uint32 run) pairs. */
export function encodeRle(values) {
  const pairs = [];
  for (const v of values) {
    const last = pairs[pairs.length - 1];
    if (last && last[0] === v) last[1] += 1;
    else pairs.push([v, 1]);
  }
  const buf = new ArrayBuffer(pairs.length * 6);
  const dv = new DataView(buf);
  pairs.forEach(([v, n], i) => {
    dv.setUint16(i * 6, v, true);
    dv.setUint32(i * 6 + 2, n, true);
  });
  return new DataView(buf);
}
