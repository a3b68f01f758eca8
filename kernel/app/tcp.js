// kernel/app/tcp.js: TCP connections and listeners, sys.net.tcp (the kernel
// half is kernel/net/app-tcp.js).
//
// A connection is two pipes (docs/abi.md §3) read and written as stdin and
// stdout are (pipes.js): read() waits for bytes, write() resolves once the
// pipe has taken them, which is the back-pressure. end() closes our pipe
// end, which the kernel turns into a FIN; end of file on the other pipe is
// the peer's FIN, or an error the kernel is asked about then. An open
// connection or listener keeps the app alive (life.js) until it is closed,
// or, for a connection, until both directions have ended. Loaded on first
// use (transport.js, loadPart).
(function (rt) {
'use strict';

const { call, cast, PipeReader, PipeWriter, RawUint8Array, utf8StreamDecoder } = rt;

const MESSAGES = { ECONNRESET: 'Connection reset by peer', ETIMEDOUT: 'Connection timed out', EPIPE: 'Broken pipe', EBADF: 'Bad file descriptor' };
function tcpError(code, what) {
  return Object.assign(new Error(`${what} ${code}: ${MESSAGES[code] || code}`), { code });
}
// Connections and listeners alive: each keeps the app alive.
let tcpOpen = 0;

class TcpConnection {
  constructor(r) {
    this.fd = r.fd;
    this.localAddress = r.localAddress;
    this.localPort = r.localPort;
    this.remoteAddress = r.remoteAddress;
    this.remotePort = r.remotePort;
    this.reader = new PipeReader(r.rx);
    this.writer = new PipeWriter(r.tx);
    this.readEnded = false;
    this.writeEnded = false;
    this.closed = false;
    this.error = null;
    this.alive = true;
    this.decoder = null;
    tcpOpen++;
  }
  // The next bytes received (a Uint8Array of at most `max`), or null once
  // the peer has finished sending; throws ECONNRESET or ETIMEDOUT if the
  // connection failed instead.
  async read(max = 0) {
    const bytes = this.closed ? null : await this.reader.readBytes(max);
    if (bytes !== null) return bytes;
    if (!this.readEnded && !this.closed) {
      this.readEnded = true;
      const r = await call('net.tcp.result', { fd: this.fd });
      this.error = r.error;
      this.settle();
    }
    if (this.error) throw tcpError(this.error, 'read');
    return null;
  }
  // The next text received (UTF-8; a character cut between reads waits for the rest), or null.
  async readText() {
    if (!this.decoder) this.decoder = utf8StreamDecoder();
    for (;;) {
      const chunk = await this.read();
      if (chunk === null) {
        const rest = this.decoder.decode(new RawUint8Array(0), true);
        return rest === '' ? null : rest;
      }
      const text = this.decoder.decode(chunk);
      if (text !== '') return text;
    }
  }
  // A string (UTF-8) or bytes; resolves once the connection's pipe has
  // taken them. EPIPE after end() or close(); ECONNRESET or ETIMEDOUT once
  // the connection has failed.
  write(data) {
    if (this.writeEnded) return Promise.reject(tcpError('EPIPE', 'write'));
    return this.writer.write(data);
  }
  // Half-close: what was written goes, then a FIN; reading goes on.
  // The pipe end goes whether or not the drain succeeds (a reset connection
  // rejects it): an end kept would count against the app's pipes forever.
  async end() {
    if (this.writeEnded) return;
    this.writeEnded = true;
    try {
      await this.writer.drain();
    } finally {
      this.writer.close();
      this.settle();
    }
  }
  // Both directions: end(), and what arrives later is refused (an RST if
  // data comes after this, RFC 1122 §4.2.2.13). Never throws for a
  // connection that failed: closing it is what is left to do.
  async close() {
    if (this.closed) return;
    this.closed = true;
    try {
      await this.end();
    } catch (e) {
      // reset or timed out: its pipes still go
    } finally {
      this.reader.close();
      this.readEnded = true;
      this.settle();
    }
    // One way: nothing to wait for, and the kernel takes our calls in order.
    cast('net.tcp.close', { fd: this.fd });
  }
  // TCP_NODELAY: small writes go at once instead of waiting for an ACK (Nagle's algorithm off).
  setNoDelay(on = true) {
    cast('net.tcp.nodelay', { fd: this.fd, on: Boolean(on) });
    return this;
  }
  // The kernel's view: state, rtt, rto, cwnd, ssthresh, counters (ss -ti).
  info() {
    return call('net.tcp.info', { fd: this.fd });
  }
  settle() {
    if (this.alive && this.readEnded && this.writeEnded) {
      this.alive = false;
      tcpOpen--;
    }
  }
}

// Connections one accept call may bring: what waits beyond the first is
// kept here for the next accept(), so a stream of new connections costs a
// call per batch, not per connection.
const ACCEPT_BATCH = 32;

class TcpServer {
  constructor(r) {
    this.fd = r.fd;
    this.port = r.port;
    this.backlog = r.backlog;
    this.closed = false;
    this.accepted = []; // the kernel's answers not taken yet (their pipes are ours)
    tcpOpen++;
  }
  // The next connection, or null once the listener is closed.
  async accept() {
    if (this.closed) return null;
    if (!this.accepted.length) {
      const rs = await call('net.tcp.accept', { fd: this.fd, max: ACCEPT_BATCH });
      if (!rs) return null;
      this.accepted.push(...rs);
      if (this.closed) {
        // Closed while the call was out: close() could not see these.
        for (const r of this.accepted.splice(0)) new TcpConnection(r).close();
        return null;
      }
    }
    return new TcpConnection(this.accepted.shift());
  }
  close() {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    tcpOpen--;
    // Accepted but never taken: they go as a connection closed at once does.
    for (const r of this.accepted.splice(0)) new TcpConnection(r).close();
    return call('net.tcp.close', { fd: this.fd });
  }
}

// sys.net.tcp (sys.js).
const tcp = {
  connect: async (host, port, opts = {}) => new TcpConnection(await call('net.tcp.connect', { host: String(host), port: Number(port), noDelay: Boolean(opts.noDelay) })),
  listen: async (port = 0, opts = {}) => {
    const args = { port: Number(port) || 0 };
    if (opts.backlog !== undefined) args.backlog = Number(opts.backlog);
    if (opts.noDelay) args.noDelay = true; // every accepted connection: setNoDelay(true) without a call each
    return new TcpServer(await call('net.tcp.listen', args));
  },
};
// What keeps the app alive (life.js): udp.js's sockets and these.
const before = rt.socketsOpen;
const socketsOpen = () => before() + tcpOpen;

rt.onRecycle.push(() => {
  tcpOpen = 0;
});

Object.assign(rt, { tcp, socketsOpen });
})(globalThis.__rt);
