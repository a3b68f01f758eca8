// Unit tests for kernel/time/timers.js: kernel timers on the machine's one
// one-shot deadline. The machine is a fake installed before machine.js
// loads (as in test_kernel_pipes.js): CLOCK reads fake.now, TIMER_SET
// records the deadline programmed, and fire() plays the timer's interrupt.
'use strict';

const PAYLOAD = 64;
const OP = { CLOCK: 3, TIMER_SET: 4 };
const fake = { now: 1.0, deadline: 0, programs: 0 };
globalThis.__trapPage = new ArrayBuffer(PAYLOAD + 1024);
const pageWords = new Uint32Array(globalThis.__trapPage, 0, 8);
const pageTime = new Float64Array(globalThis.__trapPage, 32, 1);
globalThis.__trap = () => {
  if (pageWords[0] === OP.CLOCK) pageTime[0] = fake.now;
  else if (pageWords[0] === OP.TIMER_SET) {
    fake.deadline = pageTime[0];
    fake.programs++;
  } else throw new Error(`unexpected trap ${pageWords[0]}`);
};
const timers = require('/kernel/time/timers');

// The interrupt at the programmed deadline, until nothing is programmed or `until` is reached.
function fire(until = Infinity) {
  while (fake.deadline > 0 && fake.deadline <= until) {
    fake.now = Math.max(fake.now, fake.deadline);
    fake.deadline = 0;
    timers.onInterrupt();
  }
  if (until !== Infinity) fake.now = Math.max(fake.now, until);
}

test('timers run in deadline order, ties in the order they were set; the earliest is always programmed', () => {
  const ran = [];
  for (const [ms, name] of [[300, 'c'], [100, 'a'], [200, 'b1'], [200, 'b2'], [5, 'first']]) timers.after(ms, () => ran.push(name));
  assert.equal(fake.deadline, fake.now + 0.005);
  fire();
  assert.deepEqual(ran, ['first', 'a', 'b1', 'b2', 'c']);
  assert.equal(timers.pending(), 0);
});

test('a cancelled timer never runs; cancelling the earliest programs the next', () => {
  const ran = [];
  const a = timers.after(10, () => ran.push('a'));
  timers.after(20, () => ran.push('b'));
  const c = timers.after(30, () => ran.push('c'));
  timers.cancel(c);
  timers.cancel(a);
  assert.equal(fake.deadline, fake.now + 0.02);
  assert.equal(timers.pending(), 1);
  timers.cancel(a); // again: nothing
  fire();
  assert.deepEqual(ran, ['b']);
});

test('a timer set by a running one, already due, runs in the same interrupt', () => {
  const ran = [];
  timers.after(10, () => {
    ran.push('outer');
    timers.after(0, () => ran.push('inner'));
  });
  fire(fake.now + 0.01);
  assert.deepEqual(ran, ['outer', 'inner']);
});

test('thousands of long timers and churn among them: order kept, the heap rebuilt past its cancelled entries', () => {
  const start = fake.now;
  const ran = [];
  const long = [];
  for (let i = 0; i < 5000; i++) long.push(timers.after(60000 + (i % 7), () => ran.push(i)));
  for (let i = 0; i < 4000; i++) timers.cancel(long[i]); // most of them go
  const short = [];
  for (let i = 0; i < 100; i++) short.push(timers.after(40 + (i % 3), () => ran.push(`s${i}`)));
  fire(start + 1);
  assert.equal(ran.length, 100);
  assert.deepEqual(ran.slice(0, 3), ['s0', 's3', 's6'], 'by deadline, then the order set');
  fire();
  assert.equal(ran.length, 1100);
  const rest = ran.slice(100);
  const deadlineOf = (i) => 60000 + (i % 7);
  for (let k = 1; k < rest.length; k++) {
    const [p, q] = [rest[k - 1], rest[k]];
    assert.ok(deadlineOf(p) < deadlineOf(q) || (deadlineOf(p) === deadlineOf(q) && p < q), `${p} then ${q}`);
  }
  assert.equal(timers.pending(), 0);
  assert.equal(fake.deadline, 0, 'nothing programmed');
});
