// Unit tests for what tests/e2e/test_net_malformed.py found when it fed the
// NIC 100,000 malformed frames: fragments thrown away with their datagram are
// counted, a ping from 0.0.0.0 is not answered, and (a fuzz of the whole
// interface) no frame escapes the counters, none is counted twice, and the
// tables stay within their bounds. Time is moved by hand (manual-clock.js).
const { Interface } = require('/kernel/net/interface');
const { Reassembler } = require('/kernel/net/ip-reassembly');
const { ManualClock } = require('/tests/lib/manual-clock');
const ethernet = require('/kernel/net/wire/ethernet');
const arp = require('/kernel/net/wire/arp');
const ipv4 = require('/kernel/net/wire/ipv4');
const icmp = require('/kernel/net/wire/icmp');
const udp = require('/kernel/net/wire/udp');
const { checksum } = require('/kernel/net/wire/checksum');
const { ipFromString: ip } = require('/kernel/net/wire/ip-address');
const { macFromString } = require('/kernel/net/wire/mac-address');
const { hex, prng } = require('/tests/lib/wire-test');

const OUR_MAC = '52:54:00:12:34:56';
const GW_MAC = '52:55:0a:00:02:02';
const US = ip('10.0.2.15');
const GW = ip('10.0.2.2');
// Drop reasons that count packets we did not send, not frames we received
// (an ICMP error held back by the rate limit, a reply whose ARP never came).
const TX_SIDE = new Set([
  'ethernet/nic-full',
  'ipv4/arp-unresolved',
  'ipv4/no-route',
  'ipv4/no-address',
  'ipv4/too-big',
  'ipv4/loopback-full',
  'ipv4/unconfigured',
  'icmp/rate-limited',
  'icmp/error-for-broadcast',
  'icmp/error-no-source',
]);

function setup({ prefixLength = 24 } = {}) {
  const time = new ManualClock(100);
  const nic = {
    mac: macFromString(OUR_MAC),
    sent: [],
    send(frame) {
      this.sent.push(frame);
      return true;
    },
  };
  const iface = new Interface({ nic, clock: time.clock, timers: time.timers });
  iface.configure({ address: '10.0.2.15', prefixLength, gateway: '10.0.2.2' });
  return { time, nic, iface };
}

function ipFrame({ src = GW, dst = US, protocol = ipv4.PROTO_UDP, payload, dstMac = OUR_MAC, ...rest }) {
  return ethernet.emit({ dst: dstMac, src: GW_MAC, ethertype: ethernet.ETHERTYPE_IPV4, payload: ipv4.emit({ src, dst, protocol, payload, ...rest }) });
}

// A parsed record as ipv4.parse gives it, for feeding the Reassembler directly.
function fragment({ id = 1, offset = 0, more = true, length = 8 }) {
  const packet = ipv4.emit({ src: GW, dst: US, protocol: 17, id, payload: new Uint8Array(length), fragmentOffset: offset, moreFragments: more });
  return [ipv4.parse(packet), packet];
}

// Every drop counter, as { 'layer/reason': n }, without the transmit-side ones.
function receiveDrops(stats) {
  let total = 0;
  for (const layer of ['ethernet', 'arp', 'ipv4', 'icmp', 'udp']) {
    for (const [reason, n] of Object.entries(stats[layer].dropped)) if (!TX_SIDE.has(`${layer}/${reason}`)) total += n;
  }
  return total;
}

// --- fragments thrown away with their datagram are counted ----------------------------

test('fragments evicted with their datagram are counted', () => {
  const r = new Reassembler({ maxDatagrams: 2 });
  for (let id = 1; id <= 3; id++) {
    assert.equal(r.add(...fragment({ id, offset: 0 }), 0), null);
    assert.equal(r.add(...fragment({ id, offset: 16 }), 0), null);
  }
  // The third datagram evicted the first and its two fragments.
  assert.deepEqual(r.counters, { reassembled: 0, timedOut: 0, evicted: 1, fragments: 6, fragmentsDropped: 2 });
  assert.equal(r.heldFragments, 4);
});

test('fragments of a datagram that times out are counted', () => {
  const r = new Reassembler();
  r.add(...fragment({ offset: 0 }), 0);
  r.add(...fragment({ offset: 8 }), 0);
  r.add(...fragment({ offset: 24 }), 0);
  assert.equal(r.expire(30), 1);
  assert.equal(r.counters.fragmentsDropped, 3);
  assert.equal(r.heldFragments, 0);
});

