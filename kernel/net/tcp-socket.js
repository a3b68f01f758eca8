// kernel/net/tcp-socket.js: TCP sockets and the table that hands each
// segment to one (RFC 9293 §3.10.7): connections by four-tuple, listeners by
// local port, and the RST for a segment nobody should have got.
//
// A TcpSocket wraps one Connection (kernel/net/tcp/connection.js, a pure
// state machine) and gives it what it lacks: addresses, a port, the clock,
// a timer at its pollAt(), and the interface to send through. A TcpListener
// is a port in LISTEN with its two queues (SYN queue, accept queue). The
// interface parses each segment (wire/tcp.js) and calls deliver(); what a
// connection has to send is taken from poll() once per batch of work (a
// microtask after the interrupt that brought the frames, or after the app's
// calls), so one ACK can cover many segments that arrived together.
//
// Secrets (RFC 6528, RFC 6056): initial sequence numbers, ephemeral ports and
// timestamp offsets come from a keyed hash, ChaCha20's block function over
// the four-tuple with a 256-bit key drawn from the kernel's urandom (the
// `random(n)` given at construction) when the first connection needs it.
'use strict';

const tcp = require('./wire/tcp');
const { PROTO_TCP } = require('./wire/ipv4');
const { Connection, resetFor } = require('./tcp/connection');
const { State } = require('./tcp/states');
const { seqGt } = require('./tcp/seq');
const { chacha20Block } = require('../lib/chacha20');
const { ipFromString, ipToString } = require('./wire/ip-address');

// RFC 6056 §2.1 leaves the range to the stack; Linux's ip_local_port_range.
const EPHEMERAL_FIRST = 32768;
const EPHEMERAL_LAST = 60999;
// A listener's default backlog: Node's (net.Server.listen), capped as
// Linux's net.core.somaxconn caps it.
const DEFAULT_BACKLOG = 511;
const MAX_BACKLOG = 4096;
// RFC 6528 §3: M is a timer that ticks every 4 microseconds.
const ISN_TICKS_PER_SECOND = 250000;
// Domains of the keyed hash, so an ISN never reveals a port offset.
const HASH_ISN = 1;
const HASH_PORT = 2;
const HASH_TIMESTAMP = 3;

const toIp = (ip) => (typeof ip === 'string' ? ipFromString(ip) : ip);

function socketError(code, message) {
  const e = new Error(`${code}: ${message}`);
  e.code = code;
  return e;
}

// Flag combinations no TCP sends to a listener, and the drop reason for
// each. A SYN opens a connection and a FIN or RST ends one, so a segment
// cannot carry both (Linux's tcp_rcv_state_process discards SYN with FIN
// in LISTEN; RFC 9293 §3.10.7.2 would ignore SYN with RST as an RST, and
// would answer SYN with FIN with a SYN-ACK and then take the FIN). A
// segment with no flags at all is a null scan: every real segment but the
// first SYN carries an ACK.
function impossibleFlags(f) {
  if (f.syn && f.fin) return 'syn-fin';
  if (f.syn && f.rst) return 'syn-rst';
  if (!f.syn && !f.ack && !f.rst && !f.fin && !f.psh && !f.urg) return 'no-flags';
  return null;
}

// The connections' own counters that netstat -s sums over the table, the
// closed connections' included.
const SUMMED = ['retransmits', 'timeouts', 'lossProbes', 'bytesIn', 'bytesOut', 'challengeAcks', 'challengeAcksSuppressed', 'probes', 'finWait2Timeouts'];

const keyOf = (remoteAddress, remotePort, localPort) => `${remoteAddress}:${remotePort}:${localPort}`;

// RFC 6191 §2: a SYN (no ACK, no RST) for a connection in TIME-WAIT is a new
// incarnation when its timestamp is newer than TS.Recent, or, without
// timestamps on both, when its sequence number is past RCV.NXT.
function newSynInTimeWait(conn, seg) {
  const f = seg.flags;
  if (!f.syn || f.ack || f.rst) return false;
  const ts = seg.options.timestamps;
  if (conn.tsOk && conn.tsRecent !== null) return Boolean(ts) && seqGt(ts.tsVal, conn.tsRecent);
  return seqGt(seg.seq, conn.rcvNxt);
}

