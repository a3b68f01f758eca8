// Segment-by-segment tests of SACK-based loss recovery (RFC 6675 §5) in
// kernel/net/tcp/connection.js, with the scoreboard of sack-scoreboard.js:
// several holes in one window are all sent again in the round trip their
// SACK blocks arrive in, where NewReno (RFC 6582, the path for peers
// without SACK) sends one per round trip; cwnd is ssthresh during recovery
// and data goes by cwnd less the pipe; new data is sent when no hole is
// lost; a timeout forgets the scoreboard (RFC 2018 §8) and goes back N.
const { connect, send, recv, events } = require('/tests/lib/tcp-script');

// 100-byte segments and a wide peer window, SACK agreed unless `sack: false`.
// Tail loss probes are off: recovery is what these scripts follow, and with
// the handshake's RTT of 0 a probe would go 10 ms after each flight
// (test_tcp_loss_probe.js has those).
function bulk({ sack = true, ...opts } = {}) {
  const c = connect({ sendBuffer: 8192, sack, lossProbes: false, ...opts });
  c.poll(0);
  send(c, 0, `S. seq 30000 ack 10001 win 10000 <mss 100${sack ? ',sackOK' : ''}>`);
  c.poll(0);
  events(c);
  return c;
}
const seg = (seq, psh = false) => `${psh ? 'P' : ''}. seq ${seq} ack 30001 win 64 len 100`;
const segs = (from, n, pshLast = false) => Array.from({ length: n }, (_, i) => seg(from + 100 * i, pshLast && i === n - 1));
// The peer's ACK of `n`, with SACK blocks "L-R L-R" (most recent first, as RFC 2018 §4 has them).
const ack = (c, now, n, blocks = '') => send(c, now, `. seq 30001 ack ${n} win 10000${blocks ? ` <sack ${blocks}>` : ''}`);

test('three holes in one window: each is sent again as soon as the SACK blocks show it lost, all in one round trip', () => {
  const c = bulk();
  c.send(new Uint8Array(1000));
  recv(c, 0, segs(10001, 10, true)); // IW: 10 segments, 10001-11001
  // 10001, 10301 and 10601 are lost; the rest arrive, each drawing an ACK of 10001 with SACK blocks.
  ack(c, 0.01, 10001, '10101-10201');
  ack(c, 0.01, 10001, '10101-10301');
  recv(c, 0.01, []);
  ack(c, 0.011, 10001, '10401-10501 10101-10301'); // the third duplicate: recovery (§5 step 4)
  let d = c.describe();
  assert.equal(d.ssthresh, 500); // FlightSize 1000 / 2
  assert.equal(d.cwnd, 500); // = ssthresh, no inflation
  assert.equal(d.inRecovery, 'sack');
  recv(c, 0.011, [seg(10001)]); // (4.3): SND.UNA's segment at once; pipe 700 > cwnd
  ack(c, 0.012, 10001, '10401-10601 10101-10301');
  recv(c, 0.012, []); // pipe 600
  ack(c, 0.013, 10001, '10701-10801 10401-10601 10101-10301');
  recv(c, 0.013, [seg(10301)]); // three ranges above it: lost; pipe 400, room for one
  ack(c, 0.014, 10001, '10701-10901 10401-10601 10101-10301');
  recv(c, 0.014, [seg(10601)]); // no new data to send: NextSeg's rule 3 takes the last hole
  ack(c, 0.015, 10001, '10701-11001 10401-10601 10101-10301');
  recv(c, 0.015, []);
  d = c.describe();
  assert.equal(d.retransmits, 3);
  assert.equal(d.sackRetransmits, 3);
  assert.equal(d.fastRetransmits, 1);
  assert.equal(d.sacked, 700);
  // One round trip later the three retransmissions are in: one cumulative ACK ends recovery.
  ack(c, 0.021, 11001);
  d = c.describe();
  assert.equal(d.inRecovery, null);
  assert.equal(d.cwnd, 500);
  assert.equal(d.sacked, 0);
  assert.equal(c.pollAt(), null);
  assert.equal(d.timeouts, 0);
});

