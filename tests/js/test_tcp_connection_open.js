// Segment-by-segment tests of kernel/net/tcp/connection.js: opening a
// connection (RFC 9293 §3.5, §3.10.7.2-3): the three-way handshake both
// ways, the options on the SYNs (RFC 7323, RFC 2018, MSS), refusal, bad
// ACKs and RSTs in SYN-SENT and SYN-RECEIVED, simultaneous open, SYN and
// SYN-ACK retransmission and ETIMEDOUT.
const { Connection, State, shiftFor, resetFor } = require('/kernel/net/tcp/connection');
const { connect, accept, send, recv, events, segment, format } = require('/tests/lib/tcp-script');

test('active open: SYN, SYN-ACK, ACK; ESTABLISHED and the event', () => {
  const c = connect();
  assert.equal(c.state, State.SYN_SENT);
  assert.equal(c.pollAt(), 0);
  recv(c, 0, ['S seq 10000 win 64 <mss 1460>']);
  recv(c, 0, []);
  assert.equal(c.pollAt(), 1); // RFC 6298 §2.1: 1 s until a sample
  send(c, 0.01, 'S. seq 30000 ack 10001 win 256 <mss 1460>');
  assert.equal(c.state, State.ESTABLISHED);
  assert.deepEqual(events(c), ['established']);
  recv(c, 0.01, ['. seq 10001 ack 30001 win 64']);
  assert.equal(c.pollAt(), null);
  const d = c.describe();
  assert.equal(d.sndUna, 10001);
  assert.equal(d.rcvNxt, 30001);
  assert.equal(d.sndWnd, 256);
  assert.equal(d.rtt, 0.01); // the SYN was timed
  assert.equal(d.cwnd, 14600); // RFC 6928: 10 segments
  assert.equal(d.ssthresh, Infinity);
});

test('passive open: SYN, SYN-ACK, ACK', () => {
  const c = accept('S seq 30000 win 256 <mss 1460>');
  assert.equal(c.state, State.SYN_RECEIVED);
  recv(c, 0, ['S. seq 10000 ack 30001 win 64 <mss 1460>']);
  recv(c, 0, []);
  send(c, 0.002, '. seq 30001 ack 10001 win 256');
  assert.equal(c.state, State.ESTABLISHED);
  assert.deepEqual(events(c), ['established']);
  recv(c, 0.002, []); // nothing to acknowledge
  assert.equal(c.describe().rtt, 0.002);
});

test('Linux-like options: MSS, SACK-permitted, timestamps, window scale on the SYN', () => {
  const c = connect({ timestamps: true, sack: true, windowScale: true, receiveBuffer: 256 * 1024, tsOffset: 1000 });
  recv(c, 0, ['S seq 10000 win 65535 <mss 1460,sackOK,ts 1000 0,wscale 3>']);
  send(c, 0.001, 'S. seq 30000 ack 10001 win 65160 <mss 1460,sackOK,ts 777 1000,wscale 7>');
  // The ACK: window scaled by our shift (262144 >> 3 = 32768), timestamps echoed.
  recv(c, 0.001, ['. seq 10001 ack 30001 win 32768 <ts 1001 777>']);
  const d = c.describe();
  assert.deepEqual(d.wscale, [7, 3]);
  assert.equal(d.timestamps, true);
  assert.equal(d.sack, true);
  assert.equal(d.mss, 1448); // 1460 less 12 bytes of timestamps (RFC 9293 §3.7.1)
  assert.equal(d.sndWnd, 65160); // a SYN's window is never scaled (RFC 7323 §2.2)
  assert.equal(d.rtt, 0.001); // from the echoed timestamp
  // The next window from them is scaled by 7.
  send(c, 0.002, '. seq 30001 ack 10001 win 502 <ts 778 1001>');
  assert.equal(c.describe().sndWnd, 502 << 7);
});

test('the window scale we offer is the smallest that covers the buffer', () => {
  assert.equal(shiftFor(65535), 0);
  assert.equal(shiftFor(65536), 1);
  assert.equal(shiftFor(256 * 1024), 3);
  assert.equal(shiftFor(6 * 1024 * 1024), 7);
  assert.equal(shiftFor(2 ** 40), 14); // RFC 7323 §2.3's limit
});

