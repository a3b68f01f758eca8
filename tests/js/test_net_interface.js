// Unit tests for kernel/net/interface.js (with arp-cache, route, ip-reassembly,
// icmp-echo): frames in, frames out, on a fake NIC that records what is sent,
// with time moved by hand (tests/js/lib/manual-clock.js). Frames are built with
// the wire/ modules, and the two answers a student checks first (ARP reply,
// echo reply) are also written out byte by byte.
const { Interface } = require('/kernel/net/interface');
const { Pinger } = require('/kernel/net/icmp-echo');
const { ManualClock } = require('/tests/lib/manual-clock');
const ethernet = require('/kernel/net/wire/ethernet');
const arp = require('/kernel/net/wire/arp');
const ipv4 = require('/kernel/net/wire/ipv4');
const icmp = require('/kernel/net/wire/icmp');
const udp = require('/kernel/net/wire/udp');
const { ipFromString: ip } = require('/kernel/net/wire/ip-address');
const { macFromString } = require('/kernel/net/wire/mac-address');

const wire = require('/tests/lib/wire-test');

const { hex, prng } = wire;
const OUR_MAC = '52:54:00:12:34:56';
const GW_MAC = '52:55:0a:00:02:02';
const PEER_MAC = '52:55:0a:00:02:09';
const US = ip('10.0.2.15');
const GW = ip('10.0.2.2');
const PEER = ip('10.0.2.9');
const BCAST = ip('255.255.255.255');

// --- fixtures -------------------------------------------------------------------

function setup({ configured = true, prefixLength = 24, start = 100 } = {}) {
  const time = new ManualClock(start);
  const nic = {
    mac: macFromString(OUR_MAC),
    sent: [],
    send(frame) {
      this.sent.push(frame);
      return true;
    },
  };
  const logs = [];
  const iface = new Interface({ nic, clock: time.clock, timers: time.timers, log: (t) => logs.push(t) });
  nic.onFrame = (f) => iface.receive(f);
  if (configured) iface.configure({ address: '10.0.2.15', prefixLength, gateway: '10.0.2.2', dns: ['10.0.2.3'] });
  // take(): the frames sent since the last take(), parsed one level.
  const take = () => nic.sent.splice(0);
  return { time, nic, iface, logs, take };
}

function arpFrame({ op = arp.OP_REQUEST, senderMac = GW_MAC, senderIp = GW, targetMac = '00:00:00:00:00:00', targetIp = US, dst }) {
  const payload = arp.emit({ op, senderMac, senderIp, targetMac, targetIp });
  return ethernet.emit({ dst: dst || (op === arp.OP_REQUEST ? 'ff:ff:ff:ff:ff:ff' : OUR_MAC), src: senderMac, ethertype: ethernet.ETHERTYPE_ARP, payload });
}

function ipFrame({ src = GW, dst = US, protocol, payload, srcMac = GW_MAC, dstMac = OUR_MAC, ...rest }) {
  const packet = ipv4.emit({ src, dst, protocol, payload, ...rest });
  return ethernet.emit({ dst: dstMac, src: srcMac, ethertype: ethernet.ETHERTYPE_IPV4, payload: packet });
}

function udpFrame({ src = GW, dst = US, srcPort = 5000, dstPort = 7, data = Uint8Array.of(1, 2, 3), ...rest }) {
  const payload = udp.emit({ srcPort, dstPort, payload: data }, { src, dst });
  return ipFrame({ src, dst, protocol: ipv4.PROTO_UDP, payload, ...rest });
}

function echoFrame({ type = icmp.TYPE_ECHO_REQUEST, id = 0x1234, seq = 1, data = hex('61 62 63 64'), ...rest }) {
  return ipFrame({ protocol: ipv4.PROTO_ICMP, payload: icmp.emit({ type, id, seq, data }), ...rest });
}

// Parses a sent frame down to its IPv4 packet and transport record.
function openIp(frame) {
  const eth = ethernet.parse(frame);
  assert.equal(eth.ethertype, ethernet.ETHERTYPE_IPV4, 'an IPv4 frame');
  const packet = ipv4.parse(eth.payload);
  const transport =
    packet.protocol === ipv4.PROTO_ICMP ? icmp.parse(packet.payload) : packet.protocol === ipv4.PROTO_UDP ? udp.parse(packet.payload, packet) : null;
  return { eth, ip: packet, transport };
}

