// tests/js/lib/manual-clock.js: time that moves only when told to, with the same
// clock() / after(ms, fn) / cancel(id) shape as machine.clock and kernel/time/timers.js.
//
// The network stack never reads the clock itself (smoltcp's rule): it is
// given one. Tests give it this one and call advance(seconds), so ARP
// retries, reassembly timeouts and DHCP leases happen at exact, repeatable times.
'use strict';

class ManualClock {
  constructor(start = 0) {
    this.now = start; // seconds
    this.pending = []; // { id, deadline, fn }, in the order they were set
    this.nextId = 1;
    // Bound functions, so they can be passed around like the kernel's.
    this.clock = () => this.now;
    this.timers = {
      after: (ms, fn) => this.after(ms, fn),
      cancel: (id) => this.cancel(id),
    };
  }

  after(ms, fn) {
    const id = this.nextId++;
    this.pending.push({ id, deadline: this.now + Math.max(0, Number(ms) || 0) / 1000, fn });
    return id;
  }

  cancel(id) {
    this.pending = this.pending.filter((t) => t.id !== id);
  }

  // Moves time forward by `seconds`, running each timer that falls due at
  // its own deadline (earliest first, ties in the order they were set), so
  // a timer that sets another timer sees the right time.
  advance(seconds) {
    const end = this.now + seconds;
    for (;;) {
      const next = this.nextDue(end);
      if (!next) break;
      this.pending = this.pending.filter((t) => t !== next);
      this.now = Math.max(this.now, next.deadline);
      next.fn();
    }
    this.now = end;
  }

  nextDue(end) {
    let best = null;
    for (const t of this.pending) if (t.deadline <= end && (!best || t.deadline < best.deadline)) best = t;
    return best;
  }

  // Deadlines still set, relative to now (for tests that check scheduling).
  delays() {
    return this.pending.map((t) => t.deadline - this.now).sort((a, b) => a - b);
  }
}

module.exports = { ManualClock };
