// Segment-by-segment tests of the tail loss probe (RFC 8985 §7) in
// kernel/net/tcp/timers.js. When the end of a flight, or the one ACK a
// receiver sends for a whole burst, is lost, no duplicate ACKs come to
// start fast recovery; instead of waiting out the RTO (200 ms at least),
// the sender probes after two smoothed round trips with its last segment,
// whose ACK says what the peer holds. With SACK only; one probe until an
// ACK of new data; never later than the RTO would fire.
const { connect, send, recv, events } = require('/tests/lib/tcp-script');

// 100-byte segments, a wide peer window, SACK agreed unless `sack: false`;
// then one round trip of 10 ms. SRTT is then 1.25 ms (the handshake's
// sample of 0, then 7/8 of it and 1/8 of 10 ms, RFC 6298 §2.3), so 2 SRTT
// is under the probe timeout's 10 ms floor: probes come 10 ms after the
// last ACK of new data. The RTO is at its 200 ms floor.
function warm({ sack = true, ...opts } = {}) {
  const c = connect({ sendBuffer: 8192, sack, ...opts });
  c.poll(0);
  send(c, 0, `S. seq 30000 ack 10001 win 10000 <mss 100${sack ? ',sackOK' : ''}>`);
  c.poll(0);
  c.send(new Uint8Array(100));
  recv(c, 1, ['P. seq 10001 ack 30001 win 64 len 100']);
  send(c, 1.01, '. seq 30001 ack 10101 win 10000');
  events(c);
  return c;
}
const seg = (seq, psh = false) => `${psh ? 'P' : ''}. seq ${seq} ack 30001 win 64 len 100`;
const segs = (from, n) => Array.from({ length: n }, (_, i) => seg(from + 100 * i, i === n - 1));

test('a lost ACK for a whole flight: 2 SRTT later the last segment goes again, and its ACK ends it', () => {
  const c = warm();
  assert.ok(Math.abs(c.describe().rtt - 0.00125) < 1e-9, `srtt ${c.describe().rtt}`);
  c.send(new Uint8Array(500));
  recv(c, 1.02, segs(10101, 5));
  // The RTO is at 1.22; the probe at 1.02 + 10 ms.
  assert.ok(Math.abs(c.pollAt() - 1.03) < 1e-9, `pollAt ${c.pollAt()}`);
  recv(c, 1.029, []);
  recv(c, 1.03, [seg(10501, true)]);
  const d = c.describe();
  assert.equal(d.lossProbes, 1);
  assert.equal(d.retransmits, 1);
  assert.equal(d.timeouts, 0);
  // The peer had it all: its ACK (a D-SACK of the probe) covers the flight.
  send(c, 1.05, '. seq 30001 ack 10601 win 10000 <sack 10501-10601>');
  assert.equal(c.pollAt(), null);
  assert.equal(c.describe().timeouts, 0);
});

test('one probe until an ACK of new data: if its answer is lost too, the RTO follows from the probe', () => {
  const c = warm();
  c.send(new Uint8Array(300));
  recv(c, 1.02, segs(10101, 3));
  recv(c, 1.03, [seg(10301, true)]);
  // The RTO restarted at the probe: 1.03 + 0.2; no second probe before it.
  assert.ok(Math.abs(c.pollAt() - 1.23) < 1e-9, `pollAt ${c.pollAt()}`);
  recv(c, 1.2299, []);
  recv(c, 1.23, [seg(10101)]); // go-back-N from SND.UNA
  assert.equal(c.describe().timeouts, 1);
});

test('an ACK of new data schedules the next probe afresh', () => {
  const c = warm();
  c.send(new Uint8Array(400));
  recv(c, 1.02, segs(10101, 4));
  recv(c, 1.025, []);
  send(c, 1.025, '. seq 30001 ack 10301 win 10000');
  recv(c, 1.025, []); // the table polls after each segment
  // Two segments still out: the probe is 10 ms after this ACK, not after the flight.
  assert.ok(Math.abs(c.pollAt() - 1.035) < 1e-9, `pollAt ${c.pollAt()}`);
  recv(c, 1.034, []);
  recv(c, 1.035, [seg(10401, true)]);
  assert.equal(c.describe().lossProbes, 1);
});

test('a lone segment out: the probe would also wait out a delayed ACK (2 SRTT + 200 ms), past the RTO, so none', () => {
  const c = warm();
  c.send(new Uint8Array(100));
  recv(c, 1.02, [seg(10101, true)]);
  assert.ok(Math.abs(c.pollAt() - 1.22) < 1e-9, `the RTO: ${c.pollAt()}`);
  recv(c, 1.22, [seg(10101, true)]);
  const d = c.describe();
  assert.equal(d.lossProbes, 0);
  assert.equal(d.timeouts, 1);
});

test('without SACK no probe: the RTO, as before (RFC 8985 §7 needs SACK)', () => {
  const c = warm({ sack: false });
  c.send(new Uint8Array(500));
  recv(c, 1.02, segs(10101, 5));
  assert.ok(Math.abs(c.pollAt() - 1.22) < 1e-9, `pollAt ${c.pollAt()}`);
  assert.equal(c.describe().lossProbes, 0);
});

test('the probe carries the FIN when the last segment did', () => {
  const c = warm();
  c.send(new Uint8Array(300));
  c.close();
  recv(c, 1.02, [seg(10101), seg(10201), 'FP. seq 10301 ack 30001 win 64 len 100']);
  recv(c, 1.03, ['FP. seq 10301 ack 30001 win 64 len 100']);
  assert.equal(c.describe().lossProbes, 1);
});
