// Checksum and segmentation offload from the stack's side (kernel/net/
// interface.js, tcp-socket.js, tcp/output.js, wire/tcp.js): with a NIC that
// says it finishes checksums and cuts TCP segments (drivers/virtio/net.js
// `offloads`, virtio 1.2 §5.1.6.2), a TCP segment goes to it with only the
// pseudo-header's sum in its checksum field, and as many MSS-sized pieces in
// one segment as the windows allow, with the offsets the NIC needs. Checked
// by doing here what the NIC would (finishPartial, then cutting by hand) and
// parsing the result with the checksum verified.
const { Interface } = require('/kernel/net/interface');
const { ManualClock } = require('/tests/lib/manual-clock');
const ethernet = require('/kernel/net/wire/ethernet');
const arp = require('/kernel/net/wire/arp');
const ipv4 = require('/kernel/net/wire/ipv4');
const tcp = require('/kernel/net/wire/tcp');
const { finishPartial, sum, finish, pseudoHeaderSum } = require('/kernel/net/wire/checksum');
const { ipFromString: ip } = require('/kernel/net/wire/ip-address');
const { macFromString } = require('/kernel/net/wire/mac-address');
const script = require('/tests/lib/tcp-script');

const OUR_MAC = '52:54:00:12:34:56';
const GW_MAC = '52:55:0a:00:02:02';
const US = ip('10.0.2.15');
const PEER = ip('10.0.2.2');

function setup({ checksum = true, segmentation = true } = {}) {
  const time = new ManualClock(10);
  const nic = {
    mac: macFromString(OUR_MAC),
    offloads: { checksum, segmentation },
    sent: [],
    send(frame, offload = null) {
      this.sent.push({ frame, offload });
      return true;
    },
  };
  const iface = new Interface({ nic, clock: time.clock, timers: time.timers, random: (n) => new Uint8Array(n).fill(7), tcpOptions: { options: { ackDelay: 0 } } });
  iface.configure({ address: US, prefixLength: 24, gateway: PEER });
  iface.receive(ethernet.emit({
    dst: 'ff:ff:ff:ff:ff:ff', src: GW_MAC, ethertype: ethernet.ETHERTYPE_ARP,
    payload: arp.emit({ op: arp.OP_REQUEST, senderMac: GW_MAC, senderIp: PEER, targetMac: '00:00:00:00:00:00', targetIp: US }),
  }));
  nic.sent.length = 0;
  const send = (line, { checked = false, partial = false } = {}) => {
    const record = { ...script.segment(line), srcPort: 40000, dstPort: 80 };
    const payload = tcp.emit(record, { src: PEER, dst: US }, { partialChecksum: partial });
    iface.receive(ethernet.emit({ dst: OUR_MAC, src: GW_MAC, ethertype: ethernet.ETHERTYPE_IPV4, payload: ipv4.emit({ src: PEER, dst: US, protocol: tcp.PROTO_TCP, payload }) }), checked);
    iface.tcp.flush();
  };
  const take = () => {
    iface.tcp.flush();
    return nic.sent.splice(0);
  };
  return { time, nic, iface, send, take };
}

// An established connection accepted on port 80; the peer's MSS and window as given.
function established(env, { mss = 1460, window = 65535 } = {}) {
  const l = env.iface.tcp.listen(80);
  env.send(`S seq 1000 win ${window} <mss ${mss}>`);
  const [synAck] = env.take();
  const seg = parseFrame(synAck.frame, { finish: synAck.offload });
  env.send(`. seq 1001 ack ${seg.seq + 1} win ${window}`);
  return { conn: l.accept(), iss: seg.seq };
}

// What the NIC does: finish the checksum (NEEDS_CSUM), then parse with it verified.
function parseFrame(frame, { finish: offload = null } = {}) {
  const bytes = Uint8Array.from(frame);
  if (offload) finishPartial(bytes, offload.csumStart, offload.csumOffset);
  const packet = ipv4.parse(ethernet.parse(bytes).payload);
  return tcp.parse(packet.payload, packet);
}

test('with checksum offload the TCP field holds the pseudo-header sum, and the NIC is told where to finish', () => {
  const env = setup({ segmentation: false });
  const { conn } = established(env);
  conn.send(script.text('hello'));
  const [{ frame, offload }] = env.take();
  assert.deepEqual(offload, { csumStart: 34, csumOffset: 16, gsoSize: 0, hdrLen: 0 });
  const packet = ipv4.parse(ethernet.parse(frame).payload);
  const field = (packet.payload[16] << 8) | packet.payload[17];
  assert.equal(field, pseudoHeaderSum(US, PEER, tcp.PROTO_TCP, packet.payload.length));
  assert.throws(() => tcp.parse(packet.payload, packet), /checksum/, 'unfinished, it does not verify');
  assert.deepEqual(parseFrame(frame, { finish: offload }).payload, script.text('hello'));
});

