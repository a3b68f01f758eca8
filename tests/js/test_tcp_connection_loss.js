// Segment-by-segment tests of kernel/net/tcp/connection.js: loss and time.
// The retransmission timer (RFC 6298 §5) with back-off and ETIMEDOUT, go-
// back-N after a timeout, slow start and congestion avoidance (RFC 5681
// §3.1, IW of RFC 6928), fast retransmit and NewReno recovery (RFC 5681
// §3.2, RFC 6582), zero-window probes and the persist timer (RFC 9293
// §3.8.6.1), keep-alive, timestamps (RFC 7323: RTT samples, PAWS).
const { State } = require('/kernel/net/tcp/connection');
const { connect, send, recv, events, established, text } = require('/tests/lib/tcp-script');

// 100-byte segments, a wide peer window: congestion control decides.
const bulk = (opts = {}) => established({ sendBuffer: 8192, ...opts }, { peerMss: 100, peerWindow: 10000 });
const segs = (from, n, last = '') => Array.from({ length: n }, (_, i) => `${i === n - 1 ? last : ''}. seq ${from + 100 * i} ack 30001 win 64 len 100`);
const ack = (c, now, n, win = 10000) => send(c, now, `. seq 30001 ack ${n} win ${win}`);

test('a lost segment is sent again after the RTO, which then doubles', () => {
  const c = established();
  c.send(text('abc'));
  recv(c, 0, ["P. seq 10001 ack 30001 win 64 'abc'"]);
  assert.equal(c.pollAt(), 0.2);
  recv(c, 0.199, []);
  recv(c, 0.2, ["P. seq 10001 ack 30001 win 64 'abc'"]);
  assert.equal(c.pollAt(), 0.6000000000000001);
  recv(c, 0.6000000000000001, ["P. seq 10001 ack 30001 win 64 'abc'"]);
  assert.equal(c.describe().rto, 0.8);
  send(c, 0.7, '. seq 30001 ack 10004 win 256');
  assert.equal(c.pollAt(), null);
  const d = c.describe();
  assert.equal(d.retransmits, 2);
  assert.equal(d.timeouts, 2);
  assert.equal(d.bytesRetransmitted, 6);
  assert.equal(d.rtt, 0); // Karn: the ACK of a retransmitted segment is no sample
  assert.equal(d.rto, 0.8); // and the backed-off RTO stays until one comes
});

test('after a timeout: go-back-N from SND.UNA with cwnd = 1 segment, then slow start', () => {
  const c = bulk();
  c.send(new Uint8Array(500));
  recv(c, 0, segs(10001, 5, 'P'));
  // All five lost. One segment goes again (LW = 1 SMSS, RFC 5681 §3.1).
  recv(c, 0.2, segs(10001, 1));
  assert.equal(c.describe().cwnd, 100);
  assert.equal(c.describe().ssthresh, 250); // max(FlightSize / 2, 2 SMSS)
  // Its ACK opens cwnd to 2 segments: the next two, resent in order.
  ack(c, 0.25, 10101);
  recv(c, 0.25, segs(10101, 2));
  // The receiver had kept 10301..10500: one cumulative ACK ends it.
  ack(c, 0.3, 10501);
  recv(c, 0.3, []);
  assert.equal(c.pollAt(), null);
  assert.equal(c.describe().retransmits, 3);
});

test('ETIMEDOUT after 15 retransmissions (tcp_retries2), the RTO capped at 60 s', () => {
  const c = established();
  c.send(text('abc'));
  c.poll(0);
  const times = [];
  for (;;) {
    const at = c.pollAt();
    const out = c.poll(at);
    if (c.state === State.CLOSED) {
      assert.equal(out.length, 0);
      times.push(at);
      break;
    }
    assert.equal(out.length, 1);
    times.push(at);
  }
  assert.equal(times.length, 16);
  const gaps = times.map((t, i) => Math.round((t - (i ? times[i - 1] : 0)) * 1000) / 1000);
  assert.deepEqual(gaps, [0.2, 0.4, 0.8, 1.6, 3.2, 6.4, 12.8, 25.6, 51.2, 60, 60, 60, 60, 60, 60, 60]);
  assert.equal(Math.round(times[15] * 10) / 10, 522.2);
  assert.deepEqual(events(c), ['error ETIMEDOUT', 'closed']);
  assert.equal(c.describe().retransmits, 15);
});