// One connection with its place in the table. `handler(type, detail)` is the
// owner's (app-tcp.js for apps): established, readable, writable, end,
// error {code}, closed {error}, as Connection reports them.
class TcpSocket {
  constructor(table, conn, listener = null) {
    this.table = table;
    this.conn = conn;
    this.listener = listener; // set while it waits in a listener's queues
    this.key = keyOf(conn.remoteAddress, conn.remotePort, conn.localPort);
    this.handler = null;
    this.owner = 'kernel'; // who holds it, for netstat
    this.timer = null; // the kernel timer set for timerAt
    this.timerAt = null;
    this.forgotten = false;
  }

  get state() {
    return this.conn.state;
  }

  get localAddress() {
    return this.conn.localAddress;
  }

  get localPort() {
    return this.conn.localPort;
  }

  get remoteAddress() {
    return this.conn.remoteAddress;
  }

  get remotePort() {
    return this.conn.remotePort;
  }

  // Queues bytes; returns how many the send buffer took (the rest waits for 'writable').
  send(bytes) {
    const n = this.conn.send(bytes);
    this.table.touch(this);
    return n;
  }

  // Up to max bytes, an empty array if none yet, null at the end of the stream.
  read(max) {
    const out = this.conn.read(max);
    if (out && out.length) this.table.touch(this); // reading may open the window
    return out;
  }

  get readable() {
    return this.conn.readable;
  }

  get sendRoom() {
    return this.conn.finQueued || this.conn.state === State.CLOSED ? 0 : this.conn.sendBuffer.free;
  }

  // Half-close: a FIN after the queued data (RFC 9293 §3.10.4).
  close() {
    this.conn.close();
    this.table.touch(this);
  }

  // The owner has closed it and gone (its last descriptor, or it exited):
  // in FIN-WAIT-2 it now waits for the peer's FIN only 60 s
  // (Connection.orphan, Linux's tcp_fin_timeout).
  orphan() {
    this.conn.orphan();
    this.table.touch(this);
  }

  // RST (RFC 9293 §3.10.5).
  abort() {
    this.conn.abort();
    this.table.touch(this);
  }

  setNoDelay(on = true) {
    this.conn.nodelay = Boolean(on);
    this.table.touch(this);
  }

  event(type, detail) {
    if (type === 'established' && this.listener) this.listener.established(this);
    if (type === 'closed' && this.listener) this.listener.lost(this);
    if (this.handler) this.handler(type, detail);
  }

  describe() {
    return {
      ...this.conn.describe(),
      localAddress: ipToString(this.conn.localAddress),
      remoteAddress: ipToString(this.conn.remoteAddress),
      owner: this.owner,
    };
  }
}

// A port in LISTEN (RFC 9293 §3.10.7.2). Connections it makes wait in the
// SYN queue while SYN-RECEIVED and in the accept queue once ESTABLISHED,
// until the owner accept()s them. Both queues hold at most `backlog`. A SYN
// that finds the accept queue full is dropped, as Linux does: the peer sends
// it again (1 s, 2 s, ...) and gets in once the app has accepted. A SYN that
// finds the SYN queue full evicts the oldest half-open connection (RFC 4987
// §3.4, "Recycling the Oldest Half-Open TCB"), so a flood of spoofed SYNs
// cannot hold the queue for the 63 s of SYN-ACK retries.
class TcpListener {
  constructor(table, port, backlog) {
    this.table = table;
    this.port = port;
    this.backlog = backlog;
    this.synQueue = new Set();
    this.acceptQueue = [];
    this.onAcceptable = null; // fn() when the accept queue gains a connection
    this.owner = 'kernel';
    this.closed = false;
  }

  // The oldest established connection, or null; it is the caller's now.
  accept() {
    const socket = this.acceptQueue.shift() || null;
    if (socket) socket.listener = null;
    return socket;
  }

  get full() {
    return this.acceptQueue.length >= this.backlog;
  }

  // The half-open connection that has waited longest (a Set iterates in
  // insertion order), or null.
  oldestHalfOpen() {
    for (const socket of this.synQueue) return socket;
    return null;
  }

  established(socket) {
    this.synQueue.delete(socket);
    this.acceptQueue.push(socket);
    if (this.onAcceptable) this.onAcceptable();
  }

  // Reset or timed out before it was accepted: forgotten (Linux keeps it
  // for accept() to return and fail; nobody has seen this one yet).
  lost(socket) {
    this.synQueue.delete(socket);
    const i = this.acceptQueue.indexOf(socket);
    if (i >= 0) this.acceptQueue.splice(i, 1);
  }

