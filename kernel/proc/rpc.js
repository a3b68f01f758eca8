// kernel/proc/rpc.js: calls between isolates (Runtime.JS-style RPC).
//
// Every app isolate has one RpcEndpoint (made by kernel/app/peers.js).
// It turns a call on a proxy into a message to the isolate that owns the
// real function, and that isolate's reply back into the settled promise.
// The transport (how bytes reach another isolate) is the runtime's: this
// file knows nothing of pages or traps, so tests/js drives two endpoints
// wired back to back.
//
// The rules (docs/apps.md, "Services and RPC"):
// * plain data is copied: JSON types plus undefined, NaN/Infinity/-0, BigInt,
//   Date, Map, Set, typed arrays and DataView (their bytes), Errors;
// * a function (also one inside an object, or returned) is not copied: the
//   receiver gets a proxy, and calling it calls back into the owner;
// * an ArrayBuffer is moved: its bytes go along and it is detached at the
//   sender (one copy is made on the way, by the machine);
// * a thrown error arrives as an error with the same name, message and code;
// * cycles, symbols, promises and WeakMaps cannot be sent (TypeError).
'use strict';

// Messages (a JSON header; moved and copied bytes ride as attachments):
//   {k: 'call', id, obj, method?, args}    call object `obj`'s method (or the function `obj`)
//   {k: 'ret', id, value} | {k: 'ret', id, error}
//   {k: 'drop', ids}                        the receiver no longer holds these proxies
const MAX_DEPTH = 64;
const ERRORS = { Error, TypeError, RangeError, SyntaxError, ReferenceError, EvalError, URIError };
const VIEWS = ['Int8Array', 'Uint8Array', 'Uint8ClampedArray', 'Int16Array', 'Uint16Array', 'Int32Array',
  'Uint32Array', 'Float32Array', 'Float64Array', 'BigInt64Array', 'BigUint64Array', 'DataView'];

class RpcError extends Error {}

class RpcEndpoint {
  // transport.send(pid, header, attachments: Uint8Array[], onFail(code), isReply): queue a message.
  // transport.newBuffer(n): an ArrayBuffer the app is charged for.
  // transport.serving(n): how many calls this isolate is answering now.
  constructor(transport) {
    this.transport = transport;
    this.local = new Map(); // id -> { value, peer ('*' for an exported interface), methods }
    this.byPeer = new Map(); // peer pid -> Map(function -> id): one id per function per peer
    this.nextLocal = 1;
    this.pending = new Map(); // call id -> { resolve, reject, pid, what }
    this.nextCall = 1;
    this.proxies = []; // [WeakRef(proxy), pid, id]: told to the owner when collected
    this.sweepAt = 256;
    this.serving = 0;
    this.gone = new Map(); // pid -> reason: peers that exited
  }

  // ---- exporting ----------------------------------------------------------------
  // An interface any connected peer may call; returns its id and method names.
  exportInterface(iface) {
    if (!iface || (typeof iface !== 'object' && typeof iface !== 'function')) throw new TypeError('services.export: the interface must be an object of functions');
    const methods = methodNames(iface);
    if (!methods.length) throw new TypeError('services.export: the interface has no functions');
    const id = this.nextLocal++;
    this.local.set(id, { value: iface, peer: '*', methods: new Set(methods) });
    return { obj: id, methods };
  }

  unexport(id) {
    this.local.delete(id);
  }

  // A proxy for interface `obj` in isolate `pid`: { method(...args) -> Promise }.
  remoteInterface(pid, obj, methods, name) {
    const proxy = {};
    for (const method of methods) {
      proxy[method] = (...args) => this.call(pid, obj, method, args, `${name}.${method}`);
    }
    return proxy;
  }

  // ---- calling --------------------------------------------------------------------
  call(pid, obj, method, args, what = 'call') {
    return new Promise((resolve, reject) => {
      if (this.gone.has(pid)) return reject(peerGone(what, pid, this.gone.get(pid)));
      const id = this.nextCall++;
      const attachments = [];
      let header;
      try {
        header = { k: 'call', id, obj, args: args.map((a) => this.encode(a, pid, attachments, 0)) };
      } catch (e) {
        return reject(e); // nothing was moved: buffers detach only once the whole call encoded
      }
      moveBuffers(attachments);
      if (method !== undefined) header.method = method;
      this.pending.set(id, { resolve, reject, pid, what });
      this.transport.send(pid, header, attachments, (code) => this.fail(id, code));
    });
  }

