// Unit tests for kernel/net/udp-socket.js: binding, sending, the bounded
// receive queue, ICMP errors reaching the socket, and close(), through an
// Interface on a fake NIC with time moved by hand.
const { Interface } = require('/kernel/net/interface');
const { ManualClock } = require('/tests/lib/manual-clock');
const { UdpSockets, EPHEMERAL_FIRST, EPHEMERAL_LAST, PORT_INCREMENT_MAX } = require('/kernel/net/udp-socket');
const ethernet = require('/kernel/net/wire/ethernet');
const arp = require('/kernel/net/wire/arp');
const ipv4 = require('/kernel/net/wire/ipv4');
const icmp = require('/kernel/net/wire/icmp');
const udp = require('/kernel/net/wire/udp');
const { ipFromString: ip } = require('/kernel/net/wire/ip-address');
const { macFromString } = require('/kernel/net/wire/mac-address');

const OUR_MAC = '52:54:00:12:34:56';
const GW_MAC = '52:55:0a:00:02:02';
const US = ip('10.0.2.15');
const GW = ip('10.0.2.2');

function setup({ configured = true, random } = {}) {
  const time = new ManualClock(0);
  const nic = { mac: macFromString(OUR_MAC), sent: [], send(f) { this.sent.push(f); return true; } };
  const iface = new Interface({ nic, clock: time.clock, timers: time.timers, random });
  if (configured) {
    iface.configure({ address: US, prefixLength: 24, gateway: GW });
    // The gateway asks for us, so we know its MAC and sends go straight out.
    iface.receive(ethernet.emit({
      dst: 'ff:ff:ff:ff:ff:ff', src: GW_MAC, ethertype: ethernet.ETHERTYPE_ARP,
      payload: arp.emit({ op: arp.OP_REQUEST, senderMac: GW_MAC, senderIp: GW, targetMac: '00:00:00:00:00:00', targetIp: US }),
    }));
    nic.sent.length = 0;
  }
  return { time, nic, iface, take: () => nic.sent.splice(0) };
}

function datagramFrame({ src = GW, dst = US, srcPort = 5353, dstPort, data }) {
  const payload = udp.emit({ srcPort, dstPort, payload: data }, { src, dst });
  return ethernet.emit({ dst: OUR_MAC, src: GW_MAC, ethertype: ethernet.ETHERTYPE_IPV4, payload: ipv4.emit({ src, dst, protocol: 17, payload }) });
}

function openUdp(frame) {
  const packet = ipv4.parse(ethernet.parse(frame).payload);
  return { ip: packet, udp: udp.parse(packet.payload, packet) };
}

test('bind(0): RFC 6056 Algorithm 5, a random start and random increments of 1 to 500 (the kernel\'s urandom, here all 7s)', () => {
  const { iface } = setup({ random: (n) => new Uint8Array(n).fill(7) });
  const a = iface.udp.createSocket();
  const b = iface.udp.createSocket();
  // Every 16-bit draw is 0x0707 = 1799: the start is 1799 % 16384, each step 1799 % 500 + 1 = 300.
  assert.equal(a.bind(0), 49152 + 1799 + 300);
  assert.equal(b.bind(), 49152 + 1799 + 600);
  assert.equal(a.port, 51251);
});

test('ephemeral ports are distinct, in 49152-65535, each 1 to 500 past the last (wrapping), and free', () => {
  const { iface } = setup();
  const size = EPHEMERAL_LAST - EPHEMERAL_FIRST + 1;
  iface.udp.createSocket().bind(EPHEMERAL_FIRST + 5000); // a port in use is never handed out
  const ports = [];
  for (let i = 0; i < 500; i++) ports.push(iface.udp.createSocket().bind(0));
  assert.equal(new Set(ports).size, 500);
  const inUse = new Set([EPHEMERAL_FIRST + 5000]);
  for (let i = 0; i < ports.length; i++) {
    assert.ok(ports[i] >= EPHEMERAL_FIRST && ports[i] <= EPHEMERAL_LAST, String(ports[i]));
    assert.notEqual(ports[i], EPHEMERAL_FIRST + 5000);
    if (i > 0) {
      const step = (ports[i] - ports[i - 1] + size) % size;
      // Each port in use that the walk landed on on the way costs one more
      // increment: at most one per port in use between the two.
      let skipped = 0;
      for (let k = 1; k < step; k++) if (inUse.has(EPHEMERAL_FIRST + ((ports[i - 1] - EPHEMERAL_FIRST + k) % size))) skipped++;
      assert.ok(step >= 1 && step <= (1 + skipped) * PORT_INCREMENT_MAX, `step ${step} over ${skipped} ports in use`);
    }
    inUse.add(ports[i]);
  }
  assert.ok(ports.some((p, i) => i > 0 && p < ports[i - 1]), 'the walk wrapped around the range');
});

test('the last free ephemeral port is found even when the random walk steps over it', () => {
  const table = new UdpSockets({ address: US }, { random: (n) => new Uint8Array(n).fill(7) });
  const socket = (port) => table.claim({}, port);
  for (let p = EPHEMERAL_FIRST; p <= EPHEMERAL_LAST; p++) if (p !== 60000) socket(p);
  assert.equal(table.claim({}, 0), 60000);
  assert.throws(() => table.claim({}, 0), /EADDRNOTAVAIL/);
});

test('binding a port in use fails with EADDRINUSE; a bad port with EINVAL', () => {
  const { iface } = setup();
  iface.udp.createSocket().bind(53);
  const s = iface.udp.createSocket();
  assert.throws(() => s.bind(53), /EADDRINUSE/);
  assert.throws(() => s.bind(70000), /EINVAL/);
  assert.throws(() => s.bind(1.5), /EINVAL/);
  assert.equal(s.bind(54), 54);
  assert.throws(() => s.bind(55), /EINVAL/, 'already bound');
});

