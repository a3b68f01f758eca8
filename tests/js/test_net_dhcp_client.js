// Unit tests for kernel/net/dhcp-client.js (RFC 2131 §4.4) against a scripted
// server that answers like slirp (options 53, 54, 1, 3, 6, 51; lease 86400 s),
// through an Interface on a fake NIC with time moved by hand.
const { prng } = require('/tests/lib/wire-test');
const { DhcpClient } = require('/kernel/net/dhcp-client');
const { Interface } = require('/kernel/net/interface');
const { ManualClock } = require('/tests/lib/manual-clock');
const ethernet = require('/kernel/net/wire/ethernet');
const arp = require('/kernel/net/wire/arp');
const ipv4 = require('/kernel/net/wire/ipv4');
const udp = require('/kernel/net/wire/udp');
const dhcp = require('/kernel/net/wire/dhcp');
const { ipFromString: ip } = require('/kernel/net/wire/ip-address');
const { macFromString } = require('/kernel/net/wire/mac-address');

const OUR_MAC = '52:54:00:12:34:56';
const GW_MAC = '52:55:0a:00:02:02';
const BROADCAST_MAC = 'ff:ff:ff:ff:ff:ff';
const US = ip('10.0.2.15');
const GW = ip('10.0.2.2');
const DNS = ip('10.0.2.3');
const BCAST = ip('255.255.255.255');
const LEASE = 86400;

function setup({ random = () => 0.5 } = {}) {
  const time = new ManualClock(0);
  const nic = { mac: macFromString(OUR_MAC), sent: [], send(f) { this.sent.push(f); return true; } };
  const logs = [];
  const iface = new Interface({ nic, clock: time.clock, timers: time.timers, log: (t) => logs.push(t) });
  const bound = [];
  const lost = [];
  const client = new DhcpClient({ iface, clock: time.clock, timers: time.timers, random, log: (t) => logs.push(t), onBound: (b) => bound.push(b), onLost: (r) => lost.push(r) });
  return { time, nic, iface, client, logs, bound, lost, take: () => nic.sent.splice(0) };
}

// A sent frame opened down to the DHCP message: { eth, ip, udp, msg }.
function openDhcp(frame) {
  const eth = ethernet.parse(frame);
  const packet = ipv4.parse(eth.payload);
  const d = udp.parse(packet.payload, packet);
  return { eth, ip: packet, udp: d, msg: dhcp.parse(d.payload) };
}

// The one DHCP message sent since the last take().
function sentMessage(env) {
  const frames = env.take();
  assert.equal(frames.length, 1, `expected one frame, got ${frames.length}`);
  return openDhcp(frames[0]);
}

// What our scripted server says: a reply to `request` of the given type,
// broadcast when the client asked for that (slirp's rule), else unicast to
// the address (yiaddr, or ciaddr when renewing).
function reply(request, type, extra = {}) {
  const options = type === dhcp.NAK ? { serverId: GW } : { serverId: GW, subnetMask: ip('255.255.255.0'), routers: [GW], dnsServers: [DNS], leaseTime: LEASE };
  const yiaddr = type === dhcp.NAK ? 0 : US;
  const msg = dhcp.emit({ messageType: type, xid: request.xid, chaddr: request.chaddr, yiaddr, broadcast: request.broadcast, ...options, ...extra });
  const toBroadcast = type === dhcp.NAK || (request.broadcast && !request.ciaddr);
  const dst = toBroadcast ? BCAST : request.ciaddr || yiaddr;
  const payload = udp.emit({ srcPort: 67, dstPort: 68, payload: msg }, { src: GW, dst });
  return ethernet.emit({
    dst: toBroadcast ? BROADCAST_MAC : OUR_MAC,
    src: GW_MAC,
    ethertype: ethernet.ETHERTYPE_IPV4,
    payload: ipv4.emit({ src: GW, dst, protocol: 17, payload }),
  });
}

// DISCOVER -> OFFER -> REQUEST -> ACK, 5 ms per hop. Returns the REQUEST.
function acquire(env) {
  env.client.start();
  const discover = sentMessage(env).msg;
  env.time.advance(0.005);
  env.iface.receive(reply(discover, dhcp.OFFER));
  const request = sentMessage(env).msg;
  env.time.advance(0.005);
  env.iface.receive(reply(request, dhcp.ACK));
  return request;
}

// The DHCP messages among the frames sent since the last take() (ARP left out).
function sentDhcp(env) {
  return env.take().filter((f) => ethernet.parse(f).ethertype === ethernet.ETHERTYPE_IPV4).map(openDhcp);
}

