// Unit tests for kernel/net/tcp-socket.js through an Interface on a fake NIC:
// segments to no socket get RFC 9293 §3.10.7.1's RST, a listener answers
// SYNs and queues connections within its backlog (§3.10.7.2; a full
// accept queue drops as Linux does, a full SYN queue evicts its oldest
// half-open connection, RFC 4987 §3.4), connect() goes out from an RFC 6056 port with an RFC
// 6528 ISN, and each connection's timer runs at its pollAt(). Segments are
// written as tcpdump prints them (tests/js/lib/tcp-script.js), framed with
// the wire/ modules; time moves by hand (manual-clock.js).
const { Interface } = require('/kernel/net/interface');
const { ManualClock } = require('/tests/lib/manual-clock');
const { EPHEMERAL_FIRST, EPHEMERAL_LAST } = require('/kernel/net/tcp-socket');
const ethernet = require('/kernel/net/wire/ethernet');
const arp = require('/kernel/net/wire/arp');
const ipv4 = require('/kernel/net/wire/ipv4');
const tcp = require('/kernel/net/wire/tcp');
const { ipFromString: ip } = require('/kernel/net/wire/ip-address');
const { macFromString } = require('/kernel/net/wire/mac-address');
const script = require('/tests/lib/tcp-script');

const OUR_MAC = '52:54:00:12:34:56';
const GW_MAC = '52:55:0a:00:02:02';
const US = ip('10.0.2.15');
const PEER = ip('10.0.2.2');

// Small buffers and no delayed ACK, as the connection's own tests have them.
const OPTIONS = { ackDelay: 0 };

function setup() {
  const time = new ManualClock(10);
  const nic = { mac: macFromString(OUR_MAC), sent: [], send(f) { this.sent.push(f); return true; } };
  const iface = new Interface({ nic, clock: time.clock, timers: time.timers, random: (n) => new Uint8Array(n).fill(7), tcpOptions: { options: OPTIONS } });
  iface.configure({ address: US, prefixLength: 24, gateway: PEER });
  iface.receive(ethernet.emit({
    dst: 'ff:ff:ff:ff:ff:ff', src: GW_MAC, ethertype: ethernet.ETHERTYPE_ARP,
    payload: arp.emit({ op: arp.OP_REQUEST, senderMac: GW_MAC, senderIp: PEER, targetMac: '00:00:00:00:00:00', targetIp: US }),
  }));
  nic.sent.length = 0;
  // The segments sent since the last call, as tcpdump lines with their ports.
  const take = () => {
    iface.tcp.flush();
    return nic.sent.splice(0).map((f) => {
      const packet = ipv4.parse(ethernet.parse(f).payload);
      assert.equal(packet.protocol, tcp.PROTO_TCP, 'a TCP segment');
      const r = tcp.parse(packet.payload, packet);
      return `${r.srcPort}>${r.dstPort} ${script.format(r)}`;
    });
  };
  // The peer sends a segment (a tcpdump line) from port `from` to our port `to`.
  const send = (line, { from = 40000, to = 80, src = PEER, dst = US, dstMac = OUR_MAC } = {}) => {
    const record = { ...script.segment(line), srcPort: from, dstPort: to };
    const payload = tcp.emit(record, { src, dst });
    iface.receive(ethernet.emit({ dst: dstMac, src: GW_MAC, ethertype: ethernet.ETHERTYPE_IPV4, payload: ipv4.emit({ src, dst, protocol: tcp.PROTO_TCP, payload }) }));
    iface.tcp.flush();
  };
  return { time, nic, iface, take, send };
}

// Our SYN-ACK's sequence number, from a line "80>40000 S. seq N ack ...".
const seqOf = (line) => Number(/ seq (\d+)/.exec(line)[1]);
const portOf = (line) => Number(/^(\d+)>/.exec(line)[1]);

// --- segments for no socket: RFC 9293 §3.10.7.1 ---------------------------------

test('a SYN to a closed port gets <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>', () => {
  const env = setup();
  env.send('S seq 1000 win 64240 <mss 1460>', { to: 81 });
  assert.deepEqual(env.take(), ['81>40000 R. seq 0 ack 1001 win 0']);
  assert.deepEqual(env.iface.stats().tcp.dropped, { 'no-socket': 1 });
  assert.equal(env.iface.stats().tcp.resetsOut, 1);
});

