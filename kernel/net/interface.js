// kernel/net/interface.js: one Ethernet interface of an IPv4 host (RFC 1122):
// frames in -> ARP / IPv4 -> ICMP / UDP / TCP, and sendIp() out through routing and ARP.
//
// State lives here (address, routes, neighbour cache, reassembly, sockets,
// counters); bytes are wire/'s job. Time is injected: clock() returns seconds
// and timers.after(ms, fn) / timers.cancel(id) schedule work, so tests can
// drive it with manual-clock.js. Wiring: nic.onFrame = (f) => iface.receive(f).
'use strict';

const ethernet = require('./wire/ethernet');
const arp = require('./wire/arp');
const ipv4 = require('./wire/ipv4');
const icmp = require('./wire/icmp');
const udp = require('./wire/udp');
const tcp = require('./wire/tcp');
const { WireError } = require('./wire/errors');
const { finishPartial } = require('./wire/checksum');
const { IP_ANY, IP_BROADCAST, IP_LOOPBACK, isLoopback, ipToString, ipFromString, maskFromPrefix } = require('./wire/ip-address');
const { MAC_BROADCAST, MAC_ZERO, macToString, isMulticastMac } = require('./wire/mac-address');
const { ArpCache } = require('./arp-cache');
const { RouteTable } = require('./route');
const { Reassembler } = require('./ip-reassembly');
const { UdpSockets } = require('./udp-socket');
const { TcpSockets } = require('./tcp-socket');

const MTU = 1500; // Ethernet's payload size: what virtio-net and slirp carry
const MAX_IP_PAYLOAD = 0xffff - ipv4.HEADER_LEN;
// The largest TCP segment (header and options included) handed to a NIC
// that segments: an IP packet's limit, less room for 40 bytes of options.
const MAX_OFFLOAD_SEGMENT = MAX_IP_PAYLOAD - 40;
const ICMP_ERRORS_PER_SECOND = 10; // RFC 1812 §4.3.2.8 asks for a limit; Linux's default is about this
const LOOPBACK_QUEUE = 64; // packets to our own address waiting for the next timer tick
const PROTOCOL_NAMES = { [ipv4.PROTO_ICMP]: 'icmp', [ipv4.PROTO_UDP]: 'udp', [tcp.PROTO_TCP]: 'tcp' };

const toIp = (ip) => (typeof ip === 'string' ? ipFromString(ip) : ip);

// received: packets that reached this layer (malformed ones included);
// sent: packets this layer handed down; dropped: { reason: count }.
function newCounters() {
  const layer = () => ({ received: 0, sent: 0, dropped: {} });
  return { ethernet: layer(), arp: layer(), ipv4: layer(), icmp: layer(), udp: layer(), tcp: layer() };
}

// The total length field (bytes 2-3) of a packet ipv4.parse accepted.
function ipPacketOf(bytes) {
  return bytes.subarray(0, (bytes[2] << 8) | bytes[3]);
}

class Interface {
  // random(n): n random bytes (the kernel's urandom), for TCP's secrets;
  // tcpOptions: { defer, options } for the TCP table (tcp-socket.js).
  constructor({ nic, clock, timers, log = () => {}, arpOptions, reassemblyOptions, random, tcpOptions = {} }) {
    this.nic = nic;
    this.clock = clock;
    this.timers = timers;
    this.log = log;
    this.mac = macToString(nic.mac);
    this.mtu = MTU;
    // What a transport leaves free in front of what it sends (tcp.emit's
    // headroom) so that sendIp writes the IP and Ethernet headers there.
    this.headroom = ethernet.HEADER_LEN + ipv4.HEADER_LEN;
    this.address = IP_ANY; // 0.0.0.0 until configure()
    this.prefixLength = 0;
    this.gateway = IP_ANY;
    this.dns = [];
    this.routes = new RouteTable();
    this.arpCache = new ArpCache(arpOptions);
    this.reassembler = new Reassembler(reassemblyOptions);
    // What the NIC finishes for us (drivers/virtio/net.js `offloads`): a
    // transport may leave its checksum to it (checksum) and hand it TCP
    // segments of up to 64 KiB to cut to the MSS (segmentation).
    this.offloads = { checksum: false, segmentation: false, ...(nic.offloads || {}) };
    this.udp = new UdpSockets(this);
    const segmentOffload = this.offloads.segmentation ? MAX_OFFLOAD_SEGMENT : 0;
    this.tcp = new TcpSockets(this, { random, ...tcpOptions, options: { segmentOffload, ...(tcpOptions.options || {}) } });
    this.echoListeners = new Map(); // ICMP echo id -> fn(reply), for ping
    this.counters = newCounters();
    this.nextIpId = 1;
    this.pollTimer = null;
    this.pollAt = null;
    this.loopbackQueue = [];
    this.icmpBudget = { second: -1, used: 0 };
    this.internalErrorLogged = false;
    this.conflictLoggedAt = null;
  }

