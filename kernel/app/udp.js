// kernel/app/udp.js: UDP sockets, sys.net.udp (the kernel half is
// kernel/net/app-sockets.js).
//
// Payloads cross as bytes: a call's JSON says each datagram's size, the
// payloads follow as the message's attachment (transport.js, send). Sends
// made in one turn go to the kernel as one call: a crossing costs far more
// than a datagram (docs/performance.md). An open socket keeps the app alive
// until it is closed (life.js). Loaded on first use (transport.js,
// loadPart): when the app first opens a socket.
(function (rt) {
'use strict';

const { joinPieces, RawUint8Array, decode, cast, call, toBytes } = rt;

// Sockets open: each keeps the app alive until it is closed.
let udpOpen = 0;
class Datagram {
  constructor(m, data) {
    this.address = m.address;
    this.port = m.port;
    // a Uint8Array, the app's own
    this.data = data;
  }
  get text() {
    return decode(this.data);
  }
}
// udpSends: fd -> the datagrams sent in this turn, to go at its end.
let udpSends = new Map();
class UdpSocket {
  constructor(fd, port) {
    this.fd = fd;
    this.port = port;
    this.closed = false;
  }
  // Queues one datagram; it goes at the end of this turn, with the rest.
  // Like UDP itself this does not wait: a datagram that cannot be sent
  // shows up as an error entry in receive().
  send(address, port, data) {
    if (this.closed) throw Object.assign(new Error('EBADF: socket is closed'), { code: 'EBADF' });
    let datagrams = udpSends.get(this.fd);
    if (!datagrams) {
      datagrams = [];
      udpSends.set(this.fd, datagrams);
      Promise.resolve().then(() => {
        udpSends.delete(this.fd);
        cast('net.udp.send', { fd: this.fd, datagrams: datagrams.map((d) => d.header) }, joinPieces(datagrams.map((d) => d.bytes), RawUint8Array));
      });
    }
    // data: a string, bytes, a received Datagram, or an array of these (sent as one).
    const piece = (x) => (x instanceof Datagram ? x.data : toBytes(x));
    const bytes = Array.isArray(data) ? joinPieces(data.map(piece), RawUint8Array) : piece(data);
    datagrams.push({ header: { address: String(address), port: Number(port), size: bytes.length }, bytes });
  }
  // Everything that has arrived, oldest first, at least one: [{ address,
  // port, data (Uint8Array), text }], and errors about datagrams we sent:
  // { error: 'ECONNREFUSED' (an ICMP port unreachable) | 'ENETUNREACH' | ...,
  // message, address, port }. An empty array means the socket was closed.
  async receive() {
    if (this.closed) return [];
    const { value, bytes } = await call('net.udp.recv', { fd: this.fd });
    let at = 0;
    return value.map((m) => {
      if (m.error) return m;
      // the app's: charged to its ArrayBuffer budget
      const data = new Uint8Array(m.size);
      data.set(bytes.subarray(at, at + m.size));
      at += m.size;
      return new Datagram(m, data);
    });
  }
  close() {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    udpOpen--;
    return call('net.udp.close', { fd: this.fd });
  }
}

// sys.net.udp (sys.js).
const udp = {
  open: async (opts = {}) => {
    const r = await call('net.udp.open', { port: Number(opts.port) || 0 });
    // an open socket keeps the app alive, until close()
    udpOpen++;
    return new UdpSocket(r.fd, r.port);
  },
};
// What keeps the app alive (life.js): open sockets, and tcp.js's if it is loaded first.
const before = rt.socketsOpen;
const socketsOpen = () => before() + udpOpen;

rt.onRecycle.push(() => {
  udpSends = new Map();
  udpOpen = 0;
});

Object.assign(rt, { udp, socketsOpen });
})(globalThis.__rt);