test('a segment with an ACK to a closed port gets <SEQ=SEG.ACK><CTL=RST>; data and FIN count in SEG.LEN', () => {
  const env = setup();
  env.send(". seq 5 ack 777 win 100 'abc'", { to: 81 });
  env.send("FP seq 5 win 100 'abc'", { to: 81 });
  assert.deepEqual(env.take(), ['81>40000 R seq 777 win 0', '81>40000 R. seq 0 ack 9 win 0']);
});

test('an RST to a closed port is dropped without an answer', () => {
  const env = setup();
  env.send('R seq 5 win 0', { to: 81 });
  assert.deepEqual(env.take(), []);
  const s = env.iface.stats().tcp;
  assert.deepEqual(s.dropped, { 'rst-no-socket': 1 });
  assert.equal(s.resetsIn, 1);
  assert.equal(s.resetsOut, 0);
});

test('TCP to a broadcast address is dropped, and a bad checksum is counted', () => {
  const env = setup();
  env.send('S seq 1 win 100', { to: 81, dst: ip('10.0.2.255'), dstMac: 'ff:ff:ff:ff:ff:ff' });
  const record = { ...script.segment('S seq 1 win 100'), srcPort: 40000, dstPort: 81 };
  const payload = tcp.emit(record, { src: PEER, dst: US });
  payload[16] ^= 0xff;
  env.iface.receive(ethernet.emit({ dst: OUR_MAC, src: GW_MAC, ethertype: ethernet.ETHERTYPE_IPV4, payload: ipv4.emit({ src: PEER, dst: US, protocol: 6, payload }) }));
  assert.deepEqual(env.take(), []);
  assert.deepEqual(env.iface.stats().tcp.dropped, { broadcast: 1, 'bad-checksum': 1 });
  assert.equal(env.iface.stats().tcp.received, 2);
});

// --- a listener: RFC 9293 §3.10.7.2 -----------------------------------------------

test('a listener answers a SYN with a SYN-ACK and hands over the connection after the ACK', () => {
  const env = setup();
  const l = env.iface.tcp.listen(80);
  let woken = 0;
  l.onAcceptable = () => woken++;
  env.send('S seq 1000 win 64240 <mss 1460>');
  const [synAck] = env.take();
  const iss = seqOf(synAck);
  assert.equal(synAck, `80>40000 S. seq ${iss} ack 1001 win 65535 <mss 1460>`);
  assert.equal(l.accept(), null, 'nothing before the handshake is done');
  env.send(`. seq 1001 ack ${iss + 1} win 64240`);
  assert.equal(woken, 1);
  const c = l.accept();
  assert.equal(c.state, 'ESTABLISHED');
  assert.equal(c.remotePort, 40000);
  assert.equal(c.remoteAddress, PEER);
  assert.equal(c.localAddress, US);
  env.send(`P. seq 1001 ack ${iss + 1} win 64240 'hello'`);
  assert.deepEqual(env.take(), [`80>40000 . seq ${iss + 1} ack 1006 win 65535`]);
  assert.deepEqual(c.read(100), script.text('hello'));
  assert.equal(c.send(script.text('world')), 5);
  assert.deepEqual(env.take(), [`80>40000 P. seq ${iss + 1} ack 1006 win 65535 'world'`]);
  const s = env.iface.stats().tcp;
  assert.equal(s.passiveOpens, 1);
  assert.equal(s.established, 1);
});

test('a listener ignores an RST, answers an ACK with RST, drops anything without SYN', () => {
  const env = setup();
  env.iface.tcp.listen(80);
  env.send('R seq 5 win 0');
  env.send('. seq 5 ack 99 win 10');
  env.send('F seq 5 win 10');
  assert.deepEqual(env.take(), ['80>40000 R seq 99 win 0']);
  assert.deepEqual(env.iface.stats().tcp.dropped, { 'rst-to-listener': 1, 'ack-to-listener': 1, 'no-syn-to-listener': 1 });
});