  // --- configuration ----------------------------------------------------------

  get configured() {
    return this.address !== IP_ANY;
  }

  get netmask() {
    return maskFromPrefix(this.prefixLength);
  }

  // The subnet's directed broadcast (10.0.2.255 for 10.0.2.15/24), or null
  // for /31 and /32, which have none (RFC 3021).
  get broadcastAddress() {
    if (!this.configured || this.prefixLength > 30) return null;
    return (this.address | ~this.netmask) >>> 0;
  }

  // Addresses may be numbers or dotted strings. Re-configuring with the same
  // address and prefix (a DHCP renewal) keeps the neighbour cache.
  configure({ address, prefixLength, gateway = IP_ANY, dns = [] }) {
    address = toIp(address);
    gateway = toIp(gateway);
    if (!Number.isInteger(address) || address === IP_ANY) throw new Error(`net: bad address ${address}`);
    if (!Number.isInteger(prefixLength) || prefixLength < 0 || prefixLength > 32) {
      throw new Error(`net: bad prefix length ${prefixLength}`);
    }
    if (address !== this.address || prefixLength !== this.prefixLength) this.forgetNeighbours();
    this.address = address;
    this.prefixLength = prefixLength;
    this.gateway = gateway;
    this.dns = dns.map(toIp);
    this.routes.clear();
    this.routes.addConnected(address, prefixLength);
    if (gateway !== IP_ANY) this.routes.setDefault(gateway);
  }

  unconfigure() {
    this.forgetNeighbours();
    this.address = IP_ANY;
    this.prefixLength = 0;
    this.gateway = IP_ANY;
    this.dns = [];
    this.routes.clear();
  }

  forgetNeighbours() {
    this.drop('ipv4', 'unconfigured', this.arpCache.clear());
    this.reassembler.clear();
    this.schedulePoll(); // nothing left to wait for: cancels the timer
  }

  // For an `ip addr` command.
  describe() {
    const broadcast = this.broadcastAddress;
    return {
      mac: this.mac,
      mtu: this.mtu,
      address: this.configured ? `${ipToString(this.address)}/${this.prefixLength}` : null,
      broadcast: broadcast === null ? null : ipToString(broadcast),
      gateway: this.gateway ? ipToString(this.gateway) : null,
      dns: this.dns.map(ipToString),
      routes: this.routes.describe(),
    };
  }

  // --- receive: every frame from the NIC enters here ----------------------------

  // Never throws: a malformed frame is counted by the reason wire/ gave; any
  // other exception is a bug in the stack (or a socket's handler), counted as
  // 'internal' and logged once, so one bad packet cannot take the kernel down.
  // `checked`: the NIC vouches for the TCP/UDP checksum (virtio-net's
  // DATA_VALID or NEEDS_CSUM), so it is not summed again here.
  receive(frame, checked = false) {
    try {
      this.receiveFrame(frame, checked);
    } catch (e) {
      this.internalError(e);
    }
  }

  receiveFrame(frame, checked = false) {
    this.counters.ethernet.received++;
    const eth = this.parseOr('ethernet', () => ethernet.parse(frame));
    if (!eth) return;
    const linkBroadcast = eth.dst === MAC_BROADCAST;
    if (eth.dst !== this.mac && !linkBroadcast) {
      return this.drop('ethernet', isMulticastMac(eth.dst) ? 'multicast' : 'not-our-mac');
    }
    if (eth.ethertype === ethernet.ETHERTYPE_ARP) return this.receiveArp(eth.payload);
    if (eth.ethertype === ethernet.ETHERTYPE_IPV4) return this.receiveIpv4(eth.payload, linkBroadcast, checked);
    return this.drop('ethernet', 'unknown-ethertype');
  }

