// Unit tests for kernel/net/tcp/seq.js: comparisons modulo 2^32 (RFC 9293 §3.4),
// with literal numbers around 0 and around the wrap at 2^32.
const { seqAdd, seqDiff, seqLt, seqLeq, seqGt, seqGeq, seqMax, seqMin, seqInWindow } = require('/kernel/net/tcp/seq');

const MAX = 0xffffffff;

test('seqAdd wraps at 2^32 and takes negative steps', () => {
  assert.equal(seqAdd(1000, 25), 1025);
  assert.equal(seqAdd(MAX, 1), 0);
  assert.equal(seqAdd(0xfffffff0, 0x20), 0x10);
  assert.equal(seqAdd(0, -1), MAX);
  assert.equal(seqAdd(5, 0), 5);
});

test('seqDiff is the signed distance, across the wrap too', () => {
  assert.equal(seqDiff(1025, 1000), 25);
  assert.equal(seqDiff(1000, 1025), -25);
  assert.equal(seqDiff(0x10, 0xfffffff0), 0x20); // 0x10 is 32 bytes after 0xfffffff0
  assert.equal(seqDiff(0xfffffff0, 0x10), -0x20);
  assert.equal(seqDiff(7, 7), 0);
});

test('the comparisons, plainly and across the wrap', () => {
  assert.ok(seqLt(1, 2) && !seqLt(2, 1) && !seqLt(2, 2));
  assert.ok(seqLeq(1, 2) && seqLeq(2, 2) && !seqLeq(3, 2));
  assert.ok(seqGt(2, 1) && !seqGt(1, 2) && !seqGt(2, 2));
  assert.ok(seqGeq(2, 1) && seqGeq(2, 2) && !seqGeq(1, 2));
  // MAX is just before 0; 0x7fffffff is the farthest "after" 0 can see.
  assert.ok(seqLt(MAX, 0));
  assert.ok(seqGt(0, MAX));
  assert.ok(seqLt(0xfffffff0, 0x10));
  assert.ok(seqLt(0, 0x7fffffff));
  assert.ok(seqGt(0, 0x80000001)); // more than 2^31 ahead reads as behind
});

test('numbers exactly 2^31 apart are each "before" the other: the limit of the method', () => {
  // As with Linux's before(): TCP never compares numbers this far apart.
  assert.ok(seqLt(0, 0x80000000));
  assert.ok(seqLt(0x80000000, 0));
});

test('seqMax and seqMin choose by sequence order, not by size', () => {
  assert.equal(seqMax(MAX, 3), 3);
  assert.equal(seqMin(MAX, 3), MAX);
  assert.equal(seqMax(10, 20), 20);
  assert.equal(seqMin(10, 20), 10);
});

test('seqInWindow: start =< x < start + size (RFC 9293 §3.10.7.4)', () => {
  assert.ok(seqInWindow(1000, 1000, 10));
  assert.ok(seqInWindow(1009, 1000, 10));
  assert.ok(!seqInWindow(1010, 1000, 10));
  assert.ok(!seqInWindow(999, 1000, 10));
  assert.ok(!seqInWindow(1000, 1000, 0)); // a zero window accepts no byte
  assert.ok(seqInWindow(0x5, 0xfffffffa, 16)); // a window across the wrap
  assert.ok(!seqInWindow(0xa, 0xfffffffa, 16));
});
