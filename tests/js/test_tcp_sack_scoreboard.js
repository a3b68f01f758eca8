// Unit tests for kernel/net/tcp/sack-scoreboard.js with literal sequence
// numbers: SACK blocks merged and pruned by SND.UNA (RFC 2018 §3), the bytes
// each ACK newly SACKs (RFC 6675 §2's duplicate ACK), IsLost, NextSeg and
// SetPipe (RFC 6675 §4), bogus and D-SACK blocks ignored, wrap-around.
const { SackScoreboard } = require('/kernel/net/tcp/sack-scoreboard');

const SMSS = 100;
const b = (left, right) => ({ left, right });
const ranges = (sb) => sb.ranges.map((r) => `${r.left}-${r.right}`);

test('blocks are merged in order; update returns only the bytes not SACKed before', () => {
  const sb = new SackScoreboard();
  assert.equal(sb.update(1000, 2000, [b(1300, 1400)]), 100);
  assert.equal(sb.update(1000, 2000, [b(1100, 1200), b(1300, 1400)]), 100, 'the second block is old news');
  assert.deepEqual(ranges(sb), ['1100-1200', '1300-1400']);
  assert.equal(sb.update(1000, 2000, [b(1200, 1300)]), 100, 'fills the gap: one range');
  assert.deepEqual(ranges(sb), ['1100-1400']);
  assert.equal(sb.update(1000, 2000, [b(1350, 1600)]), 200, 'overlapping: only what is new');
  assert.deepEqual(ranges(sb), ['1100-1600']);
  assert.equal(sb.sackedBytes, 500);
  assert.equal(sb.highestSacked, 1600);
});

test('SND.UNA prunes and trims ranges; blocks below it (D-SACK) or past SND.MAX are ignored', () => {
  const sb = new SackScoreboard();
  sb.update(1000, 2000, [b(1100, 1200), b(1300, 1500)]);
  assert.equal(sb.update(1350, 2000, []), 0);
  assert.deepEqual(ranges(sb), ['1350-1500']);
  assert.equal(sb.update(1350, 2000, [b(1000, 1100)]), 0, 'D-SACK: below SND.UNA');
  assert.equal(sb.update(1350, 2000, [b(1900, 2100)]), 0, 'past what was sent');
  assert.equal(sb.update(1350, 2000, [b(1500, 1400)]), 0, 'reversed');
  assert.equal(sb.update(1350, 2000, [b(1200, 1360)]), 0, 'straddling SND.UNA: the part above is SACKed already');
  assert.deepEqual(ranges(sb), ['1350-1500']);
  sb.reset(1350);
  assert.deepEqual(ranges(sb), []);
});

test('IsLost: three discontiguous ranges above, or more than 2 SMSS SACKed above', () => {
  const sb = new SackScoreboard();
  // 1000-1100 lost, 1100-1200 SACKed, 1200-1300 lost, 1300-1400 SACKed.
  sb.update(1000, 1600, [b(1100, 1200), b(1300, 1400)]);
  assert.equal(sb.isLost(1000, SMSS), false, 'two ranges, 200 bytes: not yet');
  sb.update(1000, 1600, [b(1500, 1600)]);
  assert.equal(sb.isLost(1000, SMSS), true, 'three ranges above');
  assert.equal(sb.isLost(1200, SMSS), false, 'two above it');
  assert.equal(sb.lostEdge(1000, SMSS), 1100);
  const big = new SackScoreboard();
  big.update(1000, 1400, [b(1100, 1301)]);
  assert.equal(big.isLost(1000, SMSS), true, '201 bytes > 2 SMSS');
  assert.equal(big.lostEdge(1000, SMSS), 1100);
  const small = new SackScoreboard();
  small.update(1000, 1400, [b(1100, 1300)]);
  assert.equal(small.isLost(1000, SMSS), false, 'exactly 2 SMSS is not more');
  assert.equal(small.lostEdge(1000, SMSS), 1000, 'nothing lost: the edge is SND.UNA');
});

test('SetPipe: lost holes count only once retransmitted; others count once, twice if retransmitted', () => {
  const sb = new SackScoreboard();
  // Ten segments 1000-2000 sent; 1000 and 1300 lost, 1100-1300 and 1400-1900 SACKed, 1900-2000 unknown.
  sb.update(1000, 2000, [b(1100, 1300), b(1400, 1900)]);
  assert.deepEqual(sb.holes(1000, 2000), [b(1000, 1100), b(1300, 1400), b(1900, 2000)]);
  assert.equal(sb.lostEdge(1000, SMSS), 1400);
  assert.equal(sb.pipe(1000, 2000, SMSS), 100, 'only 1900-2000, which may still arrive');
  sb.retransmitted(1000, 100);
  assert.equal(sb.pipe(1000, 2000, SMSS), 200);
  sb.retransmitted(1300, 100);
  assert.equal(sb.pipe(1000, 2000, SMSS), 300);
});

test('NextSeg: lost holes above HighRxt in order, at most SMSS, never into SACKed data; rule 3 takes any hole', () => {
  const sb = new SackScoreboard();
  sb.update(1000, 2000, [b(1150, 1300), b(1400, 1900)]);
  assert.deepEqual(sb.nextSeg(1000, SMSS), { seq: 1000, length: 100 });
  sb.retransmitted(1000, 100);
  assert.deepEqual(sb.nextSeg(1000, SMSS), { seq: 1100, length: 50 }, 'the rest of the hole');
  sb.retransmitted(1100, 50);
  assert.deepEqual(sb.nextSeg(1000, SMSS), { seq: 1300, length: 100 });
  sb.retransmitted(1300, 100);
  assert.equal(sb.nextSeg(1000, SMSS), null, 'nothing below the highest SACKed byte is left');
  // A hole that is not lost yet: only rule 3 sends it.
  const one = new SackScoreboard();
  one.update(1000, 2000, [b(1100, 1200)]);
  assert.equal(one.nextSeg(1000, SMSS), null);
  assert.deepEqual(one.nextSeg(1000, SMSS, { anyHole: true }), { seq: 1000, length: 100 });
});

test('sequence numbers wrap around 2^32', () => {
  const sb = new SackScoreboard();
  const una = 4294967200; // 2^32 - 96
  assert.equal(sb.update(una, 500, [b(4, 104), b(4294967250, 4)]), 150);
  assert.deepEqual(ranges(sb), ['4294967250-104']);
  assert.deepEqual(sb.holes(una, 500), [b(una, 4294967250), b(104, 500)]);
  assert.equal(sb.isLost(una, SMSS), false);
  sb.update(una, 500, [b(204, 304), b(404, 500)]);
  assert.equal(sb.isLost(una, SMSS), true);
  assert.deepEqual(sb.nextSeg(una, SMSS), { seq: una, length: 50 });
  assert.equal(sb.update(204, 500, []), 0);
  assert.deepEqual(ranges(sb), ['204-304', '404-500']);
});