  // RFC 826 "packet reception", for a host that only answers for itself.
  receiveArp(bytes) {
    this.counters.arp.received++;
    const packet = this.parseOr('arp', () => arp.parse(bytes));
    if (!packet) return;
    if (!this.configured) return this.drop('arp', 'unconfigured');
    if (isMulticastMac(packet.senderMac) || packet.senderMac === MAC_ZERO) return this.drop('arp', 'bad-sender');
    if (packet.senderIp === this.address) return this.addressConflict(packet.senderMac);
    const forUs = packet.targetIp === this.address;
    // Learn the sender. Only packets meant for us may add an entry, and only
    // for on-link neighbours; others may refresh one we already have (the
    // "merge" step). Probes (RFC 5227) come from 0.0.0.0 and teach nothing.
    if (packet.senderIp !== IP_ANY) {
      const create = forUs && this.routes.isOnLink(packet.senderIp);
      const waiting = this.arpCache.update(packet.senderIp, packet.senderMac, this.clock(), { create });
      for (const w of waiting) this.sendIpPacket(packet.senderMac, w.packet, false, w.offload);
      if (waiting.length) this.schedulePoll();
    }
    if (!forUs) return this.drop('arp', 'not-for-us');
    if (packet.op === arp.OP_REQUEST) this.sendArpReply(packet);
  }

  // Logged at most once a minute: a flood of forged ARP must not become a
  // flood of log lines. The counter keeps the full story.
  addressConflict(mac) {
    this.drop('arp', 'address-conflict');
    const now = this.clock();
    if (this.conflictLoggedAt !== null && now - this.conflictLoggedAt < 60) return;
    this.conflictLoggedAt = now;
    this.log(`net: ${mac} claims our address ${ipToString(this.address)}`);
  }

  // `fromLoopback`: a packet we sent ourselves (the loopback queue), which
  // may come from and go to 127.0.0.0/8; from the wire those are discarded.
  receiveIpv4(bytes, linkBroadcast, checked = false, fromLoopback = false) {
    this.counters.ipv4.received++;
    let ip = this.parseOr('ipv4', () => ipv4.parse(bytes));
    if (!ip) return;
    const kind = fromLoopback && isLoopback(ip.dst) ? 'unicast' : this.destinationKind(ip);
    if (!kind) return this.drop('ipv4', 'not-for-us');
    if (!(fromLoopback && isLoopback(ip.src)) && this.isBadSource(ip.src)) return this.drop('ipv4', 'bad-source');
    // ctx travels up the stack: what ICMP errors need to know about the packet.
    const ctx = { ip, packet: ipPacketOf(bytes), broadcast: linkBroadcast || kind === 'broadcast', checked };
    if (ip.moreFragments || ip.fragmentOffset > 0) {
      const result = this.reassembler.add(ip, ctx.packet, this.clock());
      this.schedulePoll();
      if (!result) return; // waiting for the other fragments
      if (result.drop) return this.drop('ipv4', result.drop);
      ip = { ...ip, payload: result.payload, moreFragments: false, fragmentOffset: 0 };
      ctx.ip = ip;
      ctx.checked = false; // the NIC saw fragments, never the whole datagram
      ctx.packet = result.first || ctx.packet;
    }
    if (ip.protocol === ipv4.PROTO_ICMP) return this.receiveIcmp(ctx);
    if (ip.protocol === ipv4.PROTO_UDP) return this.receiveUdp(ctx);
    if (ip.protocol === tcp.PROTO_TCP) return this.receiveTcp(ctx);
    this.drop('ipv4', 'unknown-protocol');
    this.sendIcmpError(ctx, icmp.TYPE_DEST_UNREACHABLE, icmp.CODE_PROTOCOL_UNREACHABLE);
  }

  // 'unicast', 'broadcast', or null when the packet is not for this host.
  destinationKind(ip) {
    if (ip.dst === IP_BROADCAST || (this.broadcastAddress !== null && ip.dst === this.broadcastAddress)) return 'broadcast';
    if (this.configured) return ip.dst === this.address ? 'unicast' : null;
    // Before it has an address a host cannot tell which unicast address is
    // its own, and a DHCP server may send its OFFER to the address it is
    // offering (RFC 2131 §4.1). So until configured, UDP to any address is
    // let through to the port table: only the DHCP client has a port then.
    return ip.protocol === ipv4.PROTO_UDP ? 'unicast' : null;
  }