test('fragments held when a bad one arrives are counted with the datagram', () => {
  const r = new Reassembler();
  r.add(...fragment({ offset: 0, length: 32 }), 0);
  r.add(...fragment({ offset: 40, length: 8 }), 0);
  assert.deepEqual(r.add(...fragment({ offset: 16, length: 32 }), 0), { drop: 'fragment-overlap' });
  // The overlapping fragment is the caller's drop; the two held ones are ours.
  assert.equal(r.counters.fragments, 2);
  assert.equal(r.counters.fragmentsDropped, 2);

  for (let i = 0; i < 64; i++) r.add(...fragment({ id: 2, offset: 8 * i }), 0);
  assert.deepEqual(r.add(...fragment({ id: 2, offset: 8 * 64 }), 0), { drop: 'fragment-too-many' });
  assert.equal(r.counters.fragmentsDropped, 2 + 64);
  assert.equal(r.size, 0);
});

test('clear() counts what it throws away; a completed datagram drops nothing', () => {
  const r = new Reassembler();
  r.add(...fragment({ id: 1, offset: 0 }), 0);
  r.add(...fragment({ id: 2, offset: 8 }), 0);
  r.clear();
  assert.equal(r.counters.fragmentsDropped, 2);
  r.add(...fragment({ id: 3, offset: 0, length: 16 }), 0);
  const done = r.add(...fragment({ id: 3, offset: 16, more: false }), 0);
  assert.equal(done.payload.length, 24);
  assert.deepEqual(r.counters, { reassembled: 1, timedOut: 0, evicted: 0, fragments: 4, fragmentsDropped: 2 });
});

test('the interface reports fragments held, taken in and dropped', () => {
  const env = setup();
  for (let id = 1; id <= 12; id++) env.iface.receive(ipFrame({ id, payload: new Uint8Array(8), moreFragments: true }));
  const r = env.iface.stats().ipv4.reassembly;
  assert.equal(r.inProgress, 8);
  assert.equal(r.fragmentsHeld, 8);
  assert.equal(r.fragments, 12);
  assert.equal(r.fragmentsDropped, 4); // one each from the 4 evicted datagrams
  assert.equal(r.evicted, 4);
});

// --- a ping from 0.0.0.0 ------------------------------------------------------------------

test('a ping from 0.0.0.0 is not answered (a reply would go to 0.0.0.0 via the gateway)', () => {
  const env = setup();
  env.iface.arpCache.update(GW, GW_MAC, env.time.now);
  env.iface.receive(
    hex(`52 54 00 12 34 56  52 55 0a 00 02 02  08 00   # to us, from the gateway's MAC, IPv4
         45 00 00 20 00 01 00 00 40 01 6e ce         # 32 bytes, ICMP, checksum
         00 00 00 00  0a 00 02 0f                    # from 0.0.0.0 to 10.0.2.15
         08 00 33 38 00 01 00 00 61 62 63 64         # echo request id 1 seq 0, "abcd"`),
  );
  assert.deepEqual(env.nic.sent, []);
  assert.deepEqual(env.iface.stats().icmp.dropped, { 'echo-no-source': 1 });
  // From a real address the same ping is answered.
  env.iface.receive(ipFrame({ protocol: ipv4.PROTO_ICMP, payload: icmp.emit({ type: icmp.TYPE_ECHO_REQUEST, id: 1, seq: 0, data: hex('61 62 63 64') }) }));
  assert.equal(env.nic.sent.length, 1);
});

// --- a fuzz of the whole interface ------------------------------------------------------------

