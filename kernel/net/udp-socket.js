// kernel/net/udp-socket.js: UDP sockets (RFC 768; demultiplexing by port as
// RFC 1122 §4.1.3.5) and the port table that hands each datagram to one.
//
// State lives here; bytes are wire/'s job: the interface parses the datagram
// and calls deliver(); a socket's sendTo() gives the payload to udp.emit and
// the interface's sendIp(). Addresses are unsigned 32-bit numbers (dotted
// strings are accepted on the way in, for apps' convenience).
'use strict';

const udp = require('./wire/udp');
const { PROTO_UDP } = require('./wire/ipv4');
const { ipFromString } = require('./wire/ip-address');

const EPHEMERAL_FIRST = 49152; // RFC 6335 §6: the dynamic/private range
const EPHEMERAL_LAST = 65535;
// RFC 6056 §3.3.5, Algorithm 5's N: each ephemeral port is 1 to N past the
// last one (its suggested 500).
const PORT_INCREMENT_MAX = 500;
const DEFAULT_QUEUE_LIMIT = 64; // datagrams held for a socket nobody is reading

const toIp = (ip) => (typeof ip === 'string' ? ipFromString(ip) : ip);

// Errors a caller can act on carry a POSIX-style code, like Node's.
function socketError(code, message) {
  const e = new Error(`${code}: ${message}`);
  e.code = code;
  return e;
}

class UdpSocket {
  constructor(table, { queueLimit = DEFAULT_QUEUE_LIMIT } = {}) {
    this.table = table;
    this.port = 0; // 0 until bound
    this.closed = false;
    this.queueLimit = queueLimit;
    this.queue = []; // [{ data, address, port }] received while nobody listens
    this.messageHandler = null;
    this.readableHandler = null;
    this.errorHandler = null;
    this.owner = 'kernel'; // who holds it, for netstat
    this.counters = { received: 0, sent: 0, dropped: 0 };
  }

  // Claims a local port; 0 asks for a free ephemeral one. Returns the port.
  bind(port = 0) {
    if (this.closed) throw socketError('EBADF', 'socket is closed');
    if (this.port) throw socketError('EINVAL', `already bound to port ${this.port}`);
    this.port = this.table.claim(this, port);
    return this.port;
  }

  // Sends one datagram. An unbound socket is bound to an ephemeral port
  // first, as BSD sockets do. Returns the interface's status: 'sent',
  // 'queued' (waiting for ARP), or a reason such as 'no-route'.
  sendTo(address, port, bytes) {
    if (this.closed) throw socketError('EBADF', 'socket is closed');
    if (!this.port) this.bind(0);
    const status = this.table.send(this.port, toIp(address), port, bytes);
    if (status === 'sent' || status === 'queued') this.counters.sent++;
    return status;
  }

  // Push style: fn(bytes, { address, port }) for every datagram. Anything
  // queued before the handler was set is handed over at once, in order.
  onMessage(fn) {
    this.messageHandler = fn;
    while (fn && this.queue.length) {
      const m = this.queue.shift();
      fn(m.data, { address: m.address, port: m.port });
    }
  }

  // Pull style with a wake-up: fn() after a datagram is queued (a reader
  // waiting elsewhere then calls receive()).
  onReadable(fn) {
    this.readableHandler = fn;
  }

  // ICMP errors about datagrams this socket sent: fn({ type, code, address, port })
  // (port unreachable is how UDP learns "nobody is listening there").
  onError(fn) {
    this.errorHandler = fn;
  }

  // Pull style: the oldest queued datagram { data, address, port }, or null.
  receive() {
    return this.queue.shift() || null;
  }

  close() {
    if (this.closed) return;
    this.closed = true;
    this.queue = [];
    this.messageHandler = null;
    this.readableHandler = null;
    this.errorHandler = null;
    this.table.release(this);
  }

  // Called by the table. Returns false when the queue was full (dropped).
  deliver(data, address, port) {
    this.counters.received++;
    if (this.messageHandler) {
      this.messageHandler(data, { address, port });
      return true;
    }
    // Bounded: a socket nobody reads must not eat the kernel's memory.
    if (this.queue.length >= this.queueLimit) {
      this.counters.dropped++;
      return false;
    }
    this.queue.push({ data, address, port });
    if (this.readableHandler) this.readableHandler();
    return true;
  }
}

// The port table of one interface.
class UdpSockets {
  // random(n): n random bytes (the kernel's urandom). Without it, the TCP
  // table's (tcp-socket.js), which the interface gives the same source.
  constructor(iface, { random = null } = {}) {
    this.iface = iface; // needs address and sendIp({ dst, protocol, payload, src })
    this.byPort = new Map(); // port -> UdpSocket
    this.random = random;
    this.randomPool = new Uint8Array(0); // random bytes drawn ahead, 2 per step
    this.randomAt = 0;
    this.nextEphemeral = null; // RFC 6056 Algorithm 5's next_ephemeral, drawn at the first bind
  }