test('window scaling only when both SYNs carry it (RFC 7323 §2.2)', () => {
  const c = connect({ windowScale: true, receiveBuffer: 256 * 1024 });
  recv(c, 0, ['S seq 10000 win 65535 <mss 1460,wscale 3>']);
  send(c, 0, 'S. seq 30000 ack 10001 win 1000 <mss 1460>');
  recv(c, 0, ['. seq 10001 ack 30001 win 65535']); // unscaled: capped at 65535
  send(c, 0, '. seq 30001 ack 10001 win 2000');
  assert.equal(c.describe().sndWnd, 2000);
  assert.equal(c.describe().wscale, null);
});

test('passive open answers only the options the SYN offered', () => {
  const all = { timestamps: true, sack: true, windowScale: true, receiveBuffer: 256 * 1024 };
  const bare = accept('S seq 30000 win 256', all);
  recv(bare, 0, ['S. seq 10000 ack 30001 win 65535 <mss 1460>']);
  const full = accept('S seq 30000 win 64240 <mss 1460,sackOK,ts 5 0,wscale 10>', all);
  recv(full, 0, ['S. seq 10000 ack 30001 win 65535 <mss 1460,sackOK,ts 0 5,wscale 3>']);
  send(full, 0.001, '. seq 30001 ack 10001 win 100 <ts 6 1>');
  assert.equal(full.state, State.ESTABLISHED);
  assert.equal(full.describe().sndWnd, 100 << 10);
  assert.equal(full.describe().mss, 1448);
});

test('a window scale above 14 is taken as 14 (RFC 7323 §2.3)', () => {
  const c = accept('S seq 30000 win 256 <wscale 15>', { windowScale: true, receiveBuffer: 256 * 1024 });
  c.poll(0);
  send(c, 0, '. seq 30001 ack 10001 win 1');
  assert.equal(c.describe().sndWnd, 1 << 14);
});

test('MSS: none means 536, 0 is ignored, tiny values are raised to 48, ours caps it', () => {
  const mss = (opt) => {
    const c = accept(`S seq 30000 win 256${opt}`);
    return c.describe().mss;
  };
  assert.equal(mss(''), 536); // RFC 9293 §3.7.1
  assert.equal(mss(' <mss 0>'), 536);
  assert.equal(mss(' <mss 1>'), 48);
  assert.equal(mss(' <mss 1200>'), 1200);
  assert.equal(mss(' <mss 9000>'), 1460);
});

test('SYN-ACK data and FIN are taken (§3.10.7.3: "continue at the sixth step")', () => {
  const c = connect();
  c.poll(0);
  send(c, 0, "FS.P seq 30000 ack 10001 win 256 'hi'");
  assert.equal(c.state, State.CLOSE_WAIT);
  assert.deepEqual(events(c), ['established', 'readable', 'end']);
  // The FIN takes a sequence number of the window too: 64 - 3 = 61.
  recv(c, 0, ['. seq 10001 ack 30004 win 61']);
  assert.deepEqual(Array.from(c.read()), [104, 105]);
  assert.equal(c.read(), null);
});

test('refused: RST,ACK to our SYN is ECONNREFUSED', () => {
  const c = connect();
  c.poll(0);
  send(c, 0.001, 'R. seq 0 ack 10001 win 0');
  assert.equal(c.state, State.CLOSED);
  assert.deepEqual(events(c), ['error ECONNREFUSED', 'closed']);
  assert.equal(c.error, 'ECONNREFUSED');
  recv(c, 0.001, []);
  assert.equal(c.pollAt(), null);
  assert.throws(() => c.send(Uint8Array.of(1)), /EPIPE/);
});

test('SYN-SENT: an RST without ACK, or with a wrong ACK, is ignored', () => {
  const c = connect();
  c.poll(0);
  send(c, 0, 'R seq 30000 win 0');
  send(c, 0, 'R. seq 30000 ack 10005 win 0');
  send(c, 0, 'R. seq 30000 ack 10000 win 0');
  assert.equal(c.state, State.SYN_SENT);
  recv(c, 0, []); // no RST answers an RST
  assert.deepEqual(events(c), []);
});

