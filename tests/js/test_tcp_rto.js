// Unit tests for kernel/net/tcp/rto.js (RFC 6298): the formulas of §2 step
// by step with literal numbers (all exact binary fractions, so every value
// below is what the RFC's arithmetic gives, not an approximation), the
// limits, back-off (§5.5) and its reset, Karn's rule (§3), and §5.7.
const { RtoEstimator, DEFAULTS } = require('/kernel/net/tcp/rto');

// The RFC's own values: a 1 s floor.
const strict = () => new RtoEstimator({ min: 1 });

test('defaults: 1 s before any sample, Linux\'s 200 ms floor, a 60 s cap, 1 ms granularity', () => {
  assert.deepEqual(DEFAULTS, { initial: 1, min: 0.2, max: 60, granularity: 0.001, synFallback: 3 });
  const rto = new RtoEstimator();
  assert.equal(rto.rto, 1); // (2.1)
  assert.equal(rto.srtt, null);
  assert.equal(rto.rttvar, null);
});

test('§2.2 then §2.3, three samples worked through', () => {
  const rto = strict();
  // R = 0.5: SRTT = 0.5, RTTVAR = 0.25, RTO = 0.5 + max(G, 4 * 0.25) = 1.5
  rto.sample(0.5);
  assert.equal(rto.srtt, 0.5);
  assert.equal(rto.rttvar, 0.25);
  assert.equal(rto.rto, 1.5);
  // R' = 0.75: RTTVAR = 3/4 * 0.25 + 1/4 * |0.5 - 0.75| = 0.1875 + 0.0625 = 0.25
  //            SRTT = 7/8 * 0.5 + 1/8 * 0.75 = 0.4375 + 0.09375 = 0.53125
  //            RTO = 0.53125 + 4 * 0.25 = 1.53125
  rto.sample(0.75);
  assert.equal(rto.rttvar, 0.25);
  assert.equal(rto.srtt, 0.53125);
  assert.equal(rto.rto, 1.53125);
  // R' = 0.25: RTTVAR = 3/4 * 0.25 + 1/4 * |0.53125 - 0.25| = 0.1875 + 0.0703125 = 0.2578125
  //            SRTT = 7/8 * 0.53125 + 1/8 * 0.25 = 0.46484375 + 0.03125 = 0.49609375
  //            RTO = 0.49609375 + 4 * 0.2578125 = 0.49609375 + 1.03125 = 1.52734375
  rto.sample(0.25);
  assert.equal(rto.rttvar, 0.2578125);
  assert.equal(rto.srtt, 0.49609375);
  assert.equal(rto.rto, 1.52734375);
  assert.equal(rto.counters.samples, 3);
});

test('RTTVAR is updated with the old SRTT, before SRTT moves (§2.3 footnote)', () => {
  const rto = strict();
  rto.sample(1);
  rto.sample(3);
  // With the old SRTT (1): 3/4 * 0.5 + 1/4 * 2 = 0.875. With the new one
  // (1.25) it would be 0.375 + 0.4375 = 0.8125.
  assert.equal(rto.rttvar, 0.875);
  assert.equal(rto.srtt, 1.25);
  assert.equal(rto.rto, 1.25 + 3.5);
});

test('the floor (§2.4): 1 s as the RFC says, or 200 ms by default', () => {
  // R = 1/64 s: SRTT = 0.015625, RTTVAR = 0.0078125, formula 0.015625 + 0.03125 = 0.046875
  const rfc = strict();
  rfc.sample(1 / 64);
  assert.equal(rfc.rto, 1);
  const linux = new RtoEstimator();
  linux.sample(1 / 64);
  assert.equal(linux.rto, 0.2);
  // Above the floor the formula shows through: R = 0.125 -> 0.125 + 0.25 = 0.375.
  const above = new RtoEstimator();
  above.sample(0.125);
  assert.equal(above.rto, 0.375);
  // No floor at all, for a test that wants to see the bare formula.
  const bare = new RtoEstimator({ min: 0 });
  bare.sample(1 / 64);
  assert.equal(bare.rto, 0.046875);
});

test('the clock granularity G takes over once RTTVAR is tiny', () => {
  // A coarse 500 ms clock, as BSD once had, and a path with a steady 1 s RTT.
  const rto = new RtoEstimator({ granularity: 0.5, min: 0 });
  const expected = [
    [0.5, 3], // 1 + max(0.5, 2)
    [0.375, 2.5], // RTTVAR = 3/4 * 0.5: the SRTT - R term is 0 from now on
    [0.28125, 2.125],
    [0.2109375, 1.84375],
    [0.158203125, 1.6328125],
    [0.11865234375, 1.5], // 4 * RTTVAR = 0.474609375 < G: RTO = 1 + 0.5
  ];
  for (const [rttvar, value] of expected) {
    rto.sample(1);
    assert.equal(rto.srtt, 1);
    assert.equal(rto.rttvar, rttvar);
    assert.equal(rto.rto, value);
  }
});

test('the cap (§2.5): 60 s', () => {
  const rto = new RtoEstimator();
  rto.sample(30); // 30 + 4 * 15 = 90
  assert.equal(rto.rto, 60);
  const longer = new RtoEstimator({ max: 120 }); // Linux's TCP_RTO_MAX
  longer.sample(30);
  assert.equal(longer.rto, 90);
});