  // Connections nobody accepted are reset, as Linux does on close(listen fd).
  close() {
    if (this.closed) return;
    this.closed = true;
    this.onAcceptable = null;
    for (const socket of [...this.synQueue, ...this.acceptQueue]) {
      socket.listener = null;
      socket.abort();
    }
    this.synQueue.clear();
    this.acceptQueue = [];
    this.table.releaseListener(this);
  }
}

// The TCP table of one interface.
class TcpSockets {
  // iface: needs address, clock(), timers, sendIp(), routes; random(n): n
  // random bytes (the kernel's urandom); defer(fn): run fn after the current
  // batch of work (a microtask by default); options: Connection options for
  // every connection (tests shorten timers with them).
  constructor(iface, { random, defer, options = {} } = {}) {
    this.iface = iface;
    this.random = random || ((n) => Uint8Array.from({ length: n }, () => (Math.random() * 256) | 0));
    this.defer = defer || ((fn) => Promise.resolve().then(fn));
    this.options = options;
    this.connections = new Map(); // "remote:port:localport" -> TcpSocket
    this.listeners = new Map(); // port -> TcpListener
    this.dirty = new Set(); // sockets whose poll() is due at the end of this batch
    this.flushScheduled = false;
    this.hashKey = null; // 8 words, drawn on first use
    this.hashState = new Uint32Array(16);
    this.hashOut = new Uint32Array(16);
    this.nextEphemeral = 0; // RFC 6056 Algorithm 3's next_ephemeral
    this.counters = { activeOpens: 0, passiveOpens: 0, resetsIn: 0, resetsOut: 0, listenOverflows: 0, listenDrops: 0, synQueueEvictions: 0, timeWaitReused: 0 };
    this.retired = { drops: {} }; // from closed connections: SUMMED counters and drops
    for (const name of SUMMED) this.retired[name] = 0;
  }

  // --- secrets: RFC 6528 and RFC 6056 -----------------------------------------

  // F(): ChaCha20's block function (RFC 8439 §2.3) keyed with our secret,
  // the four words of input where the counter and nonce go; its first word.
  // A PRF, as RFC 6528 §3 asks (its example is MD5; Linux uses SipHash).
  keyedHash(domain, a, b, c) {
    if (!this.hashKey) {
      const bytes = this.random(32);
      this.hashKey = new Uint32Array(8);
      for (let i = 0; i < 8; i++) this.hashKey[i] = (bytes[4 * i] | (bytes[4 * i + 1] << 8) | (bytes[4 * i + 2] << 16) | (bytes[4 * i + 3] << 24)) >>> 0;
    }
    const s = this.hashState;
    s[0] = 0x61707865; s[1] = 0x3320646e; s[2] = 0x79622d32; s[3] = 0x6b206574;
    s.set(this.hashKey, 4);
    s[12] = domain; s[13] = a; s[14] = b; s[15] = c;
    chacha20Block(s, this.hashOut, 0);
    return this.hashOut[0] >>> 0;
  }

  // RFC 6528 §3: ISN = M + F(localip, localport, remoteip, remoteport, secretkey),
  // M the 4 µs clock. A new connection's ISN runs ahead of an old one's
  // on the same four-tuple; nobody off the path can guess it.
  initialSequence(localAddress, localPort, remoteAddress, remotePort, now) {
    const m = Math.floor(now * ISN_TICKS_PER_SECOND);
    return (m + this.keyedHash(HASH_ISN, localAddress, remoteAddress, ((localPort << 16) | remotePort) >>> 0)) >>> 0;
  }

  // RFC 7323 §5.4: each connection's timestamps start at a random offset.
  timestampOffset(localAddress, localPort, remoteAddress, remotePort) {
    return this.keyedHash(HASH_TIMESTAMP, localAddress, remoteAddress, ((localPort << 16) | remotePort) >>> 0);
  }

  // RFC 6056 §3.3.3, Algorithm 3 ("Simple Hash-Based Port Selection"): each
  // destination walks the range from an offset of its own, so ports are
  // hard to guess and a port is not reused towards one peer until the
  // range has gone round. A port is free towards this peer if no
  // connection has that four-tuple and no listener holds it.
  ephemeralPort(localAddress, remoteAddress, remotePort) {
    const size = EPHEMERAL_LAST - EPHEMERAL_FIRST + 1;
    const offset = this.keyedHash(HASH_PORT, localAddress, remoteAddress, remotePort);
    for (let count = 0; count < size; count++) {
      const port = EPHEMERAL_FIRST + ((this.nextEphemeral + offset) % size);
      this.nextEphemeral = (this.nextEphemeral + 1) % size;
      if (!this.listeners.has(port) && !this.connections.has(keyOf(remoteAddress, remotePort, port))) return port;
    }
    throw socketError('EADDRNOTAVAIL', 'no free ephemeral port');
  }