test('SYN-SENT: an ACK that does not acknowledge our SYN gets <SEQ=SEG.ACK><CTL=RST>', () => {
  const c = connect();
  c.poll(0);
  send(c, 0, 'S. seq 30000 ack 10000 win 256'); // ACK =< ISS
  recv(c, 0, ['R seq 10000 win 0']);
  send(c, 0, '. seq 30000 ack 12345 win 256'); // ACK > SND.NXT
  recv(c, 0, ['R seq 12345 win 0']);
  assert.equal(c.state, State.SYN_SENT);
});

test('SYN-SENT: a segment with neither SYN nor RST is dropped', () => {
  const c = connect();
  c.poll(0);
  send(c, 0, ". seq 30000 ack 10001 win 256 'x'");
  recv(c, 0, []);
  assert.equal(c.state, State.SYN_SENT);
  assert.equal(c.describe().drops['no-syn'], 1);
});

test('simultaneous open (§3.5 figure 8): SYN, SYN crossing, SYN-ACKs crossing', () => {
  const c = connect();
  recv(c, 0, ['S seq 10000 win 64 <mss 1460>']);
  send(c, 0.01, 'S seq 30000 win 256 <mss 1460>');
  assert.equal(c.state, State.SYN_RECEIVED);
  recv(c, 0.01, ['S. seq 10000 ack 30001 win 64 <mss 1460>']);
  // Their SYN-ACK repeats their SYN and acknowledges ours.
  send(c, 0.02, 'S. seq 30000 ack 10001 win 256 <mss 1460>');
  assert.equal(c.state, State.ESTABLISHED);
  assert.deepEqual(events(c), ['established']);
  recv(c, 0.02, []);
  c.send(Uint8Array.of(0x61));
  recv(c, 0.02, ["P. seq 10001 ack 30001 win 64 'a'"]);
});

test('simultaneous open: an RST in SYN-RECEIVED is ECONNREFUSED', () => {
  const c = connect();
  c.poll(0);
  send(c, 0, 'S seq 30000 win 256');
  c.poll(0);
  send(c, 0, 'R seq 30001 win 0');
  assert.equal(c.state, State.CLOSED);
  assert.deepEqual(events(c), ['error ECONNREFUSED', 'closed']);
});

test('SYN-RECEIVED: an ACK below or above ours gets an RST and changes nothing', () => {
  const c = accept('S seq 30000 win 256');
  c.poll(0);
  send(c, 0, '. seq 30001 ack 10000 win 256');
  recv(c, 0, ['R seq 10000 win 0']);
  send(c, 0, '. seq 30001 ack 10002 win 256');
  recv(c, 0, ['R seq 10002 win 0']);
  assert.equal(c.state, State.SYN_RECEIVED);
  send(c, 0, '. seq 30001 ack 10001 win 256');
  assert.equal(c.state, State.ESTABLISHED);
});

test('SYN-RECEIVED (passive): an RST goes back to LISTEN quietly', () => {
  const c = accept('S seq 30000 win 256');
  c.poll(0);
  send(c, 0, 'R seq 30001 win 0');
  assert.equal(c.state, State.CLOSED);
  assert.deepEqual(events(c), ['closed']);
  recv(c, 0, []);
});

test('SYN-RECEIVED (passive): an RST not at RCV.NXT gets a challenge ACK', () => {
  const c = accept('S seq 30000 win 256');
  c.poll(0);
  send(c, 0, 'R seq 30010 win 0');
  assert.equal(c.state, State.SYN_RECEIVED);
  recv(c, 0, ['. seq 10001 ack 30001 win 64']);
});

test('SYN-RECEIVED: their SYN again means our SYN-ACK was lost: it goes again', () => {
  const c = accept('S seq 30000 win 256 <mss 1460>');
  recv(c, 0, ['S. seq 10000 ack 30001 win 64 <mss 1460>']);
  send(c, 0.5, 'S seq 30000 win 256 <mss 1460>');
  recv(c, 0.5, ['S. seq 10000 ack 30001 win 64 <mss 1460>']);
  assert.equal(c.state, State.SYN_RECEIVED);
});