function learnGateway(env) {
  env.nic.onFrame(arpFrame({}));
  env.take();
}

// --- ARP -----------------------------------------------------------------------

test('an ARP request for our address gets a reply (bytes)', () => {
  const env = setup();
  env.nic.onFrame(
    hex(`ff ff ff ff ff ff  52 55 0a 00 02 02  08 06   # broadcast, from the gateway, ARP
         00 01 08 00 06 04 00 01                     # Ethernet/IPv4, request
         52 55 0a 00 02 02  0a 00 02 02              # sender 10.0.2.2
         00 00 00 00 00 00  0a 00 02 0f              # who has 10.0.2.15?
         00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00  # padding to 60 bytes`),
  );
  assert.deepEqual(env.take(), [
    hex(`52 55 0a 00 02 02  52 54 00 12 34 56  08 06
         00 01 08 00 06 04 00 02                     # reply
         52 54 00 12 34 56  0a 00 02 0f              # 10.0.2.15 is at our MAC
         52 55 0a 00 02 02  0a 00 02 02`),
  ]);
  // RFC 826: being asked teaches us the asker.
  assert.equal(env.iface.arpCache.lookup(GW, env.time.now), GW_MAC);
  const s = env.iface.stats();
  assert.equal(s.arp.received, 1);
  assert.equal(s.arp.sent, 1);
});

test('an ARP request for another address is not answered and teaches nothing', () => {
  const env = setup();
  env.nic.onFrame(arpFrame({ targetIp: ip('10.0.2.77') }));
  assert.deepEqual(env.take(), []);
  assert.equal(env.iface.arpCache.size, 0);
  assert.deepEqual(env.iface.stats().arp.dropped, { 'not-for-us': 1 });
});

test('someone claiming our address is logged and not learned', () => {
  const env = setup();
  env.nic.onFrame(arpFrame({ senderIp: US, senderMac: PEER_MAC, targetIp: GW }));
  assert.equal(env.iface.arpCache.size, 0);
  assert.deepEqual(env.iface.stats().arp.dropped, { 'address-conflict': 1 });
  assert.ok(env.logs[0].includes('claims our address 10.0.2.15'));
});

test('a packet to an unresolved next hop waits; the ARP reply releases it', () => {
  const env = setup();
  const status = env.iface.sendIp({ dst: '8.8.8.8', protocol: 253, payload: Uint8Array.of(9) });
  assert.equal(status, 'queued');
  // Off-link, so the question is about the gateway.
  const [request] = env.take();
  assert.deepEqual(
    request,
    hex(`ff ff ff ff ff ff  52 54 00 12 34 56  08 06
         00 01 08 00 06 04 00 01
         52 54 00 12 34 56  0a 00 02 0f
         00 00 00 00 00 00  0a 00 02 02`),
  );
  env.time.advance(0.5);
  assert.deepEqual(env.take(), [], 'nothing sent while waiting');
  env.nic.onFrame(arpFrame({ op: arp.OP_REPLY, targetMac: OUR_MAC }));
  const [frame, ...rest] = env.take();
  assert.equal(rest.length, 0);
  const { eth, ip: packet } = openIp(frame);
  assert.equal(eth.dst, GW_MAC);
  assert.equal(packet.dst, ip('8.8.8.8'));
  assert.deepEqual(packet.payload, Uint8Array.of(9));
  assert.equal(env.iface.stats().ipv4.sent, 1);
  assert.deepEqual(env.time.delays(), [], 'no retry timer left behind');
});

test('an address that never answers: 3 requests 1 s apart, then its packets are dropped', () => {
  const env = setup();
  env.iface.sendIp({ dst: PEER, protocol: 253, payload: Uint8Array.of(1) });
  env.iface.sendIp({ dst: PEER, protocol: 253, payload: Uint8Array.of(2) });
  const requestsAt = [];
  const count = () => env.take().forEach(() => requestsAt.push(env.time.now));
  count();
  for (let i = 0; i < 10; i++) {
    env.time.advance(0.5);
    count();
  }
  assert.deepEqual(requestsAt, [100, 101, 102]);
  const s = env.iface.stats();
  assert.equal(s.ipv4.dropped['arp-unresolved'], 2);
  assert.equal(s.arp.cache.unresolved, 1);
  assert.equal(s.arp.cache.pending, 0);
  assert.deepEqual(env.time.delays(), []);
});