test('a listener drops SYN+FIN, SYN+RST and a segment without flags by their own reasons, and answers none of them', () => {
  const env = setup();
  const l = env.iface.tcp.listen(80);
  env.send('SF seq 1000 win 1000', { from: 40001 });
  env.send('SFP. seq 1000 ack 5 win 1000', { from: 40002 }); // not even the ACK's RST: it is dropped before §3.10.7.2
  env.send('SR seq 1000 win 1000', { from: 40003 });
  env.send('none seq 1000 win 1000', { from: 40004 });
  env.send('FPU seq 1000 win 1000', { from: 40005 }); // "Xmas": no SYN, so §3.10.7.2's fourth step drops it
  assert.deepEqual(env.take(), []);
  const s = env.iface.stats().tcp;
  assert.deepEqual(s.dropped, { 'syn-fin': 2, 'syn-rst': 1, 'no-flags': 1, 'no-syn-to-listener': 1 });
  assert.equal(s.passiveOpens, 0);
  assert.equal(l.synQueue.size, 0);
  assert.equal(env.iface.tcp.connections.size, 0);
  env.send('S seq 1000 win 1000', { from: 40001 });
  assert.equal(env.take().length, 1, 'a plain SYN still gets in');
});

test('backlog 1: a second SYN evicts the first from the full SYN queue (RFC 4987 §3.4), a third finds the accept queue full; accept() makes room', () => {
  const env = setup();
  const l = env.iface.tcp.listen(80, { backlog: 1 });
  env.send('S seq 1000 win 1000', { from: 40001 });
  const [first] = env.take();
  env.send('S seq 2000 win 1000', { from: 40002 });
  const [second] = env.take();
  assert.equal(portOf(second), 80);
  assert.ok(/^80>40002 S\. /.test(second), second);
  let s = env.iface.stats().tcp;
  assert.equal(s.synQueueEvictions, 1);
  assert.equal(s.passiveOpens, 2);
  assert.equal(s.listenDrops, 0);
  assert.deepEqual(s.dropped, {});
  assert.deepEqual([...l.synQueue].map((c) => c.remotePort), [40002]);
  assert.equal(env.iface.tcp.connections.size, 1, 'the evicted one left the table');
  // The evicted peer's ACK now finds only the listener: RST (§3.10.7.2), nothing sent on eviction.
  env.send(`. seq 1001 ack ${seqOf(first) + 1} win 1000`, { from: 40001 });
  assert.deepEqual(env.take(), [`80>40001 R seq ${seqOf(first) + 1} win 0`]);
  env.time.advance(1.0); // only the survivor's SYN-ACK goes again
  assert.deepEqual(env.take(), [`80>40002 S. seq ${seqOf(second)} ack 2001 win 65535 <mss 1460>`]);
  env.send(`. seq 2001 ack ${seqOf(second) + 1} win 1000`, { from: 40002 });
  env.send('S seq 3000 win 1000', { from: 40003 });
  assert.deepEqual(env.take(), []);
  s = env.iface.stats().tcp;
  assert.deepEqual(s.dropped, { 'ack-to-listener': 1, 'listen-overflow': 1 });
  assert.equal(s.listenOverflows, 1);
  assert.equal(s.listenDrops, 1);
  assert.equal(l.accept().remotePort, 40002);
  env.send('S seq 3000 win 1000', { from: 40003 }); // the peer's SYN again, a second later
  assert.equal(env.take().length, 1, 'now it gets in');
  s = env.iface.stats().tcp;
  assert.equal(s.passiveOpens, 3);
  assert.equal(s.synQueueEvictions, 1);
});

test('a flood of SYNs from nowhere never holds the SYN queue: each evicts the oldest, a real handshake still gets in', () => {
  const env = setup();
  const l = env.iface.tcp.listen(80, { backlog: 4 });
  for (let i = 0; i < 100; i++) env.send(`S seq ${i * 1000} win 1000`, { from: 20000 + i });
  assert.equal(env.take().length, 100, 'every SYN is answered');
  assert.equal(l.synQueue.size, 4);
  assert.equal(env.iface.tcp.connections.size, 4);
  assert.equal(env.iface.stats().tcp.synQueueEvictions, 96);
  env.send('S seq 7000 win 1000', { from: 40001 });
  const [synAck] = env.take();
  env.send(`. seq 7001 ack ${seqOf(synAck) + 1} win 1000`, { from: 40001 });
  assert.equal(l.accept().remotePort, 40001);
  assert.equal(env.iface.tcp.connections.size, 4, 'three of the flood and the accepted one');
});

