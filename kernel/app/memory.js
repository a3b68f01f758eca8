// kernel/app/memory.js: ArrayBuffer and WebAssembly memory, counted against
// the app's `external` limit.
//
// V8's heap limit ignores ArrayBuffer backing stores, so every way to make
// one goes through a check against the app's budget: this file wraps the
// ArrayBuffer and typed array constructors and WebAssembly.Memory, publishes
// the count in the page for the machine (transport.js, externalBytes), and
// throws RangeError with code ELIMIT over the limit (life.js ends an app that
// does not catch it, status 134). docs/apps.md, "Limits".
(function (rt) {
'use strict';

const { externalBytes } = rt;

// Each allocation is remembered through a WeakRef; a sweep gives back the
// bytes of those the collector has taken, when the list has doubled since
// the last sweep and before refusing an allocation. (A FinalizationRegistry
// would give them back by itself, but its cleanup runs as a V8 task, and
// one still pending when the machine closes the isolate makes V8 print
// "Uncaught illegal access" on the process's stdout, into `jsksh run`'s output.)
const DEFAULT_EXTERNAL_LIMIT = 64 * 1024 * 1024;
let externalLimit = DEFAULT_EXTERNAL_LIMIT;
let external = 0;
// allocations: [WeakRef, bytes] for each.
let allocations = [];
let sweepAt = 64;
function setExternal(n) {
  external = n;
  externalBytes[0] = external;
}
// The start message's limit, or the default (loader.js, start).
function setExternalLimit(n) {
  externalLimit = n || DEFAULT_EXTERNAL_LIMIT;
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
  // Not configurable in this V8, but writable.
  globalThis.gc = undefined;
}
// The sweep that keeps the list short. Its deref() keeps every buffer it
// finds alive for the rest of the turn, the dead but not yet collected
// among them; a turn that went on allocating could then meet the limit
// with the collector unable to take them (sha256sum of 64 MiB did, now and
// then). So once the buffers are a real share of the budget, the
// collector runs first and the sweep keeps only the live ones.
function periodicSweep() {
  if (external > externalLimit / 8) collectGarbage();
  sweep();
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
        if (allocations.length >= sweepAt) periodicSweep();
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
// wasmCharged: memory -> its allocation entry [WeakRef, bytes]; wasmEntries:
// the entries, to look for growth.
const wasmCharged = new WeakMap();
let wasmEntries = [];
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
// Memory grown from inside WebAssembly: seen at the next event (loader.js, __wake).
function checkWasmGrowth() {
  if (!wasmEntries.length) return;
  wasmEntries = wasmEntries.filter((entry) => entry[0].deref() !== undefined);
  for (const entry of wasmEntries) {
    const memory = entry[0].deref();
    if (memory) chargeGrowth(entry, memory.buffer.byteLength);
  }
}

rt.onRecycle.push(() => {
  // The last run's buffers are garbage now: its count must not carry over.
  allocations = [];
  wasmEntries = [];
  setExternal(0);
});

Object.assign(rt, { setExternalLimit, checkWasmGrowth });
})(globalThis.__rt);