test('an ARP entry expires after 60 s, and the next packet asks again', () => {
  const env = setup();
  learnGateway(env);
  env.time.advance(59);
  assert.equal(env.iface.sendIp({ dst: GW, protocol: 253, payload: Uint8Array.of(1) }), 'sent');
  env.take();
  env.time.advance(2);
  assert.equal(env.iface.sendIp({ dst: GW, protocol: 253, payload: Uint8Array.of(2) }), 'queued');
  const [request] = env.take();
  assert.equal(arp.parse(ethernet.parse(request).payload).targetIp, GW);
});

test('an ARP flood cannot grow the cache past its bound', () => {
  const env = setup({ prefixLength: 16 }); // 65534 on-link neighbours to pretend to be
  for (let i = 0; i < 5000; i++) {
    const senderIp = (ip('10.0.0.0') + 1 + ((i * 7919) % 65000)) >>> 0;
    if (senderIp === US) continue;
    const senderMac = `02:00:00:00:${((i >> 8) & 255).toString(16).padStart(2, '0')}:${(i & 255).toString(16).padStart(2, '0')}`;
    env.nic.onFrame(arpFrame({ senderIp, senderMac }));
    env.nic.onFrame(arpFrame({ op: arp.OP_REPLY, senderIp: senderIp ^ 1, senderMac, targetIp: ip('10.0.9.9') }));
  }
  const s = env.iface.stats();
  assert.ok(s.arp.cache.entries <= 256, `cache has ${s.arp.cache.entries} entries`);
  assert.equal(s.arp.cache.evicted > 0, true);
  // And addresses we are trying to reach are bounded too.
  for (let i = 0; i < 1000; i++) env.iface.sendIp({ dst: (ip('10.0.100.0') + i) >>> 0, protocol: 253, payload: Uint8Array.of(1) });
  assert.ok(env.iface.stats().arp.cache.pending <= 64);
});

// --- IPv4 and ICMP -----------------------------------------------------------------

test('a ping request gets an echo reply (bytes)', () => {
  const env = setup();
  learnGateway(env);
  env.nic.onFrame(echoFrame({}));
  assert.deepEqual(env.take(), [
    hex(`52 55 0a 00 02 02  52 54 00 12 34 56  08 00
         45 00 00 20 00 01 00 00 40 01 62 cc  0a 00 02 0f  0a 00 02 02   # IPv4, id 1, TTL 64, ICMP
         00 00 29 04 12 34 00 01  61 62 63 64                            # echo reply, id 0x1234, seq 1, "abcd"`),
  ]);
  const s = env.iface.stats();
  assert.equal(s.icmp.received, 1);
  assert.equal(s.icmp.sent, 1);
});

test('a ping to the subnet broadcast is ignored (no smurf amplification)', () => {
  const env = setup();
  learnGateway(env);
  env.nic.onFrame(echoFrame({ dst: ip('10.0.2.255'), dstMac: 'ff:ff:ff:ff:ff:ff' }));
  assert.deepEqual(env.take(), []);
  assert.deepEqual(env.iface.stats().icmp.dropped, { 'broadcast-echo': 1 });
});

test('packets for other hosts, MACs and ethertypes are dropped with a reason', () => {
  const env = setup();
  env.nic.onFrame(echoFrame({ dst: ip('10.0.2.16') }));
  env.nic.onFrame(echoFrame({ dstMac: '52:54:00:00:00:01' }));
  env.nic.onFrame(echoFrame({ dstMac: '01:00:5e:00:00:01' }));
  env.nic.onFrame(ethernet.emit({ dst: OUR_MAC, src: GW_MAC, ethertype: ethernet.ETHERTYPE_IPV6, payload: new Uint8Array(40) }));
  env.nic.onFrame(echoFrame({ src: ip('127.0.0.1') }));
  const bad = echoFrame({});
  bad[14 + 10] ^= 0xff; // IPv4 header checksum
  env.nic.onFrame(bad);
  assert.deepEqual(env.take(), []);
  const s = env.iface.stats();
  assert.deepEqual(s.ethernet.dropped, { 'not-our-mac': 1, multicast: 1, 'unknown-ethertype': 1 });
  assert.deepEqual(s.ipv4.dropped, { 'not-for-us': 1, 'bad-source': 1, 'bad-checksum': 1 });
  assert.equal(s.ethernet.received, 6);
});