test('an ACK of new data restarts the timer and resets the retry count', () => {
  const c = established({ nodelay: true });
  c.send(text('ab'));
  recv(c, 0, ["P. seq 10001 ack 30001 win 64 'ab'"]);
  c.send(text('cd'));
  recv(c, 0.1, ["P. seq 10003 ack 30001 win 64 'cd'"]);
  send(c, 0.15, '. seq 30001 ack 10003 win 256');
  // RFC 6298 §5.3: restarted at 0.15 with the new RTO, not left at 0.2.
  assert.equal(c.pollAt(), 0.15 + c.describe().rto);
});

test('slow start: cwnd starts at 10 segments and grows by one per ACK', () => {
  const c = bulk();
  c.send(new Uint8Array(2000));
  recv(c, 0, segs(10001, 10));
  assert.equal(c.describe().cwnd, 1000);
  ack(c, 0.01, 10101);
  assert.equal(c.describe().cwnd, 1100);
  recv(c, 0.01, segs(11001, 2)); // 900 in flight, 1100 allowed
  ack(c, 0.02, 10301);
  assert.equal(c.describe().cwnd, 1200); // min(acked, SMSS) per ACK (RFC 5681 eq. 2)
  recv(c, 0.02, segs(11201, 3));
});

test('fast retransmit on the third duplicate ACK; a full ACK ends recovery', () => {
  const c = bulk();
  c.send(new Uint8Array(500));
  recv(c, 0, segs(10001, 5, 'P'));
  ack(c, 0.01, 10101); // cwnd 1100
  ack(c, 0.011, 10101); // 10201 arrived, 10101 did not
  ack(c, 0.012, 10101);
  recv(c, 0.012, []);
  ack(c, 0.013, 10101); // the third: retransmit now
  recv(c, 0.013, segs(10101, 1));
  let d = c.describe();
  assert.equal(d.ssthresh, 200); // max(400 / 2, 2 * 100)
  assert.equal(d.cwnd, 500); // ssthresh + 3 SMSS
  assert.equal(d.fastRetransmits, 1);
  assert.equal(d.dupAcksIn, 3);
  ack(c, 0.02, 10501);
  d = c.describe();
  assert.equal(d.cwnd, 200); // min(ssthresh, max(FlightSize, SMSS) + SMSS)
  assert.equal(c.pollAt(), null);
});

test('fast recovery: further duplicate ACKs inflate cwnd and send new data', () => {
  const c = bulk();
  c.send(new Uint8Array(1000));
  recv(c, 0, segs(10001, 10, 'P'));
  c.send(new Uint8Array(300));
  recv(c, 0, []);
  for (let i = 0; i < 3; i++) ack(c, 0.01, 10001);
  recv(c, 0.01, segs(10001, 1)); // cwnd = 500 + 300 = 800, 1000 in flight
  for (let i = 0; i < 3; i++) ack(c, 0.011, 10001);
  assert.equal(c.describe().cwnd, 1100);
  recv(c, 0.011, segs(11001, 1)); // one new segment fits
});

test('NewReno: a partial ACK retransmits the next hole at once (RFC 6582 §3.2)', () => {
  const c = bulk();
  c.send(new Uint8Array(500));
  recv(c, 0, segs(10001, 5, 'P'));
  // 10001 and 10201 lost; 10101, 10301, 10401 arrive: three duplicates.
  for (let i = 0; i < 3; i++) ack(c, 0.01, 10001);
  recv(c, 0.01, segs(10001, 1));
  ack(c, 0.02, 10201); // partial: recover is 10501
  recv(c, 0.02, segs(10201, 1));
  // cwnd was ssthresh (250) + 3 SMSS; less the 200 acknowledged, plus one SMSS.
  assert.equal(c.describe().cwnd, 550 - 200 + 100);
  ack(c, 0.03, 10501);
  assert.equal(c.describe().cwnd, 200);
  assert.equal(c.describe().retransmits, 2);
});

