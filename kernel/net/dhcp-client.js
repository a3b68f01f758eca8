// kernel/net/dhcp-client.js: the client side of DHCP (RFC 2131 §4.4, Figure 5):
// INIT -> SELECTING -> REQUESTING -> BOUND -> RENEWING -> REBINDING, and back to INIT.
//
// State lives here (the state machine, xid, lease timers); bytes are wire/'s
// job (wire/dhcp.js). It talks through a UDP socket on port 68 of the
// interface, which can send from 0.0.0.0 and hear broadcasts before it has an
// address, and configures the interface when a lease is granted.
'use strict';

const dhcp = require('./wire/dhcp');
const { WireError } = require('./wire/errors');
const { IP_ANY, IP_BROADCAST, ipToString, prefixFromMask } = require('./wire/ip-address');

const STATES = ['STOPPED', 'INIT', 'SELECTING', 'REQUESTING', 'BOUND', 'RENEWING', 'REBINDING'];

// RFC 2131 §4.1 retransmits at 4 s, 8 s, 16 s, ... up to 64 s, each ±1 s at
// random. We start at 2 s: on a virtual cable a first packet is lost only
// when the other end was not ready yet, and boot should not wait long for it.
const FIRST_RETRY_S = 2;
const MAX_RETRY_S = 64;
const GIVE_UP_ATTEMPTS = 4; // DISCOVERs (or REQUESTs) before we say so / start over
const RENEW_MIN_RETRY_S = 60; // §4.4.5: in RENEWING/REBINDING, wait half the time left, at least 60 s
const DEFAULT_LEASE_S = 3600; // if an ACK forgets option 51 (it MUST carry it)
const MIN_LEASE_S = 60; // a 0 s lease from a broken server would make us spin: BOUND, expired, DISCOVER...
const INFINITE_LEASE = 0xffffffff; // RFC 2131 §3.3
const REQUESTED_OPTIONS = [1, 3, 6, 15, 51, 58, 59]; // mask, router, DNS, domain, lease, T1, T2

// A subnet mask the server did not send: the classful default (RFC 1122
// §3.3.1.1 says a host must then not guess, but every client does this).
function classfulPrefix(address) {
  const first = address >>> 24;
  return first < 128 ? 8 : first < 192 ? 16 : 24;
}

class DhcpClient {
  // iface: an Interface. random(): a float in [0, 1) (Math.random's shape),
  // injected so tests choose the xids and jitter. onBound(info) runs on every
  // new or renewed lease; onLost(reason) when an address is taken away.
  constructor({
    iface,
    clock = iface.clock,
    timers = iface.timers,
    random,
    log = () => {},
    onBound = () => {},
    onLost = () => {},
    hostname,
  }) {
    if (typeof random !== 'function') throw new Error('DhcpClient: random() must be given (xids must not repeat across boots)');
    this.iface = iface;
    this.clock = clock;
    this.timers = timers;
    this.random = random;
    this.log = log;
    this.onBound = onBound;
    this.onLost = onLost;
    this.hostname = hostname;
    this.state = 'STOPPED';
    this.socket = null;
    this.xid = 0;
    this.attempts = 0; // messages sent in the current exchange
    this.exchangeStartedAt = 0; // for the secs field and elapsedMs
    this.requestSentAt = 0; // a lease's times count from here (§4.4.1)
    this.offer = null; // { address, serverId } chosen in SELECTING
    this.lease = null; // the binding, once BOUND
    this.retryTimer = null;
    this.leaseTimer = null; // the next of T1, T2, expiry
    this.consecutiveNaks = 0;
    this.counters = { sent: 0, offers: 0, acks: 0, naks: 0, ignored: 0 };
  }

  start() {
    if (this.state !== 'STOPPED') return;
    this.socket = this.iface.udp.createSocket();
    this.socket.bind(dhcp.CLIENT_PORT);
    this.socket.owner = 'kernel (dhcp)';
    this.socket.onMessage((bytes, from) => this.receive(bytes, from));
    this.enterInit();
  }