  // The message could not be delivered (the machine's POST said why).
  fail(id, code) {
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    const e = code === 'EAGAIN'
      ? new RpcError(`${p.what}: the service's message queue stayed full (EAGAIN)`)
      : new RpcError(`${p.what}: no such service process (pid ${p.pid})`);
    e.code = code;
    p.reject(e);
  }

  // ---- receiving ---------------------------------------------------------------------
  // One whole message from isolate `from`. A malformed one is dropped and
  // counted, never thrown: any peer may send anything.
  receive(from, header, attachments) {
    if (!header || typeof header !== 'object') return false;
    switch (header.k) {
      case 'call':
        return this.answer(from, header, attachments);
      case 'ret':
        return this.settle(from, header, attachments);
      case 'drop':
        if (Array.isArray(header.ids)) for (const id of header.ids) this.dropLocal(from, id);
        return true;
      default:
        return false;
    }
  }

  answer(from, msg, attachments) {
    if (!Number.isSafeInteger(msg.id) || msg.id <= 0) return false;
    const reply = (body) => {
      const out = [];
      let header;
      try {
        header = { k: 'ret', id: msg.id, ...('error' in body ? { error: body.error } : { value: this.encode(body.value, from, out, 0) }) };
        moveBuffers(out);
      } catch (e) {
        header = { k: 'ret', id: msg.id, error: errorRecord(e) };
        out.length = 0;
      }
      this.transport.send(from, header, out, () => {}, true);
    };
    const entry = this.local.get(msg.obj);
    let fn;
    let self;
    if (!entry || (entry.peer !== '*' && entry.peer !== from)) {
      reply({ error: { name: 'Error', message: `no such object ${String(msg.obj)} (released, or never exported)`, code: 'ENOENT' } });
      return true;
    }
    if (entry.methods) {
      if (typeof msg.method !== 'string' || !entry.methods.has(msg.method)) {
        reply({ error: { name: 'TypeError', message: `${String(msg.method)} is not a method of this interface`, code: 'ENOSYS' } });
        return true;
      }
      self = entry.value;
      fn = entry.value[msg.method];
    } else {
      fn = entry.value;
    }
    let args;
    try {
      if (!Array.isArray(msg.args)) throw new TypeError('malformed call: args is not an array');
      args = msg.args.map((a) => this.decode(a, from, attachments, 0));
    } catch (e) {
      reply({ error: errorRecord(e) });
      return true;
    }
    this.setServing(+1);
    let result;
    try {
      result = Promise.resolve(fn.apply(self, args));
    } catch (e) {
      result = Promise.reject(e);
    }
    result.then(
      (value) => (this.setServing(-1), reply({ value })),
      (e) => (this.setServing(-1), reply({ error: errorRecord(e) })),
    );
    return true;
  }

  settle(from, msg, attachments) {
    const p = this.pending.get(msg.id);
    if (!p || p.pid !== from) return false; // a reply nobody asked for
    this.pending.delete(msg.id);
    if (msg.error) return p.reject(toError(msg.error)), true;
    try {
      p.resolve(this.decode(msg.value, from, attachments, 0));
    } catch (e) {
      p.reject(e);
    }
    return true;
  }

  // The machine says isolate `pid` is gone: its calls fail, our functions it held are freed.
  peerExit(pid, reason) {
    this.gone.set(pid, reason || 'exited');
    for (const [id, p] of this.pending) {
      if (p.pid !== pid) continue;
      this.pending.delete(id);
      p.reject(peerGone(p.what, pid, reason));
    }
    const mine = this.byPeer.get(pid);
    if (mine) for (const id of mine.values()) this.local.delete(id);
    this.byPeer.delete(pid);
  }

  setServing(delta) {
    this.serving += delta;
    this.transport.serving(this.serving);
  }

  dropLocal(peer, id) {
    const entry = this.local.get(id);
    if (!entry || entry.peer !== peer) return;
    this.local.delete(id);
    const mine = this.byPeer.get(peer);
    if (mine) mine.delete(entry.value);
  }

