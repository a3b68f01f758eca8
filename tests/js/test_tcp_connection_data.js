// Segment-by-segment tests of kernel/net/tcp/connection.js: data in an
// established connection (RFC 9293 §3.8, §3.10.7.4): exact sequence and
// acknowledgment numbers both ways, segmentation by MSS, the peer's window,
// the send buffer's back-pressure, the receive window and its updates,
// out-of-order data and SACK blocks, unacceptable segments and ACKs,
// wrap-around near 2^32, window scaling, Nagle, delayed ACK.
const { State } = require('/kernel/net/tcp/connection');
const { connect, accept, send, recv, events, established, text } = require('/tests/lib/tcp-script');

const str = (bytes) => (bytes === null ? null : String.fromCharCode(...bytes));

test('receive: in-order data is acknowledged with the window it used', () => {
  const c = established();
  send(c, 0, "P. seq 30001 ack 10001 win 256 'abcdef'");
  assert.deepEqual(events(c), ['readable']);
  assert.equal(c.readable, 6);
  recv(c, 0, ['. seq 10001 ack 30007 win 58']);
  send(c, 0, "P. seq 30007 ack 10001 win 256 'ghi'");
  recv(c, 0, ['. seq 10001 ack 30010 win 55']);
  assert.equal(str(c.read(4)), 'abcd');
  assert.equal(str(c.read()), 'efghi');
  assert.equal(str(c.read()), '');
  assert.equal(c.describe().bytesIn, 9);
});

test('send: one segment, PSH on the one that empties the queue, then the ACK', () => {
  const c = established();
  assert.equal(c.send(text('abcdef')), 6);
  assert.equal(c.pollAt(), 0);
  recv(c, 0, ["P. seq 10001 ack 30001 win 64 'abcdef'"]);
  recv(c, 0, []);
  assert.equal(c.pollAt(), 0.2); // the retransmission timer: the handshake's RTT of 0 gives the 200 ms floor
  send(c, 0.05, '. seq 30001 ack 10007 win 256');
  assert.equal(c.pollAt(), null);
  const d = c.describe();
  assert.equal(d.sndUna, 10007);
  assert.equal(d.sendQueue, 0);
  assert.equal(d.bytesOut, 6);
  assert.equal(d.bytesAcked, 6);
  // Timed without timestamps (RFC 6298 §3): after the handshake's 0, SRTT = 7/8 * 0 + 1/8 * 0.05.
  assert.equal(d.rtt, 0.00625);
});

test('data both ways in one exchange: the ACK rides on data', () => {
  const c = established();
  send(c, 0, "P. seq 30001 ack 10001 win 256 'ping'");
  c.send(text('pong'));
  recv(c, 0, ["P. seq 10001 ack 30005 win 60 'pong'"]);
  send(c, 0.01, '. seq 30005 ack 10005 win 256');
  recv(c, 0.01, []);
});

test('segmentation by the peer\'s MSS', () => {
  const c = established({ sendBuffer: 1024 }, { peerMss: 48 });
  c.send(text('a'.repeat(100)));
  recv(c, 0, [
    `. seq 10001 ack 30001 win 64 '${'a'.repeat(48)}'`,
    `. seq 10049 ack 30001 win 64 '${'a'.repeat(48)}'`,
    "P. seq 10097 ack 30001 win 64 'aaaa'",
  ]);
});

test('the peer\'s window limits what is in flight; its ACK opens more', () => {
  const c = established({}, { peerWindow: 4 });
  c.send(text('abcdefgh'));
  recv(c, 0, [". seq 10001 ack 30001 win 64 'abcd'"]);
  recv(c, 0, []);
  send(c, 0.01, '. seq 30001 ack 10005 win 4');
  recv(c, 0.01, ["P. seq 10005 ack 30001 win 64 'efgh'"]);
});

test('the send buffer: send() takes what fits, writable when an ACK frees room', () => {
  const c = established({ sendBuffer: 8 });
  assert.equal(c.send(text('abcdefghij')), 8);
  assert.equal(c.send(text('x')), 0);
  recv(c, 0, ["P. seq 10001 ack 30001 win 64 'abcdefgh'"]);
  send(c, 0.01, '. seq 30001 ack 10005 win 256');
  assert.deepEqual(events(c), ['writable']);
  assert.equal(c.send(text('ijklmn')), 4);
  send(c, 0.02, '. seq 30001 ack 10009 win 256');
  assert.deepEqual(events(c), ['writable']);
  recv(c, 0.02, ["P. seq 10009 ack 30001 win 64 'ijkl'"]);
});