  // Stops the machine; the address, if any, stays configured.
  stop() {
    this.cancelTimers();
    if (this.socket) this.socket.close();
    this.socket = null;
    this.state = 'STOPPED';
  }

  // --- states ---------------------------------------------------------------

  // INIT: §4.4.1 says wait 1-10 s at random first, to spread out a room of
  // machines powered on together. We are one VM; we start at once.
  enterInit(delayS = 0) {
    this.cancelTimers();
    this.state = 'INIT';
    this.offer = null;
    if (delayS > 0) this.retryTimer = this.timers.after(delayS * 1000, () => this.enterSelecting());
    else this.enterSelecting();
  }

  enterSelecting() {
    this.state = 'SELECTING';
    this.beginExchange();
    this.sendDiscover();
  }

  enterRequesting(offer) {
    this.cancelRetry();
    this.state = 'REQUESTING';
    this.offer = offer;
    this.attempts = 0; // same xid (§4.4.1: the REQUEST answers the OFFER), fresh retry count
    this.sendSelectingRequest();
  }

  enterBound(lease) {
    this.cancelTimers();
    const renewed = this.lease !== null && this.lease.address === lease.address;
    this.state = 'BOUND';
    this.lease = lease;
    this.consecutiveNaks = 0;
    this.iface.configure({ address: lease.address, prefixLength: lease.prefixLength, gateway: lease.gateway, dns: lease.dns });
    this.scheduleLeaseEvent(lease.renewAt, () => this.enterRenewing());
    this.onBound({
      address: lease.address,
      prefixLength: lease.prefixLength,
      gateway: lease.gateway,
      dns: lease.dns,
      lease: lease.leaseTime,
      serverId: lease.serverId,
      renewed,
      elapsedMs: Math.round((this.clock() - this.exchangeStartedAt) * 1000),
    });
  }

  // T1: ask the server that gave us the lease, by unicast (§4.4.5).
  enterRenewing() {
    this.state = 'RENEWING';
    this.beginExchange();
    this.scheduleLeaseEvent(this.lease.rebindAt, () => this.enterRebinding());
    this.sendRenewal();
  }

  // T2: that server is silent; ask any server, by broadcast.
  enterRebinding() {
    this.cancelRetry();
    this.state = 'REBINDING';
    this.beginExchange();
    this.scheduleLeaseEvent(this.lease.expiresAt, () => this.leaseExpired());
    this.sendRenewal();
  }

  leaseExpired() {
    this.log(`DHCP: lease on ${ipToString(this.lease.address)} expired`);
    this.loseAddress('expired');
    this.enterInit();
  }

  loseAddress(reason) {
    if (!this.lease) return;
    this.lease = null;
    this.iface.unconfigure();
    this.onLost(reason);
  }

  // --- sending ------------------------------------------------------------------

  beginExchange() {
    this.xid = Math.floor(this.random() * 0x100000000) >>> 0;
    this.attempts = 0;
    this.exchangeStartedAt = this.clock();
  }

  // The fields every client message shares (RFC 2131 Table 5).
  message(messageType, fields) {
    const secs = Math.min(0xffff, Math.floor(this.clock() - this.exchangeStartedAt));
    const msg = { messageType, xid: this.xid, chaddr: this.iface.mac, secs, parameterRequestList: REQUESTED_OPTIONS, ...fields };
    if (this.hostname) msg.hostname = this.hostname;
    return dhcp.emit(msg);
  }

  // The broadcast flag asks the server to broadcast its answer, since we
  // cannot yet receive unicast reliably (§4.1); the interface accepts both.
  sendDiscover() {
    this.transmit(IP_BROADCAST, this.message(dhcp.DISCOVER, { broadcast: true }));
    this.scheduleRetry(this.backoffDelay(), () => this.discoverTimedOut());
  }

  discoverTimedOut() {
    if (this.attempts === GIVE_UP_ATTEMPTS) {
      const waited = Math.round(this.clock() - this.exchangeStartedAt);
      this.log(`DHCP: no offer after ${this.attempts} attempts (${waited} s); will keep trying every ${MAX_RETRY_S} s`);
    }
    this.sendDiscover();
  }