test('SYN-RECEIVED: data with the ACK is taken', () => {
  const c = accept('S seq 30000 win 256');
  c.poll(0);
  send(c, 0, "P. seq 30001 ack 10001 win 256 'abc'");
  assert.equal(c.state, State.ESTABLISHED);
  assert.deepEqual(events(c), ['established', 'readable']);
  recv(c, 0, ['. seq 10001 ack 30004 win 61']);
});

test('SYN-RECEIVED: a FIN with the ACK goes on to CLOSE-WAIT', () => {
  const c = accept('S seq 30000 win 256');
  c.poll(0);
  send(c, 0, 'F. seq 30001 ack 10001 win 256');
  assert.equal(c.state, State.CLOSE_WAIT);
  recv(c, 0, ['. seq 10001 ack 30002 win 63']);
});

test('SYN-RECEIVED: close() sends the FIN once established (FIN-WAIT-1)', () => {
  const c = accept('S seq 30000 win 256');
  c.poll(0);
  c.close();
  assert.equal(c.state, State.SYN_RECEIVED);
  send(c, 0, '. seq 30001 ack 10001 win 256');
  assert.equal(c.state, State.FIN_WAIT_1);
  recv(c, 0, ['F. seq 10001 ack 30001 win 64']);
});

test('SYN-SENT: close() just forgets the connection', () => {
  const c = connect();
  c.poll(0);
  c.close();
  assert.equal(c.state, State.CLOSED);
  assert.deepEqual(events(c), ['closed']);
  recv(c, 0, []);
});

// Linux gives up at 127 s: its RTO cap is 120 s, ours RFC 6298 §2.5's 60 s.
test('SYN retransmitted at 1, 3, 7, 15, 31, 63 s; ETIMEDOUT at 123 s (tcp_syn_retries 6)', () => {
  const c = connect();
  recv(c, 0, ['S seq 10000 win 64 <mss 1460>']);
  let at = 0;
  for (let i = 0; i < 6; i++) {
    at += 2 ** i;
    recv(c, at - 0.001, []);
    recv(c, at, ['S seq 10000 win 64 <mss 1460>']);
    assert.equal(c.pollAt(), at + Math.min(60, 2 ** (i + 1)));
  }
  assert.equal(at, 63);
  recv(c, 122.9, []);
  assert.equal(c.state, State.SYN_SENT);
  recv(c, 123, []);
  assert.equal(c.state, State.CLOSED);
  assert.deepEqual(events(c), ['error ETIMEDOUT', 'closed']);
  assert.equal(c.describe().retransmits, 6);
});

test('a SYN-ACK after a retransmitted SYN: no RTT sample (Karn), RTO 3 s (RFC 6298 §5.7)', () => {
  const c = connect();
  c.poll(0);
  c.poll(1);
  send(c, 1.1, 'S. seq 30000 ack 10001 win 256');
  assert.equal(c.describe().rtt, null);
  assert.equal(c.describe().rto, 3);
});

test('SYN-ACK retransmitted 5 times (tcp_synack_retries), then the connection is dropped', () => {
  const c = accept('S seq 30000 win 256');
  recv(c, 0, ['S. seq 10000 ack 30001 win 64 <mss 1460>']);
  for (const at of [1, 3, 7, 15, 31]) recv(c, at, ['S. seq 10000 ack 30001 win 64 <mss 1460>']);
  recv(c, 63, []);
  assert.equal(c.state, State.CLOSED);
  assert.deepEqual(events(c), ['error ETIMEDOUT', 'closed']);
});

test('resetFor: the RST a closed port answers with (§3.10.7.1)', () => {
  const fmt = (line) => format(resetFor(segment(line)));
  assert.equal(fmt('S seq 30000 win 256'), 'R. seq 0 ack 30001 win 0');
  assert.equal(fmt("P. seq 30000 ack 777 win 256 'abc'"), 'R seq 777 win 0');
  assert.equal(fmt('F seq 30000 win 256'), 'R. seq 0 ack 30001 win 0');
  assert.equal(resetFor(segment('R seq 1 win 0')), null);
});

test('a CLOSED connection ignores segments (the demux answers them)', () => {
  const c = connect();
  c.close();
  send(c, 0, 'S. seq 30000 ack 10001 win 256');
  recv(c, 0, []);
  assert.equal(c.describe().drops.closed, 1);
});
