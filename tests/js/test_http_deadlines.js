// Unit tests for fs/lib/http/deadlines.js: many deadlines on one timer,
// with time injected. What matters is how many timers are set (each is a
// kernel call in an app) and that every deadline is called at its time.
const { Deadlines, GRANULARITY } = require('/lib/http/deadlines');

// Time that moves only when the test says; counts the timers set.
function fakeTimers() {
  const t = { time: 0, pending: [], set: 0 };
  t.now = () => t.time;
  t.setTimeout = (fn, ms) => {
    t.set++;
    const timer = { at: t.time + ms, fn };
    t.pending.push(timer);
    return timer;
  };
  t.clearTimeout = (timer) => (t.pending = t.pending.filter((p) => p !== timer));
  t.advance = (ms) => {
    const end = t.time + ms;
    for (;;) {
      const due = t.pending.filter((p) => p.at <= end).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      t.pending = t.pending.filter((p) => p !== due);
      t.time = due.at;
      due.fn();
    }
    t.time = end;
  };
  return t;
}

test('a deadline is called at its time, not before', () => {
  const t = fakeTimers();
  const d = new Deadlines(t);
  const called = [];
  d.add(5000, () => called.push(t.now()));
  t.advance(4999);
  assert.deepEqual(called, []);
  t.advance(1);
  assert.deepEqual(called, [5000]);
  assert.equal(t.pending.length, 0, 'nothing left waiting: no timer');
});

test('later deadlines set no timer of their own; one met goes without a trace', () => {
  const t = fakeTimers();
  const d = new Deadlines(t);
  const called = [];
  const first = d.add(1000, () => called.push('first'));
  for (let i = 1; i <= 100; i++) d.add(1000 + i * 10, () => called.push(i));
  assert.equal(t.set, 1, 'one timer for 101 deadlines');
  d.remove(first);
  t.advance(1000);
  assert.deepEqual(called, [], 'the met deadline is not called');
  t.advance(1000);
  assert.equal(called.length, 100);
  assert.ok(t.set <= 1 + Math.ceil(1000 / GRANULARITY) + 1, `${t.set} timers`);
});

test('an earlier deadline moves the timer; deadlines close together may be late by the granularity only', () => {
  const t = fakeTimers();
  const d = new Deadlines(t);
  const called = [];
  d.add(10000, () => called.push(['late', t.now()]));
  d.add(2000, () => called.push(['early', t.now()]));
  d.add(2001, () => called.push(['next', t.now()]));
  t.advance(2000);
  assert.deepEqual(called, [['early', 2000]]);
  t.advance(GRANULARITY);
  assert.deepEqual(called[1], ['next', 2000 + GRANULARITY]);
  t.advance(8000);
  assert.deepEqual(called[2], ['late', 10000]);
});

test('when nothing waits the timer is cleared (it must not keep an app alive)', () => {
  const t = fakeTimers();
  const d = new Deadlines(t);
  const a = d.add(1000, () => assert.fail('met'));
  const b = d.add(2000, () => assert.fail('met'));
  d.remove(a);
  assert.equal(t.pending.length, 1);
  d.remove(b);
  assert.equal(t.pending.length, 0);
  t.advance(5000);
});