  // Proxies the collector has taken: tell their owners, who free the function.
  sweep() {
    const drops = new Map();
    this.proxies = this.proxies.filter(([ref, pid, id]) => {
      if (ref.deref() !== undefined) return true;
      if (!this.gone.has(pid)) (drops.get(pid) || drops.set(pid, []).get(pid)).push(id);
      return false;
    });
    this.sweepAt = Math.max(256, this.proxies.length * 2);
    for (const [pid, ids] of drops) this.transport.send(pid, { k: 'drop', ids }, [], () => {});
  }

  // ---- values ------------------------------------------------------------------------
  encode(v, peer, attachments, depth) {
    if (depth > MAX_DEPTH) throw new TypeError('cannot send: nested too deeply, or a cycle');
    switch (typeof v) {
      case 'string':
      case 'boolean':
        return v;
      case 'number':
        return Number.isFinite(v) && !Object.is(v, -0) ? v : { $: 'n', v: Object.is(v, -0) ? '-0' : String(v) };
      case 'undefined':
        return { $: 'u' };
      case 'bigint':
        return { $: 'b', v: v.toString() };
      case 'function':
        return { $: 'f', id: this.localFunction(v, peer) };
      case 'symbol':
        throw new TypeError('cannot send a symbol');
    }
    if (v === null) return null;
    if (Array.isArray(v)) return v.map((x) => this.encode(x, peer, attachments, depth + 1));
    if (v instanceof ArrayBuffer) {
      // Moved: the bytes go along, the sender's buffer is detached, but only
      // once the whole message has encoded (moveBuffers); the same buffer
      // twice in one message is one attachment.
      let at = attachments.findIndex((a) => a.moving === v);
      if (at < 0) at = attachments.push({ moving: v }) - 1;
      return { $: 'ab', at };
    }
    if (ArrayBuffer.isView(v)) {
      attachments.push(new Uint8Array(v.buffer, v.byteOffset, v.byteLength).slice());
      return { $: 'view', type: v.constructor.name, at: attachments.length - 1 };
    }
    if (v instanceof Date) return { $: 'd', v: Number.isNaN(v.getTime()) ? 'NaN' : v.getTime() };
    if (v instanceof Error) return { $: 'e', error: errorRecord(v) };
    if (v instanceof Map) return { $: 'map', v: [...v].map(([k, x]) => [this.encode(k, peer, attachments, depth + 1), this.encode(x, peer, attachments, depth + 1)]) };
    if (v instanceof Set) return { $: 'set', v: [...v].map((x) => this.encode(x, peer, attachments, depth + 1)) };
    if (typeof v.then === 'function') throw new TypeError('cannot send a Promise: await it first');
    if (v instanceof WeakMap || v instanceof WeakSet || v instanceof WeakRef) throw new TypeError(`cannot send a ${v.constructor.name}`);
    const out = {};
    for (const key of Object.keys(v)) {
      const value = this.encode(v[key], peer, attachments, depth + 1);
      Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
    }
    return Object.prototype.hasOwnProperty.call(out, '$') ? { $: 'o', v: out } : out;
  }

  decode(v, from, attachments, depth) {
    if (depth > MAX_DEPTH) throw new TypeError('malformed value: nested too deeply');
    if (v === null || typeof v !== 'object') return v;
    if (Array.isArray(v)) return v.map((x) => this.decode(x, from, attachments, depth + 1));
    if (!Object.prototype.hasOwnProperty.call(v, '$')) return this.decodeObject(v, from, attachments, depth);
    switch (v.$) {
      case 'u':
        return undefined;
      case 'n':
        return v.v === '-0' ? -0 : Number(v.v);
      case 'b':
        return BigInt(String(v.v));
      case 'f':
        return this.remoteFunction(from, v.id);
      case 'ab':
      case 'view': {
        const bytes = attachments[v.at];
        if (!(bytes instanceof Uint8Array)) throw new TypeError('malformed value: no such attachment');
        const buffer = this.transport.newBuffer(bytes.length);
        new Uint8Array(buffer).set(bytes);
        if (v.$ === 'ab') return buffer;
        const View = VIEWS.includes(v.type) ? globalThis[v.type] : Uint8Array;
        return View === DataView ? new DataView(buffer) : new View(buffer, 0, bytes.length / View.BYTES_PER_ELEMENT);
      }
      case 'd':
        return new Date(Number(v.v));
      case 'e':
        return toError(v.error);
      case 'map':
        return new Map(v.v.map(([k, x]) => [this.decode(k, from, attachments, depth + 1), this.decode(x, from, attachments, depth + 1)]));
      case 'set':
        return new Set(v.v.map((x) => this.decode(x, from, attachments, depth + 1)));
      case 'o': // a plain object that has a "$" key of its own
        if (!v.v || typeof v.v !== 'object' || Array.isArray(v.v)) throw new TypeError('malformed value: bad object');
        return this.decodeObject(v.v, from, attachments, depth);
      default:
        throw new TypeError(`malformed value: unknown tag ${JSON.stringify(String(v.$)).slice(0, 20)}`);
    }
  }