  // --- opening ----------------------------------------------------------------

  // Active open: a socket in SYN-SENT; its SYN goes at the end of this batch.
  connect(remoteAddress, remotePort, { handler = null, ...options } = {}) {
    remoteAddress = toIp(remoteAddress);
    if (!Number.isInteger(remotePort) || remotePort < 1 || remotePort > 0xffff) throw socketError('EINVAL', `bad port ${remotePort}`);
    if (this.iface.nextHopFor(remoteAddress) === null) {
      throw socketError('ENETUNREACH', this.iface.configured ? `no route to ${ipToString(remoteAddress)}` : 'the interface has no address');
    }
    // The source the interface would give (127.0.0.1 towards 127.0.0.0/8).
    const localAddress = this.iface.sourceFor ? this.iface.sourceFor(remoteAddress) : this.iface.address;
    const localPort = this.ephemeralPort(localAddress, remoteAddress, remotePort);
    const now = this.iface.clock();
    let socket = null;
    const conn = Connection.connect({
      ...this.options,
      ...options,
      localAddress,
      localPort,
      remoteAddress,
      remotePort,
      iss: this.initialSequence(localAddress, localPort, remoteAddress, remotePort, now),
      tsOffset: this.timestampOffset(localAddress, localPort, remoteAddress, remotePort),
      onEvent: (type, detail) => socket.event(type, detail),
    }, now);
    socket = new TcpSocket(this, conn);
    socket.handler = handler;
    this.connections.set(socket.key, socket);
    this.counters.activeOpens++;
    this.touch(socket);
    return socket;
  }

  // A listener on `port` (0: an ephemeral one). Only one per port: a second
  // is EADDRINUSE. Connections already using the port as their local port
  // do not stop it (Node sets SO_REUSEADDR on every server, Linux then allows it).
  listen(port, { backlog = DEFAULT_BACKLOG } = {}) {
    if (!Number.isInteger(port) || port < 0 || port > 0xffff) throw socketError('EINVAL', `bad port ${port}`);
    if (port === 0) port = this.freeListenPort();
    if (this.listeners.has(port)) throw socketError('EADDRINUSE', `port ${port} is in use`);
    backlog = Math.max(1, Math.min(MAX_BACKLOG, Number.isInteger(backlog) ? backlog : DEFAULT_BACKLOG));
    const listener = new TcpListener(this, port, backlog);
    this.listeners.set(port, listener);
    return listener;
  }

  freeListenPort() {
    const size = EPHEMERAL_LAST - EPHEMERAL_FIRST + 1;
    const start = this.keyedHash(HASH_PORT, 0, 0, this.nextEphemeral++) % size;
    for (let i = 0; i < size; i++) {
      const port = EPHEMERAL_FIRST + ((start + i) % size);
      if (!this.listeners.has(port)) return port;
    }
    throw socketError('EADDRNOTAVAIL', 'no free port');
  }

  releaseListener(listener) {
    if (this.listeners.get(listener.port) === listener) this.listeners.delete(listener.port);
  }

  // --- arrival: the interface calls this for every parsed segment -------------