  // RFC 1122 §3.2.1.3: a source that is not one host (broadcast, multicast,
  // class E, loopback from the wire) is silently discarded. 0.0.0.0 is
  // allowed: it is "this host" while it boots (a DHCP client).
  isBadSource(src) {
    return src >= 0xe0000000 || src >>> 24 === 127 || src === this.broadcastAddress;
  }

  receiveIcmp(ctx) {
    this.counters.icmp.received++;
    const msg = this.parseOr('icmp', () => icmp.parse(ctx.ip.payload));
    if (!msg) return;
    if (msg.type === icmp.TYPE_ECHO_REQUEST) return this.answerEcho(ctx, msg);
    if (msg.type === icmp.TYPE_ECHO_REPLY) return this.deliverEchoReply(ctx, msg);
    if (msg.type === icmp.TYPE_DEST_UNREACHABLE || msg.type === icmp.TYPE_TIME_EXCEEDED) return this.deliverIcmpError(msg);
    return this.drop('icmp', 'unhandled-type');
  }

  // RFC 792: the reply carries the request's id, sequence number and data.
  answerEcho(ctx, msg) {
    // RFC 1122 §3.2.2.6 lets a host ignore broadcast pings; doing so keeps
    // us out of "smurf" amplification attacks.
    if (ctx.broadcast) return this.drop('icmp', 'broadcast-echo');
    // 0.0.0.0 is allowed in as a source (a booting DHCP client), but never
    // as a destination (RFC 1122 §3.2.1.3): a reply would go to the gateway.
    if (ctx.ip.src === IP_ANY) return this.drop('icmp', 'echo-no-source');
    const reply = icmp.emit({ type: icmp.TYPE_ECHO_REPLY, id: msg.id, seq: msg.seq, data: msg.data });
    // §3.2.2.6: the reply comes from the address the request went to (not
    // a broadcast, so ours: the interface's, or one of 127.0.0.0/8).
    this.sendIp({ dst: ctx.ip.src, protocol: ipv4.PROTO_ICMP, payload: reply, src: ctx.ip.dst });
  }

  deliverEchoReply(ctx, msg) {
    const listener = this.echoListeners.get(msg.id);
    if (!listener) return this.drop('icmp', 'no-listener');
    listener({ id: msg.id, seq: msg.seq, data: msg.data.slice(), src: ctx.ip.src, ttl: ctx.ip.ttl });
  }

  // An error about a datagram we sent: the quoted header names the socket.
  deliverIcmpError(msg) {
    const q = msg.quoted;
    if (q.protocol === ipv4.PROTO_UDP && (q.src === this.address || isLoopback(q.src)) && this.udp.deliverError(msg)) return;
    this.drop('icmp', 'no-socket');
  }

  receiveUdp(ctx) {
    this.counters.udp.received++;
    const datagram = this.parseOr('udp', () => udp.parse(ctx.ip.payload, ctx.ip, { verifyChecksum: !ctx.checked }));
    if (!datagram) return;
    const result = this.udp.deliver(ctx.ip, datagram);
    if (result === 'delivered') return;
    this.drop('udp', result);
    // RFC 1122 §3.2.2.1 / §4.1.3.1: nobody on that port -> port unreachable.
    if (result === 'no-socket') this.sendIcmpError(ctx, icmp.TYPE_DEST_UNREACHABLE, icmp.CODE_PORT_UNREACHABLE);
  }

  // TCP is unicast only (RFC 9293 §3.9.1.1, RFC 1122 §4.2.3.10: a SYN to a
  // broadcast address is silently discarded). The table answers a segment
  // for no socket with RST, never with ICMP (§3.10.7.1).
  receiveTcp(ctx) {
    this.counters.tcp.received++;
    if (ctx.broadcast) return this.drop('tcp', 'broadcast');
    const segment = this.parseOr('tcp', () => tcp.parse(ctx.ip.payload, ctx.ip, { verifyChecksum: !ctx.checked }));
    if (!segment) return undefined;
    const result = this.tcp.deliver(ctx.ip, segment);
    if (result !== 'delivered') this.drop('tcp', result);
    return undefined;
  }

