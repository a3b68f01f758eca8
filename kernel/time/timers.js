// kernel/time/timers.js: kernel timers over the machine's one-shot timer.
//
// The machine has a single programmable deadline (TIMER_SET, IRQ line 0), like
// a local APIC timer in one-shot mode. We keep every kernel timer in a binary
// min-heap by deadline (ties in the order they were set) and always program
// the earliest one. A heap rather than a sorted list: a server holds a timer
// per connection in TIME-WAIT (60 s), tens of thousands under a stream of new
// connections, and every short timer (a delayed ACK, a retransmission) set
// among them would otherwise walk and shift them all. A cancelled timer stays
// in the heap, marked, until it reaches the top (as Go's runtime timers do),
// or until the marked ones are most of the heap, which is then rebuilt.
'use strict';

const machine = require('../arch/machine');

const heap = []; // {id, deadline, fn, cancelled}: heap[0] the earliest
const live = new Map(); // id -> entry, for cancel and pending()
let nextId = 1;
let programmed = 0;
let dead = 0; // cancelled entries still in the heap

const before = (a, b) => a.deadline < b.deadline || (a.deadline === b.deadline && a.id < b.id);

function siftUp(i) {
  const e = heap[i];
  while (i > 0) {
    const parent = (i - 1) >> 1;
    if (!before(e, heap[parent])) break;
    heap[i] = heap[parent];
    i = parent;
  }
  heap[i] = e;
}

function siftDown(i) {
  const e = heap[i];
  const n = heap.length;
  for (;;) {
    let child = 2 * i + 1;
    if (child >= n) break;
    if (child + 1 < n && before(heap[child + 1], heap[child])) child++;
    if (!before(heap[child], e)) break;
    heap[i] = heap[child];
    i = child;
  }
  heap[i] = e;
}

function pop() {
  const top = heap[0];
  if (top.cancelled) dead--;
  const last = heap.pop();
  if (heap.length) {
    heap[0] = last;
    siftDown(0);
  }
  return top;
}

// The earliest timer not cancelled, or undefined; cancelled ones on top go.
function first() {
  while (heap.length && heap[0].cancelled) pop();
  return heap[0];
}

function program() {
  const t = first();
  const deadline = t ? t.deadline : 0;
  if (deadline !== programmed) {
    programmed = deadline;
    machine.timerSet(deadline);
  }
}

function after(ms, fn) {
  const id = nextId++;
  const deadline = machine.clock() + Math.max(0, Number(ms) || 0) / 1000;
  const entry = { id, deadline, fn, cancelled: false };
  live.set(id, entry);
  heap.push(entry);
  siftUp(heap.length - 1);
  if (heap[0] === entry) program();
  return id;
}

function cancel(id) {
  const entry = live.get(id);
  if (!entry) return;
  live.delete(id);
  entry.cancelled = true;
  dead++;
  const wasFirst = heap[0] === entry;
  if (dead > 1024 && dead > heap.length / 2) rebuild();
  if (wasFirst) program();
}

// Only the live entries, heap order restored bottom-up (Floyd).
function rebuild() {
  let n = 0;
  for (const e of heap) if (!e.cancelled) heap[n++] = e;
  heap.length = n;
  dead = 0;
  for (let i = (heap.length >> 1) - 1; i >= 0; i--) siftDown(i);
}

// IRQ line 0: run every timer that is due, then program the next one.
function onInterrupt() {
  programmed = 0;
  const now = machine.clock();
  for (let t = first(); t && t.deadline <= now + 0.0002; t = first()) {
    pop();
    live.delete(t.id);
    t.fn();
  }
  program();
}

module.exports = { after, cancel, onInterrupt, pending: () => live.size };
