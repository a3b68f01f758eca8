// Unit tests for kernel/net/app-sockets.js: the descriptors apps hold for UDP
// sockets, batched receive and send, ownership, ICMP errors, and cleanup at
// exit, through a real Interface on a fake NIC.
const { Interface } = require('/kernel/net/interface');
const { AppSockets, QUEUE_LIMIT } = require('/kernel/net/app-sockets');
const { WithBytes } = require('/kernel/proc/with-bytes');
const { ManualClock } = require('/tests/lib/manual-clock');
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

function setup() {
  const time = new ManualClock(0);
  const nic = { mac: macFromString(OUR_MAC), sent: [], send(f) { this.sent.push(f); return true; } };
  const iface = new Interface({ nic, clock: time.clock, timers: time.timers });
  iface.configure({ address: US, prefixLength: 24, gateway: GW });
  iface.receive(ethernet.emit({
    dst: 'ff:ff:ff:ff:ff:ff', src: GW_MAC, ethertype: ethernet.ETHERTYPE_ARP,
    payload: arp.emit({ op: arp.OP_REQUEST, senderMac: GW_MAC, senderIp: GW, targetMac: '00:00:00:00:00:00', targetIp: US }),
  }));
  nic.sent.length = 0;
  const sockets = new AppSockets({ iface: () => iface });
  return { iface, nic, sockets, alice: { pid: 7, name: 'udpecho' }, bob: { pid: 8, name: 'nc' } };
}

function datagram(dstPort, data, srcPort = 40000) {
  const payload = udp.emit({ srcPort, dstPort, payload: data }, { src: GW, dst: US });
  return ethernet.emit({ dst: OUR_MAC, src: GW_MAC, ethertype: ethernet.ETHERTYPE_IPV4, payload: ipv4.emit({ src: GW, dst: US, protocol: 17, payload }) });
}

const bytes = (s) => Uint8Array.from(s, (c) => c.charCodeAt(0));
const tick = () => new Promise((resolve) => resolve()).then(() => undefined);

// A send as the runtime makes it: each datagram's size in the JSON, the
// payloads one after another as the message's attachment.
function send(sockets, proc, fd, datagrams) {
  const payloads = datagrams.map((d) => bytes(d.data));
  const all = new Uint8Array(payloads.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of payloads) all.set(p, at), (at += p.length);
  return sockets.send(proc, { fd, datagrams: datagrams.map((d, i) => ({ address: d.address, port: d.port, size: payloads[i].length })) }, all);
}

// A receive's reply (WithBytes) as [{data (one char per byte), address, port}] and error entries.
function batchOf(reply) {
  assert.ok(reply instanceof WithBytes, 'a receive answers with bytes');
  let at = 0;
  return reply.value.map((m) => {
    if (m.error) return m;
    const data = String.fromCharCode(...reply.bytes.subarray(at, at + m.size));
    at += m.size;
    return { data, address: m.address, port: m.port };
  });
}

test('payloads cross as bytes: every byte value, both ways', async () => {
  const { iface, nic, sockets, alice } = setup();
  const { fd } = sockets.open(alice, { port: 7 });
  const all = String.fromCharCode(...Array.from({ length: 256 }, (_, i) => i));
  iface.receive(datagram(7, bytes(all)));
  const [got] = batchOf(await sockets.receive(alice, { fd }));
  assert.equal(got.data, all);
  assert.equal(send(sockets, alice, fd, [{ address: '10.0.2.2', port: 9, data: all }]), 1);
  const p = ipv4.parse(ethernet.parse(nic.sent[0]).payload);
  assert.deepEqual(Array.from(udp.parse(p.payload, p).payload), Array.from(bytes(all)));
});

test('a send whose sizes claim more than its bytes is refused, datagram by datagram', async () => {
  const { sockets, alice } = setup();
  const { fd } = sockets.open(alice, { port: 7 });
  const n = sockets.send(alice, { fd, datagrams: [{ address: '10.0.2.2', port: 9, size: 10 }] }, bytes('short'));
  assert.equal(n, 0);
  const [e] = batchOf(await sockets.receive(alice, { fd }));
  assert.equal(e.error, 'EINVAL');
});

test('open binds the asked port and names its owner; a taken port is EADDRINUSE', () => {
  const { iface, sockets, alice, bob } = setup();
  assert.deepEqual(sockets.open(alice, { port: 7 }), { fd: 1, port: 7 });
  const list = iface.udp.list();
  assert.equal(list[0].owner, 'udpecho[7]');
  assert.throws(() => sockets.open(bob, { port: 7 }), /Address already in use/);
  assert.ok(sockets.open(bob, {}).port >= 49152);
});

test('a receive that waits gets every datagram of the interrupt in one batch', async () => {
  const { iface, sockets, alice } = setup();
  const { fd } = sockets.open(alice, { port: 7 });
  const got = sockets.receive(alice, { fd });
  iface.receive(datagram(7, bytes('one')));
  iface.receive(datagram(7, bytes('two\xff'), 40001));
  const batch = batchOf(await got);
  assert.deepEqual(batch, [
    { data: 'one', address: '10.0.2.2', port: 40000 },
    { data: 'two\xff', address: '10.0.2.2', port: 40001 },
  ]);
});

