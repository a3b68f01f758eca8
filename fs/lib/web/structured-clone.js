// fs/lib/web/structured-clone.js (/lib/web/structured-clone in the image):
// structuredClone(value) of the HTML Standard (§2.7 "Safe passing of
// structured data") for Workers-style code (issue 14).
//
// The standard serializes to a record and deserializes it again; within one
// isolate the two collapse into one walk that builds the copy directly.
// The "memory" map (original → copy) is what keeps cycles finite and
// sharing intact: an object reached twice is copied once, so two views of
// one ArrayBuffer stay views of one (new) buffer.
//
// Cloned: primitives (a symbol is not), Boolean/Number/BigInt/String
// objects, Date, RegExp (lastIndex resets to 0, as specified), ArrayBuffer
// (resizable ones keep maxByteLength), typed arrays and DataView, Map, Set,
// Error and its native subclasses (name, message, and stack as V8 keeps
// it), arrays (holes and extra properties kept) and every other object as a
// plain object of its own enumerable string-keyed properties (its prototype
// is lost, as in a browser). Anything else is a DOMException named
// DataCloneError: functions, symbols, WeakMap/WeakSet/WeakRef, Promise,
// FinalizationRegistry, SharedArrayBuffer (this runtime is never
// cross-origin isolated) and detached buffers. The `transfer` option is
// not supported (a non-empty list is a DataCloneError).
'use strict';

const { DOMException } = require('/lib/web/dom-exception');

const cloneError = (what) => new DOMException(`${what} could not be cloned`, 'DataCloneError');

// Brand checks: does `v` carry the internal slots of a built-in? Each
// calls a built-in method that throws on anything else and has no effect.
function has(fn, v, ...args) {
  try {
    fn.call(v, ...args);
    return true;
  } catch (e) {
    return false;
  }
}
const getter = (proto, name) => Object.getOwnPropertyDescriptor(proto, name).get;
const TypedArrayProto = Object.getPrototypeOf(Uint8Array.prototype);
const typedArrayName = getter(TypedArrayProto, Symbol.toStringTag); // undefined for anything but a typed array
const isArrayBuffer = (v) => has(getter(ArrayBuffer.prototype, 'byteLength'), v);
const isSharedArrayBuffer = (v) => typeof SharedArrayBuffer === 'function' && has(getter(SharedArrayBuffer.prototype, 'byteLength'), v);
const isDataView = (v) => has(getter(DataView.prototype, 'byteLength'), v);
const isTypedArray = (v) => typedArrayName.call(v) !== undefined;
const isRegExp = (v) => v !== RegExp.prototype && has(getter(RegExp.prototype, 'source'), v);
const isError = (v) => (typeof Error.isError === 'function' ? Error.isError(v) : v instanceof Error);
const isDate = (v) => has(Date.prototype.getTime, v);
const isMap = (v) => has(Map.prototype.has, v);
const isSet = (v) => has(Set.prototype.has, v);

// Objects with internal slots this clone does not know: DataCloneError.
function unclonableKind(v) {
  if (has(WeakMap.prototype.has, v, {})) return 'WeakMap';
  if (has(WeakSet.prototype.has, v, {})) return 'WeakSet';
  if (typeof WeakRef === 'function' && has(WeakRef.prototype.deref, v)) return 'WeakRef';
  if (typeof FinalizationRegistry === 'function' && has(FinalizationRegistry.prototype.unregister, v, {})) return 'FinalizationRegistry';
  if (has(Symbol.prototype.valueOf, v)) return 'Symbol object';
  if (v instanceof Promise) return 'Promise';
  if (isSharedArrayBuffer(v)) return 'SharedArrayBuffer';
  return null;
}

// The boxed primitive in `v`, as [kind, primitive], or null.
function boxed(v) {
  for (const [kind, C] of [['Boolean', Boolean], ['Number', Number], ['String', String], ['BigInt', typeof BigInt === 'function' ? BigInt : null]]) {
    if (!C) continue;
    try {
      return [kind, C.prototype.valueOf.call(v)];
    } catch (e) {
      // not this kind
    }
  }
  return null;
}