  // RFC 1122 §3.2.2: an ICMP error is never sent about a broadcast, nor to a
  // source that is not a single host, nor (RFC 1812) faster than a limit,
  // lest a flood of bad packets turn us into a flood of errors.
  sendIcmpError(ctx, type, code) {
    if (ctx.broadcast) return this.drop('icmp', 'error-for-broadcast');
    if ((!this.configured && !isLoopback(ctx.ip.src)) || ctx.ip.src === IP_ANY) return this.drop('icmp', 'error-no-source');
    if (!this.takeIcmpBudget()) return this.drop('icmp', 'rate-limited');
    const payload = icmp.emit({ type, code, original: ctx.packet });
    this.sendIp({ dst: ctx.ip.src, protocol: ipv4.PROTO_ICMP, payload });
  }

  takeIcmpBudget() {
    const second = Math.floor(this.clock());
    if (second !== this.icmpBudget.second) this.icmpBudget = { second, used: 0 };
    if (this.icmpBudget.used >= ICMP_ERRORS_PER_SECOND) return false;
    this.icmpBudget.used++;
    return true;
  }

  // --- send ---------------------------------------------------------------------

  // Sends one IP datagram: routes it, fragments it to the MTU, resolves the
  // next hop's MAC (packets wait in the ARP cache meanwhile). Returns
  // 'sent', 'queued' (waiting for ARP), or the reason it was dropped:
  // 'no-address', 'no-route', 'too-big', 'nic-full'. A payload emitted with
  // this.headroom bytes free in front of it (tcp.emit's headroom) says so
  // with inPlace: the IP and Ethernet headers are then written there and
  // the payload is copied only once more, into the NIC's buffer.
  // `offload` (only as this.offloads allows) leaves work to the NIC:
  // { csumOffset } the transport's checksum, whose field at csumOffset in
  // the payload holds the pseudo-header's sum; with { segmentSize,
  // headerLength } the payload is a TCP segment for the NIC to cut into
  // segments of segmentSize data bytes, so it is never fragmented.
  sendIp({ dst, protocol, payload, ttl = ipv4.DEFAULT_TTL, src, inPlace = false, offload = null }) {
    dst = toIp(dst);
    if (src === undefined) src = this.sourceFor(dst);
    const nextHop = this.nextHopFor(dst);
    if (nextHop === null) return this.refuse(this.configured ? 'no-route' : 'no-address');
    if (payload.length > MAX_IP_PAYLOAD) return this.refuse('too-big');
    const id = this.takeIpId();
    let status;
    if (this.isLocal(dst)) {
      // No NIC on this path: what it would have finished is done here.
      if (offload) finishPartial(payload, 0, offload.csumOffset);
      status = this.loopback(ipv4.emit({ src, dst, protocol, payload, ttl, id }));
    } else if (offload && offload.segmentSize) {
      const packet = ipv4.emit({ src, dst, protocol, payload, ttl, id }, { inPlace });
      status = this.transmitIp(nextHop, packet, inPlace, offload);
    } else {
      if (offload && payload.length > this.mtu - ipv4.HEADER_LEN) {
        finishPartial(payload, 0, offload.csumOffset); // fragments: the NIC sees no whole segment
        offload = null;
      }
      const packets = this.fragment({ src, dst, protocol, payload, ttl, id }, inPlace);
      const statuses = packets.map((p) => this.transmitIp(nextHop, p, inPlace && packets.length === 1, offload));
      status = statuses.find((s) => s !== 'sent') || 'sent';
    }
    if (PROTOCOL_NAMES[protocol] && (status === 'sent' || status === 'queued')) this.counters[PROTOCOL_NAMES[protocol]].sent++;
    return status;
  }

  refuse(reason) {
    this.drop('ipv4', reason);
    return reason;
  }

  // 255.255.255.255 goes out on the link as it is, with or without an
  // address (RFC 1122 §3.3.6: never forwarded); 127.0.0.0/8 never goes out
  // (the loopback queue takes it, as Linux's lo); the rest needs a route.
  nextHopFor(dst) {
    if (dst === IP_BROADCAST) return IP_BROADCAST;
    if (isLoopback(dst)) return dst;
    if (!this.configured) return null;
    return this.routes.lookup(dst);
  }