test('not duplicates: ACKs with data, window updates, zero windows, nothing outstanding', () => {
  const c = bulk();
  for (let i = 0; i < 4; i++) ack(c, 0, 10001); // nothing outstanding
  c.send(new Uint8Array(300));
  c.poll(0);
  send(c, 0.01, ". seq 30001 ack 10001 win 10000 'a'");
  send(c, 0.01, ". seq 30002 ack 10001 win 10000 'b'");
  send(c, 0.01, ". seq 30003 ack 10001 win 10000 'c'");
  ack(c, 0.01, 10001, 9000);
  ack(c, 0.01, 10001, 8000);
  ack(c, 0.01, 10001, 0);
  ack(c, 0.01, 10001, 0);
  ack(c, 0.01, 10001, 0);
  assert.equal(c.describe().dupAcksIn, 0);
  assert.equal(c.describe().fastRetransmits, 0);
});

test('congestion avoidance: one SMSS per cwnd acknowledged', () => {
  const c = bulk();
  c.send(new Uint8Array(400));
  recv(c, 0, segs(10001, 4, 'P'));
  recv(c, 0.2, segs(10001, 1)); // timeout: ssthresh 200, cwnd 100
  ack(c, 0.25, 10101);
  assert.equal(c.describe().cwnd, 200); // slow start up to ssthresh
  recv(c, 0.25, segs(10101, 2));
  ack(c, 0.3, 10201);
  assert.equal(c.describe().cwnd, 200); // 100 of 200 counted
  ack(c, 0.3, 10301);
  assert.equal(c.describe().cwnd, 300);
});

test('zero window: probes at the RTO, backing off, answered; data when it opens', () => {
  const c = established();
  ack(c, 0, 10001, 0);
  c.send(text('abc'));
  recv(c, 0, []);
  assert.equal(c.pollAt(), 0.2);
  recv(c, 0.2, ['. seq 10000 ack 30001 win 64']); // SEQ = SND.UNA - 1, as Linux probes
  assert.equal(c.pollAt(), 0.6000000000000001);
  ack(c, 0.21, 10001, 0); // the answer: still zero
  recv(c, 0.6000000000000001, ['. seq 10000 ack 30001 win 64']);
  assert.equal(c.pollAt(), 1.4000000000000001);
  ack(c, 0.7, 10001, 100);
  recv(c, 0.7, ["P. seq 10001 ack 30001 win 64 'abc'"]);
  assert.equal(c.describe().probes, 2);
  assert.equal(c.persistAt, null);
});

test('zero window: a peer that answers probes is waited for; one that does not, ETIMEDOUT', () => {
  const c = established();
  ack(c, 0, 10001, 0);
  c.send(text('abc'));
  c.poll(0);
  for (let i = 0; i < 30; i++) {
    const at = c.pollAt();
    recv(c, at, ['. seq 10000 ack 30001 win 64']);
    ack(c, at, 10001, 0);
  }
  assert.equal(c.state, State.ESTABLISHED);
  assert.equal(c.pollAt() - c.now, 60); // backed off to the cap
  for (let i = 0; i < 15; i++) c.poll(c.pollAt());
  assert.equal(c.state, State.ESTABLISHED);
  c.poll(c.pollAt());
  assert.equal(c.state, State.CLOSED);
  assert.deepEqual(events(c), ['error ETIMEDOUT', 'closed']);
});

test('a window too small for sender SWS: the persist timer sends what fits', () => {
  const c = established({ sendBuffer: 256 });
  ack(c, 0, 10001, 2); // the largest window seen was 256: 2 is silly
  c.send(text('abcdefgh'));
  recv(c, 0, []);
  recv(c, 0.2, [". seq 10001 ack 30001 win 64 'ab'"]);
});

test('a window update alone (no probe) restarts sending', () => {
  const c = established();
  ack(c, 0, 10001, 0);
  c.send(text('abc'));
  recv(c, 0, []);
  ack(c, 0.1, 10001, 256);
  recv(c, 0.1, ["P. seq 10001 ack 30001 win 64 'abc'"]);
});

test('keep-alive: probes after the idle time, ETIMEDOUT after count unanswered', () => {
  const c = established({ keepAlive: { idle: 10, interval: 2, count: 3 } });
  assert.equal(c.pollAt(), 10);
  send(c, 5, "P. seq 30001 ack 10001 win 256 'x'"); // heard from: idle again
  c.poll(5);
  assert.equal(c.pollAt(), 15);
  recv(c, 15, ['. seq 10000 ack 30002 win 63']);
  send(c, 15.1, '. seq 30002 ack 10001 win 256'); // answered
  assert.equal(c.pollAt(), 25.1);
  recv(c, 25.1, ['. seq 10000 ack 30002 win 63']);
  recv(c, 27.1, ['. seq 10000 ack 30002 win 63']);
  recv(c, 29.1, ['. seq 10000 ack 30002 win 63']);
  recv(c, 31.1, []);
  assert.equal(c.state, State.CLOSED);
  assert.deepEqual(events(c), ['readable', 'error ETIMEDOUT', 'closed']);
});