test('a full accept queue drops the handshake\'s last ACK; the SYN-ACK is sent again and the ACK after it gets in', () => {
  const env = setup();
  const l = env.iface.tcp.listen(80, { backlog: 2 });
  env.send('S seq 1000 win 1000', { from: 40001 });
  env.send('S seq 2000 win 1000', { from: 40002 });
  const [a, b] = env.take();
  env.send(`. seq 1001 ack ${seqOf(a) + 1} win 1000`, { from: 40001 });
  env.send('S seq 3000 win 1000', { from: 40003 });
  const [c] = env.take();
  env.send(`. seq 2001 ack ${seqOf(b) + 1} win 1000`, { from: 40002 });
  assert.equal(l.acceptQueue.length, 2);
  env.send(`. seq 3001 ack ${seqOf(c) + 1} win 1000`, { from: 40003 });
  assert.equal(l.acceptQueue.length, 2, 'the third waits in SYN-RECEIVED');
  assert.equal(env.iface.stats().tcp.dropped['listen-overflow'], 1);
  env.time.advance(1.0); // the SYN-ACK's retransmission timer (RFC 6298's 1 s)
  assert.deepEqual(env.take(), [`80>40003 S. seq ${seqOf(c)} ack 3001 win 65535 <mss 1460>`]);
  l.accept();
  env.send(`. seq 3001 ack ${seqOf(c) + 1} win 1000`, { from: 40003 });
  assert.equal(l.acceptQueue.length, 2);
  assert.equal(l.acceptQueue[1].remotePort, 40003);
});

test('closing a listener resets the connections nobody accepted and frees the port', () => {
  const env = setup();
  const l = env.iface.tcp.listen(80);
  env.send('S seq 1000 win 1000', { from: 40001 });
  env.send('S seq 2000 win 1000', { from: 40002 });
  const [a] = env.take();
  env.send(`. seq 1001 ack ${seqOf(a) + 1} win 1000`, { from: 40001 });
  l.close();
  const out = env.take();
  assert.equal(out.length, 2);
  assert.ok(out.every((line) => / R\. /.test(line)), out.join('\n'));
  assert.equal(env.iface.tcp.connections.size, 0);
  env.send('S seq 1 win 100', { from: 40009 });
  assert.deepEqual(env.take(), ['80>40009 R. seq 0 ack 2 win 0'], 'the port is closed again');
  env.iface.tcp.listen(80); // and free
});

test('listen() on a port in use is EADDRINUSE; port 0 picks a free one in the ephemeral range', () => {
  const env = setup();
  env.iface.tcp.listen(80);
  assert.throws(() => env.iface.tcp.listen(80), /EADDRINUSE/);
  const l = env.iface.tcp.listen(0);
  assert.ok(l.port >= EPHEMERAL_FIRST && l.port <= EPHEMERAL_LAST, String(l.port));
});

// --- connect --------------------------------------------------------------------------

test('connect() sends a SYN from an ephemeral port; the SYN-ACK establishes it', () => {
  const env = setup();
  const events = [];
  const c = env.iface.tcp.connect('10.0.2.2', 8080, { handler: (type) => events.push(type) });
  const [syn] = env.take();
  const port = portOf(syn);
  assert.ok(port >= 32768 && port <= 60999, `port ${port} in Linux's range`);
  assert.ok(new RegExp(`^${port}>8080 S seq \\d+ win 65535 <mss 1460,sackOK,ts \\d+ 0,wscale 3>$`).test(syn), syn);
  const iss = seqOf(syn);
  env.send(`S. seq 500 ack ${iss + 1} win 1000 <mss 1400>`, { from: 8080, to: port });
  assert.deepEqual(events, ['established']);
  assert.equal(c.state, 'ESTABLISHED');
  assert.deepEqual(env.take(), [`${port}>8080 . seq ${iss + 1} ack 501 win 65535`]);
  assert.equal(env.iface.stats().tcp.activeOpens, 1);
});

test('an RST to our SYN is ECONNREFUSED, and the connection leaves the table', () => {
  const env = setup();
  const events = [];
  const c = env.iface.tcp.connect(PEER, 9, { handler: (type, d) => events.push(type === 'error' ? d.code : type) });
  const [syn] = env.take();
  env.send(`R. seq 0 ack ${seqOf(syn) + 1} win 0`, { from: 9, to: portOf(syn) });
  assert.deepEqual(events, ['ECONNREFUSED', 'closed']);
  assert.equal(c.state, 'CLOSED');
  assert.equal(env.iface.tcp.connections.size, 0);
  assert.equal(env.iface.stats().tcp.resetsIn, 1);
});

