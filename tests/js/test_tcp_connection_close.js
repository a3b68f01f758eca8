// Segment-by-segment tests of kernel/net/tcp/connection.js: closing
// (RFC 9293 §3.6, §3.10.4-5, §3.10.7.4): active, passive and simultaneous
// close through TIME-WAIT (2 MSL = 60 s) to CLOSED, half-close, RST in each
// state, RFC 5961's challenge ACKs for RSTs and SYNs and their rate limit
// (§7), the FIN-WAIT-2 timeout of a connection whose owner has gone, abort().
const { State } = require('/kernel/net/tcp/connection');
const { send, recv, events, established, text } = require('/tests/lib/tcp-script');

const str = (bytes) => (bytes === null ? null : String.fromCharCode(...bytes));

// States reached by a script, for the RST tests.
function inState(state) {
  const c = established();
  switch (state) {
    case State.ESTABLISHED:
      break;
    case State.FIN_WAIT_1:
      c.close();
      recv(c, 0, ['F. seq 10001 ack 30001 win 64']);
      break;
    case State.FIN_WAIT_2:
      c.close();
      c.poll(0);
      send(c, 0, '. seq 30001 ack 10002 win 256');
      break;
    case State.CLOSING:
      c.close();
      c.poll(0);
      send(c, 0, 'F. seq 30001 ack 10001 win 256');
      c.poll(0);
      break;
    case State.TIME_WAIT:
      c.close();
      c.poll(0);
      send(c, 0, 'F. seq 30001 ack 10002 win 256');
      c.poll(0);
      break;
    case State.CLOSE_WAIT:
      send(c, 0, 'F. seq 30001 ack 10001 win 256');
      c.poll(0);
      break;
    case State.LAST_ACK:
      send(c, 0, 'F. seq 30001 ack 10001 win 256');
      c.close();
      c.poll(0);
      break;
    default:
      throw new Error(state);
  }
  assert.equal(c.state, state);
  events(c);
  return c;
}

test('active close: FIN-WAIT-1, FIN-WAIT-2, TIME-WAIT, and CLOSED 60 s later', () => {
  const c = established();
  c.close();
  assert.equal(c.state, State.FIN_WAIT_1);
  recv(c, 0, ['F. seq 10001 ack 30001 win 64']);
  send(c, 0.01, '. seq 30001 ack 10002 win 256');
  assert.equal(c.state, State.FIN_WAIT_2);
  assert.equal(c.pollAt(), null); // no timer: waiting for their FIN is not ours to bound
  send(c, 0.02, 'F. seq 30001 ack 10002 win 256');
  assert.equal(c.state, State.TIME_WAIT);
  assert.deepEqual(events(c), ['end']);
  recv(c, 0.02, ['. seq 10002 ack 30002 win 63']);
  assert.equal(c.pollAt(), 60.02); // 2 MSL, MSL = 30 s (Linux's TCP_TIMEWAIT_LEN)
  recv(c, 60, []);
  assert.equal(c.state, State.TIME_WAIT);
  recv(c, 60.02, []);
  assert.equal(c.state, State.CLOSED);
  assert.deepEqual(events(c), ['closed']);
  assert.equal(c.pollAt(), null);
});

test('active close: their FIN and the ACK of ours together go straight to TIME-WAIT', () => {
  const c = inState(State.FIN_WAIT_1);
  send(c, 0.01, 'F. seq 30001 ack 10002 win 256');
  assert.equal(c.state, State.TIME_WAIT);
  recv(c, 0.01, ['. seq 10002 ack 30002 win 63']);
});

test('passive close: CLOSE-WAIT, read() ends, then LAST-ACK and CLOSED', () => {
  const c = established();
  send(c, 0, "FP. seq 30001 ack 10001 win 256 'bye'");
  assert.equal(c.state, State.CLOSE_WAIT);
  assert.deepEqual(events(c), ['readable', 'end']);
  recv(c, 0, ['. seq 10001 ack 30005 win 60']);
  assert.equal(str(c.read()), 'bye');
  assert.equal(c.read(), null);
  // Half-closed: we may still send.
  c.send(text('ok'));
  recv(c, 0, ["P. seq 10001 ack 30005 win 60 'ok'"]);
  c.close();
  assert.equal(c.state, State.LAST_ACK);
  // A FIN alone is no small segment: Nagle does not hold it.
  recv(c, 0, ['F. seq 10003 ack 30005 win 60']);
  send(c, 0.01, '. seq 30005 ack 10004 win 256');
  assert.equal(c.state, State.CLOSED);
  assert.deepEqual(events(c), ['closed']);
});