const ERROR_NAMES = ['Error', 'EvalError', 'RangeError', 'ReferenceError', 'SyntaxError', 'TypeError', 'URIError'];
const CONSTRUCTORS = { Error, EvalError, RangeError, ReferenceError, SyntaxError, TypeError, URIError };

function cloneBuffer(buf) {
  if (buf.detached === true) throw cloneError('A detached ArrayBuffer');
  const copy = buf.resizable ? new ArrayBuffer(buf.byteLength, { maxByteLength: buf.maxByteLength }) : new ArrayBuffer(buf.byteLength);
  new Uint8Array(copy).set(new Uint8Array(buf));
  return copy;
}

// Own enumerable string-keyed properties of `from`, each cloned onto `to`
// (the spec's EnumerableOwnProperties, read again in case a getter removed one).
function copyProperties(from, to, walk) {
  for (const key of Object.keys(from)) {
    if (Object.prototype.hasOwnProperty.call(from, key)) to[key] = walk(from[key]);
  }
}

function structuredClone(value, options = undefined) {
  if (arguments.length === 0) throw new TypeError('structuredClone: 1 argument required');
  if (options && options.transfer && Array.from(options.transfer).length > 0) throw cloneError('A transfer list (not supported here)');
  const memory = new Map();

  function walk(v) {
    if (typeof v === 'symbol') throw cloneError('A symbol');
    if (typeof v === 'function') throw cloneError(`The function ${v.name || '(anonymous)'}`);
    if (v === null || typeof v !== 'object') return v;
    if (memory.has(v)) return memory.get(v);
    const copy = cloneObject(v);
    return copy;
  }

  // Registers `copy` in memory before its contents are walked, so a cycle
  // back to `v` finds it.
  const remember = (v, copy) => {
    memory.set(v, copy);
    return copy;
  };

  function cloneObject(v) {
    const box = boxed(v);
    if (box) return remember(v, Object(box[1]));
    if (isDate(v)) return remember(v, new Date(Date.prototype.getTime.call(v)));
    if (isRegExp(v)) return remember(v, new RegExp(v.source, v.flags));
    if (isArrayBuffer(v)) return remember(v, cloneBuffer(v));
    if (isTypedArray(v) || isDataView(v)) {
      // The buffer goes through memory, so views that shared one still do.
      const buffer = walk(v.buffer);
      if (isDataView(v)) return remember(v, new DataView(buffer, v.byteOffset, v.byteLength));
      const C = globalThis[typedArrayName.call(v)];
      return remember(v, new C(buffer, v.byteOffset, v.length));
    }
    if (isMap(v)) {
      const copy = remember(v, new Map());
      for (const [k, x] of Array.from(Map.prototype.entries.call(v))) copy.set(walk(k), walk(x));
      return copy;
    }
    if (isSet(v)) {
      const copy = remember(v, new Set());
      for (const x of Array.from(Set.prototype.values.call(v))) copy.add(walk(x));
      return copy;
    }
    if (isError(v)) {
      const name = ERROR_NAMES.includes(v.name) ? v.name : 'Error';
      const desc = Object.getOwnPropertyDescriptor(v, 'message');
      const copy = remember(v, desc && 'value' in desc ? new CONSTRUCTORS[name](String(desc.value)) : new CONSTRUCTORS[name]());
      if (typeof v.stack === 'string') Object.defineProperty(copy, 'stack', { value: v.stack, writable: true, configurable: true });
      return copy;
    }
    if (Array.isArray(v)) {
      const copy = remember(v, new Array(v.length));
      copyProperties(v, copy, walk);
      return copy;
    }
    const kind = unclonableKind(v);
    if (kind) throw cloneError(`A ${kind}`);
    const copy = remember(v, {});
    copyProperties(v, copy, walk);
    return copy;
  }

  return walk(value);
}

module.exports = { structuredClone };