test('a SYN nobody answers is sent again when its timer fires: 1 s, then 2 s later', () => {
  const env = setup();
  env.iface.tcp.connect(PEER, 9);
  const [syn] = env.take();
  env.time.advance(0.999);
  assert.deepEqual(env.take(), []);
  env.time.advance(0.002);
  assert.deepEqual(env.take().map((l) => l.replace(/ts \d+/, 'ts T')), [syn.replace(/ts \d+/, 'ts T')]);
  env.time.advance(1.9);
  assert.deepEqual(env.take(), []);
  env.time.advance(0.2);
  assert.equal(env.take().length, 1);
  assert.equal(env.iface.stats().tcp.retransmits, 2);
});

test('connect() without a route is ENETUNREACH; a bad port EINVAL', () => {
  const env = setup();
  env.iface.unconfigure();
  assert.throws(() => env.iface.tcp.connect(PEER, 80), /ENETUNREACH/);
  const env2 = setup();
  assert.throws(() => env2.iface.tcp.connect(PEER, 0), /EINVAL/);
});

test('a closed connection stays in TIME-WAIT for 60 s, then leaves the table', () => {
  const env = setup();
  const c = env.iface.tcp.connect(PEER, 7);
  const [syn] = env.take();
  const port = portOf(syn);
  const iss = seqOf(syn);
  env.send(`S. seq 500 ack ${iss + 1} win 1000`, { from: 7, to: port });
  c.close();
  assert.deepEqual(env.take(), [`${port}>7 . seq ${iss + 1} ack 501 win 65535`, `${port}>7 F. seq ${iss + 1} ack 501 win 65535`]);
  env.send(`F. seq 501 ack ${iss + 2} win 1000`, { from: 7, to: port });
  assert.equal(c.state, 'TIME-WAIT');
  assert.deepEqual(env.take(), [`${port}>7 . seq ${iss + 2} ack 502 win 65535`]);
  env.time.advance(59.9);
  assert.equal(env.iface.tcp.connections.size, 1);
  env.time.advance(0.2);
  assert.equal(c.state, 'CLOSED');
  assert.equal(env.iface.tcp.connections.size, 0);
});

// A connection accepted from port 40000 that we closed first, now in
// TIME-WAIT (the peer's SYN had `synOptions`; `ts(n)` gives the options of
// its later segments).
function inTimeWait(env, synOptions = '', ts = () => '') {
  const l = env.iface.tcp.listen(80);
  env.send(`S seq 1000 win 64240 <mss 1460${synOptions}>`);
  const [synAck] = env.take();
  const iss = seqOf(synAck);
  const ourTs = () => Number((/ts (\d+)/.exec(synAck) || [0, 0])[1]);
  env.send(`. seq 1001 ack ${iss + 1} win 64240${ts(2, ourTs())}`);
  const c = l.accept();
  c.close();
  env.take();
  env.send(`F. seq 1001 ack ${iss + 2} win 64240${ts(3, ourTs())}`);
  env.take();
  assert.equal(c.state, 'TIME-WAIT');
  return { l, c, iss };
}

test('RFC 6191: a SYN past RCV.NXT for a connection in TIME-WAIT starts a new one at once', () => {
  const env = setup();
  const { l, c } = inTimeWait(env);
  env.send('S seq 900000 win 64240 <mss 1460>');
  const [synAck] = env.take();
  assert.equal(c.state, 'CLOSED', 'the old incarnation is gone');
  assert.equal(synAck, `80>40000 S. seq ${seqOf(synAck)} ack 900001 win 65535 <mss 1460>`);
  env.send(`. seq 900001 ack ${seqOf(synAck) + 1} win 64240`);
  assert.equal(l.accept().state, 'ESTABLISHED');
  assert.equal(env.iface.stats().tcp.timeWaitReused, 1);
});

