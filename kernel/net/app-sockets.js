// kernel/net/app-sockets.js: UDP sockets for apps, the kernel side of
// sys.net.udp (docs/apps.md, "Network").
//
// An app never touches a UdpSocket (kernel/net/udp-socket.js) directly: it
// holds a small number, the descriptor, as a Unix process holds a file
// descriptor. Every call names the descriptor and is checked against the
// calling process; when the process exits, its sockets close.
//
// Crossing the isolate boundary costs far more than anything done here
// (docs/performance.md), so both directions move datagrams in batches: a
// receive returns everything queued (up to a limit) at once, and a send may
// carry many datagrams. Payloads cross as bytes: the JSON of a call or its
// reply says each datagram's size, and the payloads follow the message as its
// one attachment, end to end (docs/abi.md §2; kernel/proc/with-bytes.js).
'use strict';

const { KernelError } = require('../lib/errors');
const { WithBytes, joinBytes } = require('../proc/with-bytes');
const { ipToString, ipFromString } = require('./wire/ip-address');
const { TYPE_DEST_UNREACHABLE, CODE_PORT_UNREACHABLE } = require('./wire/icmp');

const RECEIVE_BATCH = 256; // datagrams handed over per receive
const QUEUE_LIMIT = 512; // datagrams held for an app that is not reading (then dropped, counted)
const MAX_SOCKETS_PER_PROCESS = 64;
const MAX_DATAGRAM = 65507; // RFC 768 over IPv4: 65535 - 20 (IP) - 8 (UDP)

const errorName = (e) => {
  if (e.type === TYPE_DEST_UNREACHABLE && e.code === CODE_PORT_UNREACHABLE) return 'ECONNREFUSED';
  if (e.type === TYPE_DEST_UNREACHABLE) return 'EHOSTUNREACH';
  return 'EPROTO';
};

class AppSockets {
  // iface(): the interface, or throws ENETDOWN (there may be no NIC).
  constructor({ iface }) {
    this.iface = iface;
    this.byFd = new Map(); // fd -> { fd, proc, socket, waiter, errors }
    this.nextFd = 1;
  }

  // proc's socket `fd`, or EBADF.
  entry(proc, fd) {
    const e = this.byFd.get(Number(fd));
    if (!e || e.proc !== proc) throw new KernelError('EBADF', `socket ${fd}`);
    return e;
  }

  open(proc, { port = 0 } = {}) {
    let count = 0;
    for (const e of this.byFd.values()) if (e.proc === proc) count++;
    if (count >= MAX_SOCKETS_PER_PROCESS) throw new KernelError('EMFILE', 'socket', 'Too many open sockets');
    const socket = this.iface().udp.createSocket({ queueLimit: QUEUE_LIMIT });
    try {
      socket.bind(Number(port) | 0);
    } catch (err) {
      throw new KernelError(err.code || 'EINVAL', `port ${port}`, err.code === 'EADDRINUSE' ? `port ${port}: Address already in use` : err.message);
    }
    socket.owner = `${proc.name}[${proc.pid}]`;
    const fd = this.nextFd++;
    const entry = { fd, proc, socket, waiter: null, errors: [] };
    // Pull style: datagrams wait in the socket's bounded queue until the app
    // asks; a waiting receive is woken by the first one.
    socket.onReadable(() => this.wake(entry));
    socket.onError((e) => {
      if (entry.errors.length < 16) entry.errors.push({ error: errorName(e), address: ipToString(e.address), port: e.port });
      this.wake(entry);
    });
    this.byFd.set(fd, entry);
    return { fd, port: socket.port };
  }

  // Resolves with WithBytes([{ size, address, port }] (or { error, address,
  // port } for an ICMP error), the payloads one after another): at least
  // one, at most RECEIVE_BATCH, oldest first.
  receive(proc, { fd }) {
    const entry = this.entry(proc, fd);
    const batch = this.take(entry);
    if (batch.value.length) return batch;
    if (entry.waiter) throw new KernelError('EBUSY', `socket ${fd}`, 'a receive is already waiting on this socket');
    return new Promise((resolve) => {
      entry.waiter = resolve;
    });
  }