  // A random 16-bit number.
  random16() {
    if (this.randomAt + 2 > this.randomPool.length) {
      const source = this.random || (this.iface.tcp && this.iface.tcp.random);
      this.randomPool = source ? source(256) : Uint8Array.from({ length: 256 }, () => (Math.random() * 256) | 0);
      this.randomAt = 0;
    }
    const n = this.randomPool[this.randomAt] | (this.randomPool[this.randomAt + 1] << 8);
    this.randomAt += 2;
    return n;
  }

  createSocket(options) {
    return new UdpSocket(this, options);
  }

  // --- used by sockets -------------------------------------------------------

  claim(socket, port) {
    if (!Number.isInteger(port) || port < 0 || port > 0xffff) throw socketError('EINVAL', `bad port ${port}`);
    if (port === 0) port = this.freeEphemeralPort();
    if (this.byPort.has(port)) throw socketError('EADDRINUSE', `port ${port} is in use`);
    this.byPort.set(port, socket);
    return port;
  }

  // RFC 6056 §3.3.5, Algorithm 5 ("Random-Increments Port Selection"):
  // from a random start, each port is a random 1 to N past the last. An
  // off-path attacker cannot guess the next port (to spoof DNS replies to
  // it, the reason RFC 6056 exists), and the walk still moves forward, so
  // a just-closed port is not handed out again at once (late replies to
  // the old socket would reach the new one). TCP uses Algorithm 3, a hash
  // of the destination (tcp-socket.js); a UDP socket is bound before it
  // has one, so that is not open to it.
  freeEphemeralPort() {
    const size = EPHEMERAL_LAST - EPHEMERAL_FIRST + 1;
    if (this.nextEphemeral === null) this.nextEphemeral = this.random16() % size;
    for (let count = 0; count < size; count++) {
      this.nextEphemeral = (this.nextEphemeral + (this.random16() % PORT_INCREMENT_MAX) + 1) % size;
      const port = EPHEMERAL_FIRST + this.nextEphemeral;
      if (!this.byPort.has(port)) return port;
    }
    // The random walk may step over the last free ports; find one in order.
    for (let port = EPHEMERAL_FIRST; port <= EPHEMERAL_LAST; port++) if (!this.byPort.has(port)) return port;
    throw socketError('EADDRNOTAVAIL', 'no free ephemeral port');
  }

  release(socket) {
    if (socket.port && this.byPort.get(socket.port) === socket) this.byPort.delete(socket.port);
  }

  // The source address is the interface's, or 0.0.0.0 before it has one
  // (RFC 1122 §3.2.1.3: "this host", used by DHCP); 127.0.0.1 towards the
  // loopback network.
  send(srcPort, dst, dstPort, bytes) {
    const src = this.iface.sourceFor ? this.iface.sourceFor(dst) : this.iface.address;
    const payload = udp.emit({ srcPort, dstPort, payload: bytes }, { src, dst });
    return this.iface.sendIp({ dst, protocol: PROTO_UDP, payload, src });
  }

  // --- used by the interface --------------------------------------------------

  // A parsed datagram for us. Returns 'delivered', 'queue-full' or 'no-socket'
  // (the interface answers the last with ICMP port unreachable).
  deliver(ip, datagram) {
    const socket = this.byPort.get(datagram.dstPort);
    if (!socket) return 'no-socket';
    // slice(): the payload is a view into the received frame; the socket
    // gets compact bytes of its own.
    return socket.deliver(datagram.payload.slice(), ip.src, datagram.srcPort) ? 'delivered' : 'queue-full';
  }

  // An ICMP error quoting a datagram we sent (icmp.parseQuoted's record).
  // Returns true if a socket was told.
  deliverError(icmpMessage) {
    const q = icmpMessage.quoted;
    const socket = this.byPort.get(q.srcPort);
    if (!socket || !socket.errorHandler) return false;
    socket.errorHandler({ type: icmpMessage.type, code: icmpMessage.code, address: q.dst, port: q.dstPort });
    return true;
  }

  // For a `netstat`: [{ port, owner, queued, received, sent, dropped }].
  list() {
    return [...this.byPort.values()].map((s) => ({ port: s.port, owner: s.owner, queued: s.queue.length, ...s.counters }));
  }
}

module.exports = { UdpSocket, UdpSockets, EPHEMERAL_FIRST, EPHEMERAL_LAST, PORT_INCREMENT_MAX };