// The gateway's ARP reply, for when the client must unicast to it.
function answerArp(env) {
  const frames = env.take();
  assert.equal(frames.length, 1);
  const question = arp.parse(ethernet.parse(frames[0]).payload);
  assert.equal(question.targetIp, GW);
  env.iface.receive(ethernet.emit({
    dst: OUR_MAC, src: GW_MAC, ethertype: ethernet.ETHERTYPE_ARP,
    payload: arp.emit({ op: arp.OP_REPLY, senderMac: GW_MAC, senderIp: GW, targetMac: OUR_MAC, targetIp: US }),
  }));
}

// Times (seconds) at which frames were sent while advancing `total` seconds in `step`s.
function sendTimes(env, total, step = 0.5) {
  const times = [];
  for (let t = 0; t < total; t += step) {
    env.time.advance(step);
    env.take().forEach(() => times.push(env.time.now));
  }
  return times;
}

test('a full exchange: DISCOVER, OFFER, REQUEST, ACK configures the interface', () => {
  const env = setup();
  env.client.start();
  assert.equal(env.client.state, 'SELECTING');
  const discover = sentMessage(env);
  // From 0.0.0.0:68 to 255.255.255.255:67, in a link broadcast.
  assert.equal(discover.eth.dst, BROADCAST_MAC);
  assert.equal(discover.ip.src, 0);
  assert.equal(discover.ip.dst, BCAST);
  assert.equal(discover.udp.srcPort, 68);
  assert.equal(discover.udp.dstPort, 67);
  assert.equal(discover.msg.messageType, dhcp.DISCOVER);
  assert.equal(discover.msg.xid, 0x80000000, 'xid from the injected random()');
  assert.equal(discover.msg.chaddr, OUR_MAC);
  assert.equal(discover.msg.broadcast, true);
  assert.deepEqual(discover.msg.parameterRequestList, [1, 3, 6, 15, 51, 58, 59]);

  env.time.advance(0.004);
  env.iface.receive(reply(discover.msg, dhcp.OFFER));
  assert.equal(env.client.state, 'REQUESTING');
  const request = sentMessage(env);
  assert.equal(request.ip.src, 0);
  assert.equal(request.ip.dst, BCAST);
  assert.equal(request.msg.messageType, dhcp.REQUEST);
  assert.equal(request.msg.xid, discover.msg.xid);
  assert.equal(request.msg.requestedIp, US, 'option 50');
  assert.equal(request.msg.serverId, GW, 'option 54');
  assert.equal(request.msg.ciaddr, 0);

  env.time.advance(0.003);
  env.iface.receive(reply(request.msg, dhcp.ACK));
  assert.equal(env.client.state, 'BOUND');
  assert.deepEqual(env.take(), []);
  assert.equal(env.iface.address, US);
  assert.equal(env.iface.prefixLength, 24);
  assert.equal(env.iface.gateway, GW);
  assert.deepEqual(env.iface.dns, [DNS]);
  assert.deepEqual(env.bound, [{ address: US, prefixLength: 24, gateway: GW, dns: [DNS], lease: LEASE, serverId: GW, renewed: false, elapsedMs: 7 }]);
});

test('an OFFER unicast to the offered address is heard before we have an address', () => {
  const env = setup();
  env.client.start();
  const discover = sentMessage(env).msg;
  env.iface.receive(reply({ ...discover, broadcast: false }, dhcp.OFFER));
  assert.equal(env.client.state, 'REQUESTING');
});

test('replies for another xid or MAC, of the wrong type, or malformed are ignored', () => {
  const env = setup();
  env.client.start();
  const discover = sentMessage(env).msg;
  env.iface.receive(reply({ ...discover, xid: (discover.xid ^ 1) >>> 0 }, dhcp.OFFER));
  env.iface.receive(reply({ ...discover, chaddr: '02:00:00:00:00:01' }, dhcp.OFFER));
  env.iface.receive(reply(discover, dhcp.ACK)); // an ACK while SELECTING
  const garbage = udp.emit({ srcPort: 67, dstPort: 68, payload: Uint8Array.of(2, 1, 6) }, { src: GW, dst: BCAST });
  env.iface.receive(ethernet.emit({ dst: BROADCAST_MAC, src: GW_MAC, ethertype: 0x0800, payload: ipv4.emit({ src: GW, dst: BCAST, protocol: 17, payload: garbage }) }));
  assert.equal(env.client.state, 'SELECTING');
  assert.equal(env.client.counters.ignored, 4);
  assert.equal(env.iface.stats().ethernet.dropped.internal, undefined);
});

test('DISCOVER is retransmitted at 2, 4, 8, 16 s, then every 64 s, with a log line when giving up', () => {
  const env = setup();
  env.client.start();
  const first = sentMessage(env).msg;
  const times = sendTimes(env, 160);
  assert.deepEqual(times, [2, 6, 14, 30, 94, 158]);
  assert.deepEqual(env.logs, ['DHCP: no offer after 4 attempts (30 s); will keep trying every 64 s']);
  assert.equal(env.client.state, 'SELECTING');
  // Late, an offer still works: same transaction all along.
  env.iface.receive(reply(first, dhcp.OFFER));
  assert.equal(env.client.state, 'REQUESTING');
});