test('passive close: the FIN goes after the ACK of the data, LAST-ACK to CLOSED', () => {
  const c = inState(State.CLOSE_WAIT);
  c.close();
  assert.equal(c.state, State.LAST_ACK);
  recv(c, 0, ['F. seq 10001 ack 30002 win 63']);
  send(c, 0.01, '. seq 30002 ack 10001 win 256'); // not the ACK of our FIN
  assert.equal(c.state, State.LAST_ACK);
  send(c, 0.01, '. seq 30002 ack 10002 win 256');
  assert.equal(c.state, State.CLOSED);
  assert.deepEqual(events(c), ['closed']);
  recv(c, 0.01, []);
  assert.equal(c.pollAt(), null);
});

test('simultaneous close: FINs cross, CLOSING, TIME-WAIT, CLOSED', () => {
  const c = established();
  c.close();
  recv(c, 0, ['F. seq 10001 ack 30001 win 64']);
  send(c, 0, 'F. seq 30001 ack 10001 win 256'); // theirs, sent before ours arrived
  assert.equal(c.state, State.CLOSING);
  recv(c, 0, ['. seq 10002 ack 30002 win 63']);
  send(c, 0.01, '. seq 30002 ack 10002 win 256');
  assert.equal(c.state, State.TIME_WAIT);
  recv(c, 60.01, []);
  assert.equal(c.state, State.CLOSED);
});

test('close with data queued: the data, then the FIN on its last segment', () => {
  const c = established({ sendBuffer: 256 }, { peerMss: 48 });
  c.send(text('x'.repeat(60)));
  c.close();
  recv(c, 0, [`. seq 10001 ack 30001 win 64 '${'x'.repeat(48)}'`, `FP. seq 10049 ack 30001 win 64 '${'x'.repeat(12)}'`]);
  send(c, 0.01, '. seq 30001 ack 10049 win 256');
  assert.equal(c.state, State.FIN_WAIT_1);
  send(c, 0.01, '. seq 30001 ack 10062 win 256');
  assert.equal(c.state, State.FIN_WAIT_2);
});

test('the FIN waits for the window like data, and then goes', () => {
  const c = established({}, { peerWindow: 2 });
  c.send(text('abcd'));
  c.close();
  recv(c, 0, [". seq 10001 ack 30001 win 64 'ab'"]);
  send(c, 0.01, '. seq 30001 ack 10003 win 2');
  recv(c, 0.01, ["FP. seq 10003 ack 30001 win 64 'cd'"]);
});

test('send after close is EPIPE; close twice changes nothing', () => {
  const c = established();
  c.close();
  assert.throws(() => c.send(text('x')), /EPIPE/);
  c.close();
  recv(c, 0, ['F. seq 10001 ack 30001 win 64']);
});

test('FIN-WAIT-1 and FIN-WAIT-2 still receive data', () => {
  const c = inState(State.FIN_WAIT_1);
  send(c, 0, "P. seq 30001 ack 10001 win 256 'abc'");
  recv(c, 0, ['. seq 10002 ack 30004 win 61']);
  send(c, 0, "P. seq 30004 ack 10002 win 256 'def'");
  assert.equal(c.state, State.FIN_WAIT_2);
  recv(c, 0, ['. seq 10002 ack 30007 win 58']);
  assert.equal(str(c.read()), 'abcdef');
});

test('a FIN after a missing segment waits for it (SACKed as one more number)', () => {
  const c = established();
  send(c, 0, "FP. seq 30004 ack 10001 win 256 'def'");
  assert.equal(c.state, State.ESTABLISHED);
  recv(c, 0, ['. seq 10001 ack 30001 win 64']);
  send(c, 0, "P. seq 30001 ack 10001 win 256 'abc'");
  assert.equal(c.state, State.CLOSE_WAIT);
  recv(c, 0, ['. seq 10001 ack 30008 win 57']);
  assert.equal(str(c.read()), 'abcdef');
  assert.equal(c.read(), null);
});

test('TIME-WAIT: their FIN again is acknowledged again and restarts 2 MSL', () => {
  const c = inState(State.TIME_WAIT);
  assert.equal(c.pollAt(), 60);
  send(c, 30, 'F. seq 30001 ack 10002 win 256');
  recv(c, 30, ['. seq 10002 ack 30002 win 63']);
  assert.equal(c.pollAt(), 90);
  recv(c, 89.9, []);
  assert.equal(c.state, State.TIME_WAIT);
  recv(c, 90, []);
  assert.equal(c.state, State.CLOSED);
});