test('a window that shrinks: nothing more until it opens', () => {
  const c = established();
  c.send(text('abcdef'));
  recv(c, 0, ["P. seq 10001 ack 30001 win 64 'abcdef'"]);
  send(c, 0.01, '. seq 30001 ack 10004 win 3'); // window now ends at 10007: all sent
  c.send(text('gh'));
  recv(c, 0.01, []);
  send(c, 0.02, '. seq 30001 ack 10007 win 10');
  recv(c, 0.02, ["P. seq 10007 ack 30001 win 64 'gh'"]);
});

test('SND.WND is taken only from newer segments (SND.WL1, SND.WL2)', () => {
  const c = established();
  send(c, 0, "P. seq 30001 ack 10001 win 100 'ab'"); // WL1 = 30001
  assert.equal(c.describe().sndWnd, 100);
  send(c, 0, '. seq 30003 ack 10001 win 50'); // a later SEQ: taken
  assert.equal(c.describe().sndWnd, 50);
  send(c, 0, '. seq 30003 ack 10001 win 60'); // the same SEQ and ACK: taken
  assert.equal(c.describe().sndWnd, 60);
  send(c, 0, ". seq 30003 ack 10001 win 80 'cd'");
  assert.equal(c.describe().sndWnd, 80);
  // An older segment (reordered, partly new) must not set the window.
  send(c, 0, ". seq 30001 ack 10001 win 1000 'abcdef'");
  assert.equal(c.describe().sndWnd, 80);
  assert.equal(c.readable, 6);
});

test('a duplicate of data already received gets an ACK and is not delivered again', () => {
  const c = established();
  send(c, 0, "P. seq 30001 ack 10001 win 256 'abcdef'");
  recv(c, 0, ['. seq 10001 ack 30007 win 58']);
  send(c, 0, "P. seq 30001 ack 10001 win 256 'abcdef'");
  recv(c, 0, ['. seq 10001 ack 30007 win 58']);
  assert.equal(c.readable, 6);
  assert.equal(c.describe().drops['out-of-window'], 1);
});

test('a segment partly old is trimmed to its new part', () => {
  const c = established();
  send(c, 0, "P. seq 30001 ack 10001 win 256 'abc'");
  send(c, 0, "P. seq 30002 ack 10001 win 256 'bcdef'");
  recv(c, 0, ['. seq 10001 ack 30007 win 58']);
  assert.equal(str(c.read()), 'abcdef');
});

test('data beyond the window is cut off and acknowledged at once', () => {
  const c = established({ receiveBuffer: 8 });
  send(c, 0, "P. seq 30001 ack 10001 win 256 'abcdefghijkl'");
  recv(c, 0, ['. seq 10001 ack 30009 win 0']);
  assert.equal(str(c.read()), 'abcdefgh');
  // A segment wholly outside the window: unacceptable, an ACK answers it.
  send(c, 0, "P. seq 30100 ack 10001 win 256 'zz'");
  recv(c, 0, ['. seq 10001 ack 30009 win 8']);
});

test('the window fills: win 0, a zero-window probe is answered, reading reopens it', () => {
  const c = established({ receiveBuffer: 8 });
  send(c, 0, "P. seq 30001 ack 10001 win 256 'abcdefgh'");
  recv(c, 0, ['. seq 10001 ack 30009 win 0']);
  // Their probe: one byte at RCV.NXT, into a zero window. Its data is not
  // taken, but the ACK it carries is (the zero-window allowance of §3.10.7.4).
  send(c, 0.2, "P. seq 30009 ack 10001 win 300 'i'");
  recv(c, 0.2, ['. seq 10001 ack 30009 win 0']);
  assert.equal(c.describe().sndWnd, 300);
  // A Linux-style probe (SEQ = RCV.NXT - 1, no data) gets the same answer.
  send(c, 0.4, '. seq 30008 ack 10001 win 300');
  recv(c, 0.4, ['. seq 10001 ack 30009 win 0']);
  // Reading 2 of 8 bytes: below receiver SWS's threshold (half the buffer), no update.
  c.read(2);
  recv(c, 0.5, []);
  // Reading half the buffer: the window update goes at once.
  c.read(2);
  recv(c, 0.5, ['. seq 10001 ack 30009 win 4']);
  c.read();
  recv(c, 0.5, ['. seq 10001 ack 30009 win 8']);
});