test('queued datagrams come back at once, oldest first, and the queue is bounded', () => {
  const { iface, sockets, alice } = setup();
  const { fd } = sockets.open(alice, { port: 9 });
  for (let i = 0; i < QUEUE_LIMIT + 10; i++) iface.receive(datagram(9, bytes(`m${i}`)));
  const first = batchOf(sockets.receive(alice, { fd }));
  assert.equal(first.length, 256);
  assert.equal(first[0].data, 'm0');
  assert.equal(batchOf(sockets.receive(alice, { fd })).length, QUEUE_LIMIT - 256);
  assert.equal(iface.udp.list()[0].dropped, 10);
});

test('a descriptor belongs to its process', () => {
  const { sockets, alice, bob } = setup();
  const { fd } = sockets.open(alice, { port: 7 });
  assert.throws(() => sockets.receive(bob, { fd }), /Bad file descriptor/);
  assert.throws(() => sockets.send(bob, { fd, datagrams: [] }), /Bad file descriptor/);
  assert.throws(() => sockets.close(bob, { fd }), /Bad file descriptor/);
});

test('send emits one UDP datagram per entry with the exact bytes', () => {
  const { nic, sockets, alice } = setup();
  const { fd } = sockets.open(alice, { port: 7 });
  const n = send(sockets, alice, fd, [
    { address: '10.0.2.2', port: 5000, data: 'a\x00\xff' },
    { address: '10.0.2.2', port: 5001, data: 'b' },
  ]);
  assert.equal(n, 2);
  const sent = nic.sent.map((f) => {
    const p = ipv4.parse(ethernet.parse(f).payload);
    return udp.parse(p.payload, p);
  });
  assert.deepEqual(sent.map((d) => [d.srcPort, d.dstPort, Array.from(d.payload)]), [[7, 5000, [97, 0, 255]], [7, 5001, [98]]]);
});

test('bad datagrams come back as error entries from receive, not exceptions', async () => {
  const { nic, sockets, alice } = setup();
  const { fd } = sockets.open(alice, { port: 7 });
  const n = send(sockets, alice, fd, [
    { address: 'nowhere', port: 1, data: '' },
    { address: '10.0.2.2', port: 0, data: '' },
    { address: '10.0.2.2', port: 1, data: 'x'.repeat(70000) },
    { address: '10.0.2.2', port: 1, data: 'fine' },
  ]);
  assert.equal(n, 1);
  assert.equal(nic.sent.length, 1);
  const errors = batchOf(await sockets.receive(alice, { fd }));
  assert.deepEqual(errors.map((e) => e.error), ['EINVAL', 'EINVAL', 'EMSGSIZE']);
  assert.ok(/not an IPv4 address/.test(errors[0].message), errors[0].message);
  assert.ok(/Message too long/.test(errors[2].message));
});

test('with no address, a send reports ENETUNREACH to a waiting receive', async () => {
  const { iface, sockets, alice } = setup();
  const { fd } = sockets.open(alice, { port: 7 });
  iface.unconfigure();
  const got = sockets.receive(alice, { fd });
  assert.equal(send(sockets, alice, fd, [{ address: '192.168.9.9', port: 1, data: 'x' }]), 0);
  const [e] = batchOf(await got);
  assert.equal(e.error, 'ENETUNREACH');
  assert.equal(e.message, 'Network is unreachable');
});

test('port unreachable for a datagram we sent arrives as ECONNREFUSED', async () => {
  const { iface, nic, sockets, alice } = setup();
  const { fd } = sockets.open(alice, { port: 7 });
  send(sockets, alice, fd, [{ address: '10.0.2.2', port: 9, data: 'hi' }]);
  const ours = ethernet.parse(nic.sent[0]).payload;
  const got = sockets.receive(alice, { fd });
  const error = icmp.emit({ type: icmp.TYPE_DEST_UNREACHABLE, code: icmp.CODE_PORT_UNREACHABLE, original: ours });
  iface.receive(ethernet.emit({ dst: OUR_MAC, src: GW_MAC, ethertype: ethernet.ETHERTYPE_IPV4, payload: ipv4.emit({ src: GW, dst: US, protocol: 1, payload: error }) }));
  assert.deepEqual(batchOf(await got), [{ error: 'ECONNREFUSED', address: '10.0.2.2', port: 9 }]);
});

test('closing wakes a waiting receive with an empty batch and frees the port', async () => {
  const { iface, sockets, alice } = setup();
  const { fd } = sockets.open(alice, { port: 7 });
  const got = sockets.receive(alice, { fd });
  sockets.close(alice, { fd });
  assert.deepEqual(batchOf(await got), []);
  assert.equal(iface.udp.list().length, 0);
  assert.throws(() => sockets.receive(alice, { fd }), /Bad file descriptor/);
});

test('a process that exits loses all its sockets; others keep theirs', async () => {
  const { iface, sockets, alice, bob } = setup();
  sockets.open(alice, { port: 7 });
  sockets.open(alice, { port: 8 });
  sockets.open(bob, { port: 9 });
  sockets.closeAll(alice);
  await tick();
  assert.deepEqual(iface.udp.list().map((s) => s.port), [9]);
});

test('a second receive on the same socket while one waits is EBUSY', () => {
  const { sockets, alice } = setup();
  const { fd } = sockets.open(alice, { port: 7 });
  sockets.receive(alice, { fd });
  assert.throws(() => sockets.receive(alice, { fd }), /already waiting/);
});