  // Keys become own data properties: "__proto__" stays a key, never a prototype.
  decodeObject(v, from, attachments, depth) {
    const out = {};
    for (const key of Object.keys(v)) {
      Object.defineProperty(out, key, { value: this.decode(v[key], from, attachments, depth + 1), enumerable: true, writable: true, configurable: true });
    }
    return out;
  }

  localFunction(fn, peer) {
    let mine = this.byPeer.get(peer);
    if (!mine) this.byPeer.set(peer, (mine = new Map()));
    let id = mine.get(fn);
    if (id === undefined) {
      id = this.nextLocal++;
      mine.set(fn, id);
      this.local.set(id, { value: fn, peer, methods: null });
    }
    return id;
  }

  remoteFunction(pid, id) {
    if (!Number.isSafeInteger(id)) throw new TypeError('malformed value: bad function id');
    const proxy = (...args) => this.call(pid, id, undefined, args, `function (pid ${pid})`);
    this.proxies.push([new WeakRef(proxy), pid, id]);
    if (this.proxies.length >= this.sweepAt) this.sweep();
    return proxy;
  }
}

// Function-valued properties, own and inherited (not Object.prototype's).
// After a message has encoded: detach each moved ArrayBuffer, keeping its bytes
// (transfer() hands them over without a copy) for the attachment.
function moveBuffers(attachments) {
  for (let i = 0; i < attachments.length; i++) {
    if (attachments[i].moving) attachments[i] = new Uint8Array(attachments[i].moving.transfer());
  }
}

function methodNames(obj) {
  const names = new Set();
  for (let o = obj; o && o !== Object.prototype && o !== Function.prototype; o = Object.getPrototypeOf(o)) {
    for (const key of Object.getOwnPropertyNames(o)) {
      if (key === 'constructor') continue;
      const d = Object.getOwnPropertyDescriptor(o, key);
      if (d && typeof d.value === 'function') names.add(key);
    }
  }
  return [...names];
}

// What a thrown value says, as data. Never throws itself: a service may throw
// anything (Object.create(null), a Proxy, an object whose toString throws),
// and an answer must still go back, or the caller would wait forever.
function errorRecord(e) {
  try {
    if (e instanceof Error) {
      const r = { name: String(e.name), message: String(e.message) };
      if (e.code !== undefined) r.code = String(e.code);
      return r;
    }
    return { name: 'Error', message: `uncaught ${typeof e === 'string' ? JSON.stringify(e) : String(e)}` };
  } catch (err) {
    return { name: 'Error', message: `uncaught ${typeof e} that cannot be described` };
  }
}

function toError(r) {
  const rec = r && typeof r === 'object' ? r : {};
  const name = String(rec.name || 'Error');
  const Ctor = Object.prototype.hasOwnProperty.call(ERRORS, name) ? ERRORS[name] : Error;
  const e = new Ctor(String(rec.message ?? ''));
  if (e.name !== name) Object.defineProperty(e, 'name', { value: name, writable: true, configurable: true });
  if (rec.code !== undefined) e.code = String(rec.code);
  return e;
}

function peerGone(what, pid, reason) {
  const e = new RpcError(`${what}: the service process (pid ${pid}) ${reason && reason !== 'exited' ? `was ${reason.startsWith('killed') ? '' : 'killed: '}${reason}` : 'exited'} before it answered`);
  e.code = 'ECONNRESET';
  e.reason = reason || 'exited'; // the limit it broke, for a caller that answers for it (the invoker)
  return e;
}

module.exports = { RpcEndpoint, RpcError, methodNames, errorRecord, toError };
