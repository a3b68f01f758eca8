// kernel/app/pipes.js: byte streams: stdin, stdout, stderr and open files
// (docs/abi.md §3).
//
// Bytes go through pipes the native core holds: READ and WRITE traps copy
// them between the pipe and this isolate's page (transport.js). A read that
// finds nothing, or a write that finds the pipe full, waits for the
// machine's {t: 'ready', id} (loader.js dispatches it here) and tries again:
// the writer goes as fast as the reader reads. A PipeReader and a PipeWriter
// are one end each; this run's stdio (`rt.io`) and each sys.fs.open() file
// are made of them.
(function (rt) {
'use strict';

const { OP_READ, OP_WRITE, OP_CLOSE, PAYLOAD, ERRNO } = rt;
const { page, words, result, bytes, RawUint8Array, MAX, sysTrap, utf8Encode, utf8StreamDecoder, encode } = rt;
const { call } = rt;

const READ_END = 1;
const WRITE_END = 2;
const EAGAIN = -11;
const EPIPE = -32;
// 128 + SIGPIPE: what writing to a pipe nobody reads does
const STATUS_BROKEN_PIPE = 141;

// readyWaiters: pipe -> [resolve]. ioWaiting: reads and writes waiting for
// a pipe; they keep the app alive.
let readyWaiters = new Map();
let ioWaiting = 0;
function whenReady(pipe) {
  ioWaiting++;
  return new Promise((resolve) => {
    const list = readyWaiters.get(pipe);
    if (list) list.push(resolve);
    else readyWaiters.set(pipe, [resolve]);
  }).finally(() => {
    ioWaiting--;
  });
}
// The machine's {t: 'ready', id}: the pipe changed, its waiters try again.
function ready(pipe) {
  const list = readyWaiters.get(pipe);
  readyWaiters.delete(pipe);
  if (list) for (const resolve of list) resolve();
}
// What keeps the app alive (life.js): reads and writes waiting for a pipe.
const pipesWaiting = () => ioWaiting;
const STRERROR = { EBADF: 'Bad file descriptor', ENOSPC: 'No space left on device', EPIPE: 'Broken pipe', EIO: 'Input/output error', ECONNRESET: 'Connection reset by peer', ETIMEDOUT: 'Connection timed out' };
function ioError(r, what) {
  const code = ERRNO[r] || 'EIO';
  return Object.assign(new Error(`${what}: ${STRERROR[code] || code}`), { code });
}
function closePipe(pipe, end) {
  words[0] = OP_CLOSE;
  words[1] = pipe;
  words[2] = end;
  sysTrap();
}

class PipeReader {
  constructor(pipe) {
    this.pipe = pipe;
    this.ended = false; // end of file was read: reads give null
    this.closed = false; // our read end went back (close): it is not ours any more
    this.decoder = null;
  }
  // The next bytes (at most `max`), or null at end of file. They are the
  // app's, and charged to its ArrayBuffer budget.
  async readBytes(max = 0) {
    for (;;) {
      if (this.ended || this.closed) return null;
      if (rt.pastTurnBudget()) await rt.yieldTurn();
      words[0] = OP_READ;
      words[1] = this.pipe;
      words[2] = Math.min(max > 0 ? max : MAX, MAX);
      sysTrap();
      const r = result[0];
      if (r > 0) {
        rt.moved(r);
        // the accounted constructor
        const out = new Uint8Array(r);
        out.set(bytes.subarray(PAYLOAD, PAYLOAD + r));
        return out;
      }
      if (r === 0) {
        this.ended = true;
        return null;
      }
      if (r !== EAGAIN) throw ioError(r, 'read');
      await whenReady(this.pipe);
    }
  }
  // The next text (UTF-8; a character cut between two reads waits for the rest), or null.
  async read() {
    if (!this.decoder) this.decoder = utf8StreamDecoder();
    for (;;) {
      const chunk = await this.readBytes();
      if (chunk === null) {
        const rest = this.decoder.decode(new RawUint8Array(0), true);
        return rest === '' ? null : rest;
      }
      const text = this.decoder.decode(chunk);
      if (text !== '') return text;
    }
  }
  // The read end goes back, also after end of file: a server that reads
  // each connection to its end and closes it must not keep a pipe per
  // connection (an app holds at most 4,096, docs/abi.md §3).
  // A read waiting for bytes gives null now rather than wait for ever (and
  // keep the app alive): fetch() closes a connection it aborts mid-read.
  close() {
    if (this.closed) return;
    this.closed = true;
    closePipe(this.pipe, READ_END);
    ready(this.pipe);
  }
}

// Writes go out in order, many to a trap: a string is encoded straight
// into the page. write() resolves once the pipe has taken the bytes.
class PipeWriter {
  constructor(pipe, fd = 0) {
    this.pipe = pipe;
    // 1 or 2: a broken pipe ends the app, as SIGPIPE does
    this.fd = fd;
    // [{chunk: string | Uint8Array, resolve, reject}]
    this.queue = [];
    this.busy = false;
    this.scheduled = false;
    this.error = null;
    // bytes the pipe has taken, in all
    this.taken = 0;
    // resolves of drain()
    this.idle = [];
  }
  write(data) {
    if (this.error) return Promise.reject(this.error);
    const chunk = typeof data === 'string' ? data : toBytes(data);
    if (chunk.length === 0) return Promise.resolve();
    return this.enqueue({ chunk });
  }
  // A barrier: run() happens once everything queued before it is in the
  // pipe, and what it resolves with (text, or null) goes out in its place,
  // before anything queued after it. How a table keeps its order (table()).
  after(run) {
    if (this.error) return Promise.reject(this.error);
    return this.enqueue({ chunk: null, run });
  }
  enqueue(item) {
    return new Promise((resolve, reject) => {
      this.queue.push(Object.assign(item, { resolve, reject }));
      if (!this.scheduled && !this.busy) {
        this.scheduled = true;
        // the writes of this turn go together
        Promise.resolve().then(() => this.flush());
      }
    });
  }
  // Resolves once everything written so far is in the pipe.
  drain() {
    if (!this.queue.length && !this.busy) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }
  async flush() {
    this.scheduled = false;
    if (this.busy || !this.queue.length) return;
    this.busy = true;
    try {
      while (this.queue.length && !this.error) {
        if (rt.pastTurnBudget()) await rt.yieldTurn();
        const head = this.queue[0];
        if (head.run) {
          let text;
          try {
            text = await head.run();
          } catch (e) {
            this.queue.shift();
            head.reject(e);
            continue;
          }
          delete head.run;
          if (typeof text === 'string' && text.length) head.chunk = text;
          else {
            this.queue.shift();
            head.resolve();
          }
          continue;
        }
        const packed = this.pack();
        words[0] = OP_WRITE;
        words[1] = this.pipe;
        words[4] = packed.end - PAYLOAD;
        sysTrap();
        const r = result[0];
        if (r < 0) {
          this.fail(r);
          break;
        }
        rt.moved(r);
        this.taken += r;
        this.settle(packed, r);
        if (this.queue.length && r < packed.end - PAYLOAD) await whenReady(this.pipe);
      }
    } finally {
      this.busy = false;
      if (!this.queue.length || this.error) for (const resolve of this.idle.splice(0)) resolve();
    }
  }
  // Copies queued chunks into the page: [{item, at, len}] and where it ends.
  pack() {
    const items = [];
    let at = PAYLOAD;
    for (const item of this.queue) {
      const room = page.byteLength - at;
      if (room <= 0 || item.run) break; // a barrier waits for what is before it
      let { chunk } = item;
      if (typeof chunk === 'string') {
        if (chunk.length * 3 > room) {
          if (items.length) break;
          // too big for the page as it is: go as bytes
          chunk = item.chunk = encode(chunk);
        } else {
          const n = utf8Encode(chunk, bytes, at);
          items.push({ item, at, len: n, encoded: true });
          at += n;
          continue;
        }
      }
      const n = Math.min(chunk.length, room);
      bytes.set(n === chunk.length ? chunk : chunk.subarray(0, n), at);
      items.push({ item, at, len: n, encoded: false });
      at += n;
      if (n < chunk.length) break;
    }
    return { items, end: at };
  }
  // The pipe took `taken` bytes of what pack() put in the page.
  settle({ items }, taken) {
    for (const { item, at, len, encoded } of items) {
      if (taken <= 0) break;
      const used = Math.min(len, taken);
      taken -= used;
      const rest = encoded ? bytes.slice(at + used, at + len) : item.chunk.subarray(used);
      if (rest.length === 0) {
        this.queue.shift();
        item.resolve();
      } else {
        // what is left of a string is kept as its bytes
        item.chunk = rest;
      }
    }
  }
  fail(r) {
    // uncaught, it is reported as coreutils reports it: 'NAME: write error: ...' (life.js)
    this.error = Object.assign(ioError(r, 'write error'), { writeError: true });
    const queued = this.queue.splice(0);
    if (r === EPIPE && this.fd) {
      // SIGPIPE: the app ends quietly, as `yes | head -1` does on Unix.
      rt.exit(STATUS_BROKEN_PIPE);
      const stop = Object.assign(new Error('exit'), { __exit: true });
      for (const { reject } of queued) reject(stop);
      return;
    }
    for (const { reject } of queued) reject(this.error);
  }
  close() {
    closePipe(this.pipe, WRITE_END);
  }
}

// Where output to a stream of kind 'null' goes.
const nullWriter = { write: () => Promise.resolve(), drain: () => Promise.resolve(), flush() {}, close() {} };

function toBytes(data) {
  if (data instanceof RawUint8Array || data instanceof Uint8Array) return data;
  if (ArrayBuffer.isView(data)) return new RawUint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (data instanceof ArrayBuffer) return new RawUint8Array(data);
  return encode(String(data));
}

// This run's {stdin: PipeReader | null, stdout, stderr}, set by loader.js's start.
rt.io = null;
function openStdio(fds) {
  const [fd0, fd1, fd2] = fds || [];
  const writer = (fd, n) => (fd && fd.pipe ? new PipeWriter(fd.pipe, n) : nullWriter);
  const stdout = writer(fd1, 1);
  return {
    stdin: fd0 && fd0.pipe ? new PipeReader(fd0.pipe) : null,
    stdout,
    // 2>&1: one stream, one order
    stderr: fd2 && fd1 && fd2.pipe === fd1.pipe ? stdout : writer(fd2, 2),
  };
}
const write = (fd, data) => (fd === 2 ? rt.io.stderr : rt.io.stdout).write(typeof data === 'string' ? data : data instanceof Uint8Array || ArrayBuffer.isView(data) || data instanceof ArrayBuffer ? data : String(data));

// A table: the structured port's client draws it; anywhere else the kernel
// formats it as text, which goes out like any other write, in order.
// In its place among the writes: what was written before it goes first,
// and what is written after it waits (the kernel draws it for the
// structured port's client, or answers with text to write).
function table(fd, columns, rows) {
  const out = fd === 2 ? rt.io.stderr : rt.io.stdout;
  if (!out.after) return call('out.table', { fd, columns, rows }).then(() => undefined); // nowhere to go
  return out.after(() => call('out.table', { fd, columns, rows }));
}

// sys.fs.open(path, 'r' | 'w' | 'a'): a file as a byte stream.
async function openFile(path, flags = 'r') {
  const { pipe } = await call('fs.open', { path: String(path), flags });
  const reader = flags === 'r' ? new PipeReader(pipe) : null;
  const writer = flags === 'r' ? null : new PipeWriter(pipe);
  let closed = false;
  return {
    read: (max) => (reader ? reader.readBytes(max) : Promise.reject(ioError(-9, 'read'))),
    write: (data) => (writer ? writer.write(data) : Promise.reject(ioError(-9, 'write'))),
    // fsync(2): what was written so far is durable when this resolves (on
    // a mounted disk; elsewhere there is nothing to wait for).
    async fsync() {
      if (closed) throw ioError(-9, 'fsync');
      if (writer) await writer.drain();
      await call('fs.fsync', { pipe });
    },
    async close() {
      if (closed) return;
      closed = true;
      if (writer) {
        await writer.drain();
        writer.close();
      } else reader.close();
      // the bytes are in the file now, or the error says why not
      await call('fs.close', { pipe });
      if (writer && writer.error && writer.error.code !== 'EPIPE') throw writer.error;
    },
  };
}

rt.onRecycle.push(() => {
  rt.io = null;
  readyWaiters = new Map();
  ioWaiting = 0;
});

Object.assign(rt, { STRERROR, READ_END, WRITE_END, ready, pipesWaiting, closePipe, toBytes, openStdio, write, table, openFile, PipeReader, PipeWriter });
})(globalThis.__rt);