test('CLOSE-WAIT: data after their FIN is acknowledged, not taken', () => {
  const c = inState(State.CLOSE_WAIT);
  send(c, 0, "P. seq 30002 ack 10001 win 256 'late'");
  recv(c, 0, ['. seq 10001 ack 30002 win 63']);
  assert.equal(c.readable, 0);
});

test('a lost FIN is retransmitted by the RTO', () => {
  const c = inState(State.FIN_WAIT_1);
  recv(c, 0.19, []);
  recv(c, 0.2, ['F. seq 10001 ack 30001 win 64']);
  recv(c, 0.6, ['F. seq 10001 ack 30001 win 64']);
  send(c, 0.7, '. seq 30001 ack 10002 win 256');
  assert.equal(c.state, State.FIN_WAIT_2);
  assert.equal(c.pollAt(), null);
});

test('RST in ESTABLISHED, FIN-WAIT-1, FIN-WAIT-2, CLOSE-WAIT: ECONNRESET', () => {
  for (const state of [State.ESTABLISHED, State.FIN_WAIT_1, State.FIN_WAIT_2, State.CLOSE_WAIT]) {
    const c = inState(state);
    const seq = state === State.CLOSE_WAIT ? 30002 : 30001;
    send(c, 0.1, `R seq ${seq} win 0`);
    assert.equal(c.state, State.CLOSED, state);
    assert.deepEqual(events(c), ['error ECONNRESET', 'closed'], state);
    recv(c, 0.1, []);
    assert.equal(c.pollAt(), null, state);
    assert.equal(c.describe().resetsIn, 1);
  }
});

test('RST in CLOSING, LAST-ACK, TIME-WAIT: CLOSED without an error', () => {
  for (const state of [State.CLOSING, State.LAST_ACK, State.TIME_WAIT]) {
    const c = inState(state);
    send(c, 0.1, 'R seq 30002 win 0');
    assert.equal(c.state, State.CLOSED, state);
    assert.deepEqual(events(c), ['closed'], state);
  }
});

test('RST with data received but unread: the data is discarded', () => {
  const c = established();
  send(c, 0, "P. seq 30001 ack 10001 win 256 'abc'");
  send(c, 0, 'R. seq 30004 ack 10001 win 0');
  assert.equal(c.readable, 0);
  assert.equal(c.read(), null);
});

test('RFC 5961 §3.2: an RST in the window but not at RCV.NXT gets a challenge ACK', () => {
  const c = established();
  send(c, 0, 'R seq 30002 win 0');
  assert.equal(c.state, State.ESTABLISHED);
  recv(c, 0, ['. seq 10001 ack 30001 win 64']);
  assert.equal(c.describe().challengeAcks, 1);
  // The peer really did reset: it answers the challenge with the exact number.
  send(c, 0.01, 'R seq 30001 win 0');
  assert.equal(c.state, State.CLOSED);
});

test('RFC 5961 §3.2: an RST outside the window is dropped silently', () => {
  const c = established();
  send(c, 0, 'R seq 30065 win 0'); // RCV.NXT + RCV.WND: just outside
  send(c, 0, 'R seq 29000 win 0');
  assert.equal(c.state, State.ESTABLISHED);
  recv(c, 0, []);
});

test('RFC 5961 §4: a SYN in ESTABLISHED gets a challenge ACK, in or out of the window', () => {
  const c = established();
  send(c, 0, 'S seq 30010 win 256');
  recv(c, 0, ['. seq 10001 ack 30001 win 64']);
  send(c, 0.25, 'S seq 55555 win 256');
  recv(c, 0.25, ['. seq 10001 ack 30001 win 64']);
  send(c, 0.5, 'S. seq 30001 ack 10001 win 256'); // 500 ms after the first: past §7's limit
  recv(c, 0.5, ['. seq 10001 ack 30001 win 64']);
  assert.equal(c.state, State.ESTABLISHED);
  assert.equal(c.describe().challengeAcks, 2); // the out-of-window one is an ordinary duplicate ACK
});

