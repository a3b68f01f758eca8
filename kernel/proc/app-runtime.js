// kernel/proc/app-runtime.js: the runtime evaluated into every app isolate.
//
// It is the app's half of the kernel/app boundary (docs/abi.md §2): it owns
// the isolate's __sysPage, turns the `sys` API (docs/apps.md) into JSON
// messages sent through the synchronous __sys() trap, and dispatches the
// kernel's messages when the machine calls __wake(). It carries the app's
// RPC messages to other apps (kernel/proc/rpc.js holds the RPC rules; this
// file only moves their bytes), counts the ArrayBuffer memory the app
// allocates (V8 does not count it against the heap limit), coarsens the
// clocks, and keeps the isolate reusable for the next run of the same program.
(function () {
  'use strict';

  const OP_RECV = 2;
  const OP_CLOCK = 3;
  const OP_POST = 4;
  const OP_LOAD = 5;
  const OP_READ = 6; // pipes: docs/abi.md §3
  const OP_WRITE = 7;
  const OP_CLOSE = 8;
  const PAYLOAD = 64;
  const READ_END = 1;
  const WRITE_END = 2;
  const EAGAIN = -11;
  const EPIPE = -32;
  const ERRNO = { '-3': 'ESRCH', '-9': 'EBADF', '-11': 'EAGAIN', '-22': 'EINVAL', '-28': 'ENOSPC', '-32': 'EPIPE' };
  const STATUS_BROKEN_PIPE = 141; // 128 + SIGPIPE: what writing to a pipe nobody reads does

  // The one frame layout (kernel/lib/frame.js), handed over like the codec.
  const { FRAME, MORE, REPLY, writeHeader, readHeader, concat: joinPieces } = globalThis.__frame;
  delete globalThis.__frame;

  // 256 KiB: a pipe read or write moves up to this much per trap. V8 commits
  // an ArrayBuffer's pages only when touched, so an app that only exchanges
  // small messages keeps about 16 KiB of it resident (docs/performance.md).
  const page = new ArrayBuffer(256 * 1024);
  // Configurable, so that the machine can delete it once it has its view.
  Object.defineProperty(globalThis, '__sysPage', { value: page, configurable: true });
  const words = new Uint32Array(page, 0, 8);
  const result = new Int32Array(page, 24, 2); // [0] the op's result, [1] POST's error, RECV's more-waiting
  const time = new Float64Array(page, 32, 1);
  const externalBytes = new Float64Array(page, 40, 1); // read by the machine without a crossing
  const servingCalls = new Float64Array(page, 48, 1); // peer calls being answered: 0 means idle
  const idleCheck = new Float64Array(page, 56, 1); // 1: after this turn, wake me to see whether anything is left to do
  const bytes = new Uint8Array(page);
  const RawUint8Array = Uint8Array; // before the accounting wraps it (below)
  const view = new DataView(page);
  const MAX = page.byteLength - PAYLOAD;
  const sysTrap = globalThis.__sys;
  delete globalThis.__sys; // only this runtime may trap, and only with a page it filled

  // ---- UTF-8: kernel/lib/utf8.js, evaluated just before this file ----------
  const { utf8Encode, utf8Decode, utf8StreamDecoder } = globalThis.__utf8;
  delete globalThis.__utf8;
  function encode(str) {
    const out = new RawUint8Array(str.length * 3); // the runtime's own: never charged
    return out.subarray(0, utf8Encode(str, out, 0));
  }
  const decode = (buf) => utf8Decode(buf, 0, buf.length);

  // ---- messages: the POST and RECV crossings --------------------------------
  let warming = false; // during __warmup(): nothing reaches the kernel
  // One message to the kernel: frames to pid 0, as many pages as it takes.
  // `attachment` (bytes), if given, follows the JSON after a NUL.
  function send(message, attachment = null) {
    let data = encode(typeof message === 'string' ? message : JSON.stringify(message));
    if (warming) return;
    if (attachment) {
      const whole = new RawUint8Array(data.length + 1 + attachment.length);
      whole.set(data);
      whole.set(attachment, data.length + 1);
      data = whole;
    }
    for (let at = 0; ; ) {
      const n = Math.min(MAX - FRAME, data.length - at);
      writeHeader(view, PAYLOAD, 0, n, at + n < data.length ? MORE : 0);
      bytes.set(data.subarray(at, at + n), PAYLOAD + FRAME);
      words[0] = OP_POST;
      words[4] = FRAME + n;
      sysTrap();
      at += n;
      if (at >= data.length) break;
    }
  }

  // RECV frames: from pid 0 the kernel (a JSON message), from any other pid
  // a peer app (an RPC message).
  // A wake takes what is waiting and no more: once a RECV has emptied the
  // inbox, what arrives later gets a wake of its own, after these messages
  // are handled. (Taking until none arrive would let a fast sender keep the
  // app reading forever, past its queue limit, and never handling.)
  let partial = new Map(); // from -> pieces of a message still arriving
  function receiveAll() {
    const messages = [];
    for (;;) {
      words[0] = OP_RECV;
      sysTrap();
      const count = result[0];
      const moreWaiting = result[1];
      if (count <= 0) return messages;
      onEvent();
      let at = PAYLOAD;
      for (let i = 0; i < count; i++) {
        const { pid: from, len, flags } = readHeader(view, at);
        const piece = bytes.slice(at + FRAME, at + FRAME + len);
        at += FRAME + len;
        const pieces = partial.get(from);
        if (flags & MORE) {
          if (pieces) pieces.push(piece);
          else partial.set(from, [piece]);
          continue;
        }
        partial.delete(from);
        // Joining a message's pieces is the runtime's work, not the app's: it
        // is not charged to the app's ArrayBuffer budget (a peer's big message
        // must not kill the receiver); decoding what it carries is.
        const whole = pieces ? joinPieces([...pieces, piece], RawUint8Array) : piece;
        messages.push(from === 0 ? kernelMessage(whole) : { t: 'peer', from, bytes: whole });
      }
      if (!moreWaiting) return messages;
    }
  }

  // A kernel message: JSON, and after a NUL the bytes it carries (msg.bytes).
  function kernelMessage(whole) {
    const nul = whole.indexOf(0);
    if (nul < 0) return JSON.parse(decode(whole));
    const msg = JSON.parse(utf8Decode(whole, 0, nul));
    msg.bytes = whole.subarray(nul + 1);
    return msg;
  }

  // ---- clocks, coarsened (Cloudflare's answer to timing side channels) -------
  // Time is read once per event (the machine writes it into the page with
  // every RECV) and does not move while the app's code runs, so code cannot
  // time itself; performance.now() has 100 us resolution, Date.now() 1 ms.
  // docs/apps.md, "Clocks".
  const RealDate = Date;
  const realNow = Date.now;
  let eventClock = 0; // seconds since power-on, at the start of this event
  let eventWall = realNow();
  let startClock = 0;
  function onEvent() {
    eventClock = Math.floor(time[0] * 1e4) / 1e4;
    eventWall = realNow();
  }
  const clock = () => eventClock;
  RealDate.now = () => eventWall;
  globalThis.Date = new Proxy(RealDate, {
    construct: (target, args, newTarget) => Reflect.construct(target, args.length ? args : [eventWall], newTarget),
  });
  globalThis.performance = Object.freeze({
    now: () => Math.round((eventClock - startClock) * 1e4) / 10,
    get timeOrigin() {
      return eventWall - (eventClock - startClock) * 1000;
    },
  });

  // ---- ArrayBuffer accounting ---------------------------------------------
  // V8's heap limit ignores ArrayBuffer backing stores, so every way to make
  // one goes through a check against the app's budget. Each allocation is
  // remembered through a WeakRef; a sweep gives back the bytes of those the
  // collector has taken, when the list has doubled since the last sweep and
  // before refusing an allocation. (A FinalizationRegistry would give them
  // back by itself, but its cleanup runs as a V8 task, and one still pending
  // when the machine closes the isolate makes V8 print "Uncaught illegal
  // access" on the process's stdout, into `jsksh run`'s output.)
  const DEFAULT_EXTERNAL_LIMIT = 64 * 1024 * 1024;
  let externalLimit = DEFAULT_EXTERNAL_LIMIT;
  let external = 0;
  let allocations = []; // [WeakRef, bytes]
  let sweepAt = 64;
  function setExternal(n) {
    external = n;
    externalBytes[0] = external;
  }
  function sweep() {
    let freed = 0;
    allocations = allocations.filter(([ref, n]) => {
      const obj = ref.deref();
      if (obj !== undefined && !detached(obj)) return true;
      freed += n;
      return false;
    });
    sweepAt = Math.max(64, allocations.length * 2);
    setExternal(external - freed);
  }
  // A moved buffer is detached: its bytes are the receiver's now.
  function detached(obj) {
    try {
      return obj.byteLength === 0;
    } catch (e) {
      return false;
    }
  }
  // The machine's V8 flag --expose-gc installs gc(); the runtime keeps it and
  // takes it from the app where V8 lets it (a GC an app forces runs on its own
  // thread and counts against its own CPU time).
  const collectGarbage = typeof globalThis.gc === 'function' ? globalThis.gc : () => {};
  try {
    delete globalThis.gc;
  } catch (e) {
    globalThis.gc = undefined; // not configurable in this V8, but writable
  }
  function charge(n) {
    n = Number(n) || 0;
    if (n < 0) return;
    if (external + n > externalLimit) {
      // Buffers the app has dropped count until the collector has run: run
      // it before refusing (a full GC, only on this path), then sweep. Not
      // the other way round: deref() keeps a target alive for the rest of
      // the turn, so a sweep first would stop the GC from taking anything.
      collectGarbage();
      sweep();
    }
    if (external + n > externalLimit) {
      const e = new RangeError(`ArrayBuffer limit exceeded: ${external + n} bytes > ${externalLimit}`);
      e.code = 'ELIMIT';
      throw e;
    }
    setExternal(external + n);
  }
  function account(target, size) {
    return new Proxy(target, {
      construct(t, args, newTarget) {
        const n = size(args);
        charge(n);
        let obj;
        try {
          obj = Reflect.construct(t, args, newTarget);
        } catch (e) {
          setExternal(external - n);
          throw e;
        }
        if (n > 0) {
          allocations.push([new WeakRef(obj), n]);
          if (allocations.length >= sweepAt) sweep();
        }
        return obj;
      },
    });
  }
  const lengthOf = (a) => (typeof a === 'number' ? a : a && typeof a === 'object' && 'length' in a ? a.length : 0);
  globalThis.ArrayBuffer = account(ArrayBuffer, (a) => a[0]);
  for (const name of ['Int8Array', 'Uint8Array', 'Uint8ClampedArray', 'Int16Array', 'Uint16Array', 'Int32Array',
    'Uint32Array', 'Float32Array', 'Float64Array', 'BigInt64Array', 'BigUint64Array']) {
    const T = globalThis[name];
    // A view over an existing buffer allocates nothing new.
    globalThis[name] = account(T, (a) => (a[0] instanceof ArrayBuffer ? 0 : lengthOf(a[0]) * T.BYTES_PER_ELEMENT));
  }
  // ---- WebAssembly memory: counted as ArrayBuffer memory ---------------------
  // V8 counts a WebAssembly.Memory no more than an ArrayBuffer. A Memory made
  // from JS is charged before it is allocated, and so is its grow(); a
  // module's own memory is charged when the instance shows it, and growth
  // from inside WebAssembly (memory.grow) at the app's next event. Over the
  // limit it ends like an ArrayBuffer bomb: ELIMIT, status 134.
  const WASM_PAGE = 65536;
  const wasmCharged = new WeakMap(); // memory -> its allocation entry [WeakRef, bytes]
  let wasmEntries = []; // the entries, to look for growth
  if (globalThis.WebAssembly) {
    const WA = globalThis.WebAssembly;
    const RealMemory = WA.Memory;
    const realGrow = RealMemory.prototype.grow;
    const track = (memory, bytes) => {
      const entry = [new WeakRef(memory), bytes];
      allocations.push(entry);
      wasmEntries.push(entry);
      wasmCharged.set(memory, entry);
    };
    WA.Memory = new Proxy(RealMemory, {
      construct(t, args, newTarget) {
        const d = args[0];
        const n = Math.max(0, Number(d && d.initial) || 0) * WASM_PAGE;
        charge(n);
        let memory;
        try {
          memory = Reflect.construct(t, args, newTarget);
        } catch (e) {
          setExternal(external - n);
          throw e;
        }
        track(memory, n);
        return memory;
      },
    });
    RealMemory.prototype.grow = function grow(delta) {
      const n = Math.max(0, Number(delta) || 0) * WASM_PAGE;
      charge(n);
      let r;
      try {
        r = realGrow.call(this, delta);
      } catch (e) {
        setExternal(external - n);
        throw e;
      }
      const entry = wasmCharged.get(this);
      if (entry) entry[1] += n;
      else track(this, n);
      return r;
    };
    // A module that defines its own memory: charged when its instance appears.
    const adopt = (instance) => {
      for (const value of Object.values(instance.exports || {})) {
        if (value instanceof RealMemory && !wasmCharged.has(value)) {
          const n = value.buffer.byteLength;
          track(value, 0);
          chargeGrowth(wasmCharged.get(value), n);
        }
      }
      return instance;
    };
    WA.Instance = new Proxy(WA.Instance, { construct: (t, args, nt) => adopt(Reflect.construct(t, args, nt)) });
    const realInstantiate = WA.instantiate;
    WA.instantiate = (...args) =>
      realInstantiate.apply(WA, args).then((r) => (r instanceof WA.Instance || !r.instance ? adopt(r) : (adopt(r.instance), r)));
  }
  function chargeGrowth(entry, bytes) {
    if (bytes <= entry[1]) return;
    const n = bytes - entry[1];
    entry[1] = bytes;
    if (external + n > externalLimit) {
      // Not published: the runtime ends the app itself, with this message.
      const e = new RangeError(`ArrayBuffer limit exceeded: WebAssembly memory ${bytes} bytes, ${external} in all > ${externalLimit}`);
      e.code = 'ELIMIT';
      throw e;
    }
    setExternal(external + n);
  }
  // Memory grown from inside WebAssembly: seen at the next event.
  function checkWasmGrowth() {
    if (!wasmEntries.length) return;
    wasmEntries = wasmEntries.filter((entry) => entry[0].deref() !== undefined);
    for (const entry of wasmEntries) {
      const memory = entry[0].deref();
      if (memory) chargeGrowth(entry, memory.buffer.byteLength);
    }
  }

  // No shared memory between isolates, no blocking waits: narrows timing side channels.
  delete globalThis.SharedArrayBuffer;
  if (globalThis.Atomics) delete globalThis.Atomics.wait;

  // ---- RPC between apps: the transport under kernel/proc/rpc.js -------------
  // A peer message is `u32 header length, header (JSON), then per attachment
  // u32 length, bytes`. Messages queue in `outbox` and go at the end of the
  // turn, many in one POST trap: pipelined calls cost one crossing per page.
  // kernel/proc/rpc.js is loaded on first use (a LOAD trap): most programs
  // never call another isolate, and each isolate would keep its code.
  let RpcEndpoint = null;
  function loadRpc() {
    words[0] = OP_LOAD;
    words[1] = 0; // the first lazy module: rpc.js
    sysTrap();
    const module = { exports: {} };
    const source = decode(bytes.subarray(PAYLOAD, PAYLOAD + result[0]));
    (0, eval)(`(function (module, exports) {${source}\n})\n//# sourceURL=/kernel/proc/rpc.js`)(module, module.exports);
    return module.exports.RpcEndpoint;
  }
  let outbox = []; // [{ to, data, onFail }]
  let postQueued = false;

  function peerSend(to, header, attachments, onFail, reply = false) {
    const json = encode(JSON.stringify(header));
    let size = 4 + json.length;
    for (const a of attachments) size += 4 + a.length;
    const data = new RawUint8Array(size); // the runtime's own: never charged
    const dv = new DataView(data.buffer);
    dv.setUint32(0, json.length, true);
    data.set(json, 4);
    let at = 4 + json.length;
    for (const a of attachments) {
      dv.setUint32(at, a.length, true);
      data.set(a, at + 4);
      at += 4 + a.length;
    }
    outbox.push({ to, data, onFail, flags: reply ? REPLY : 0 });
    if (outbox.length >= 256) flushPosts();
    else if (!postQueued) {
      postQueued = true;
      Promise.resolve().then(flushPosts);
    }
  }

  // Packs frames `u32 to, u32 len, u32 flags, bytes` into the page and POSTs
  // them; a message larger than the page goes in pieces (flags MORE). The
  // machine answers how many frames it delivered; if not all, the next one
  // failed (result[1]: ESRCH, no such peer; EAGAIN, its queue stayed full):
  // that message is dropped, its caller told, and the rest go again.
  function flushPosts() {
    postQueued = false;
    const queue = outbox;
    outbox = [];
    for (const m of queue) m.off = 0;
    let i = 0;
    while (i < queue.length) {
      let at = PAYLOAD;
      const frames = []; // the message index of each frame in this page
      let j = i;
      while (j < queue.length) {
        const m = queue[j];
        const room = page.byteLength - at - FRAME;
        if (room < 256 && frames.length) break;
        const n = Math.min(room, m.data.length - m.off);
        writeHeader(view, at, m.to, n, (m.off + n < m.data.length ? MORE : 0) | m.flags);
        bytes.set(m.data.subarray(m.off, m.off + n), at + FRAME);
        at += FRAME + n;
        m.off += n;
        frames.push(j);
        if (m.off < m.data.length) break; // the page is full in the middle of m
        j++;
      }
      words[0] = OP_POST;
      words[4] = at - PAYLOAD;
      sysTrap();
      const sent = result[0];
      if (sent >= frames.length) {
        i = j; // j is the first message not yet wholly sent
        continue;
      }
      const failed = frames[sent];
      queue[failed].onFail(ERRNO[result[1]] || 'EIO');
      for (const k of frames.slice(sent + 1)) if (k !== failed) queue[k].off = 0;
      i = failed + 1;
    }
  }

  let rpc = null;
  function endpoint() {
    if (!rpc) {
      if (!RpcEndpoint) RpcEndpoint = loadRpc();
      rpc = newEndpoint();
    }
    return rpc;
  }
  function newEndpoint() {
    return new RpcEndpoint({
      send: peerSend,
      newBuffer: (n) => new ArrayBuffer(n), // the accounted constructor: charged to this app
      serving: (n) => {
        servingCalls[0] = n;
      },
    });
  }

  function peerMessage(msg) {
    let header = null;
    const attachments = [];
    try {
      const data = msg.bytes;
      const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
      const n = dv.getUint32(0, true);
      header = JSON.parse(decode(data.subarray(4, 4 + n)));
      for (let at = 4 + n; at < data.length; ) {
        const len = dv.getUint32(at, true);
        if (at + 4 + len > data.length) throw new RangeError('attachment overruns the message');
        attachments.push(data.subarray(at + 4, at + 4 + len));
        at += 4 + len;
      }
    } catch (e) {
      header = null;
    }
    // A malformed message is dropped: any peer may send anything.
    if (header) endpoint().receive(msg.from, header, attachments);
  }

  // services.connect(name) gives an object whose methods call the service;
  // if the service was evicted or restarted, the next call reconnects (the
  // kernel starts it again) and is sent once more: it never reached the old one.
  function serviceProxy(name, target) {
    const proxy = {};
    const invoke = (method, args) => endpoint().call(target.pid, target.obj, method, args, `${name}.${method}`);
    for (const method of target.methods) {
      proxy[method] = async (...args) => {
        if (endpoint().gone.has(target.pid)) target = await call('svc.connect', { name });
        try {
          return await invoke(method, args);
        } catch (e) {
          if (!e || e.code !== 'ESRCH') throw e;
          target = await call('svc.connect', { name });
          return invoke(method, args);
        }
      };
    }
    return proxy;
  }

  // The kernel's own services (console, fs, net) answer through kernel calls.
  function kernelServiceProxy(name, methods) {
    const proxy = {};
    for (const method of methods) proxy[method] = (...args) => call('svc.kernel', { name, method, args });
    return proxy;
  }

  const services = {
    // Publish `iface` (an object of functions) as service `name` for other apps.
    export: async (name, iface) => {
      const { obj, methods } = endpoint().exportInterface(iface);
      try {
        await call('svc.export', { name: String(name), obj, methods });
      } catch (e) {
        endpoint().unexport(obj);
        throw e;
      }
    },
    // An object whose methods call service `name` and return promises.
    connect: async (name) => {
      const r = await call('svc.connect', { name: String(name) });
      return r.kernel ? kernelServiceProxy(String(name), r.methods) : serviceProxy(String(name), r);
    },
    list: () => call('svc.list', {}),
  };

  // ---- kernel calls, timers ----------------------------------------------------
  let nextId = 1;
  let pending = new Map(); // id -> { resolve, reject, ref }
  // Calls that do not keep the app alive by themselves: a read of the
  // terminal (Node's stdin, unread, does not hold a process either), a
  // sleep (its timer does, until it is cleared), the session's own waits.
  const UNREF = new Set(['stdin.read', 'timer.sleep', 'session.interrupted']);
  // A one-way call: no reply comes back (see the kernel's _call).
  // Output written before a call goes out before it (a program that prints,
  // asks the kernel something, then loops still shows what it printed).
  function flushOutput() {
    if (!io) return;
    io.stdout.flush();
    if (io.stderr !== io.stdout) io.stderr.flush();
  }
  function cast(op, args, attachment = null) {
    flushOutput();
    send({ t: 'call', id: 0, op, args }, attachment);
  }
  function call(op, args) {
    flushOutput();
    return new Promise((resolve, reject) => {
      const id = nextId++;
      const message = JSON.stringify({ t: 'call', id, op, args }); // throws on a BigInt: nothing is then pending
      pending.set(id, { resolve, reject, ref: !UNREF.has(op) });
      send(message);
    });
  }

  let timers = new Map();
  let nextTimer = 1;
  function addTimer(fn, ms, args, repeat) {
    const id = nextTimer++;
    const delay = Math.max(0, Number(ms) || 0);
    timers.set(id, true);
    const arm = () =>
      call('timer.sleep', { ms: delay }).then(() => {
        if (!timers.has(id)) return;
        if (!repeat) timers.delete(id);
        try {
          fn(...args);
        } catch (e) {
          reportUncaught(e);
        }
        if (repeat && timers.has(id)) arm();
        settled();
      });
    arm();
    return id;
  }

  // ---- pipes: stdin, stdout, stderr and open files (docs/abi.md §3) -----------
  // Bytes go through pipes the native core holds: READ and WRITE traps copy
  // them between the pipe and this page. A read that finds nothing, or a
  // write that finds the pipe full, waits for the machine's {t: 'ready', id}
  // and tries again: the writer goes as fast as the reader reads.
  let readyWaiters = new Map(); // pipe -> [resolve]
  let ioWaiting = 0; // reads and writes waiting for a pipe: they keep the app alive
  function whenReady(pipe) {
    ioWaiting++;
    return new Promise((resolve) => {
      const list = readyWaiters.get(pipe);
      if (list) list.push(resolve);
      else readyWaiters.set(pipe, [resolve]);
    }).finally(() => {
      ioWaiting--;
      settled();
    });
  }
  function ready(pipe) {
    const list = readyWaiters.get(pipe);
    readyWaiters.delete(pipe);
    if (list) for (const resolve of list) resolve();
  }
  const STRERROR = { EBADF: 'Bad file descriptor', ENOSPC: 'No space left on device', EPIPE: 'Broken pipe', EIO: 'Input/output error' };
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
      this.done = false;
      this.decoder = null;
    }
    // The next bytes (at most `max`), or null at end of file. They are the
    // app's, and charged to its ArrayBuffer budget.
    async readBytes(max = 0) {
      for (;;) {
        if (this.done) return null;
        words[0] = OP_READ;
        words[1] = this.pipe;
        words[2] = Math.min(max > 0 ? max : MAX, MAX);
        sysTrap();
        const r = result[0];
        if (r > 0) {
          const out = new Uint8Array(r); // the accounted constructor
          out.set(bytes.subarray(PAYLOAD, PAYLOAD + r));
          return out;
        }
        if (r === 0) {
          this.done = true;
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
    close() {
      if (this.done) return;
      this.done = true;
      closePipe(this.pipe, READ_END);
    }
  }

  // Writes go out in order, many to a trap: a string is encoded straight
  // into the page. write() resolves once the pipe has taken the bytes.
  class PipeWriter {
    constructor(pipe, fd = 0) {
      this.pipe = pipe;
      this.fd = fd; // 1 or 2: a broken pipe ends the app, as SIGPIPE does
      this.queue = []; // [{chunk: string | Uint8Array, resolve, reject}]
      this.busy = false;
      this.scheduled = false;
      this.error = null;
      this.idle = []; // resolves of drain()
    }
    write(data) {
      if (this.error) return Promise.reject(this.error);
      const chunk = typeof data === 'string' ? data : toBytes(data);
      if (chunk.length === 0) return Promise.resolve();
      return new Promise((resolve, reject) => {
        this.queue.push({ chunk, resolve, reject });
        if (!this.scheduled && !this.busy) {
          this.scheduled = true;
          Promise.resolve().then(() => this.flush()); // the writes of this turn go together
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
        if (room <= 0) break;
        let { chunk } = item;
        if (typeof chunk === 'string') {
          if (chunk.length * 3 > room) {
            if (items.length) break;
            chunk = item.chunk = encode(chunk); // too big for the page as it is: go as bytes
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
          item.chunk = rest; // what is left of a string is kept as its bytes
        }
      }
    }
    fail(r) {
      this.error = ioError(r, 'write error');
      const queued = this.queue.splice(0);
      if (r === EPIPE && this.fd) {
        // SIGPIPE: the app ends quietly, as `yes | head -1` does on Unix.
        exit(STATUS_BROKEN_PIPE);
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

  let io = null; // this run's {stdin: PipeReader | null, stdout, stderr}
  function openStdio(fds) {
    const [fd0, fd1, fd2] = fds || [];
    const writer = (fd, n) => (fd && fd.pipe ? new PipeWriter(fd.pipe, n) : nullWriter);
    const stdout = writer(fd1, 1);
    return {
      stdin: fd0 && fd0.pipe ? new PipeReader(fd0.pipe) : null,
      stdout,
      stderr: fd2 && fd1 && fd2.pipe === fd1.pipe ? stdout : writer(fd2, 2), // 2>&1: one stream, one order
    };
  }
  const write = (fd, data) => (fd === 2 ? io.stderr : io.stdout).write(typeof data === 'string' ? data : data instanceof Uint8Array || ArrayBuffer.isView(data) || data instanceof ArrayBuffer ? data : String(data));

  // A table: the structured port's client draws it; anywhere else the kernel
  // formats it as text, which goes out like any other write, in order.
  async function table(fd, columns, rows) {
    const out = fd === 2 ? io.stderr : io.stdout;
    await out.drain();
    const text = await call('out.table', { fd, columns, rows });
    if (typeof text === 'string') await out.write(text);
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
      async close() {
        if (closed) return;
        closed = true;
        if (writer) {
          await writer.drain();
          writer.close();
        } else reader.close();
        await call('fs.close', { pipe }); // the bytes are in the file now, or the error says why not
        if (writer && writer.error && writer.error.code !== 'EPIPE') throw writer.error;
      },
    };
  }

  // ---- an app's life: it ends when nothing is left to do ------------------------
  // Like a Node program: after its main code has returned, the app lives on
  // while anything is pending (a timer, a kernel call, a read or write, an
  // open socket, an exported service or an RPC call) and exits when the last
  // is done, or at sys.exit(). Pending work always ends with a message (a
  // reply, a ready notice, a peer's message); while the app lingers
  // (idleCheck = 1) the machine wakes it once more after each turn that
  // handled messages, microtasks included, to look (docs/apps.md, "An app's life").
  let mainStatus = null; // the status main returned, once it has
  let udpOpen = 0;
  function pendingWork() {
    for (const p of pending.values()) if (p.ref) return true;
    if (timers.size || ioWaiting || udpOpen) return true;
    if (rpc && (rpc.pending.size || rpc.serving || [...rpc.local.values()].some((l) => l.peer === '*'))) return true;
    return false;
  }
  function settled() {} // the machine's look after the turn (checkIdle) sees what finished
  function checkIdle() {
    if (mainStatus === null || exited || pendingWork()) return;
    idleCheck[0] = 0;
    finish(mainStatus);
  }
  // Main has returned. Nothing pending: end now, after a few microtask hops
  // (a promise chain main started without awaiting may still start a timer).
  function mainReturned(status, hops = 8) {
    mainStatus = status;
    if (pendingWork()) {
      idleCheck[0] = 1;
      return;
    }
    if (hops > 0) return void Promise.resolve().then(() => mainReturned(status, hops - 1));
    if (!exited) finish(status);
  }

  function format(v) {
    if (typeof v === 'string') return v;
    try {
      return typeof v === 'object' && v !== null && !(v instanceof Error) ? JSON.stringify(v) : String(v);
    } catch (e) {
      return Object.prototype.toString.call(v);
    }
  }

  function kernelError(err) {
    const e = new Error(err.message);
    e.code = err.code;
    if (err.path !== undefined) e.path = err.path;
    return e;
  }

  // ---- UDP sockets (sys.net.udp; the kernel half is kernel/net/app-sockets.js) ----
  // Payloads cross as bytes: a call's JSON says each datagram's size, the
  // payloads follow as the message's attachment. Sends made in one turn go
  // to the kernel as one call: a crossing costs far more than a datagram
  // (docs/performance.md).
  class Datagram {
    constructor(m, data) {
      this.address = m.address;
      this.port = m.port;
      this.data = data; // a Uint8Array, the app's own
    }
    get text() {
      return decode(this.data);
    }
  }
  let udpSends = new Map(); // fd -> { datagrams, promise } to go at the end of this turn
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
        const data = new Uint8Array(m.size); // the app's: charged to its ArrayBuffer budget
        data.set(bytes.subarray(at, at + m.size));
        at += m.size;
        return new Datagram(m, data);
      });
    }
    close() {
      if (this.closed) return Promise.resolve();
      this.closed = true;
      udpOpen--;
      settled();
      return call('net.udp.close', { fd: this.fd });
    }
  }

  let state = null; // per-run state, reset for each program run
  let completer = null; // set by sys.stdin.setCompleter

  function readArgs(opts) {
    if (!opts || typeof opts !== 'object') return completer ? { answers: true } : {};
    const args = { answers: !!completer };
    if (typeof opts.prompt === 'string') args.prompt = opts.prompt;
    if (typeof opts.language === 'string') args.language = opts.language;
    return args;
  }

  // The kernel asks on the client's behalf; the answer goes back one-way.
  async function answer(msg) {
    let value = null;
    try {
      const fn = completer && (msg.kind === 'complete' ? completer.complete : completer.isComplete);
      if (typeof fn === 'function') {
        const args = msg.args || {};
        value = await (msg.kind === 'complete' ? fn(String(args.line ?? ''), Number(args.cursor) || 0) : fn(String(args.code ?? '')));
      }
    } catch (e) {
      value = null;
    }
    cast('ask.reply', { ref: msg.ref, value: value === undefined ? null : value });
  }

  function reportUncaught(e) {
    if (e && e.__exit) return;
    if (e && e.code === 'ELIMIT' && !exited) {
      // An ArrayBuffer allocation over the limit that nobody caught ends the app.
      write(2, `${state ? state.name : 'app'}: killed: ${e.message}\n`);
      exit(STATUS_ARRAYBUFFER_LIMIT);
      return;
    }
    const name = state ? state.name : 'app';
    const text = e && e.stack ? String(e.stack) : `${e && e.name ? e.name : 'Error'}: ${String(e && e.message !== undefined ? e.message : e)}`;
    write(2, `${name}: ${text}\n`);
  }

  const STATUS_ARRAYBUFFER_LIMIT = 134; // as jsksh/native/limits.py: 128 + SIGABRT
  let exited = false;
  // The app ends: what it wrote goes first (into its pipes), then the exit message.
  function exit(code) {
    if (exited) return;
    exited = true;
    if (warming) return;
    const run = state;
    const output = io ? [io.stdout.drain(), io.stderr.drain()] : [];
    Promise.all(output).then(() => {
      if (state === run) send({ t: 'exit', code: code | 0 });
    });
  }
  const finish = exit;

  const sys = {
    argv: [],
    env: {},
    cwd: '/',
    pid: 0,
    name: '',
    // write(string | bytes) -> a promise, settled once the bytes are taken:
    // await it to go at the reader's pace (docs/apps.md, "Streams").
    stdout: { write: (s) => write(1, s), isTTY: false, columns: 80, rows: 24, kind: 'null' },
    stderr: { write: (s) => write(2, s), isTTY: false, kind: 'null' },
    stdin: {
      // read({prompt, language}) -> text, or null at the end: a prompt is
      // shown where input comes from (the terminal, or the REPL client,
      // which also highlights `language`).
      read: (opts) => (io.stdin ? io.stdin.read() : call('stdin.read', readArgs(opts))),
      // readBytes(max) -> a Uint8Array of at most max bytes, or null at the end.
      readBytes: async (max) => {
        if (io.stdin) return io.stdin.readBytes(max);
        const text = await call('stdin.read', readArgs());
        return text === null ? null : toBytes(text);
      },
      isTTY: false,
      kind: 'null', // where input comes from: 'tty', 'pipe', 'file', 'channel' (the REPL client) or 'null'
      // A program that reads input can answer the client's questions about it
      // while it waits: complete(line, cursor) -> {start, end, items} and
      // isComplete(code) -> {status, indent} (docs/protocol.md).
      setCompleter: (answers) => {
        completer = answers && typeof answers === 'object' ? answers : null;
      },
    },
    print: (...values) => write(1, values.map(format).join(' ') + '\n'),
    table: (columns, rows) => table(1, columns, rows),
    exit: (code) => {
      exit(code);
      throw Object.assign(new Error('exit'), { __exit: true });
    },
    sleep: (ms) => call('timer.sleep', { ms }),
    services,
    clock,
    call,
    chdir(path) {
      sys.cwd = path;
    },
    fs: {
      readdir: (path) => call('fs.readdir', { path }),
      stat: (path) => call('fs.stat', { path }),
      readFile: (path) => call('fs.read', { path }),
      writeFile: (path, data, opts = {}) => call('fs.write', { path, data: String(data), append: !!opts.append }),
      // A file as a byte stream: {read(max), write(data), close()}.
      open: (path, flags = 'r') => openFile(path, flags),
      mkdir: (path) => call('fs.mkdir', { path }),
      unlink: (path) => call('fs.unlink', { path }),
    },
    proc: {
      list: () => call('proc.list', {}),
      spawn: (argv, opts = {}) => call('proc.spawn', { argv, ...opts, cwd: opts.cwd || sys.cwd }),
      // A pipe for the processes you spawn: {stdin: {pipe: id}}, {stdout: {pipe: id}}.
      // Close your own ends once they are spawned, as sh does after fork:
      // a reader sees end of file only when every writer has let go.
      pipe: () => call('proc.pipe', {}),
      closePipe: (id) => closePipe(Number(id), READ_END | WRITE_END),
      wait: (pid) => call('proc.wait', { pid }),
      kill: (pid, signal = 'TERM') => call('proc.kill', { pid, signal }),
      foreground: (pids) => call('proc.foreground', { pids }),
      // The limits this program runs under: { cpu, heap, external, queue, isolates, memory }.
      limits: () => call('proc.limits', {}),
    },
    kernel: {
      devices: () => call('dev.list', {}),
      dmesg: () => call('log.read', {}),
      info: () => call('sys.info', {}),
      poweroff: (status = 0) => call('sys.power', { action: 'off', status }),
      reboot: () => call('sys.power', { action: 'reboot' }),
    },
    tty: { size: () => call('tty.size', {}) },
    net: {
      info: () => call('net.info', {}),
      stats: () => call('net.stats', {}),
      // DNS through the kernel's resolver: { answers, aliases, ... } (docs/apps.md).
      resolve: (name, type = 'A') => call('net.resolve', { name, type }),
      // A name or dotted address -> a dotted IPv4 address.
      lookup: (name) => call('net.lookup', { name }),
      udp: {
        open: async (opts = {}) => {
          const r = await call('net.udp.open', { port: Number(opts.port) || 0 });
          udpOpen++; // an open socket keeps the app alive, until close()
          return new UdpSocket(r.fd, r.port);
        },
      },
    },
  };
  Object.defineProperty(globalThis, 'sys', { value: sys, writable: false, enumerable: false });

  globalThis.setTimeout = (fn, ms, ...args) => addTimer(fn, ms, args, false);
  globalThis.setInterval = (fn, ms, ...args) => addTimer(fn, ms, args, true);
  globalThis.clearTimeout = globalThis.clearInterval = (id) => void timers.delete(id);
  globalThis.console = {
    log: (...v) => sys.print(...v),
    info: (...v) => sys.print(...v),
    error: (...v) => write(2, v.map(format).join(' ') + '\n'),
    warn: (...v) => write(2, v.map(format).join(' ') + '\n'),
  };

  // ---- starting a program ----------------------------------------------------
  const compiled = new Map(); // source -> compiled module function (programs and libraries)

  function makeRequire(modules) {
    const cache = new Map();
    return function require(path) {
      const key = path.endsWith('.js') ? path : path + '.js';
      if (cache.has(key)) return cache.get(key).exports;
      if (!(key in modules)) throw new Error(`Cannot find module '${path}' (only literal /lib paths are linked)`);
      const module = { exports: {} };
      cache.set(key, module);
      let fn = compiled.get(modules[key]);
      if (!fn) {
        fn = (0, eval)(`(function (exports, require, module) {${modules[key]}\n})\n//# sourceURL=${key}`);
        compiled.set(modules[key], fn);
      }
      fn(module.exports, require, module);
      return module.exports;
    };
  }

  async function start(msg) {
    state = { name: msg.name };
    startClock = eventClock; // performance.now() counts from the program's start
    exited = false;
    sys.argv = msg.argv;
    sys.env = msg.env || {};
    sys.cwd = msg.cwd || '/';
    sys.pid = msg.pid;
    sys.name = msg.name;
    sys.stdout.isTTY = !!msg.tty.stdout;
    sys.stderr.isTTY = !!msg.tty.stderr;
    sys.stdin.isTTY = !!msg.tty.stdin;
    sys.stdin.kind = msg.tty.stdinKind || 'null';
    sys.stdout.columns = msg.tty.columns || 80;
    sys.stdout.rows = msg.tty.rows || 24;
    io = openStdio(msg.fds);
    const kinds = (msg.fds || []).map((fd) => (fd && fd.kind) || 'null');
    sys.stdout.kind = kinds[1] || 'null';
    sys.stderr.kind = kinds[2] || 'null';
    mainStatus = null;
    externalLimit = (msg.limits && msg.limits.external) || DEFAULT_EXTERNAL_LIMIT;
    let status = 0;
    try {
      const module = { exports: {} };
      let fn = compiled.get(msg.source);
      try {
        // A recycled isolate runs the same program again: compile it once.
        if (!fn) {
          fn = (0, eval)(`(function (exports, require, module) {${msg.source}\n})\n//# sourceURL=${msg.path}`);
          compiled.set(msg.source, fn);
        }
      } catch (e) {
        reportUncaught(e);
        return exit(2);
      }
      fn(module.exports, makeRequire(msg.modules || {}), module);
      if (typeof module.exports === 'function') {
        const r = await module.exports(sys.argv);
        status = typeof r === 'number' ? r : 0;
      }
    } catch (e) {
      if (e && e.__exit) return;
      reportUncaught(e);
      return exit(1); // an uncaught error ends the app at once, as in Node
    }
    if (exited) return;
    if (warming) return exit(status);
    mainReturned(status);
  }

  function dispatch(msg) {
    switch (msg.t) {
      case 'start':
        start(msg);
        break;
      case 'reply': {
        const p = pending.get(msg.id);
        if (!p) break;
        pending.delete(msg.id);
        if (msg.error) p.reject(kernelError(msg.error));
        else p.resolve(msg.bytes ? { value: msg.value, bytes: msg.bytes } : msg.value); // a reply with bytes: both
        if (p.ref) settled();
        break;
      }
      case 'ready':
        ready(Number(msg.id));
        break;
      case 'ask':
        answer(msg);
        break;
      case 'peer':
        peerMessage(msg);
        break;
      case 'peer-exit':
        // A peer killed in the middle of a message never sends the rest.
        partial.delete(Number(msg.pid));
        if (rpc) rpc.peerExit(Number(msg.pid), msg.reason);
        break;
      case 'recycle':
        // The kernel keeps this isolate warm for the next run of the same
        // program: forget everything this run left behind.
        for (const k of Object.getOwnPropertyNames(globalThis)) if (!baseline.has(k)) delete globalThis[k];
        pending = new Map();
        timers = new Map();
        udpSends = new Map();
        outbox = [];
        rpc = null;
        // The last run's buffers are garbage now: its count must not carry over.
        allocations = [];
        wasmEntries = [];
        setExternal(0);
        partial = new Map();
        completer = null;
        io = null;
        readyWaiters = new Map();
        ioWaiting = 0;
        udpOpen = 0;
        mainStatus = null;
        idleCheck[0] = 0;
        state = null;
        break;
    }
  }

  globalThis.__wake = function wake() {
    const messages = receiveAll();
    try {
      checkWasmGrowth();
    } catch (e) {
      reportUncaught(e);
      return; // it ends here: nothing it waited for runs
    }
    // No messages: the machine's look after a turn (idleCheck), microtasks and all.
    if (!messages.length) return checkIdle();
    for (const msg of messages) {
      try {
        dispatch(msg);
      } catch (e) {
        reportUncaught(e);
      }
    }
  };

  // The machine calls this once, in its pool, before any program runs here:
  // an empty program goes through the whole start and exit path, so V8 has
  // compiled this runtime's functions before a real spawn needs them (lazy
  // compilation costs a fresh isolate's first program about 0.8 ms).
  globalThis.__warmup = function warmup() {
    warming = true;
    // Only the start and exit path: what a sleeping program also runs
    // (code compiled here stays in every isolate: 1,000 sleepers keep it).
    const source = 'module.exports = async () => { await null; };';
    start({ t: 'start', pid: 0, path: '/warmup', name: 'warmup', argv: [], source, modules: {}, tty: {}, limits: {} }).then(() => {
      warming = false;
      dispatch({ t: 'recycle' });
    });
  };

  const baseline = new Set(Object.getOwnPropertyNames(globalThis));
  baseline.add('__wake');
  baseline.add('__warmup');
  words[0] = OP_CLOCK;
  sysTrap(); // the first trap tells the machine which thread runs this isolate
  onEvent();
})();