// Frames with the right checksums over random field values, so that every
// layer's checks are reached (random bytes stop at the first checksum).
function fuzzFrame(rand) {
  const bytes = (n) => Uint8Array.from({ length: n }, () => rand(256));
  const pick = (a) => a[rand(a.length)];
  const oddIps = [0, 0xffffffff, ip('10.0.255.255'), ip('10.0.7.7'), ip('127.0.0.1'), ip('224.0.0.1')];
  const anyIp = () => (rand(2) ? pick([US, GW, ...oddIps]) : (rand(65536) * 65536 + rand(65536)) >>> 0);
  if (rand(8) === 0) {
    const senderMac = pick([GW_MAC, '02:00:00:00:00:01', '00:00:00:00:00:00']);
    const packet = arp.emit({ op: 1 + rand(2), senderMac, senderIp: anyIp(), targetMac: '00:00:00:00:00:00', targetIp: anyIp() });
    const payload = packet.subarray(0, pick([28, 28, rand(28)]));
    return ethernet.emit({ dst: 'ff:ff:ff:ff:ff:ff', src: GW_MAC, ethertype: ethernet.ETHERTYPE_ARP, payload });
  }
  const protocol = pick([1, 1, 17, 17, 6, rand(256)]);
  const src = rand(3) ? GW : anyIp();
  const dst = rand(3) ? US : anyIp();
  let payload = bytes(rand(64));
  if (protocol === 1) {
    const type = pick([0, 3, 8, 11, rand(256)]);
    let body = bytes(rand(64));
    if (type === 3 || type === 11) {
      body = ipv4.emit({ src: US, dst: GW, protocol: pick([17, 6, 1]), payload: bytes(8), options: bytes(pick([0, 4])) });
      body[0] = pick([body[0], body[0], 0x44, 0x65, 0x4f]);
      body = body.subarray(0, rand(body.length + 1));
    }
    payload = new Uint8Array(8 + body.length);
    payload.set([type, rand(256), 0, 0, ...bytes(4)]);
    payload.set(body, 8);
    const sum = checksum(payload);
    payload[2] = sum >> 8;
    payload[3] = sum & 0xff;
  } else if (protocol === 17) {
    payload = udp.emit({ srcPort: rand(65536), dstPort: pick([7, 9, rand(65536)]), payload: bytes(rand(64)) }, { src, dst });
    if (rand(4) === 0) payload.set([rand(256), rand(256), 0, 0], 4); // another length, no checksum
  }
  const fragmented = rand(3) === 0;
  const packet = ipv4.emit({
    src,
    dst,
    protocol,
    payload,
    id: rand(16),
    options: bytes(pick([0, 0, 4, 40])),
    moreFragments: fragmented && rand(2) === 0,
    fragmentOffset: fragmented ? 8 * pick([0, 1, 2, 3, 8191, rand(8192)]) : 0,
  });
  if (rand(8) === 0) {
    // another total length, with a checksum that still verifies
    const headerLength = (packet[0] & 0x0f) * 4;
    const total = pick([rand(packet.length + 1), rand(65536)]);
    packet.set([total >> 8, total & 0xff], 2);
    packet.set([0, 0], 10);
    const sum = checksum(packet, 0, headerLength);
    packet.set([sum >> 8, sum & 0xff], 10);
  }
  const frame = ethernet.emit({ dst: pick([OUR_MAC, OUR_MAC, 'ff:ff:ff:ff:ff:ff']), src: GW_MAC, ethertype: ethernet.ETHERTYPE_IPV4, payload: packet });
  return rand(16) === 0 ? frame.subarray(0, rand(frame.length)) : frame;
}

test('fuzz: no exception escapes, no frame is counted twice, the tables stay bounded', () => {
  const env = setup({ prefixLength: 16 });
  const listening = env.iface.udp.createSocket();
  listening.bind(7);
  listening.onMessage(() => {});
  env.iface.udp.createSocket().bind(9); // nobody reads it: its queue fills
  const rand = prng(0x5eed);
  for (let i = 0; i < 20000; i++) {
    const before = env.iface.stats();
    env.iface.receive(fuzzFrame(rand));
    const after = env.iface.stats();
    // A frame ends in at most one drop, or waits in the reassembler; a
    // completed datagram is one packet for its last fragment.
    const r0 = before.ipv4.reassembly;
    const r1 = after.ipv4.reassembly;
    const counted = receiveDrops(after) - receiveDrops(before) + (r1.fragments - r0.fragments) - (r1.reassembled - r0.reassembled);
    assert.ok(counted === 0 || counted === 1, `frame ${i} was counted ${counted} times`);
    if (i % 500 === 499) env.time.advance(rand(3000) / 1000);
    env.nic.sent.length = 0;
  }
  const s = env.iface.stats();
  assert.equal(s.ethernet.dropped.internal, undefined, 'an exception escaped into the catch-all');
  assert.ok(s.ipv4.reassembly.inProgress <= 8 && s.ipv4.reassembly.fragmentsHeld <= 8 * 64);
  assert.ok(s.arp.cache.entries <= 256 && s.arp.cache.pending <= 64);
  assert.ok(env.iface.loopbackQueue.length <= 64);
  const r = s.ipv4.reassembly;
  assert.equal(r.fragmentsHeld + r.fragmentsDropped <= r.fragments, true);
  assert.ok(r.fragments > 1000 && s.udp.dropped['queue-full'] > 0, 'the fuzz reached reassembly and the sockets');
});
