// A duplicate ACK from a SACK-capable receiver whose window changed
// (kernel/net/tcp/connection.js processAck). RFC 5681 §2 counts an ACK as a
// duplicate only if it carries the same window as the last; but Linux, as
// a receiver, takes the out-of-order data it holds out of its window, so
// with each segment after a hole the window it advertises shrinks a little.
// Counted strictly, such ACKs never reach three, and every loss waits out a
// retransmission timeout (22 in one 16 MiB transfer at 1 % loss). An ACK at
// SND.UNA that carries SACK blocks is evidence of a segment received above
// a hole whatever its window says (RFC 6675 §2, "duplicate acknowledgment"
// for a SACK sender), so it counts.
const { connect, send, recv, events } = require('/tests/lib/tcp-script');

// 100-byte segments, SACK agreed (the SYN-ACK offers it), a wide peer window.
function sackBulk() {
  const c = connect({ sendBuffer: 8192, sack: true, lossProbes: false }); // test_tcp_loss_probe.js has those
  c.poll(0);
  send(c, 0, 'S. seq 30000 ack 10001 win 10000 <mss 100,sackOK>');
  c.poll(0);
  events(c);
  return c;
}
const segs = (from, n, last = '') => Array.from({ length: n }, (_, i) => `${i === n - 1 ? last : ''}. seq ${from + 100 * i} ack 30001 win 64 len 100`);

test('three ACKs at SND.UNA with SACK blocks and a shrinking window are three duplicates', () => {
  const c = sackBulk();
  c.send(new Uint8Array(500));
  recv(c, 0, segs(10001, 5, 'P'));
  // 10001 lost; 10101, 10201, 10301 arrive: the window shrinks by what is held.
  send(c, 0.01, '. seq 30001 ack 10001 win 9900 <sack 10101-10201>');
  send(c, 0.011, '. seq 30001 ack 10001 win 9800 <sack 10101-10301>');
  recv(c, 0.011, []);
  send(c, 0.012, '. seq 30001 ack 10001 win 9700 <sack 10101-10401>');
  recv(c, 0.012, segs(10001, 1));
  const d = c.describe();
  assert.equal(d.dupAcksIn, 3);
  assert.equal(d.fastRetransmits, 1);
});

test('without SACK blocks a changed window still means "not a duplicate" (RFC 5681 §2)', () => {
  const c = sackBulk();
  c.send(new Uint8Array(500));
  recv(c, 0, segs(10001, 5, 'P'));
  send(c, 0.01, '. seq 30001 ack 10001 win 9900');
  send(c, 0.011, '. seq 30001 ack 10001 win 9800');
  send(c, 0.012, '. seq 30001 ack 10001 win 9700');
  recv(c, 0.012, []);
  assert.equal(c.describe().dupAcksIn, 0);
});