test('a bare FIN is taken into a zero window', () => {
  const c = established({ receiveBuffer: 4 });
  send(c, 0, "P. seq 30001 ack 10001 win 256 'abcd'");
  recv(c, 0, ['. seq 10001 ack 30005 win 0']);
  send(c, 0, 'F. seq 30005 ack 10001 win 256');
  assert.equal(c.state, State.CLOSE_WAIT);
  recv(c, 0, ['. seq 10001 ack 30006 win 0']);
});

test('window updates after reading: only when the window has fallen to half and can double', () => {
  const c = established({ receiveBuffer: 64 });
  send(c, 0, `P. seq 30001 ack 10001 win 256 '${'x'.repeat(20)}'`);
  recv(c, 0, ['. seq 10001 ack 30021 win 44']);
  c.read();
  recv(c, 0, []); // 44 > 32: the peer still has room, no update needed
  send(c, 0, `P. seq 30021 ack 10001 win 256 '${'y'.repeat(40)}'`);
  // 24 bytes are free, but the edge advertised before (30065) has not moved:
  // 64 - 44 = 20 < 32, receiver SWS kept it.
  recv(c, 0, ['. seq 10001 ack 30061 win 4']);
  c.read(10);
  recv(c, 0, []); // 34 - 4 = 30 < 32: still held
  c.read();
  recv(c, 0, ['. seq 10001 ack 30061 win 64']);
});

test('out of order: held, a duplicate ACK at once, delivered when the hole fills', () => {
  const c = established();
  send(c, 0, "P. seq 30004 ack 10001 win 256 'def'");
  assert.deepEqual(events(c), []);
  recv(c, 0, ['. seq 10001 ack 30001 win 64']);
  send(c, 0, "P. seq 30001 ack 10001 win 256 'abc'");
  assert.deepEqual(events(c), ['readable']);
  recv(c, 0, ['. seq 10001 ack 30007 win 58']);
  assert.equal(str(c.read()), 'abcdef');
});

test('SACK blocks (RFC 2018 §4): the most recent block first, cleared when the holes fill', () => {
  const c = established({ sack: true, receiveBuffer: 1000 });
  // Re-open with SACK: the helper's SYN-ACK had no sackOK, so negotiate here.
  const s = connect({ sack: true, receiveBuffer: 1000 });
  recv(s, 0, ['S seq 10000 win 1000 <mss 1460,sackOK>']);
  send(s, 0, 'S. seq 30000 ack 10001 win 256 <mss 1460,sackOK>');
  recv(s, 0, ['. seq 10001 ack 30001 win 1000']);
  send(s, 0, "P. seq 30011 ack 10001 win 256 'bbbbbbbbbb'");
  recv(s, 0, ['. seq 10001 ack 30001 win 1000 <sack 30011-30021>']);
  send(s, 0, "P. seq 30031 ack 10001 win 256 'dddddddddd'");
  recv(s, 0, ['. seq 10001 ack 30001 win 1000 <sack 30031-30041 30011-30021>']);
  send(s, 0, "P. seq 30021 ack 10001 win 256 'cccccccccc'");
  recv(s, 0, ['. seq 10001 ack 30001 win 1000 <sack 30011-30041>']);
  send(s, 0, "P. seq 30001 ack 10001 win 256 'aaaaaaaaaa'");
  recv(s, 0, ['. seq 10001 ack 30041 win 960']);
  assert.equal(str(s.read()), 'a'.repeat(10) + 'b'.repeat(10) + 'c'.repeat(10) + 'd'.repeat(10));
  // Without SACK-permitted from the peer, no blocks.
  send(c, 0, "P. seq 30011 ack 10001 win 256 'b'");
  recv(c, 0, ['. seq 10001 ack 30001 win 1000']);
});

test('SACK blocks with timestamps: at most 3, and data segments give them room', () => {
  const c = connect({ sack: true, timestamps: true, receiveBuffer: 1000, sendBuffer: 1000 });
  recv(c, 0, ['S seq 10000 win 1000 <mss 1460,sackOK,ts 0 0>']);
  send(c, 0, 'S. seq 30000 ack 10001 win 256 <mss 100,sackOK,ts 50 0>');
  recv(c, 0, ['. seq 10001 ack 30001 win 1000 <ts 0 50>']);
  for (const seq of [30003, 30006, 30009, 30012]) send(c, 0, `P. seq ${seq} ack 10001 win 256 <ts 51 0> 'x'`);
  c.poll(0);
  c.send(text('y'.repeat(100)));
  // 100 - 12 (timestamps) - 4 - 3 * 8 (three SACK blocks) = 60 bytes of payload.
  // TSecr stays 50: out-of-order segments do not update TS.Recent (RFC 7323 §4.3).
  recv(c, 0, [
    ". seq 10001 ack 30001 win 1000 <ts 0 50,sack 30012-30013 30009-30010 30006-30007> len 60",
    "P. seq 10061 ack 30001 win 1000 <ts 0 50,sack 30012-30013 30009-30010 30006-30007> len 40",
  ]);
});