  take(entry) {
    const out = entry.errors.splice(0);
    const q = entry.socket.queue;
    const n = Math.min(q.length, RECEIVE_BATCH - out.length);
    const payloads = [];
    for (const m of q.splice(0, n)) {
      out.push({ size: m.data.length, address: ipToString(m.address), port: m.port });
      payloads.push(m.data);
    }
    return new WithBytes(out, joinBytes(payloads));
  }

  wake(entry) {
    if (!entry.waiter) return;
    const resolve = entry.waiter;
    entry.waiter = null;
    // Take the batch after the current interrupt has handled every frame
    // it brought (a microtask runs then): one reply carries them all.
    Promise.resolve().then(() => resolve(this.take(entry)));
  }

  // datagrams: [{ address: 'a.b.c.d', port, size }], their payloads one
  // after another in `bytes` (the call's attachment). A
  // send is one-way (the app does not wait for a reply: that would cost a
  // crossing per batch); a datagram that cannot go reports an error entry
  // through the next receive, as UDP's ICMP errors do. Returns how many the
  // interface took (sent, or queued waiting for ARP), for callers that ask.
  send(proc, { fd, datagrams }, bytes = null) {
    const entry = this.entry(proc, fd);
    if (!Array.isArray(datagrams)) throw new KernelError('EINVAL', 'send');
    const payloads = bytes || new Uint8Array(0);
    let sent = 0;
    let at = 0;
    for (const d of datagrams) {
      const size = Math.max(0, Number(d && d.size) | 0);
      const data = payloads.subarray(at, at + size);
      at += size;
      const error = size !== data.length ? new KernelError('EINVAL', 'send', 'a datagram is longer than the bytes sent') : this.sendOne(entry, d, data);
      if (!error) sent++;
      else if (entry.errors.length < 16) {
        entry.errors.push({ error: error.code, message: error.message, address: String(d && d.address), port: Number(d && d.port) });
        this.wake(entry);
      }
    }
    return sent;
  }

  // Sends one datagram; returns null, or the KernelError that stopped it.
  sendOne(entry, d, data) {
    const port = Number(d && d.port);
    if (!Number.isInteger(port) || port < 1 || port > 0xffff) return new KernelError('EINVAL', `port ${d && d.port}`);
    if (data.length > MAX_DATAGRAM) return new KernelError('EMSGSIZE', `${data.length} bytes`, 'Message too long');
    let address;
    try {
      address = ipFromString(String(d.address));
    } catch (e) {
      return new KernelError('EINVAL', String(d.address), `${d.address}: not an IPv4 address`);
    }
    const status = entry.socket.sendTo(address, port, data); // a view of the message's own copy
    if (status === 'sent' || status === 'queued') return null;
    if (status === 'no-route' || status === 'no-address') return new KernelError('ENETUNREACH', 'send', 'Network is unreachable');
    return new KernelError('ENOBUFS', 'send', `send failed (${status})`);
  }

  close(proc, { fd }) {
    const entry = this.entry(proc, fd);
    this.drop(entry);
  }

  drop(entry) {
    this.byFd.delete(entry.fd);
    if (entry.waiter) {
      const resolve = entry.waiter;
      entry.waiter = null;
      resolve(new WithBytes([], new Uint8Array(0))); // an empty batch: the socket is closed
    }
    entry.socket.close();
  }

  // A process exited: its sockets go with it.
  closeAll(proc) {
    for (const entry of [...this.byFd.values()]) if (entry.proc === proc) this.drop(entry);
  }

  // Does process `pid` hold a UDP socket?
  holds(pid) {
    for (const entry of this.byFd.values()) if (entry.proc.pid === pid) return true;
    return false;
  }
}

module.exports = { AppSockets, RECEIVE_BATCH, QUEUE_LIMIT };