test('back-off (§5.5): each timeout doubles the RTO, up to the cap', () => {
  const rto = new RtoEstimator();
  const seen = [rto.rto];
  for (let i = 0; i < 8; i++) seen.push(rto.timeout());
  assert.deepEqual(seen, [1, 2, 4, 8, 16, 32, 60, 60, 60]);
  assert.equal(rto.backoffs, 8);
  assert.equal(rto.counters.timeouts, 8);
});

test('back-off from a computed RTO, and a new sample collapses it (§5)', () => {
  const rto = strict();
  rto.sample(0.5); // 1.5
  assert.equal(rto.timeout(), 3);
  assert.equal(rto.timeout(), 6);
  // The next sample: SRTT and RTTVAR go on from where they were (§2.3), and
  // the doubling is forgotten. R' = 0.5: RTTVAR = 3/4 * 0.25 + 0 = 0.1875,
  // SRTT = 0.5, RTO = 0.5 + 4 * 0.1875 = 1.25.
  rto.sample(0.5);
  assert.equal(rto.backoffs, 0);
  assert.equal(rto.rttvar, 0.1875);
  assert.equal(rto.rto, 1.25);
});

test('timing a segment: the ACK that covers its first byte gives the sample', () => {
  const rto = strict();
  rto.startTiming(1000, 10); // 100 bytes at 1000 sent at t = 10 s
  rto.startTiming(1100, 10.1); // one at a time: ignored
  assert.equal(rto.ackReceived(1000, 10.2), null); // a duplicate ACK: not yet
  assert.ok(rto.timing);
  assert.equal(rto.ackReceived(1100, 10.5), 0.5);
  assert.ok(!rto.timing);
  assert.equal(rto.srtt, 0.5);
  assert.equal(rto.rto, 1.5);
  assert.equal(rto.ackReceived(1200, 10.6), null); // nothing timed any more
});

test('timing across the sequence-number wrap', () => {
  const rto = strict();
  rto.startTiming(0xffffff00, 0);
  assert.equal(rto.ackReceived(0xfffffe00, 0.25), null); // an older ACK
  assert.equal(rto.ackReceived(0x10, 0.5), 0.5); // 0x10 is after 0xffffff00
});

test('Karn\'s rule (§3): no sample from a segment sent twice', () => {
  const rto = strict();
  rto.startTiming(1000, 10);
  assert.equal(rto.timeout(), 2); // t = 11: retransmitted, backed off
  // The ACK at 11.5 may answer the first sending (1.5 s) or the second
  // (0.5 s): it gives no sample, and the backed-off RTO stays.
  assert.equal(rto.ackReceived(1100, 11.5), null);
  assert.equal(rto.srtt, null);
  assert.equal(rto.rto, 2);
  assert.equal(rto.counters.karnDiscarded, 1);
  // New data sent after that is timed, and its sample resets the back-off.
  rto.startTiming(1100, 11.5);
  assert.equal(rto.ackReceived(1200, 11.75), 0.25);
  assert.equal(rto.backoffs, 0);
  assert.equal(rto.rto, 1); // 0.25 + 4 * 0.125 = 0.75, raised to the 1 s floor
});

test('a fast retransmit also stops the timing (Karn), without backing off', () => {
  const rto = strict();
  rto.startTiming(1000, 0);
  rto.retransmitted();
  assert.equal(rto.ackReceived(5000, 0.1), null);
  assert.equal(rto.backoffs, 0);
  assert.equal(rto.rto, 1);
});

test('§5.7: a handshake whose SYN timed out starts data at 3 s', () => {
  const rto = new RtoEstimator();
  rto.startTiming(4242, 0); // the SYN
  assert.equal(rto.timeout(), 2); // t = 1: SYN again
  assert.equal(rto.ackReceived(4243, 1.1), null); // the SYN-ACK: Karn, no sample
  rto.handshakeComplete();
  assert.equal(rto.rto, 3);
  assert.equal(rto.backoffs, 0);
  // The first sample then sets everything as a first sample does (§2.2).
  rto.sample(0.5);
  assert.equal(rto.rto, 1.5);
});

test('§5.7 does not apply when the handshake gave a sample or never timed out', () => {
  const timed = new RtoEstimator();
  timed.startTiming(1, 0);
  timed.ackReceived(2, 0.125);
  timed.handshakeComplete();
  assert.equal(timed.rto, 0.375);
  const quiet = new RtoEstimator();
  quiet.handshakeComplete();
  assert.equal(quiet.rto, 1);
  // A timestamp sample (RFC 7323) after a SYN timeout counts as a sample.
  const stamped = new RtoEstimator();
  stamped.timeout();
  stamped.sample(0.125);
  stamped.handshakeComplete();
  assert.equal(stamped.rto, 0.375);
});

test('a sample must be a number >= 0', () => {
  const rto = new RtoEstimator();
  assert.throws(() => rto.sample(-0.001), /RTT sample/);
  assert.throws(() => rto.sample(NaN), /RTT sample/);
  assert.equal(rto.srtt, null);
  rto.sample(0); // an RTT below the clock's resolution is a real measurement
  assert.equal(rto.rto, 0.2); // 0 + max(G, 0), floored
});