  // REQUESTING: name the chosen server and address (§4.3.2, "SELECTING state").
  sendSelectingRequest() {
    this.requestSentAt = this.clock();
    const fields = { broadcast: true, requestedIp: this.offer.address, serverId: this.offer.serverId };
    this.transmit(IP_BROADCAST, this.message(dhcp.REQUEST, fields));
    this.scheduleRetry(this.backoffDelay(), () => {
      if (this.attempts < GIVE_UP_ATTEMPTS) return this.sendSelectingRequest();
      // §4.4.1: neither ACK nor NAK after the retransmissions: start over.
      this.log(`DHCP: no answer to REQUEST for ${ipToString(this.offer.address)}; starting over`);
      this.enterInit();
    });
  }

  // RENEWING and REBINDING: our address in ciaddr, no server id, no
  // requested address (§4.3.2); unicast to our server, or broadcast.
  sendRenewal() {
    this.requestSentAt = this.clock();
    const to = this.state === 'RENEWING' ? this.lease.serverId : IP_BROADCAST;
    this.transmit(to, this.message(dhcp.REQUEST, { ciaddr: this.lease.address }));
    // §4.4.5: retry after half the time left until T2 (or expiry), at least 60 s.
    const until = this.state === 'RENEWING' ? this.lease.rebindAt : this.lease.expiresAt;
    const delay = Math.max(RENEW_MIN_RETRY_S, (until - this.clock()) / 2);
    this.scheduleRetry(delay, () => this.sendRenewal());
  }

  transmit(to, bytes) {
    this.attempts++;
    this.counters.sent++;
    // A 'no-route' or full NIC is not fatal: the retransmission timer retries.
    this.socket.sendTo(to, dhcp.SERVER_PORT, bytes);
  }

  // 2 s, 4 s, 8 s, 16 s after the 1st to 4th message, then every 64 s
  // ("retry slowly" once we have said we are giving up), each ±1 s.
  backoffDelay() {
    const base = this.attempts > GIVE_UP_ATTEMPTS ? MAX_RETRY_S : Math.min(MAX_RETRY_S, FIRST_RETRY_S * 2 ** (this.attempts - 1));
    return Math.max(1, base + (this.random() * 2 - 1));
  }

  // --- receiving ------------------------------------------------------------------

  receive(bytes, from) {
    let msg;
    try {
      msg = dhcp.parse(bytes);
    } catch (e) {
      if (!(e instanceof WireError)) throw e;
      return this.ignore();
    }
    // Ours only if it answers our current transaction for our MAC.
    if (msg.op !== dhcp.OP_BOOTREPLY || msg.xid !== this.xid || msg.chaddr !== this.iface.mac) return this.ignore();
    const type = msg.messageType;
    if (this.state === 'SELECTING' && type === dhcp.OFFER) return this.receiveOffer(msg, from);
    const waitingForAck = this.state === 'REQUESTING' || this.state === 'RENEWING' || this.state === 'REBINDING';
    if (waitingForAck && type === dhcp.ACK) return this.receiveAck(msg);
    if (waitingForAck && type === dhcp.NAK) return this.receiveNak(msg);
    return this.ignore();
  }

  // §4.4.1: the client may take the first acceptable offer; we do.
  receiveOffer(msg, from) {
    if (!isUsableAddress(msg.yiaddr)) return this.ignore();
    this.counters.offers++;
    this.enterRequesting({ address: msg.yiaddr, serverId: msg.serverId ?? from.address });
  }

  receiveAck(msg) {
    if (!isUsableAddress(msg.yiaddr)) return this.ignore();
    this.counters.acks++;
    // RFC 2131 §4.4.1 says the client SHOULD now ARP for the address and
    // DECLINE it if someone answers. On slirp nobody else is on the cable;
    // this is where that check would go.
    this.enterBound(this.leaseFrom(msg));
  }