test('an unknown protocol gets ICMP protocol unreachable', () => {
  const env = setup();
  learnGateway(env);
  env.nic.onFrame(ipFrame({ protocol: 47, payload: new Uint8Array(20) })); // GRE: not spoken here
  const { transport } = openIp(env.take()[0]);
  assert.equal(transport.type, icmp.TYPE_DEST_UNREACHABLE);
  assert.equal(transport.code, icmp.CODE_PROTOCOL_UNREACHABLE);
  assert.equal(transport.quoted.protocol, 47);
});

// --- UDP ---------------------------------------------------------------------------

test('UDP to a closed port gets ICMP port unreachable quoting header + 8 bytes', () => {
  const env = setup();
  learnGateway(env);
  const frame = udpFrame({ dstPort: 9999, data: new Uint8Array(100) });
  env.nic.onFrame(frame);
  const sent = env.take();
  assert.equal(sent.length, 1);
  const { eth, ip: packet, transport } = openIp(sent[0]);
  assert.equal(eth.dst, GW_MAC);
  assert.equal(packet.dst, GW);
  assert.equal(packet.src, US);
  assert.equal(transport.type, 3);
  assert.equal(transport.code, 3);
  assert.deepEqual(transport.original, frame.subarray(14, 14 + 28), 'IP header and the UDP header');
  assert.equal(transport.quoted.dstPort, 9999);
  assert.deepEqual(env.iface.stats().udp.dropped, { 'no-socket': 1 });
});

test('UDP to a closed port by broadcast gets no ICMP error (RFC 1122 §3.2.2)', () => {
  const env = setup();
  learnGateway(env);
  env.nic.onFrame(udpFrame({ dst: BCAST, dstMac: 'ff:ff:ff:ff:ff:ff', dstPort: 9999 }));
  env.nic.onFrame(udpFrame({ dst: ip('10.0.2.255'), dstMac: 'ff:ff:ff:ff:ff:ff', dstPort: 9999 }));
  env.nic.onFrame(udpFrame({ dstMac: 'ff:ff:ff:ff:ff:ff', dstPort: 9999 })); // unicast IP in a link broadcast
  assert.deepEqual(env.take(), []);
  assert.deepEqual(env.iface.stats().icmp.dropped, { 'error-for-broadcast': 3 });
});

test('ICMP errors are rate-limited to 10 a second', () => {
  const env = setup();
  learnGateway(env);
  for (let i = 0; i < 25; i++) env.nic.onFrame(udpFrame({ dstPort: 9999 }));
  assert.equal(env.take().length, 10);
  env.time.advance(1);
  env.nic.onFrame(udpFrame({ dstPort: 9999 }));
  assert.equal(env.take().length, 1);
  assert.equal(env.iface.stats().icmp.dropped['rate-limited'], 15);
});

test('UDP to a bound socket is delivered with the sender address and port', () => {
  const env = setup();
  const socket = env.iface.udp.createSocket();
  socket.bind(7);
  const got = [];
  socket.onMessage((data, from) => got.push([Array.from(data), from]));
  env.nic.onFrame(udpFrame({ data: Uint8Array.of(104, 105) }));
  assert.deepEqual(got, [[[104, 105], { address: GW, port: 5000 }]]);
  assert.deepEqual(env.take(), []);
  assert.equal(env.iface.stats().udp.received, 1);
});

// --- fragments ---------------------------------------------------------------------

function fragmentFrames(payload, { id = 77, cut = 1480, src = GW, protocol = ipv4.PROTO_UDP } = {}) {
  const frames = [];
  for (let offset = 0; offset < payload.length; offset += cut) {
    const more = offset + cut < payload.length;
    frames.push(ipFrame({ src, protocol, id, payload: payload.subarray(offset, offset + cut), fragmentOffset: offset, moreFragments: more }));
  }
  return frames;
}

test('fragments are reassembled in any order and delivered once', () => {
  const env = setup();
  const socket = env.iface.udp.createSocket();
  socket.bind(7);
  const got = [];
  socket.onMessage((data) => got.push(data));
  const data = Uint8Array.from({ length: 3000 }, (_, i) => i & 0xff);
  const frames = fragmentFrames(udp.emit({ srcPort: 5000, dstPort: 7, payload: data }, { src: GW, dst: US }));
  assert.equal(frames.length, 3);
  env.nic.onFrame(frames[2]);
  env.nic.onFrame(frames[0]);
  assert.equal(got.length, 0);
  env.nic.onFrame(frames[1]);
  assert.equal(got.length, 1);
  assert.deepEqual(got[0], data);
  assert.equal(env.iface.stats().ipv4.reassembly.reassembled, 1);
  assert.equal(env.iface.stats().ipv4.reassembly.inProgress, 0);
});