test('an ACK for data never sent gets an ACK, and the segment is dropped', () => {
  const c = established();
  c.send(text('ab'));
  c.poll(0);
  send(c, 0, "P. seq 30001 ack 10010 win 256 'zz'");
  recv(c, 0, ['. seq 10003 ack 30001 win 64']);
  assert.equal(c.readable, 0);
  assert.equal(c.describe().sndUna, 10001);
  assert.equal(c.describe().drops['ack-unsent'], 1);
});

test('RFC 5961 §5: an ACK older than SND.UNA - MAX.SND.WND gets a challenge ACK', () => {
  const c = established();
  send(c, 0, "P. seq 30001 ack 9000 win 256 'zz'");
  recv(c, 0, ['. seq 10001 ack 30001 win 64']);
  assert.equal(c.readable, 0);
  assert.equal(c.describe().challengeAcks, 1);
  // An old ACK within MAX.SND.WND is fine: its data is taken.
  send(c, 0, "P. seq 30001 ack 9900 win 256 'ok'");
  assert.equal(c.readable, 2);
});

test('a segment without ACK in a synchronized state is dropped', () => {
  const c = established();
  send(c, 0, "P seq 30001 win 256 'abc'");
  recv(c, 0, []);
  assert.equal(c.readable, 0);
});

test('sequence numbers wrap around 2^32, both ways', () => {
  const c = connect({ iss: 0xfffffffd });
  recv(c, 0, ['S seq 4294967293 win 64 <mss 1460>']);
  send(c, 0, 'S. seq 4294967294 ack 4294967294 win 256 <mss 1460>');
  recv(c, 0, ['. seq 4294967294 ack 4294967295 win 64']);
  c.send(text('abcdef'));
  recv(c, 0, ["P. seq 4294967294 ack 4294967295 win 64 'abcdef'"]);
  send(c, 0.01, "P. seq 4294967295 ack 4 win 256 'ghijkl'");
  recv(c, 0.01, ['. seq 4 ack 5 win 58']);
  assert.equal(c.describe().sndUna, 4);
  assert.equal(str(c.read()), 'ghijkl');
  // Out of order across the wrap, then the hole filled.
  send(c, 0.02, "P. seq 8 ack 4 win 256 'pq'");
  recv(c, 0.02, ['. seq 4 ack 5 win 58']); // the edge stays at 63 (64 - 6 < 32)
  send(c, 0.02, "P. seq 5 ack 4 win 256 'mno'");
  recv(c, 0.02, ['. seq 4 ack 10 win 53']);
  assert.equal(str(c.read()), 'mnopq');
});

test('window scaling: our window field is shifted, theirs is scaled up', () => {
  const c = connect({ windowScale: true, receiveBuffer: 1 << 20, sendBuffer: 1 << 20 });
  recv(c, 0, ['S seq 10000 win 65535 <mss 1460,wscale 5>']);
  send(c, 0, 'S. seq 30000 ack 10001 win 1000 <mss 1000,wscale 2>');
  recv(c, 0, ['. seq 10001 ack 30001 win 32768']); // 2^20 >> 5
  send(c, 0, '. seq 30001 ack 10001 win 1000'); // 4000 bytes
  c.send(new Uint8Array(5000));
  recv(c, 0, ['. seq 10001 ack 30001 win 32768 len 1000', '. seq 11001 ack 30001 win 32768 len 1000',
    '. seq 12001 ack 30001 win 32768 len 1000', '. seq 13001 ack 30001 win 32768 len 1000']);
  // 100 bytes received: the field is rounded down to whole units of 32, and
  // receiver SWS holds the edge until it can move by a segment.
  send(c, 0.01, '. seq 30001 ack 14001 win 1000 len 100');
  recv(c, 0.01, ['P. seq 14001 ack 30101 win 32765 len 1000']);
});