test('RFC 6191: a SYN at or before RCV.NXT in TIME-WAIT is not a new connection: it gets the TIME-WAIT\'s ACK', () => {
  const env = setup();
  const { c, iss } = inTimeWait(env);
  env.send('S seq 500 win 64240 <mss 1460>');
  assert.deepEqual(env.take(), [`80>40000 . seq ${iss + 2} ack 1002 win 65535`]);
  assert.equal(c.state, 'TIME-WAIT');
  assert.equal(env.iface.stats().tcp.timeWaitReused, 0);
});

test('RFC 6191 with timestamps: the SYN\'s TSval decides, not its sequence number', () => {
  const env = setup();
  const ts = (val, ecr) => ` <ts ${100 + val} ${ecr}>`;
  const { c } = inTimeWait(env, ',sackOK,ts 100 0', ts);
  // An older timestamp (a delayed duplicate) with a higher sequence number: the old connection answers it.
  env.send('S seq 900000 win 64240 <mss 1460,sackOK,ts 50 0>');
  assert.equal(c.state, 'TIME-WAIT');
  assert.equal(env.take().length, 1);
  // A newer timestamp with a lower sequence number: a new connection.
  env.send('S seq 10 win 64240 <mss 1460,sackOK,ts 200 0>');
  const [synAck] = env.take();
  assert.equal(c.state, 'CLOSED');
  assert.ok(/^80>40000 S\. seq \d+ ack 11 /.test(synAck), synAck);
});

// --- the secrets: RFC 6528 and RFC 6056 ------------------------------------------------

test('an orphaned connection in FIN-WAIT-2 leaves the table after 60 s; a half-closed one stays; netstat -s counts it', () => {
  const env = setup();
  const open = () => {
    const c = env.iface.tcp.connect(PEER, 7);
    const [syn] = env.take();
    const port = portOf(syn);
    const iss = seqOf(syn);
    env.send(`S. seq 500 ack ${iss + 1} win 1000`, { from: 7, to: port });
    c.close();
    env.take();
    env.send(`. seq 501 ack ${iss + 2} win 1000`, { from: 7, to: port });
    assert.equal(c.state, 'FIN-WAIT-2');
    return c;
  };
  const halfClosed = open();
  const orphan = open();
  orphan.orphan();
  assert.deepEqual(env.take(), []);
  env.time.advance(59.9);
  assert.equal(env.iface.tcp.connections.size, 2);
  env.time.advance(0.2);
  assert.equal(orphan.state, 'CLOSED');
  assert.equal(halfClosed.state, 'FIN-WAIT-2');
  assert.equal(env.iface.tcp.connections.size, 1);
  assert.deepEqual(env.take(), [], 'silently, as Linux');
  assert.equal(env.iface.stats().tcp.finWait2Timeouts, 1, 'kept after it left the table');
});

test('ISNs: a keyed hash of the four-tuple plus a clock that ticks every 4 µs', () => {
  const env = setup();
  const t = env.iface.tcp;
  const a = t.initialSequence(US, 40000, PEER, 80, 0);
  assert.equal(t.initialSequence(US, 40000, PEER, 80, 1), (a + 250000) >>> 0, 'one second later: 250,000 ticks on');
  assert.equal(t.initialSequence(US, 40000, PEER, 80, 0.000004), (a + 1) >>> 0);
  assert.notEqual(t.initialSequence(US, 40001, PEER, 80, 0), a, 'another port, another offset');
  assert.notEqual(t.initialSequence(US, 40000, PEER + 1, 80, 0), a);
  const other = setup();
  other.iface.tcp.random = (n) => new Uint8Array(n).fill(8);
  assert.notEqual(other.iface.tcp.initialSequence(US, 40000, PEER, 80, 0), a, 'another key, another ISN');
});

test('ephemeral ports: distinct per peer and port, in 32768-60999, never a listener\'s', () => {
  const env = setup();
  const t = env.iface.tcp;
  const ports = new Set();
  for (let i = 0; i < 50; i++) {
    const c = t.connect(PEER, 80);
    assert.ok(c.localPort >= 32768 && c.localPort <= 60999);
    ports.add(c.localPort);
  }
  assert.equal(ports.size, 50);
  // Algorithm 3: another destination starts from an offset of its own.
  const first = t.connect(ip('10.0.2.9'), 80).localPort;
  const next = t.connect(PEER, 80).localPort;
  assert.notEqual(first, next + 1);
});