  // §3.1 step 5 / §4.4.5: the server says no: drop the address, start over.
  // A server that NAKs every time would make that a tight loop, so repeated
  // NAKs back off (0 s, 2 s, 4 s, ... 64 s).
  receiveNak(msg) {
    if (this.state === 'REQUESTING' && msg.serverId !== undefined && msg.serverId !== this.offer.serverId) return this.ignore();
    this.counters.naks++;
    this.consecutiveNaks++;
    this.log(`DHCP: NAK in ${this.state}; starting over`);
    this.loseAddress('nak');
    this.enterInit(this.consecutiveNaks > 1 ? Math.min(MAX_RETRY_S, 2 ** (this.consecutiveNaks - 1)) : 0);
  }

  ignore() {
    this.counters.ignored++;
  }

  // The binding an ACK grants, with absolute times for T1, T2 and expiry
  // counted from when we sent the REQUEST (§4.4.1).
  leaseFrom(msg) {
    const address = msg.yiaddr;
    const prefix = msg.subnetMask !== undefined ? prefixFromMask(msg.subnetMask) : -1;
    const leaseTime = Math.max(MIN_LEASE_S, msg.leaseTime ?? DEFAULT_LEASE_S);
    let t1 = msg.renewalTime ?? leaseTime / 2; // §4.4.5 defaults: 0.5 and 0.875 of the lease
    let t2 = msg.rebindingTime ?? (leaseTime * 7) / 8;
    // Nonsense (T2 before T1, or a T1 so short we would renew in a tight loop): use the defaults.
    if (!(t1 >= MIN_LEASE_S / 2 && t1 <= t2 && t2 <= leaseTime)) [t1, t2] = [leaseTime / 2, (leaseTime * 7) / 8];
    const base = this.requestSentAt;
    const infinite = leaseTime === INFINITE_LEASE;
    return {
      address,
      prefixLength: prefix >= 0 ? prefix : classfulPrefix(address),
      gateway: msg.routers ? msg.routers[0] : IP_ANY,
      dns: msg.dnsServers || [],
      serverId: msg.serverId ?? this.lease?.serverId ?? this.offer?.serverId ?? IP_ANY,
      leaseTime,
      renewAt: infinite ? null : base + t1,
      rebindAt: infinite ? null : base + t2,
      expiresAt: infinite ? null : base + leaseTime,
    };
  }

  // --- timers -----------------------------------------------------------------------

  scheduleRetry(delayS, fn) {
    this.cancelRetry();
    this.retryTimer = this.timers.after(delayS * 1000, () => {
      this.retryTimer = null;
      fn();
    });
  }

  // at: absolute seconds, or null for never (an infinite lease).
  scheduleLeaseEvent(at, fn) {
    if (this.leaseTimer !== null) this.timers.cancel(this.leaseTimer);
    this.leaseTimer = null;
    if (at === null) return;
    this.leaseTimer = this.timers.after(Math.max(0, (at - this.clock()) * 1000), () => {
      this.leaseTimer = null;
      fn();
    });
  }

  cancelRetry() {
    if (this.retryTimer !== null) this.timers.cancel(this.retryTimer);
    this.retryTimer = null;
  }

  cancelTimers() {
    this.cancelRetry();
    this.scheduleLeaseEvent(null);
  }

  // For an `ip` command: where the machine is and when the lease moves on.
  describe() {
    const now = this.clock();
    const l = this.lease;
    const inS = (t) => (t === null ? null : Math.max(0, Math.round(t - now)));
    return {
      state: this.state,
      address: l ? ipToString(l.address) : null,
      server: l ? ipToString(l.serverId) : null,
      renewIn: l ? inS(l.renewAt) : null,
      rebindIn: l ? inS(l.rebindAt) : null,
      expiresIn: l ? inS(l.expiresAt) : null,
      ...this.counters,
    };
  }
}

// An address a server may hand out: not 0.0.0.0, not broadcast or multicast, not loopback.
function isUsableAddress(ip) {
  return ip !== IP_ANY && ip < 0xe0000000 && ip >>> 24 !== 127;
}

module.exports = { DhcpClient, STATES };