test('without SACK the same three holes take NewReno three round trips, one partial ACK each (RFC 6582)', () => {
  const c = bulk({ sack: false });
  c.send(new Uint8Array(1000));
  recv(c, 0, segs(10001, 10, true));
  for (let i = 0; i < 3; i++) ack(c, 0.01, 10001);
  recv(c, 0.01, [seg(10001)]);
  assert.equal(c.describe().inRecovery, 'newreno');
  for (let i = 0; i < 4; i++) ack(c, 0.011, 10001); // inflation: 850 + 400 = 1250 > 1000 in flight
  recv(c, 0.011, []); // no new data queued
  ack(c, 0.021, 10301); // round trip 1: a partial ACK, the next hole
  recv(c, 0.021, [seg(10301)]);
  ack(c, 0.031, 10601); // round trip 2
  recv(c, 0.031, [seg(10601)]);
  ack(c, 0.041, 11001); // round trip 3: full
  const d = c.describe();
  assert.equal(d.retransmits, 3);
  assert.equal(d.sackRetransmits, 0);
  assert.equal(d.inRecovery, null);
});

test('SACK blocks from a peer that did not agree to SACK are ignored', () => {
  const c = bulk({ sack: false });
  c.send(new Uint8Array(500));
  recv(c, 0, segs(10001, 5, true));
  ack(c, 0.01, 10001, '10101-10501'); // 400 bytes SACKed, if we listened
  recv(c, 0.01, []);
  const d = c.describe();
  assert.equal(d.sacked, 0);
  assert.equal(d.dupAcksIn, 1);
  assert.equal(d.inRecovery, null);
});

test('with SACK, a duplicate needs new SACK information: the same blocks again, or none, are not counted', () => {
  const c = bulk();
  c.send(new Uint8Array(500));
  recv(c, 0, segs(10001, 5, true));
  ack(c, 0.01, 10001, '10101-10201');
  ack(c, 0.01, 10001, '10101-10201');
  ack(c, 0.01, 10001);
  ack(c, 0.01, 10001);
  assert.equal(c.describe().dupAcksIn, 1);
  recv(c, 0.01, []);
});

test('the scoreboard can start recovery before three duplicates: more than 2 SMSS SACKed above SND.UNA', () => {
  const c = bulk();
  c.send(new Uint8Array(500));
  recv(c, 0, segs(10001, 5, true));
  ack(c, 0.01, 10001, '10101-10401'); // one ACK (a stretch ACK, or two lost): 300 bytes above the hole
  assert.equal(c.describe().inRecovery, 'sack');
  recv(c, 0.01, [seg(10001)]);
});

test('new data goes during recovery when no hole is lost and the pipe allows (NextSeg rule 2)', () => {
  const c = bulk();
  c.send(new Uint8Array(1000));
  recv(c, 0, segs(10001, 10, true));
  c.send(new Uint8Array(300)); // waits: cwnd is full
  recv(c, 0, []);
  ack(c, 0.01, 10001, '10101-10201');
  ack(c, 0.01, 10001, '10101-10301');
  ack(c, 0.01, 10001, '10101-10401');
  recv(c, 0.01, [seg(10001)]); // pipe: 100 retransmitted + 600 above the SACKed range
  ack(c, 0.011, 10001, '10101-10501');
  ack(c, 0.011, 10001, '10101-10601');
  ack(c, 0.011, 10001, '10101-10701');
  recv(c, 0.011, [seg(11001)]); // pipe 100 + 300 = 400: new data, not a hole
  ack(c, 0.012, 10001, '10101-10801');
  recv(c, 0.012, [seg(11101)]);
});

test('a timeout during SACK recovery forgets the scoreboard (RFC 2018 §8) and goes back N from SND.UNA', () => {
  const c = bulk();
  c.send(new Uint8Array(500));
  recv(c, 0, segs(10001, 5, true));
  ack(c, 0.01, 10001, '10101-10401');
  recv(c, 0.01, [seg(10001)]);
  // Nothing more comes back: the retransmission timer (200 ms from the first send).
  recv(c, 0.2, [seg(10001)]);
  const d = c.describe();
  assert.equal(d.sacked, 0);
  assert.equal(d.inRecovery, null);
  assert.equal(d.cwnd, 100);
  assert.equal(d.timeouts, 1);
  ack(c, 0.25, 10401); // the peer had kept 10101-10401: the rest of go-back-N starts after them
  recv(c, 0.25, [seg(10401, true)]);
});