test('our own large datagrams leave as fragments that reassemble', () => {
  const a = setup();
  learnGateway(a);
  const data = Uint8Array.from({ length: 4000 }, (_, i) => (i * 7) & 0xff);
  const sender = a.iface.udp.createSocket();
  sender.sendTo(GW, 53, data);
  const frames = a.take();
  assert.equal(frames.length, 3);
  assert.ok(frames.every((f) => f.length <= 1514), 'each fits the MTU');
  // Replay them into a second interface playing the gateway.
  const gwNic = { mac: macFromString(GW_MAC), send: () => true };
  const gw = new Interface({ nic: gwNic, clock: a.time.clock, timers: a.time.timers });
  gw.configure({ address: GW, prefixLength: 24 });
  const got = [];
  const server = gw.udp.createSocket();
  server.bind(53);
  server.onMessage((d, from) => got.push([d, from]));
  frames.forEach((f) => gw.receive(f));
  assert.equal(got.length, 1);
  assert.deepEqual(got[0][0], data);
  assert.deepEqual(got[0][1], { address: US, port: sender.port });
});
test('overlapping fragments drop the datagram', () => {
  const env = setup();
  const payload = new Uint8Array(64);
  env.nic.onFrame(ipFrame({ protocol: 17, id: 5, payload: payload.subarray(0, 32), moreFragments: true }));
  env.nic.onFrame(ipFrame({ protocol: 17, id: 5, payload: payload.subarray(0, 32), fragmentOffset: 16 }));
  assert.deepEqual(env.iface.stats().ipv4.dropped, { 'fragment-overlap': 1 });
  assert.equal(env.iface.stats().ipv4.reassembly.inProgress, 0);
});

test('an unfinished datagram is forgotten after 30 s; at most 8 are kept at once', () => {
  const env = setup();
  for (let id = 1; id <= 12; id++) env.nic.onFrame(ipFrame({ protocol: 17, id, payload: new Uint8Array(8), moreFragments: true }));
  let r = env.iface.stats().ipv4.reassembly;
  assert.equal(r.inProgress, 8);
  assert.equal(r.evicted, 4);
  env.time.advance(29);
  assert.equal(env.iface.stats().ipv4.reassembly.inProgress, 8);
  env.time.advance(1.5);
  r = env.iface.stats().ipv4.reassembly;
  assert.equal(r.inProgress, 0);
  assert.equal(r.timedOut, 8);
  assert.deepEqual(env.time.delays(), []);
});

test('a fragment reaching past 65535 bytes is refused', () => {
  const env = setup();
  env.nic.onFrame(ipFrame({ protocol: 17, id: 9, payload: new Uint8Array(16), fragmentOffset: 65528 }));
  assert.deepEqual(env.iface.stats().ipv4.dropped, { 'fragment-too-big': 1 });
});

// --- ping (icmp-echo.js) and loopback --------------------------------------------------

test('ping resolves with the round-trip time and TTL of the reply', async () => {
  const env = setup();
  learnGateway(env);
  const pinger = new Pinger(env.iface, { id: 0x4242 });
  const result = pinger.ping('10.0.2.2', { data: hex('01 02 03') });
  const { ip: packet, transport } = openIp(env.take()[0]);
  assert.equal(transport.type, icmp.TYPE_ECHO_REQUEST);
  assert.equal(transport.id, 0x4242);
  env.time.advance(0.012);
  env.nic.onFrame(echoFrame({ type: icmp.TYPE_ECHO_REPLY, id: 0x4242, seq: transport.seq, data: transport.data, ttl: 255 }));
  const r = await result;
  assert.ok(Math.abs(r.rtt - 12) < 1e-6, `rtt ${r.rtt}`);
  assert.equal(r.ttl, 255);
  assert.equal(r.bytes, 11);
  assert.equal(packet.dst, GW);
});