test('Nagle: small writes wait for the ACK of what is in flight, then go together', () => {
  const c = established();
  c.send(text('a'));
  recv(c, 0, ["P. seq 10001 ack 30001 win 64 'a'"]);
  c.send(text('b'));
  recv(c, 0, []);
  c.send(text('c'));
  recv(c, 0, []);
  send(c, 0.01, '. seq 30001 ack 10002 win 256');
  recv(c, 0.01, ["P. seq 10002 ack 30001 win 64 'bc'"]);
});

test('Nagle: a full segment does not wait', () => {
  const c = established({ sendBuffer: 256 }, { peerMss: 48 });
  c.send(text('a'));
  recv(c, 0, ["P. seq 10001 ack 30001 win 64 'a'"]);
  c.send(text('b'.repeat(50)));
  recv(c, 0, [`. seq 10002 ack 30001 win 64 '${'b'.repeat(48)}'`]); // and 2 bytes wait
  send(c, 0.01, '. seq 30001 ack 10050 win 256');
  recv(c, 0.01, ["P. seq 10050 ack 30001 win 64 'bb'"]);
});

test('TCP_NODELAY: small writes go at once', () => {
  const c = established({ nodelay: true });
  c.send(text('a'));
  recv(c, 0, ["P. seq 10001 ack 30001 win 64 'a'"]);
  c.send(text('b'));
  recv(c, 0, ["P. seq 10002 ack 30001 win 64 'b'"]);
  c.nodelay = false;
  c.send(text('c'));
  recv(c, 0, []);
});

test('Nagle does not hold the last data back from the FIN', () => {
  const c = established();
  c.send(text('a'));
  recv(c, 0, ["P. seq 10001 ack 30001 win 64 'a'"]);
  c.send(text('b'));
  c.close();
  recv(c, 0, ["FP. seq 10002 ack 30001 win 64 'b'"]);
});

test('delayed ACK: 40 ms after one segment', () => {
  const c = established({ ackDelay: 0.04 });
  send(c, 0, "P. seq 30001 ack 10001 win 256 'abc'");
  recv(c, 0, []);
  assert.equal(c.pollAt(), 0.04);
  recv(c, 0.039, []);
  recv(c, 0.04, ['. seq 10001 ack 30004 win 61']);
  assert.equal(c.pollAt(), null);
});

test('delayed ACK: at once on the second full segment', () => {
  const c = established({ ackDelay: 0.04, receiveBuffer: 4096 });
  send(c, 0, `. seq 30001 ack 10001 win 256 len 1460`);
  recv(c, 0, []);
  send(c, 0.001, `. seq 31461 ack 10001 win 256 len 1460`);
  recv(c, 0.001, ['. seq 10001 ack 32921 win 1176']);
});

test('delayed ACK: data of ours carries it at once', () => {
  const c = established({ ackDelay: 0.04 });
  send(c, 0, "P. seq 30001 ack 10001 win 256 'abc'");
  c.send(text('x'));
  recv(c, 0.01, ["P. seq 10001 ack 30004 win 61 'x'"]);
  recv(c, 0.04, []);
});

test('delayed ACK: out-of-order data is acknowledged at once (RFC 5681 §4.2)', () => {
  const c = established({ ackDelay: 0.04 });
  send(c, 0, "P. seq 30005 ack 10001 win 256 'abc'");
  recv(c, 0, ['. seq 10001 ack 30001 win 64']);
});

test('segments and bytes are counted for netstat', () => {
  const c = established();
  send(c, 0, "P. seq 30001 ack 10001 win 256 'abc'");
  c.send(text('hello'));
  c.poll(0);
  const d = c.describe();
  assert.equal(d.segmentsIn, 2); // the SYN-ACK and this one
  assert.equal(d.segmentsOut, 3); // SYN, ACK, data
  assert.equal(d.bytesIn, 3);
  assert.equal(d.bytesOut, 5);
  assert.equal(d.state, 'ESTABLISHED');
  assert.equal(d.recvQueue, 3);
  assert.equal(d.sendQueue, 5);
});

test('passive side: data both ways after accept', () => {
  const c = accept('S seq 30000 win 256 <mss 1460>');
  c.poll(0);
  send(c, 0, "P. seq 30001 ack 10001 win 256 'GET /'");
  recv(c, 0, ['. seq 10001 ack 30006 win 59']);
  c.send(text('200 OK'));
  recv(c, 0, ["P. seq 10001 ack 30006 win 59 '200 OK'"]);
});