test('sendTo() emits a checksummed datagram from our address and port', () => {
  const env = setup();
  const s = env.iface.udp.createSocket();
  s.bind(4000);
  assert.equal(s.sendTo('10.0.2.2', 53, Uint8Array.of(1, 2, 3)), 'sent');
  const [frame] = env.take();
  const { ip: packet, udp: d } = openUdp(frame);
  assert.equal(packet.src, US);
  assert.equal(packet.dst, GW);
  assert.equal(d.srcPort, 4000);
  assert.equal(d.dstPort, 53);
  assert.equal(d.checksummed, true);
  assert.deepEqual(d.payload, Uint8Array.of(1, 2, 3));
  assert.equal(env.iface.stats().udp.sent, 1);
});

test('an unbound socket is bound to an ephemeral port by its first sendTo()', () => {
  const env = setup();
  const s = env.iface.udp.createSocket();
  s.sendTo(GW, 53, Uint8Array.of(0));
  assert.ok(s.port >= EPHEMERAL_FIRST && s.port <= EPHEMERAL_LAST, String(s.port));
  assert.equal(openUdp(env.take()[0]).udp.srcPort, s.port);
});

test('sendTo() reports why a datagram could not go', () => {
  const env = setup({ configured: false });
  const s = env.iface.udp.createSocket();
  assert.equal(s.sendTo(GW, 53, Uint8Array.of(0)), 'no-address');
  assert.equal(s.counters.sent, 0);
});

test('before configuration a socket can broadcast from 0.0.0.0 (what DHCP needs)', () => {
  const env = setup({ configured: false });
  const s = env.iface.udp.createSocket();
  s.bind(68);
  assert.equal(s.sendTo('255.255.255.255', 67, Uint8Array.of(1)), 'sent');
  const { ip: packet, udp: d } = openUdp(env.take()[0]);
  assert.equal(packet.src, 0);
  assert.equal(packet.dst, 0xffffffff);
  assert.equal(d.srcPort, 68);
});

test('datagrams wait in a bounded queue until someone reads them', () => {
  const env = setup();
  const s = env.iface.udp.createSocket({ queueLimit: 4 });
  s.bind(7);
  for (let i = 0; i < 6; i++) env.iface.receive(datagramFrame({ dstPort: 7, data: Uint8Array.of(i) }));
  assert.equal(s.counters.dropped, 2);
  assert.deepEqual(env.iface.stats().udp.dropped, { 'queue-full': 2 });
  assert.deepEqual(s.receive(), { data: Uint8Array.of(0), address: GW, port: 5353 });
  const got = [];
  s.onMessage((data, from) => got.push([data[0], from.port]));
  assert.deepEqual(got, [[1, 5353], [2, 5353], [3, 5353]], 'the rest handed over at once, in order');
  env.iface.receive(datagramFrame({ dstPort: 7, data: Uint8Array.of(9) }));
  assert.deepEqual(got[3], [9, 5353]);
  assert.equal(s.receive(), null);
});

test('the bytes a socket receives are its own copy, not a view of the frame', () => {
  const env = setup();
  const s = env.iface.udp.createSocket();
  s.bind(7);
  const frame = datagramFrame({ dstPort: 7, data: Uint8Array.of(5, 6) });
  env.iface.receive(frame);
  const { data } = s.receive();
  assert.equal(data.buffer.byteLength, 2);
  frame.fill(0);
  assert.deepEqual(data, Uint8Array.of(5, 6));
});

test('ICMP port unreachable about our datagram reaches the sending socket', () => {
  const env = setup();
  const s = env.iface.udp.createSocket();
  s.bind(4000);
  const errors = [];
  s.onError((e) => errors.push(e));
  s.sendTo(GW, 9, Uint8Array.of(1));
  const sentPacket = ethernet.parse(env.take()[0]).payload;
  const error = icmp.emit({ type: icmp.TYPE_DEST_UNREACHABLE, code: icmp.CODE_PORT_UNREACHABLE, original: sentPacket });
  env.iface.receive(ethernet.emit({ dst: OUR_MAC, src: GW_MAC, ethertype: ethernet.ETHERTYPE_IPV4, payload: ipv4.emit({ src: GW, dst: US, protocol: 1, payload: error }) }));
  assert.deepEqual(errors, [{ type: 3, code: 3, address: GW, port: 9 }]);
});

test('close() frees the port: later datagrams get port unreachable, the port can be reused', () => {
  const env = setup();
  const s = env.iface.udp.createSocket();
  s.bind(7);
  s.close();
  assert.throws(() => s.sendTo(GW, 7, Uint8Array.of(1)), /EBADF/);
  env.iface.receive(datagramFrame({ dstPort: 7, data: Uint8Array.of(1) }));
  const reply = ipv4.parse(ethernet.parse(env.take()[0]).payload);
  assert.equal(icmp.parse(reply.payload).code, icmp.CODE_PORT_UNREACHABLE);
  assert.equal(env.iface.udp.createSocket().bind(7), 7);
});

test('list() shows every bound socket for netstat', () => {
  const env = setup();
  const s = env.iface.udp.createSocket();
  s.bind(7);
  env.iface.receive(datagramFrame({ dstPort: 7, data: Uint8Array.of(1) }));
  assert.deepEqual(env.iface.udp.list(), [{ port: 7, owner: 'kernel', queued: 1, received: 1, sent: 0, dropped: 0 }]);
});