test('ping times out when nobody answers; replies for other ids are counted', async () => {
  const env = setup();
  learnGateway(env);
  const pinger = new Pinger(env.iface);
  const result = pinger.ping(GW, { timeoutMs: 500 }).then(
    () => 'resolved',
    (e) => e.code,
  );
  env.nic.onFrame(echoFrame({ type: icmp.TYPE_ECHO_REPLY, id: (pinger.id + 1) & 0xffff }));
  env.time.advance(0.5);
  assert.equal(await result, 'ETIMEDOUT');
  assert.deepEqual(env.iface.stats().icmp.dropped, { 'no-listener': 1 });
});

test('ping with no route rejects at once', async () => {
  const env = setup({ configured: false });
  const pinger = new Pinger(env.iface);
  const code = await pinger.ping('10.0.2.2').then(() => 'ok', (e) => e.code);
  assert.equal(code, 'no-address');
});

test('pinging our own address loops back without touching the NIC', async () => {
  const env = setup();
  const pinger = new Pinger(env.iface);
  const result = pinger.ping(US);
  env.time.advance(0); // the loopback runs on the next timer tick
  const r = await result;
  assert.equal(r.from, US);
  assert.deepEqual(env.take(), []);
});

test('127.0.0.0/8 is this host: a ping to 127.0.0.1 (or 127.1.2.3) loops back from 127.0.0.1, even with no address', async () => {
  for (const configured of [true, false]) {
    const env = setup({ configured });
    const pinger = new Pinger(env.iface);
    for (const dst of ['127.0.0.1', '127.1.2.3']) {
      const result = pinger.ping(ip(dst));
      env.time.advance(0);
      const r = await result;
      assert.equal(r.from, ip(dst));
    }
    assert.deepEqual(env.take(), [], 'nothing touches the NIC');
  }
});

test('a UDP datagram to 127.0.0.1 comes from 127.0.0.1 and reaches a socket bound to the port; from the wire 127/8 is still dropped', () => {
  const env = setup();
  const got = [];
  const server = env.iface.udp.createSocket();
  server.bind(9000);
  server.onMessage((data, { address }) => got.push([address, data.length]));
  const client = env.iface.udp.createSocket();
  assert.equal(client.sendTo('127.0.0.1', 9000, Uint8Array.of(1, 2, 3)), 'sent');
  env.time.advance(0);
  assert.deepEqual(got, [[ip('127.0.0.1'), 3]]);
  env.nic.onFrame(udpFrame({ src: ip('127.0.0.1'), dstPort: 9000 }));
  assert.equal(got.length, 1);
  assert.equal(env.iface.stats().ipv4.dropped['bad-source'], 1);
  assert.deepEqual(env.take(), []);
});

test('TCP to 127.0.0.1: both ends are 127.0.0.1, and the bytes go through the loopback queue', () => {
  const env = setup();
  const l = env.iface.tcp.listen(80);
  const c = env.iface.tcp.connect('127.0.0.1', 80);
  const settle = () => {
    for (let i = 0; i < 6; i++) {
      env.iface.tcp.flush();
      env.time.advance(0.001);
    }
  };
  settle();
  const s = l.accept();
  assert.ok(s, 'the handshake completed');
  assert.equal(s.localAddress, ip('127.0.0.1'));
  assert.equal(s.remoteAddress, ip('127.0.0.1'));
  assert.equal(c.localAddress, ip('127.0.0.1'));
  c.send(Uint8Array.of(104, 105));
  settle();
  assert.deepEqual(s.read(10), Uint8Array.of(104, 105));
  assert.deepEqual(env.take(), []);
});

// --- configuration and sending ---------------------------------------------------------

test('without an address only broadcasts can be sent, from 0.0.0.0', () => {
  const env = setup({ configured: false });
  assert.equal(env.iface.sendIp({ dst: GW, protocol: 253, payload: Uint8Array.of(1) }), 'no-address');
  assert.equal(env.iface.sendIp({ dst: BCAST, protocol: 253, payload: Uint8Array.of(1) }), 'sent');
  const { eth, ip: packet } = openIp(env.take()[0]);
  assert.equal(eth.dst, 'ff:ff:ff:ff:ff:ff');
  assert.equal(packet.src, 0);
  assert.deepEqual(env.iface.stats().ipv4.dropped, { 'no-address': 1 });
});

