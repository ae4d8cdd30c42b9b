// Test doubles: an anywidget model (traits, events, sent messages) and manual timers.

export class FakeModel {
  constructor(traits = {}) {
    this.traits = { ...traits };
    this.listeners = new Map();
    this.sent = [];
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
  send(content) {
    this.sent.push(content);
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