  // Returns 'delivered', or the reason it was dropped (the interface counts
  // it). ip: the IPv4 record (src, dst).
  deliver(ip, seg) {
    if (seg.flags.rst) this.counters.resetsIn++;
    const now = this.iface.clock();
    let socket = this.connections.get(keyOf(ip.src, seg.srcPort, seg.dstPort));
    if (socket && socket.state === State.TIME_WAIT && this.listeners.has(seg.dstPort) && newSynInTimeWait(socket.conn, seg)) {
      // RFC 6191 (Linux's tcp_timewait_state_process): a SYN that is
      // clearly newer than the connection in TIME-WAIT starts a new one;
      // the old one goes and the listener takes the SYN. Otherwise a client
      // that reuses its ports quickly (ab -n 10000) waits a second for each
      // reuse: our challenge ACK, its RST, its SYN again after 1 s.
      this.counters.timeWaitReused++;
      socket.conn.closeQuietly();
      this.forget(socket);
      socket = null;
    }
    if (socket) {
      // Linux (tcp_check_req): the handshake's last ACK is dropped while the
      // accept queue is full; the SYN-ACK is sent again and the peer's ACK
      // with it, until the app makes room.
      if (socket.listener && socket.state === State.SYN_RECEIVED && socket.listener.full && seg.flags.ack && !seg.flags.syn && !seg.flags.rst) {
        this.counters.listenOverflows++;
        return 'listen-overflow';
      }
      socket.conn.segment(seg, now);
      this.touch(socket);
      return 'delivered';
    }
    const listener = this.listeners.get(seg.dstPort);
    if (listener) return this.listenerSegment(listener, ip, seg, now);
    // §3.10.7.1: "If the state is CLOSED (i.e., TCB does not exist) ... a
    // reset is sent in response to any incoming segment except another reset."
    this.sendReset(ip, seg);
    return seg.flags.rst ? 'rst-no-socket' : 'no-socket';
  }

  // §3.10.7.2, LISTEN.
  listenerSegment(listener, ip, seg, now) {
    const f = seg.flags;
    // Before the RFC's steps: flags no real exchange sends (a scan's or a
    // fuzzer's) are dropped by a reason of their own, not answered.
    const impossible = impossibleFlags(f);
    if (impossible) return impossible;
    // "First, check for a RST": ignore it.
    if (f.rst) return 'rst-to-listener';
    // "Second, check for an ACK": nothing here can be acknowledged yet.
    if (f.ack) {
      this.sendReset(ip, seg);
      return 'ack-to-listener';
    }
    // "Third, check for a SYN"; anything else is dropped ("Fourth").
    if (!f.syn) return 'no-syn-to-listener';
    if (listener.full) {
      this.counters.listenOverflows++;
      this.counters.listenDrops++;
      return 'listen-overflow';
    }
    if (listener.synQueue.size >= listener.backlog) this.evict(listener.oldestHalfOpen());
    const localAddress = ip.dst; // the address the SYN came to: ours, or 127.0.0.1
    let socket = null;
    const conn = Connection.accept(seg, {
      ...this.options,
      localAddress,
      remoteAddress: ip.src,
      iss: this.initialSequence(localAddress, seg.dstPort, ip.src, seg.srcPort, now),
      tsOffset: this.timestampOffset(localAddress, seg.dstPort, ip.src, seg.srcPort),
      onEvent: (type, detail) => socket.event(type, detail),
    }, now);
    socket = new TcpSocket(this, conn, listener);
    socket.owner = listener.owner;
    listener.synQueue.add(socket);
    this.connections.set(socket.key, socket);
    this.counters.passiveOpens++;
    this.touch(socket);
    return 'delivered';
  }

  // RFC 4987 §3.4: a full SYN queue makes room by forgetting its oldest
  // half-open connection, silently. Under a flood of spoofed SYNs its peer
  // does not exist (an RST would be backscatter to a forged address); a
  // real peer whose ACK comes later gets the listener's RST for it
  // (§3.10.7.2, an ACK in LISTEN) and connects again. A flood of R SYNs a
  // second leaves a real handshake backlog / R seconds to finish: 51 ms
  // for the default 511 at 10,000 a second, many round trips on a LAN.
  // SYN cookies (RFC 4987 §3.6) would keep even that, at the cost of a
  // connection with no state before its ACK: options (window scale, SACK)
  // squeezed into 3 bits of the ISN or lost, and a second path through
  // the handshake. The eviction keeps one path and every option.
  evict(socket) {
    this.counters.synQueueEvictions++;
    socket.listener.lost(socket);
    socket.listener = null;
    socket.conn.closeQuietly();
    this.forget(socket);
  }

  sendReset(ip, seg) {
    const rst = resetFor(seg);
    if (!rst) return;
    this.counters.resetsOut++;
    this.iface.sendIp({ dst: ip.src, protocol: PROTO_TCP, payload: tcp.emit(rst, { src: ip.dst, dst: ip.src }) });
  }

  // --- sending: poll each connection that had work, once per batch ------------

  touch(socket) {
    if (socket.forgotten) return;
    this.dirty.add(socket);
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    this.defer(() => this.flush());
  }

  // Sends what every touched connection owes now. Safe to call at any
  // time (tests call it instead of waiting for the microtask).
  flush() {
    this.flushScheduled = false;
    while (this.dirty.size) {
      const sockets = [...this.dirty];
      this.dirty.clear();
      for (const socket of sockets) this.transmit(socket);
    }
  }

