// The parts of kernel/net/tcp/connection.js on their own (send-buffer.js,
// congestion.js), and more segment-by-segment corners of the connection:
// timeouts while closing, ACKs past SND.NXT after go-back-N, no window
// updates once the peer has finished, data queued during retransmission.
const { SendBuffer } = require('/kernel/net/tcp/send-buffer');
const { NewReno } = require('/kernel/net/tcp/congestion');
const { State } = require('/kernel/net/tcp/connection');
const { send, recv, events, established, text } = require('/tests/lib/tcp-script');

const str = (bytes) => String.fromCharCode(...bytes);

test('SendBuffer: push up to capacity, peek across chunks, drop from the front', () => {
  const b = new SendBuffer(10);
  assert.equal(b.push(text('abcd')), 4);
  assert.equal(b.push(text('efghijkl')), 6);
  assert.equal(b.free, 0);
  assert.equal(b.push(text('z')), 0);
  assert.equal(str(b.peek(2, 5)), 'cdefg');
  assert.equal(str(b.peek(8, 100)), 'ij');
  assert.equal(b.peek(10, 5).length, 0);
  assert.equal(b.drop(5), 5);
  assert.equal(str(b.peek(0, 3)), 'fgh');
  assert.equal(b.free, 5);
  assert.equal(b.drop(100), 5);
  assert.equal(b.length, 0);
});

test('SendBuffer: the bytes pushed are copies; a peek is a copy too', () => {
  const b = new SendBuffer(10);
  const mine = text('abc');
  b.push(mine);
  mine[0] = 0x7a;
  const seg = b.peek(0, 3);
  seg[1] = 0x7a;
  assert.equal(str(b.peek(0, 3)), 'abc');
});

test('NewReno: IW, slow start, the third duplicate ACK, inflation, a full ACK', () => {
  const cc = new NewReno(1000);
  assert.equal(cc.cwnd, 10000);
  assert.equal(cc.slowStart, true);
  cc.onAck(2000, 1000, 10000);
  assert.equal(cc.cwnd, 11000);
  assert.equal(cc.onDuplicateAck(2000, 12000, 10000), false);
  assert.equal(cc.onDuplicateAck(2000, 12000, 10000), false);
  assert.equal(cc.onDuplicateAck(2000, 12000, 10000), true);
  assert.equal(cc.ssthresh, 5000);
  assert.equal(cc.cwnd, 8000);
  assert.equal(cc.onDuplicateAck(2000, 12000, 10000), false);
  assert.equal(cc.cwnd, 9000);
  assert.deepEqual(cc.onAck(12000, 10000, 10000), { retransmit: false, restartTimer: true });
  assert.equal(cc.cwnd, 2000); // min(5000, max(0, 1000) + 1000)
  assert.equal(cc.inRecovery, false);
});

test('NewReno: duplicate ACKs for data before the last recovery do not start another', () => {
  const cc = new NewReno(1000);
  cc.onTimeout(8000, 50000); // recover = 50000
  for (let i = 0; i < 3; i++) cc.onDuplicateAck(40000, 50000, 10000);
  assert.equal(cc.inRecovery, false);
  cc.onAck(50001, 1000, 10000); // past recover: a new loss may start a recovery
  for (let i = 0; i < 3; i++) cc.onDuplicateAck(50001, 60000, 10000);
  assert.equal(cc.inRecovery, true);
});

test('NewReno: only the first partial ACK restarts the timer ("impatient", RFC 6582 §4)', () => {
  const cc = new NewReno(1000);
  for (let i = 0; i < 3; i++) cc.onDuplicateAck(0, 10000, 10000);
  assert.deepEqual(cc.onAck(1000, 1000, 10000), { retransmit: true, restartTimer: true });
  assert.deepEqual(cc.onAck(2000, 1000, 9000), { retransmit: true, restartTimer: false });
});

test('FIN-WAIT-1: a FIN never acknowledged ends in ETIMEDOUT', () => {
  const c = established();
  c.close();
  c.poll(0);
  for (let i = 0; i < 15; i++) assert.equal(c.poll(c.pollAt()).length, 1);
  c.poll(c.pollAt());
  assert.equal(c.state, State.CLOSED);
  assert.deepEqual(events(c), ['error ETIMEDOUT', 'closed']);
});