test('with segmentation offload what the windows allow goes as one segment, cut by the NIC to the MSS', () => {
  const env = setup();
  const { conn, iss } = established(env, { mss: 1000 });
  conn.send(new Uint8Array(25000).fill(0x61));
  const sent = env.take();
  // The initial window is 10 segments (RFC 6928): 10 x 1000 bytes in one segment of 10,000.
  assert.equal(sent.length, 1);
  const { frame, offload } = sent[0];
  assert.deepEqual(offload, { csumStart: 34, csumOffset: 16, gsoSize: 1000, hdrLen: 54 });
  const seg = parseFrame(frame, { finish: offload });
  assert.equal(seg.seq, iss + 1);
  assert.equal(seg.payload.length, 10000);
  assert.equal(seg.flags.psh, false, 'the queue is not empty');
  assert.equal(frame.length, 14 + 20 + 20 + 10000);
  assert.equal(env.iface.stats().tcp.sent, 2); // the SYN-ACK and one large segment
});

test('a short tail that ends the queue rides with the full pieces; one that does not waits for Nagle', () => {
  const env = setup();
  const { conn } = established(env, { mss: 1000, window: 2500 });
  conn.send(new Uint8Array(3500).fill(0x62));
  let sent = env.take();
  // 2,500 bytes of window: two whole pieces go; the 500 after them would not end the queue.
  assert.deepEqual(sent.map((s) => [parseFrame(s.frame, { finish: s.offload }).payload.length, s.offload.gsoSize]), [[2000, 1000]]);
  const seg = parseFrame(sent[0].frame, { finish: sent[0].offload });
  env.send(`. seq 1001 ack ${seg.seq + 2000} win 2500`);
  sent = env.take();
  // Now the rest, 1,500 bytes, ends the queue: one piece and its tail, PSH on the segment.
  assert.equal(sent.length, 1);
  const rest = parseFrame(sent[0].frame, { finish: sent[0].offload });
  assert.equal(rest.payload.length, 1500);
  assert.equal(rest.flags.psh, true);
  assert.equal(sent[0].offload.gsoSize, 1000);
});

test('a segment no longer than the MSS is not marked for segmentation', () => {
  const env = setup();
  const { conn } = established(env, { mss: 1000 });
  conn.send(new Uint8Array(1000));
  const [{ offload }] = env.take();
  assert.equal(offload.gsoSize, 0);
});

test('without offloads nothing changes: full checksums, one MSS per segment, no offload argument', () => {
  const env = setup({ checksum: false, segmentation: false });
  const { conn } = established(env, { mss: 1000 });
  conn.send(new Uint8Array(2500));
  const sent = env.take();
  assert.deepEqual(sent.map((s) => s.offload), [null, null, null]);
  assert.deepEqual(sent.map((s) => parseFrame(s.frame).payload.length), [1000, 1000, 500]);
});

test('a received segment the NIC vouches for is not summed again: even a partial checksum is taken', () => {
  const env = setup();
  const l = env.iface.tcp.listen(80);
  env.send('S seq 1000 win 65535 <mss 1460>', { partial: true }); // as a local Linux sends through a TAP
  assert.equal(env.iface.stats().tcp.dropped['bad-checksum'], 1, 'unvouched, a partial sum is a bad checksum');
  env.send('S seq 1000 win 65535 <mss 1460>', { partial: true, checked: true });
  const [synAck] = env.take();
  assert.equal(parseFrame(synAck.frame, { finish: synAck.offload }).flags.syn, true);
  assert.equal(l.accept(), null);
});

test('to our own address the stack finishes the checksum itself: there is no NIC on that path', () => {
  const env = setup();
  const l = env.iface.tcp.listen(80);
  const c = env.iface.tcp.connect(US, 80);
  const settle = () => {
    for (let i = 0; i < 5; i++) {
      env.iface.tcp.flush();
      env.time.advance(0.001);
    }
  };
  settle();
  const s = l.accept();
  assert.ok(s, 'the handshake went through the loopback queue with good checksums');
  c.send(script.text('over loopback'));
  settle();
  assert.deepEqual(s.read(100), script.text('over loopback'));
  assert.equal(env.nic.sent.length, 0);
});

test('finishPartial is what a NIC does: the sum from csum_start with the field holding the pseudo-header sum', () => {
  const bytes = Uint8Array.from([0, 0, 0x12, 0x34, 0, 0, 0xab, 0xcd, 0xef]);
  const pseudo = 0x1111;
  bytes[4] = pseudo >> 8;
  bytes[5] = pseudo & 0xff;
  finishPartial(bytes, 2, 2);
  const expected = finish(sum(Uint8Array.from([0x12, 0x34, 0, 0, 0xab, 0xcd, 0xef]), 0, 7, pseudo));
  assert.equal((bytes[4] << 8) | bytes[5], expected);
});