  // poll() the connection, send its segments, set its timer, and forget it once CLOSED.
  transmit(socket) {
    if (socket.forgotten) return;
    const now = this.iface.clock();
    const conn = socket.conn;
    const segments = conn.poll(now);
    const ip = { src: conn.localAddress, dst: conn.remoteAddress };
    // Each segment is built with room in front for the IP and Ethernet
    // headers (an interface that has none to add says headroom 0).
    const headroom = this.iface.headroom || 0;
    // With checksum offload the NIC finishes each segment's checksum, and
    // with segmentation offload it cuts a large one to the MSS (output.js
    // makes them, with `segmentSize`).
    const partialChecksum = Boolean(this.iface.offloads && this.iface.offloads.checksum);
    for (const record of segments) {
      if (record.flags.rst) this.counters.resetsOut++;
      const payload = tcp.emit(record, ip, { headroom, partialChecksum });
      const offload = partialChecksum ? { csumOffset: tcp.CHECKSUM_OFFSET, segmentSize: record.segmentSize || 0, headerLength: payload.length - record.payload.length } : null;
      this.iface.sendIp({ dst: conn.remoteAddress, protocol: PROTO_TCP, payload, src: conn.localAddress, inPlace: headroom > 0, offload });
    }
    if (conn.state === State.CLOSED) return this.forget(socket);
    this.schedule(socket, now);
  }

  // One kernel timer per connection, at its pollAt(). A timer already set
  // for an earlier time is kept (it finds nothing due and sets itself
  // again), so the common case, a deadline moving later with every ACK,
  // costs no timer operations at all.
  schedule(socket, now) {
    const at = socket.conn.pollAt();
    if (at === null) return this.cancelTimer(socket);
    if (socket.timer !== null && socket.timerAt <= at) return undefined;
    this.cancelTimer(socket);
    // Rounded up, at least 1 ms: a connection that says it is due now
    // after a poll must not spin the kernel.
    const delayMs = Math.max(1, Math.ceil((at - now) * 1000));
    socket.timerAt = at;
    socket.timer = this.iface.timers.after(delayMs, () => {
      socket.timer = null;
      socket.timerAt = null;
      this.transmit(socket);
    });
    return undefined;
  }

  cancelTimer(socket) {
    if (socket.timer !== null) this.iface.timers.cancel(socket.timer);
    socket.timer = null;
    socket.timerAt = null;
  }

  forget(socket) {
    socket.forgotten = true;
    this.cancelTimer(socket);
    this.dirty.delete(socket);
    if (this.connections.get(socket.key) === socket) this.connections.delete(socket.key);
    if (socket.listener) socket.listener.lost(socket);
    const c = socket.conn.counters;
    const r = this.retired;
    for (const name of SUMMED) r[name] += c[name];
    for (const [reason, n] of Object.entries(c.drops)) r.drops[reason] = (r.drops[reason] || 0) + n;
  }

  // --- for netstat ---------------------------------------------------------------

  // Listeners then connections, as `ss -tan` lists them.
  list() {
    const out = [];
    for (const l of this.listeners.values()) {
      out.push({ state: 'LISTEN', localAddress: '0.0.0.0', localPort: l.port, remoteAddress: '0.0.0.0', remotePort: 0, recvQueue: l.acceptQueue.length, sendQueue: l.backlog, owner: l.owner });
    }
    for (const s of this.connections.values()) out.push(s.describe());
    return out;
  }

  // Counters over the connections alive and gone: the TCP part of netstat -s.
  stats() {
    const totals = { ...this.counters };
    for (const name of SUMMED) totals[name] = this.retired[name];
    const drops = { ...this.retired.drops };
    let established = 0;
    for (const s of this.connections.values()) {
      const c = s.conn.counters;
      for (const name of SUMMED) totals[name] += c[name];
      for (const [reason, n] of Object.entries(c.drops)) drops[reason] = (drops[reason] || 0) + n;
      if (s.state === State.ESTABLISHED || s.state === State.CLOSE_WAIT) established++;
    }
    return { ...totals, established, connections: this.connections.size, listeners: this.listeners.size, connectionDrops: drops };
  }
}

module.exports = { TcpSockets, TcpSocket, TcpListener, EPHEMERAL_FIRST, EPHEMERAL_LAST, DEFAULT_BACKLOG, MAX_BACKLOG };