test('retransmission delays are jittered by ±1 s from the injected random()', () => {
  const env = setup({ random: () => 0 }); // jitter -1 s every time
  env.client.start();
  env.take();
  assert.deepEqual(sendTimes(env, 30, 0.25), [1, 4, 11, 26]);
});

test('a REQUEST with no answer is retransmitted, then the client starts over', () => {
  let calls = 0;
  const env = setup({ random: () => (calls++ === 0 ? 0.25 : 0.5) }); // first xid 0x40000000, then 0x80000000; no jitter
  env.client.start();
  const discover = sentMessage(env).msg;
  env.iface.receive(reply(discover, dhcp.OFFER));
  assert.equal(sentMessage(env).msg.messageType, dhcp.REQUEST);
  const frames = [];
  for (let i = 0; i < 60; i++) {
    env.time.advance(0.5);
    for (const f of env.take()) frames.push([env.time.now, openDhcp(f).msg]);
  }
  assert.deepEqual(frames.slice(0, 4).map(([t, m]) => [t, m.messageType]), [[2, 3], [6, 3], [14, 3], [30, 1]]);
  assert.notEqual(frames[3][1].xid, discover.xid, 'a new transaction');
  assert.equal(env.client.state, 'SELECTING');
});

test('a NAK to our REQUEST sends the client back to INIT: a new DISCOVER', () => {
  const env = setup();
  env.client.start();
  env.iface.receive(reply(sentMessage(env).msg, dhcp.OFFER));
  env.iface.receive(reply(sentMessage(env).msg, dhcp.NAK));
  assert.equal(sentMessage(env).msg.messageType, dhcp.DISCOVER);
  assert.equal(env.client.state, 'SELECTING');
  assert.equal(env.iface.configured, false);
  assert.ok(env.logs.some((l) => l.includes('NAK')));
});

test('at T1 (half the lease) the client renews by unicast to its server', () => {
  const env = setup();
  const firstRequest = acquire(env);
  assert.equal(firstRequest.messageType, dhcp.REQUEST);
  env.time.advance(LEASE / 2 - 1);
  assert.deepEqual(env.take(), []);
  assert.equal(env.client.state, 'BOUND');
  env.time.advance(1);
  assert.equal(env.client.state, 'RENEWING');
  // The gateway's ARP entry expired long ago: ask first; the REQUEST waits.
  answerArp(env);
  const renew = sentMessage(env);
  assert.equal(renew.eth.dst, GW_MAC);
  assert.equal(renew.ip.src, US);
  assert.equal(renew.ip.dst, GW);
  assert.equal(renew.msg.messageType, dhcp.REQUEST);
  assert.equal(renew.msg.ciaddr, US);
  assert.equal(renew.msg.serverId, undefined, 'no option 54 when renewing');
  assert.equal(renew.msg.requestedIp, undefined, 'no option 50 when renewing');
  assert.equal(renew.msg.broadcast, false);

  env.iface.receive(reply(renew.msg, dhcp.ACK));
  assert.equal(env.client.state, 'BOUND');
  assert.equal(env.bound.length, 2);
  assert.equal(env.bound[1].renewed, true);
  assert.equal(env.iface.address, US);
  // The new lease counts from the renewal: the next T1 is half a lease on.
  const renewedAt = env.time.now;
  env.time.advance(LEASE / 2 - 1);
  assert.equal(env.client.state, 'BOUND');
  env.time.advance(1);
  assert.equal(env.client.state, 'RENEWING');
  assert.ok(Math.abs(env.time.now - renewedAt - LEASE / 2) < 1e-6);
});

test('a NAK while renewing takes the address away and restarts from INIT', () => {
  const env = setup();
  acquire(env);
  env.time.advance(LEASE / 2);
  answerArp(env);
  env.iface.receive(reply(sentMessage(env).msg, dhcp.NAK));
  assert.equal(env.iface.configured, false);
  assert.deepEqual(env.lost, ['nak']);
  const discover = sentMessage(env);
  assert.equal(discover.msg.messageType, dhcp.DISCOVER);
  assert.equal(discover.ip.src, 0);
});

test('repeated NAKs back off instead of looping at wire speed', () => {
  const env = setup();
  env.client.start();
  const cycle = () => {
    env.iface.receive(reply(sentMessage(env).msg, dhcp.OFFER));
    env.iface.receive(reply(sentMessage(env).msg, dhcp.NAK));
  };
  cycle(); // first NAK: at once
  cycle(); // second NAK: 2 s later
  assert.deepEqual(env.take(), []);
  env.time.advance(2);
  assert.equal(sentMessage(env).msg.messageType, dhcp.DISCOVER);
});