  // Our own addresses: the interface's, and the whole loopback network.
  isLocal(dst) {
    return isLoopback(dst) || (this.configured && dst === this.address);
  }

  // The source address for a datagram to `dst`: 127.0.0.1 towards the
  // loopback network (Linux's lo has 127.0.0.1/8), else the interface's.
  sourceFor(dst) {
    return isLoopback(dst) ? IP_LOOPBACK : this.address;
  }

  // Identification only has to be unique per (src, dst, protocol) for as
  // long as fragments may live (RFC 6864); a counter does that.
  takeIpId() {
    const id = this.nextIpId;
    this.nextIpId = (this.nextIpId + 1) & 0xffff;
    return id;
  }

  // RFC 791 §3.2 "fragmentation": every fragment but the last carries a
  // multiple of 8 bytes; MTU 1500 leaves 1480, which is one.
  fragment({ src, dst, protocol, payload, ttl, id }, inPlace = false) {
    const room = this.mtu - ipv4.HEADER_LEN;
    if (payload.length <= room) return [ipv4.emit({ src, dst, protocol, payload, ttl, id }, { inPlace })];
    const packets = [];
    for (let offset = 0; offset < payload.length; offset += room) {
      const piece = payload.subarray(offset, offset + room);
      const moreFragments = offset + room < payload.length;
      packets.push(ipv4.emit({ src, dst, protocol, ttl, id, payload: piece, fragmentOffset: offset, moreFragments }));
    }
    return packets;
  }

  // inPlace: the packet has room for the Ethernet header in front of it.
  transmitIp(nextHop, packet, inPlace = false, offload = null) {
    if (this.isBroadcast(nextHop)) return this.sendIpPacket(MAC_BROADCAST, packet, inPlace, offload);
    const now = this.clock();
    const mac = this.arpCache.lookup(nextHop, now);
    if (mac) return this.sendIpPacket(mac, packet, inPlace, offload);
    if (this.arpCache.enqueue(nextHop, { packet, offload }, now)) this.sendArpRequest(nextHop);
    this.schedulePoll();
    return 'queued';
  }

  isBroadcast(ip) {
    return ip === IP_BROADCAST || ip === this.broadcastAddress;
  }

  sendIpPacket(mac, packet, inPlace = false, offload = null) {
    if (!this.sendFrame(mac, ethernet.ETHERTYPE_IPV4, packet, inPlace, offload && this.nicOffload(packet, offload))) return 'nic-full';
    this.counters.ipv4.sent++;
    return 'sent';
  }

  sendArpRequest(targetIp) {
    const request = arp.emit({ op: arp.OP_REQUEST, senderMac: this.mac, senderIp: this.address, targetMac: MAC_ZERO, targetIp });
    if (this.sendFrame(MAC_BROADCAST, ethernet.ETHERTYPE_ARP, request)) this.counters.arp.sent++;
  }

  sendArpReply(request) {
    const reply = arp.emit({
      op: arp.OP_REPLY,
      senderMac: this.mac,
      senderIp: this.address,
      targetMac: request.senderMac,
      targetIp: request.senderIp,
    });
    if (this.sendFrame(request.senderMac, ethernet.ETHERTYPE_ARP, reply)) this.counters.arp.sent++;
  }

  // The offload in the NIC's terms (virtio-net's header, §5.1.6.2):
  // offsets from the start of the Ethernet frame.
  nicOffload(packet, { csumOffset, segmentSize = 0, headerLength = 0 }) {
    const csumStart = ethernet.HEADER_LEN + (packet[0] & 0x0f) * 4;
    return { csumStart, csumOffset, gsoSize: segmentSize, hdrLen: segmentSize ? csumStart + headerLength : 0 };
  }

  // The NIC returns false when its transmit ring is full; a fake may return nothing.
  sendFrame(dst, ethertype, payload, inPlace = false, offload = null) {
    const frame = ethernet.emit({ dst, src: this.mac, ethertype, payload }, { inPlace });
    if ((offload ? this.nic.send(frame, offload) : this.nic.send(frame)) === false) {
      this.drop('ethernet', 'nic-full');
      return false;
    }
    this.counters.ethernet.sent++;
    return true;
  }