test('RFC 5961 §7: at most one challenge ACK per 500 ms; the others are counted as suppressed', () => {
  const c = established();
  send(c, 0, 'R seq 30002 win 0');
  send(c, 0, 'R seq 30003 win 0');
  send(c, 0.1, 'S seq 30004 win 256');
  send(c, 0.2, '. seq 30001 ack 5 win 256'); // §5: an ACK far below SND.UNA - MAX.SND.WND
  recv(c, 0.2, ['. seq 10001 ack 30001 win 64']);
  send(c, 0.499, 'R seq 30005 win 0');
  recv(c, 0.499, []);
  let d = c.describe();
  assert.equal(d.challengeAcks, 1);
  assert.equal(d.challengeAcksSuppressed, 4);
  assert.deepEqual(d.drops, { 'rst-in-window': 3, 'syn-in-window': 1, 'ack-too-old': 1 });
  send(c, 0.5, 'R seq 30006 win 0');
  recv(c, 0.5, ['. seq 10001 ack 30001 win 64']);
  send(c, 0.6, 'R seq 30001 win 0'); // an RST at RCV.NXT is never limited: it resets
  assert.equal(c.state, State.CLOSED);
  d = c.describe();
  assert.equal(d.challengeAcks, 2);
  assert.equal(d.challengeAcksSuppressed, 4);
});

test('challengeAckInterval 0 turns the limit off', () => {
  const c = established({ challengeAckInterval: 0 });
  send(c, 0, 'R seq 30002 win 0');
  recv(c, 0, ['. seq 10001 ack 30001 win 64']);
  send(c, 0, 'R seq 30003 win 0');
  recv(c, 0, ['. seq 10001 ack 30001 win 64']);
  assert.equal(c.describe().challengeAcks, 2);
});

test('FIN-WAIT-2 after the owner has gone ends silently after finTimeout (60 s), counted', () => {
  const c = inState(State.FIN_WAIT_2);
  assert.equal(c.pollAt(), null, 'a half-closed connection waits for the peer as long as it likes');
  c.orphan();
  assert.equal(c.pollAt(), 60);
  recv(c, 59.9, []);
  assert.equal(c.state, State.FIN_WAIT_2);
  send(c, 30, "P. seq 30001 ack 10002 win 256 'late'"); // the peer's data does not restart it
  recv(c, 30, ['. seq 10002 ack 30005 win 60']);
  recv(c, 60, []);
  assert.equal(c.state, State.CLOSED);
  assert.equal(c.describe().finWait2Timeouts, 1);
  assert.deepEqual(events(c).slice(-1), ['closed']);
});

test('an owner that goes before its FIN is acknowledged: finTimeout counts from FIN-WAIT-2; the peer\'s FIN in time is TIME-WAIT', () => {
  const c = established({ finTimeout: 10 });
  c.close();
  c.orphan();
  recv(c, 0, ['F. seq 10001 ack 30001 win 64']);
  assert.equal(c.pollAt(), 0.2, 'the retransmission timer only');
  send(c, 5, '. seq 30001 ack 10002 win 256');
  assert.equal(c.state, State.FIN_WAIT_2);
  assert.equal(c.pollAt(), 15);
  send(c, 14, 'F. seq 30001 ack 10002 win 256');
  recv(c, 14, ['. seq 10002 ack 30002 win 63']);
  assert.equal(c.state, State.TIME_WAIT);
  assert.equal(c.pollAt(), 74, 'TIME-WAIT\'s 60 s, not the FIN timeout');
  assert.equal(c.describe().finWait2Timeouts, 0);
});

test('RFC 5961 §4: a SYN in TIME-WAIT gets a challenge ACK too', () => {
  const c = inState(State.TIME_WAIT);
  send(c, 1, 'S seq 30002 win 256');
  recv(c, 1, ['. seq 10002 ack 30002 win 63']);
  assert.equal(c.state, State.TIME_WAIT);
});

test('abort(): RST,ACK from SND.MAX in a synchronized state, CLOSED, no error', () => {
  const c = established();
  c.send(text('abc'));
  c.poll(0);
  c.abort();
  assert.equal(c.state, State.CLOSED);
  assert.deepEqual(events(c), ['closed']);
  recv(c, 0, ['R. seq 10004 ack 30001 win 0']);
  recv(c, 0, []);
  assert.throws(() => c.send(text('x')), /EPIPE/);
});

test('abort() in SYN-RECEIVED, FIN-WAIT-2, CLOSE-WAIT sends an RST; in TIME-WAIT nothing', () => {
  for (const [state, rst] of [
    [State.FIN_WAIT_2, 'R. seq 10002 ack 30001 win 0'],
    [State.CLOSE_WAIT, 'R. seq 10001 ack 30002 win 0'],
    [State.TIME_WAIT, null],
    [State.LAST_ACK, null],
  ]) {
    const c = inState(state);
    c.abort();
    recv(c, 0, rst ? [rst] : []);
    assert.equal(c.state, State.CLOSED);
  }
});