test('keep-alive: answering a probe (an old SEQ) with an ACK', () => {
  const c = established();
  send(c, 100, '. seq 30000 ack 10001 win 256');
  recv(c, 100, ['. seq 10001 ack 30001 win 64']);
});

// Timestamps on: every segment but an RST carries them (RFC 7323 §3.2).
function withTimestamps() {
  const c = connect({ timestamps: true, sendBuffer: 1024 });
  recv(c, 0, ['S seq 10000 win 64 <mss 1460,ts 0 0>']);
  send(c, 0.01, 'S. seq 30000 ack 10001 win 256 <mss 1460,ts 500 0>');
  recv(c, 0.01, ['. seq 10001 ack 30001 win 64 <ts 10 500>']);
  return c;
}

test('timestamps: TSval is our millisecond clock, TSecr echoes TS.Recent', () => {
  const c = withTimestamps();
  c.send(text('hi'));
  recv(c, 0.1, ["P. seq 10001 ack 30001 win 64 <ts 100 500> 'hi'"]);
  send(c, 0.13, "P. seq 30001 ack 10003 win 256 <ts 530 100> 'yo'");
  recv(c, 0.13, ['. seq 10003 ack 30003 win 62 <ts 130 530>']);
});

test('timestamps: RTT samples from the echo, even for a retransmission', () => {
  const c = withTimestamps();
  assert.equal(c.describe().rtt, 0.01); // the SYN-ACK echoed TSval 0 at 10 ms
  c.send(text('hi'));
  recv(c, 0.1, ["P. seq 10001 ack 30001 win 64 <ts 100 500> 'hi'"]);
  recv(c, 0.3, ["P. seq 10001 ack 30001 win 64 <ts 300 500> 'hi'"]);
  // The echo names the retransmission (TSval 300): an RTT of 20 ms, no ambiguity.
  send(c, 0.32, '. seq 30001 ack 10003 win 256 <ts 520 300>');
  assert.equal(c.describe().rtt, 0.01 * 7 / 8 + 0.02 / 8);
});

test('PAWS (RFC 7323 §5): a segment with an older TSval is dropped, with an ACK', () => {
  const c = withTimestamps();
  send(c, 0.02, "P. seq 30001 ack 10001 win 256 <ts 499 10> 'old'");
  assert.equal(c.readable, 0);
  recv(c, 0.02, ['. seq 10001 ack 30001 win 64 <ts 20 500>']);
  assert.equal(c.describe().drops.paws, 1);
  // RSTs are exempt.
  send(c, 0.03, 'R seq 30001 win 0 <ts 1 0>');
  assert.equal(c.state, State.CLOSED);
});

test('a segment without timestamps after they were agreed is still taken (as Linux does)', () => {
  const c = withTimestamps();
  send(c, 0.02, "P. seq 30001 ack 10001 win 256 'abc'");
  assert.equal(c.readable, 3);
});

test('PAWS spares a pure duplicate ACK that was merely overtaken (Linux tcp_disordered_ack), within an RTO', () => {
  const c = withTimestamps();
  c.send(text('abcdef'));
  recv(c, 0.1, ["P. seq 10001 ack 30001 win 64 <ts 100 500> 'abcdef'"]);
  send(c, 0.11, '. seq 30001 ack 10001 win 256 <ts 510 100>'); // TS.Recent 510
  // An ACK sent before that one, delivered after it: older TSval, same ACK, same window.
  send(c, 0.111, '. seq 30001 ack 10001 win 256 <ts 505 100>');
  const d = c.describe();
  assert.equal(d.drops.paws, undefined);
  assert.equal(d.dupAcksIn, 2);
  recv(c, 0.111, []); // and nothing answers it
  // Older than an RTO (here 0.2 s, 200 ms), or carrying data, or a window update: PAWS as before.
  send(c, 0.112, '. seq 30001 ack 10001 win 256 <ts 300 100>');
  send(c, 0.113, '. seq 30001 ack 10001 win 300 <ts 505 100>');
  assert.equal(c.describe().drops.paws, 2);
});
