// kernel/net/app-tcp.js: TCP for apps, the kernel side of sys.net.tcp
// (docs/apps.md, "Network"; the app side is kernel/app/tcp.js).
//
// An app holds a descriptor for each listener and connection, checked
// against the calling process as a Unix fd is; when the process exits, its
// connections close (a FIN after what it wrote) and its listeners go.
//
// A connection's bytes travel as every other stream's do: through two pipes
// (docs/abi.md §3), so an app reads and writes a TCP connection exactly as
// it reads stdin and writes stdout, with the same back-pressure:
//   rx  the kernel writes what the connection received; the app reads it.
//       A full pipe stops the kernel reading the connection, whose receive
//       window then closes: a slow reader slows the peer.
//   tx  the app writes; a kernel pump (kernel/proc/pipes.js, drain) moves
//       the bytes into the connection's send buffer while it has room, and
//       waits for the connection's 'writable' when it has none: a slow
//       peer slows the writer. The app's end of tx closing (its end())
//       becomes our FIN once the bytes before it are sent.
// End of file on rx is the peer's FIN, or an error; the app asks which
// (net.tcp.result) only then, so the common path costs no extra crossing.
// An error also fails the app's next write: the kernel closes its end of tx
// with the errno (ECONNRESET, ETIMEDOUT).
'use strict';

const machine = require('../arch/machine');
const pipes = require('../proc/pipes');
const { KernelError } = require('../lib/errors');
const { ipToString } = require('./wire/ip-address');

const { READ_END, WRITE_END } = machine;
const MAX_PER_PROCESS = 1024; // descriptors (listeners and connections) a process may hold
const MAX_ACCEPT_BATCH = 64; // connections one accept call may hand over
const TRAPS_PER_TURN = 16; // pipe writes before the rx pump lets the rest of the kernel run
const ERRNO = { EPIPE: 32, ECONNRESET: 104, ETIMEDOUT: 110, ECONNREFUSED: 111 };

class AppTcp {
  // iface(): the interface, or throws ENETDOWN; lookup(name): a promise of an address (u32).
  constructor({ iface, lookup }) {
    this.iface = iface;
    this.lookup = lookup;
    this.byFd = new Map(); // fd -> entry: { fd, proc, kind: 'stream' | 'listener', ... }
    this.nextFd = 1;
  }

  entry(proc, fd, kind) {
    const e = this.byFd.get(Number(fd));
    if (!e || e.proc !== proc || (kind && e.kind !== kind)) throw new KernelError('EBADF', `socket ${fd}`);
    return e;
  }

  newEntry(proc, fields) {
    let count = 0;
    for (const e of this.byFd.values()) if (e.proc === proc) count++;
    if (count >= MAX_PER_PROCESS) throw new KernelError('EMFILE', 'socket', 'Too many open sockets');
    const entry = { fd: this.nextFd++, proc, ...fields };
    this.byFd.set(entry.fd, entry);
    return entry;
  }

  // --- connect ---------------------------------------------------------------

  // Resolves once the connection is ESTABLISHED, with its descriptor and
  // pipes; rejects with ECONNREFUSED (an RST), ETIMEDOUT (no answer to 7
  // SYNs, about 2 minutes), ENETUNREACH, or the resolver's error.
  async connect(proc, { host, port, noDelay = false }) {
    port = Number(port);
    if (!Number.isInteger(port) || port < 1 || port > 0xffff) throw new KernelError('EINVAL', `port ${port}`);
    const address = await this.lookup(String(host));
    const where = `${ipToString(address)}:${port}`;
    let socket;
    try {
      socket = this.iface().tcp.connect(address, port, { nodelay: Boolean(noDelay) });
    } catch (e) {
      throw new KernelError(e.code || 'EINVAL', '', `connect ${e.code || 'EINVAL'} ${where}: ${e.message}`);
    }
    socket.owner = `${proc.name}[${proc.pid}]`;
    const entry = this.newEntry(proc, { kind: 'stream', socket, connecting: true });
    await new Promise((resolve, reject) => {
      socket.handler = (type, detail) => {
        if (type === 'established') resolve();
        else if (type === 'closed') reject(detail && detail.error ? detail.error : 'ECONNABORTED');
      };
    }).catch((code) => {
      this.byFd.delete(entry.fd);
      const text = { ECONNREFUSED: 'Connection refused', ETIMEDOUT: 'Connection timed out', ECONNABORTED: 'Software caused connection abort' }[code] || code;
      throw new KernelError(code, '', `connect ${code} ${where}: ${text}`);
    });
    entry.connecting = false;
    if (!this.byFd.has(entry.fd)) throw new KernelError('ECONNABORTED', '', 'the process closed the socket');
    try {
      return this.attach(entry);
    } catch (e) {
      this.byFd.delete(entry.fd); // no pipes for it (EMFILE): the connection is reset
      socket.abort();
      throw e;
    }
  }