test('a silent server: RENEWING retries, REBINDING broadcasts at T2, the lease expires', () => {
  const env = setup();
  acquire(env);
  const t0 = env.time.now - 0.005; // the REQUEST was sent 5 ms before the ACK
  env.time.advance(LEASE / 2);
  answerArp(env);
  assert.equal(sentMessage(env).ip.dst, GW);
  // §4.4.5: half the time to T2 (75600 - 43200 = 32400 s) -> retry after 16200 s.
  env.time.advance(16200);
  answerArp(env); // the gateway's entry has expired again
  assert.equal(sentMessage(env).ip.dst, GW);
  // Still silent: more unicast retries (each needing ARP, unanswered) until T2.
  env.time.advance(t0 + (LEASE * 7) / 8 - env.time.now - 1);
  assert.ok(sentDhcp(env).every((m) => m.ip.dst === GW));
  env.time.advance(1);
  assert.equal(env.client.state, 'REBINDING');
  const [rebind] = sentDhcp(env);
  assert.equal(rebind.ip.dst, BCAST);
  assert.equal(rebind.ip.src, US);
  assert.equal(rebind.msg.ciaddr, US);
  env.time.advance(t0 + LEASE - env.time.now);
  const frames = env.take();
  assert.equal(env.iface.configured, false);
  assert.deepEqual(env.lost, ['expired']);
  assert.ok(env.logs.includes('DHCP: lease on 10.0.2.15 expired'));
  assert.equal(openDhcp(frames[frames.length - 1]).msg.messageType, dhcp.DISCOVER);
  assert.equal(env.client.state, 'SELECTING');
});

test("the server's T1 and T2 (options 58, 59) are used when given", () => {
  const env = setup();
  env.client.start();
  env.iface.receive(reply(sentMessage(env).msg, dhcp.OFFER));
  env.iface.receive(reply(sentMessage(env).msg, dhcp.ACK, { leaseTime: 600, renewalTime: 100, rebindingTime: 200 }));
  env.time.advance(99);
  assert.equal(env.client.state, 'BOUND');
  env.time.advance(1);
  assert.equal(env.client.state, 'RENEWING');
  env.time.advance(100);
  assert.equal(env.client.state, 'REBINDING');
  assert.deepEqual(env.client.describe().expiresIn, 400);
});

test('stop() cancels every timer and frees port 68', () => {
  const env = setup();
  acquire(env);
  env.client.stop();
  assert.deepEqual(env.time.delays(), []);
  assert.equal(env.iface.udp.createSocket().bind(68), 68);
  assert.equal(env.iface.address, US, 'the address stays');
});

// mulberry32, a small deterministic PRNG, so a failure can be replayed.

test('mangled server messages (valid UDP, broken DHCP inside) never break the client', () => {
  const env = setup();
  const rand = prng(4242);
  env.client.start();
  let request = sentMessage(env).msg;
  for (let i = 0; i < 2000; i++) {
    const types = [dhcp.OFFER, dhcp.ACK, dhcp.NAK];
    const good = dhcp.emit({ messageType: types[rand(3)], xid: request.xid, chaddr: OUR_MAC, yiaddr: US, serverId: GW, subnetMask: ip('255.255.255.0'), routers: [GW], leaseTime: 1 + rand(100000) });
    const bytes = Array.from(good);
    for (let k = 1 + rand(4); k > 0 && bytes.length > 236; k--) {
      const at = 236 + rand(bytes.length - 236); // the cookie and the options: where parsing is hardest
      if (rand(4) === 0) bytes.length = at;
      else bytes[at] = rand(256);
    }
    const payload = udp.emit({ srcPort: 67, dstPort: 68, payload: Uint8Array.from(bytes) }, { src: GW, dst: BCAST });
    env.iface.receive(ethernet.emit({ dst: BROADCAST_MAC, src: GW_MAC, ethertype: 0x0800, payload: ipv4.emit({ src: GW, dst: BCAST, protocol: 17, payload }) }));
    const sent = sentDhcp(env);
    if (sent.length) request = sent[sent.length - 1].msg;
    env.time.advance(rand(3));
  }
  assert.equal(env.iface.stats().ethernet.dropped.internal, undefined, env.logs.join('\n'));
  assert.ok(['SELECTING', 'REQUESTING', 'BOUND', 'RENEWING', 'REBINDING', 'INIT'].includes(env.client.state));
  assert.ok(env.client.counters.ignored > 0 && env.client.counters.acks > 0, JSON.stringify(env.client.counters));
});
