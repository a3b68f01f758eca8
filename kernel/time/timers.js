// kernel/time/timers.js: kernel timers over the machine's one-shot timer.
//
// The machine has a single programmable deadline (TIMER_SET, IRQ line 0), like
// a local APIC timer in one-shot mode. We keep every kernel timer in a list
// sorted by deadline and always program the earliest one.
'use strict';

const machine = require('../arch/machine');

const timers = []; // sorted by deadline: {id, deadline, fn}
let nextId = 1;
let programmed = 0;

function program() {
  const first = timers.length ? timers[0].deadline : 0;
  if (first !== programmed) {
    programmed = first;
    machine.timerSet(first);
  }
}

function after(ms, fn) {
  const id = nextId++;
  const deadline = machine.clock() + Math.max(0, Number(ms) || 0) / 1000;
  let i = timers.length;
  while (i > 0 && timers[i - 1].deadline > deadline) i--;
  timers.splice(i, 0, { id, deadline, fn });
  if (i === 0) program();
  return id;
}

function cancel(id) {
  const i = timers.findIndex((t) => t.id === id);
  if (i >= 0) {
    timers.splice(i, 1);
    if (i === 0) program();
  }
}

// IRQ line 0: run every timer that is due, then program the next one.
function onInterrupt() {
  programmed = 0;
  const now = machine.clock();
  while (timers.length && timers[0].deadline <= now + 0.0002) timers.shift().fn();
  program();
}

module.exports = { after, cancel, onInterrupt, pending: () => timers.length };