test('LAST-ACK: a FIN never acknowledged ends in ETIMEDOUT too', () => {
  const c = established();
  send(c, 0, 'F. seq 30001 ack 10001 win 256');
  c.close();
  recv(c, 0, ['F. seq 10001 ack 30002 win 63']);
  for (let i = 0; i < 15; i++) recv(c, c.pollAt(), ['F. seq 10001 ack 30002 win 63']);
  c.poll(c.pollAt());
  assert.equal(c.state, State.CLOSED);
});

test('after go-back-N, an ACK past SND.NXT (but not past SND.MAX) is taken', () => {
  const c = established({ sendBuffer: 256 }, { peerMss: 48, peerWindow: 1000 });
  c.send(text('a'.repeat(96)));
  recv(c, 0, [`. seq 10001 ack 30001 win 64 '${'a'.repeat(48)}'`, `P. seq 10049 ack 30001 win 64 '${'a'.repeat(48)}'`]);
  recv(c, 0.2, [`. seq 10001 ack 30001 win 64 '${'a'.repeat(48)}'`]); // SND.NXT 10049, SND.MAX 10097
  send(c, 0.21, '. seq 30001 ack 10097 win 1000');
  assert.equal(c.describe().sndUna, 10097);
  assert.equal(c.describe().sndNxt, 10097);
  assert.equal(c.pollAt(), null);
});

test('a bare ACK after go-back-N carries SND.MAX', () => {
  const c = established({ sendBuffer: 256 }, { peerMss: 48, peerWindow: 1000 });
  c.send(text('a'.repeat(96)));
  c.poll(0);
  c.poll(0.2); // the timeout: SND.NXT back to 10001, then past the first segment
  send(c, 0.21, "P. seq 30001 ack 10001 win 1000 'x'");
  recv(c, 0.21, ['. seq 10097 ack 30002 win 63']);
});

test('data queued during a retransmission goes once the window allows', () => {
  const c = established({ sendBuffer: 256 });
  c.send(text('abc'));
  recv(c, 0, ["P. seq 10001 ack 30001 win 64 'abc'"]);
  recv(c, 0.2, ["P. seq 10001 ack 30001 win 64 'abc'"]);
  c.send(text('def'));
  recv(c, 0.21, []); // cwnd is one segment and 'abc' is in flight again
  send(c, 0.3, '. seq 30001 ack 10004 win 256');
  recv(c, 0.3, ["P. seq 10004 ack 30001 win 64 'def'"]);
});

test('no window updates once the peer has finished (CLOSE-WAIT, TIME-WAIT)', () => {
  const c = established({ receiveBuffer: 8 });
  send(c, 0, "FP. seq 30001 ack 10001 win 256 'abcdefg'");
  recv(c, 0, ['. seq 10001 ack 30009 win 0']);
  c.read();
  recv(c, 0, []);
  assert.equal(c.state, State.CLOSE_WAIT);
});

test('PSH on received data changes nothing: it is delivered as it comes', () => {
  const c = established();
  send(c, 0, ". seq 30001 ack 10001 win 256 'abc'");
  send(c, 0, "P. seq 30004 ack 10001 win 256 'def'");
  assert.equal(c.readable, 6);
  assert.deepEqual(events(c), ['readable', 'readable']);
});

test('the same duplicate ACK many times with data outstanding: one fast retransmit', () => {
  const c = established({ sendBuffer: 1024 }, { peerMss: 48, peerWindow: 1000 });
  c.send(new Uint8Array(200));
  c.poll(0);
  for (let i = 0; i < 10; i++) send(c, 0.01, '. seq 30001 ack 10001 win 1000');
  const out = c.poll(0.01);
  assert.equal(out.filter((r) => r.seq === 10001).length, 1);
  assert.equal(c.describe().fastRetransmits, 1);
});

test('describe(): the fields netstat and ss -ti print', () => {
  const c = established();
  const d = c.describe();
  for (const key of ['state', 'localPort', 'remotePort', 'sndUna', 'sndNxt', 'sndWnd', 'rcvNxt', 'rcvWnd', 'rtt', 'rttvar', 'rto',
    'cwnd', 'ssthresh', 'retransmits', 'bytesIn', 'bytesOut', 'segmentsIn', 'segmentsOut', 'mss', 'drops']) {
    assert.ok(key in d, key);
  }
  assert.equal(d.rcvWnd, 64);
  assert.equal(d.mss, 1460);
});