  // Packets to our own address never touch the NIC. They are delivered on
  // the next timer tick, not at once, so a socket that answers itself
  // cannot recurse without end.
  loopback(packet) {
    if (this.loopbackQueue.length >= LOOPBACK_QUEUE) return this.refuse('loopback-full');
    this.loopbackQueue.push(packet);
    if (this.loopbackQueue.length === 1) this.timers.after(0, () => this.drainLoopback());
    this.counters.ipv4.sent++;
    return 'sent';
  }

  drainLoopback() {
    const packets = this.loopbackQueue;
    this.loopbackQueue = [];
    for (const p of packets) {
      try {
        this.receiveIpv4(p, false, false, true);
      } catch (e) {
        this.internalError(e);
      }
    }
  }

  // --- ping support -------------------------------------------------------------

  addEchoListener(id, fn) {
    if (this.echoListeners.has(id)) throw new Error(`net: echo id ${id} is in use`);
    this.echoListeners.set(id, fn);
  }

  removeEchoListener(id) {
    this.echoListeners.delete(id);
  }

  hasEchoListener(id) {
    return this.echoListeners.has(id);
  }

  // --- time: ARP retries and reassembly timeouts --------------------------------

  // One timer for the whole interface, set for the earliest thing due
  // (smoltcp's poll_at): no timer per packet or per neighbour.
  schedulePoll() {
    const due = earliest(this.arpCache.nextDeadline(), this.reassembler.nextDeadline());
    if (due === this.pollAt) return;
    if (this.pollTimer !== null) this.timers.cancel(this.pollTimer);
    this.pollTimer = null;
    this.pollAt = due;
    if (due === null) return;
    // Rounded up: a timer that fires a hair early (the kernel runs timers
    // due within 0.2 ms) finds nothing due and is simply set again, 1 ms on.
    const delayMs = Math.max(0, Math.ceil((due - this.clock()) * 1000));
    this.pollTimer = this.timers.after(delayMs, () => {
      this.pollTimer = null;
      this.pollAt = null;
      this.poll();
    });
  }

  poll() {
    try {
      const now = this.clock();
      const { retry, unresolved } = this.arpCache.poll(now);
      for (const ip of retry) this.sendArpRequest(ip);
      for (const { dropped } of unresolved) this.drop('ipv4', 'arp-unresolved', dropped);
      this.reassembler.expire(now);
    } catch (e) {
      this.internalError(e);
    }
    this.schedulePoll();
  }

  // --- counters -------------------------------------------------------------------

  drop(layer, reason, count = 1) {
    if (count <= 0) return;
    const dropped = this.counters[layer].dropped;
    dropped[reason] = (dropped[reason] || 0) + count;
  }

  // Runs a wire/ parser; a WireError becomes a drop counted by its reason.
  parseOr(layer, parse) {
    try {
      return parse();
    } catch (e) {
      if (!(e instanceof WireError)) throw e;
      this.drop(layer, e.reason);
      return null;
    }
  }

  internalError(e) {
    this.drop('ethernet', 'internal');
    if (this.internalErrorLogged) return;
    this.internalErrorLogged = true;
    this.log(`net: internal error, packet dropped (later ones are only counted): ${(e && e.stack) || e}`);
  }

  // A snapshot for `netstat -s`: per layer { received, sent, dropped: { reason: n } },
  // plus the ARP cache, reassembly and socket tables' own counters.
  stats() {
    const out = {};
    for (const [name, c] of Object.entries(this.counters)) {
      out[name] = { received: c.received, sent: c.sent, dropped: { ...c.dropped } };
    }
    out.arp.cache = { entries: this.arpCache.size, pending: this.arpCache.pendingCount, ...this.arpCache.counters };
    out.ipv4.reassembly = { inProgress: this.reassembler.size, fragmentsHeld: this.reassembler.heldFragments, ...this.reassembler.counters };
    out.udp.sockets = this.udp.list();
    Object.assign(out.tcp, this.tcp.stats());
    out.tcp.sockets = this.tcp.list();
    return out;
  }
}

function earliest(a, b) {
  if (a === null) return b;
  if (b === null) return a;
  return Math.min(a, b);
}

module.exports = { Interface, MTU };