  // --- listen and accept ---------------------------------------------------------

  // noDelay: every connection accepted has Nagle's algorithm off, as if the
  // app had called setNoDelay on each (a server's answer should not wait
  // for the peer's delayed ACK), without a call per connection.
  listen(proc, { port = 0, backlog, noDelay = false }) {
    port = Number(port) | 0;
    let listener;
    try {
      listener = this.iface().tcp.listen(port, backlog === undefined ? {} : { backlog: Number(backlog) | 0 });
    } catch (e) {
      const text = e.code === 'EADDRINUSE' ? `listen EADDRINUSE: address already in use 0.0.0.0:${port}` : e.message;
      throw new KernelError(e.code || 'EINVAL', '', text);
    }
    listener.owner = `${proc.name}[${proc.pid}]`;
    const entry = this.newEntry(proc, { kind: 'listener', listener, waiters: [], noDelay: Boolean(noDelay), acceptScheduled: false });
    // Connections established by one batch of segments are handed over together, after it.
    listener.onAcceptable = () => {
      if (entry.acceptScheduled) return;
      entry.acceptScheduled = true;
      Promise.resolve().then(() => {
        entry.acceptScheduled = false;
        this.serveAccepts(entry);
      });
    };
    return { fd: entry.fd, port: listener.port, backlog: listener.backlog };
  }

  // The next connection (as connect's answer), or null once the listener is
  // closed. With `max`, a list of up to max connections, as many as are
  // waiting (at least one): a server under a stream of new connections
  // takes them with one call instead of one each.
  accept(proc, { fd, max }) {
    const entry = this.entry(proc, fd, 'listener');
    const batch = max === undefined ? 0 : Math.max(1, Math.min(MAX_ACCEPT_BATCH, Number(max) | 0));
    const promise = new Promise((resolve) => entry.waiters.push({ resolve, batch }));
    this.serveAccepts(entry);
    return promise;
  }

  // A connection the app cannot take (it holds all the pipes it may:
  // EMFILE) is reset; an accept() that got no other connection fails with
  // the error. The others go on being served.
  serveAccepts(entry) {
    while (entry.waiters.length && entry.listener.acceptQueue.length) {
      const waiter = entry.waiters.shift();
      const answers = [];
      let error = null;
      while (answers.length < (waiter.batch || 1) && entry.listener.acceptQueue.length) {
        const socket = entry.listener.accept();
        socket.owner = entry.listener.owner;
        if (entry.noDelay) socket.setNoDelay(true);
        let stream = null;
        try {
          stream = this.newEntry(entry.proc, { kind: 'stream', socket });
          answers.push(this.attach(stream));
        } catch (e) {
          if (stream) this.byFd.delete(stream.fd);
          socket.abort();
          error = e;
          break;
        }
      }
      if (!answers.length) waiter.resolve(Promise.reject(error));
      else waiter.resolve(waiter.batch ? answers : answers[0]);
    }
  }

  // --- a connection's pipes --------------------------------------------------------

  // Makes the two pipes, gives the app its ends, and starts the pumps.
  attach(entry) {
    const { proc, socket } = entry;
    entry.rx = pipes.open();
    entry.tx = pipes.open();
    try {
      pipes.attach(entry.rx, proc.pid, READ_END);
      pipes.attach(entry.tx, proc.pid, WRITE_END);
    } catch (e) {
      // The app may hold no more pipes: ours go, and whatever it got of them.
      for (const id of [entry.rx, entry.tx]) {
        machine.pipeClose(id, 0, READ_END | WRITE_END);
        machine.pipeClose(id, proc.pid, READ_END | WRITE_END);
      }
      throw e;
    }
    machine.pipeClose(entry.rx, 0, READ_END); // the kernel keeps rx's write end and tx's read end
    machine.pipeClose(entry.tx, 0, WRITE_END);
    entry.pending = null; // received bytes the rx pipe has not taken yet
    entry.rxDone = false;
    entry.rxWaiting = false;
    entry.rxScheduled = false;
    entry.roomWaiter = null;
    entry.error = null;
    socket.handler = (type, detail) => this.event(entry, type, detail);
    pipes.drain(entry.tx, {
      room: () => socket.sendRoom,
      write: (bytes) => socket.send(bytes), // takes them all: never more than room()
      whenRoom: (fn) => {
        entry.roomWaiter = fn;
        socket.conn.wantWritable = true; // 'writable' once ACKs make room
      },
      end: () => socket.close(), // the app's end(): our FIN after its bytes
    });
    this.schedulePumpIn(entry); // data that came before accept()
    return {
      fd: entry.fd,
      rx: entry.rx,
      tx: entry.tx,
      localAddress: ipToString(socket.localAddress),
      localPort: socket.localPort,
      remoteAddress: ipToString(socket.remoteAddress),
      remotePort: socket.remotePort,
    };
  }

