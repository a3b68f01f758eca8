// kernel/arch/irq.js: interrupt dispatch.
//
// The machine queues one call of __irq() whenever lines are pending (it never
// queues a second while one waits, so interrupts are coalesced, not lost).
// __irq claims every pending line at once (like a PLIC claim) and runs each
// line's handler. Handlers must drain everything their device has: a
// virtio handler reads InterruptStatus, acknowledges it, empties the used
// rings. An exception escaping a handler is a kernel bug: panic.
'use strict';

const machine = require('./machine');

const handlers = new Map(); // line -> {name, fn, count}

function register(line, name, fn) {
  handlers.set(line, { name, fn, count: 0 });
}

function count(line) {
  const h = handlers.get(line);
  return h ? h.count : 0;
}

function install(panic) {
  globalThis.__irqDispatch = function dispatch() {
    machine.newTurn(); // a new instant for machine.turnClock()
    try {
      // Lines raised while we run are not lost: the machine queues another
      // __irq() call for them after this one.
      const pending = machine.irqClaim();
      for (let line = 0; pending >>> line; line++) {
        if (!((pending >>> line) & 1)) continue;
        const h = handlers.get(line);
        if (h) {
          h.count++;
          h.fn();
        }
      }
    } catch (e) {
      panic(e);
    }
  };
}

module.exports = { register, count, install, handlers };