test('configure() sets address, routes and DNS; unconfigure() clears them', () => {
  const env = setup();
  assert.deepEqual(env.iface.describe(), {
    mac: OUR_MAC,
    mtu: 1500,
    address: '10.0.2.15/24',
    broadcast: '10.0.2.255',
    gateway: '10.0.2.2',
    dns: ['10.0.2.3'],
    routes: ['10.0.2.0/24 on-link', 'default via 10.0.2.2'],
  });
  assert.equal(env.iface.routes.lookup(ip('10.0.2.40')), ip('10.0.2.40'));
  assert.equal(env.iface.routes.lookup(ip('1.1.1.1')), GW);
  env.iface.unconfigure();
  assert.equal(env.iface.address, 0);
  assert.equal(env.iface.routes.lookup(ip('1.1.1.1')), null);
  assert.equal(env.iface.describe().address, null);
});

test('without a default route, off-link destinations are unreachable', () => {
  const env = setup({ configured: false });
  env.iface.configure({ address: US, prefixLength: 24 });
  assert.equal(env.iface.sendIp({ dst: '1.1.1.1', protocol: 253, payload: Uint8Array.of(1) }), 'no-route');
});

// --- robustness ------------------------------------------------------------------------

// Mutations plant IPv4/UDP/ICMP-ish values (0x45 version+IHL, 17 UDP, 1 ICMP, 8 echo).
const mutate = (rand, seed) => wire.mutate(rand, seed, [0, 0xff, 0x45, 0x11, 0x01, 0x08]);

test('thousands of malformed frames never throw, never hit a bug, and are counted by reason', () => {
  const env = setup();
  const socket = env.iface.udp.createSocket();
  socket.bind(7);
  socket.onMessage(() => {});
  const seeds = [
    arpFrame({}),
    arpFrame({ op: arp.OP_REPLY, targetMac: OUR_MAC }),
    echoFrame({}),
    udpFrame({}),
    udpFrame({ dstPort: 9 }),
    ipFrame({ protocol: 17, id: 3, payload: new Uint8Array(16), moreFragments: true }),
    ipFrame({ protocol: 17, id: 3, payload: udp.emit({ srcPort: 1, dstPort: 7 }, { src: GW, dst: US }), fragmentOffset: 16 }),
    ipFrame({ protocol: ipv4.PROTO_ICMP, payload: icmp.emit({ type: 3, code: 3, original: ipv4.emit({ src: US, dst: GW, protocol: 17, payload: new Uint8Array(8) }) }) }),
  ];
  const rand = prng(20240611);
  const N = 4000;
  for (let i = 0; i < N; i++) {
    const frame = rand(5) === 0 ? Uint8Array.from({ length: rand(100) }, () => rand(256)) : mutate(rand, seeds[rand(seeds.length)]);
    env.iface.receive(frame);
    if (i % 100 === 0) env.time.advance(1);
  }
  env.iface.receive(null); // not even bytes
  env.iface.receive('frame');
  const s = env.iface.stats();
  assert.equal(s.ethernet.received, N + 2);
  assert.equal(s.ethernet.dropped.internal, undefined, `an internal error: ${env.logs.join('\n')}`);
  assert.equal(s.ethernet.dropped['bad-input'], 2);
  const reasons = new Set(['ethernet', 'arp', 'ipv4', 'icmp', 'udp'].flatMap((l) => Object.keys(s[l].dropped)));
  for (const r of ['truncated', 'bad-checksum', 'not-our-mac']) assert.ok(reasons.has(r), `no '${r}' drops in ${[...reasons]}`);
});

test('an exception from a socket handler is counted as internal and logged once', () => {
  const env = setup();
  const socket = env.iface.udp.createSocket();
  socket.bind(7);
  socket.onMessage(() => {
    throw new Error('app bug');
  });
  env.nic.onFrame(udpFrame({}));
  env.nic.onFrame(udpFrame({}));
  assert.equal(env.iface.stats().ethernet.dropped.internal, 2);
  assert.equal(env.logs.length, 1);
  assert.ok(env.logs[0].includes('app bug'));
});

test('stats() is a snapshot with one entry per layer', () => {
  const env = setup();
  const s = env.iface.stats();
  assert.deepEqual(Object.keys(s), ['ethernet', 'arp', 'ipv4', 'icmp', 'udp', 'tcp']);
  s.ethernet.dropped.x = 1;
  assert.deepEqual(env.iface.stats().ethernet.dropped, {});
});
