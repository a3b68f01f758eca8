// fs/lib/http/deadlines.js (/lib/http/deadlines in the image): many
// deadlines on one timer. A server waits on every connection with a
// deadline (the next request's head, a body, the lingering close); a timer
// each would cost an app a kernel call per read (setTimeout is a
// `timer.sleep` call) and a wake-up when it would have fired, cleared or
// not. Instead one timer is set for the earliest deadline; when it fires,
// every deadline due is called and the timer is set for the next one, no
// sooner than `granularity` ms later (so deadlines spread over time cost a
// timer every `granularity` ms at most, not one each). A deadline set
// earlier than the timer moves the timer; the timer goes when nothing waits.
//
//   const deadlines = deadlinesFor(timers);    // one set per timers object
//   const w = deadlines.add(at, () => ...);    // at: a time from timers.now()
//   deadlines.remove(w);                       // it was met
'use strict';

const GRANULARITY = 100; // ms a deadline may be late when others fell due just before it

class Deadlines {
  // timers: {setTimeout, clearTimeout, now}, injected for tests.
  constructor(timers, { granularity = GRANULARITY } = {}) {
    this.timers = timers;
    this.granularity = granularity;
    this.waiting = new Set(); // {at, onExpire}
    this.timer = null;
    this.at = Infinity; // when the timer fires
  }

  add(at, onExpire) {
    const w = { at, onExpire };
    this.waiting.add(w);
    if (at < this.at) this.arm(at);
    return w;
  }

  remove(w) {
    this.waiting.delete(w);
    if (this.waiting.size === 0 && this.timer !== null) {
      // Nothing waits: no timer may keep the app alive.
      this.timers.clearTimeout(this.timer);
      this.timer = null;
      this.at = Infinity;
    }
  }

  arm(at) {
    if (this.timer !== null) this.timers.clearTimeout(this.timer);
    this.at = at;
    this.timer = this.timers.setTimeout(() => this.fire(), Math.max(0, at - this.timers.now()));
  }

  fire() {
    this.timer = null;
    this.at = Infinity;
    const now = this.timers.now();
    let next = Infinity;
    for (const w of [...this.waiting]) {
      if (w.at <= now) {
        this.waiting.delete(w);
        w.onExpire();
      } else if (w.at < next) next = w.at;
    }
    // An onExpire may have added one (and set the timer) already.
    if (next < Infinity && next < this.at) this.arm(Math.max(next, now + this.granularity));
  }
}

const sets = new WeakMap(); // timers -> Deadlines

function deadlinesFor(timers) {
  let d = sets.get(timers);
  if (!d) sets.set(timers, (d = new Deadlines(timers)));
  return d;
}

module.exports = { Deadlines, deadlinesFor, GRANULARITY };