  event(entry, type, detail) {
    if (type === 'readable' || type === 'end' || type === 'closed') this.schedulePumpIn(entry);
    if (type === 'writable' && entry.roomWaiter) {
      const fn = entry.roomWaiter;
      entry.roomWaiter = null;
      fn();
    }
    if (type === 'error') {
      entry.error = detail.code;
      // The app's next write fails with the error (the errno rides in bits 8-15, docs/abi.md §1).
      machine.pipeClose(entry.tx, 0, READ_END | ((ERRNO[detail.code] || ERRNO.ECONNRESET) << 8));
    }
  }

  // Segments of one interrupt go into the pipe together, after it.
  schedulePumpIn(entry) {
    if (entry.rxScheduled || entry.rxDone) return;
    entry.rxScheduled = true;
    Promise.resolve().then(() => {
      entry.rxScheduled = false;
      this.pumpIn(entry);
    });
  }

  // Moves received bytes into rx while it takes them; at the end of the
  // stream, closes rx (the app reads end of file).
  pumpIn(entry) {
    if (entry.rxDone || entry.rxWaiting) return;
    for (let n = 0; n < TRAPS_PER_TURN; n++) {
      if (!entry.pending) {
        const data = entry.socket.read(machine.MAX_PAYLOAD);
        if (data === null) {
          entry.rxDone = true;
          machine.pipeClose(entry.rx, 0, WRITE_END);
          return;
        }
        if (!data.length) return; // 'readable' brings us back
        entry.pending = data;
      }
      const r = machine.pipeWrite(entry.rx, entry.pending);
      if (r < 0) return this.readerGone(entry);
      entry.pending = r < entry.pending.length ? entry.pending.subarray(r) : null;
      if (entry.pending) {
        // Full: the app is behind. Wait for room; meanwhile the
        // connection's buffer fills and its window closes.
        entry.rxWaiting = true;
        pipes.whenReady(entry.rx, () => {
          entry.rxWaiting = false;
          this.pumpIn(entry);
        });
        return;
      }
    }
    this.schedulePumpIn(entry);
  }

  // The app closed its end of rx (close(), or it exited) with data still
  // coming: RFC 1122 §4.2.2.13, "If such a host issues a CLOSE call while
  // received data is still pending in TCP, or if new data is received after
  // CLOSE is called, its TCP SHOULD send a RST to show that data was lost."
  readerGone(entry) {
    entry.rxDone = true;
    entry.pending = null;
    entry.socket.abort();
  }

  // --- the app's other calls -----------------------------------------------------------

  // After end of file on rx: how the stream ended. { error: null } for the
  // peer's FIN, or the error's code.
  result(proc, { fd }) {
    const entry = this.entry(proc, fd, 'stream');
    return { error: entry.error };
  }

  setNoDelay(proc, { fd, on = true }) {
    this.entry(proc, fd, 'stream').socket.setNoDelay(Boolean(on));
  }

  describe(proc, { fd }) {
    const entry = this.entry(proc, fd);
    return entry.kind === 'listener' ? { port: entry.listener.port, backlog: entry.listener.backlog, queued: entry.listener.acceptQueue.length } : entry.socket.describe();
  }

  close(proc, { fd }) {
    this.drop(this.entry(proc, fd));
  }

  drop(entry) {
    this.byFd.delete(entry.fd);
    if (entry.kind === 'listener') {
      entry.listener.close();
      for (const { resolve } of entry.waiters.splice(0)) resolve(null);
      return;
    }
    const { socket } = entry;
    if (entry.connecting) return socket.abort(); // connect() rejects (ECONNABORTED)
    socket.owner = `${socket.owner} (closed)`;
    // Unread data is lost data: RST (RFC 1122 §4.2.2.13, above). Otherwise
    // the connection goes on without its owner: the FIN after what the app
    // wrote (its end of tx closes with it), then TIME-WAIT.
    if (!entry.rxDone && (entry.pending || socket.readable > 0)) return this.readerGone(entry);
    // Nobody will read what the peer sends now: a FIN-WAIT-2 that the
    // peer never ends is ended by the timer (Linux's tcp_fin_timeout).
    socket.orphan();
    return undefined;
  }

  // Does process `pid` hold a TCP socket (a listener or a connection)?
  holds(pid) {
    for (const entry of this.byFd.values()) if (entry.proc.pid === pid) return true;
    return false;
  }

  // A process exited: its descriptors go with it.
  closeAll(proc) {
    for (const entry of [...this.byFd.values()]) if (entry.proc === proc) this.drop(entry);
  }
}

module.exports = { AppTcp };
