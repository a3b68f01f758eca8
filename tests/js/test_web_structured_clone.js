// Unit tests for fs/lib/web/structured-clone.js: structuredClone against the
// HTML Standard's StructuredSerializeInternal, case by case as WPT's
// html/webappapis/structured-clone/structured-clone-battery-of-tests does:
// each kind of value comes back equal but not the same object, sharing and
// cycles survive, and what cannot be cloned is a DataCloneError.
const { structuredClone } = require('/lib/web/structured-clone');
const { DOMException } = require('/lib/web/dom-exception');

function cloneFails(v) {
  try {
    structuredClone(v);
  } catch (e) {
    return e;
  }
  throw new Error('expected a DataCloneError');
}

test('primitives come back as they are', () => {
  for (const v of [undefined, null, true, false, 0, -0, NaN, Infinity, 1.5, '', 'text \u{1F600}', 10n]) {
    assert.ok(Object.is(structuredClone(v), v), String(v));
  }
});

test('plain objects and arrays: deep copies, own enumerable string keys only', () => {
  const sym = Symbol('s');
  const src = { a: 1, b: { c: [1, 2, { d: 'x' }] }, [sym]: 'gone' };
  Object.defineProperty(src, 'hidden', { value: 1, enumerable: false });
  const copy = structuredClone(src);
  assert.deepEqual(copy, { a: 1, b: { c: [1, 2, { d: 'x' }] } });
  assert.ok(copy !== src && copy.b !== src.b && copy.b.c !== src.b.c);
  assert.equal(copy[sym], undefined);
  assert.ok(!('hidden' in copy));
});

test('a class instance loses its prototype; getters are read once', () => {
  class Point {
    constructor() { this.x = 1; }
    get y() { return 2; }
  }
  const copy = structuredClone(new Point());
  assert.equal(Object.getPrototypeOf(copy), Object.prototype);
  assert.deepEqual(copy, { x: 1 });
  let reads = 0;
  const withGetter = { get v() { reads++; return 'value'; } };
  const c2 = structuredClone(withGetter);
  assert.equal(reads, 1);
  assert.equal(Object.getOwnPropertyDescriptor(c2, 'v').value, 'value', 'a data property now');
});

test('arrays keep holes, length and extra properties', () => {
  const a = [1, , 3];
  a.length = 5;
  a.extra = 'e';
  const c = structuredClone(a);
  assert.ok(Array.isArray(c));
  assert.equal(c.length, 5);
  assert.ok(!(1 in c));
  assert.equal(c[2], 3);
  assert.equal(c.extra, 'e');
});

test('cycles and shared references are kept', () => {
  const o = { name: 'root' };
  o.self = o;
  const shared = { n: 1 };
  o.list = [shared, shared];
  const c = structuredClone(o);
  assert.ok(c !== o);
  assert.equal(c.self, c);
  assert.equal(c.list[0], c.list[1]);
  assert.ok(c.list[0] !== shared);
  const m = new Map();
  m.set('me', m);
  const cm = structuredClone(m);
  assert.equal(cm.get('me'), cm);
});

test('boxed primitives stay boxed', () => {
  const values = [Object(true), Object(7), Object('s'), Object(5n)];
  const copies = structuredClone(values);
  for (let i = 0; i < values.length; i++) {
    assert.equal(typeof copies[i], 'object');
    assert.ok(copies[i] !== values[i]);
    assert.equal(copies[i].valueOf(), values[i].valueOf());
  }
  assert.ok(copies[2] instanceof String);
});

test('Date and RegExp (lastIndex reset)', () => {
  const d = new Date(Date.UTC(2026, 11, 7, 2, 15));
  const cd = structuredClone(d);
  assert.ok(cd instanceof Date && cd !== d);
  assert.equal(cd.getTime(), d.getTime());
  assert.ok(Number.isNaN(structuredClone(new Date(NaN)).getTime()));
  const r = /a+b/giu;
  r.lastIndex = 3;
  const cr = structuredClone(r);
  assert.ok(cr instanceof RegExp && cr !== r);
  assert.equal(cr.source, 'a+b');
  assert.equal(cr.flags, 'giu');
  assert.equal(cr.lastIndex, 0);
});

test('Map and Set: entries cloned in order, keys too', () => {
  const key = { k: 1 };
  const m = new Map([[key, 'v'], ['s', { deep: true }]]);
  const cm = structuredClone(m);
  assert.ok(cm instanceof Map && cm !== m);
  const keys = [...cm.keys()];
  assert.deepEqual(keys[0], { k: 1 });
  assert.ok(keys[0] !== key);
  assert.deepEqual(cm.get('s'), { deep: true });
  const s = new Set([3, 1, 2, key]);
  const cs = structuredClone(s);
  assert.ok(cs instanceof Set);
  assert.deepEqual([...cs].slice(0, 3), [3, 1, 2]);
});

test('ArrayBuffer is copied; typed arrays and DataView keep offset, length and type', () => {
  const buf = new ArrayBuffer(16);
  new Uint8Array(buf).set([1, 2, 3, 4, 5, 6, 7, 8]);
  const cb = structuredClone(buf);
  assert.ok(cb instanceof ArrayBuffer && cb !== buf);
  assert.deepEqual(new Uint8Array(cb).slice(0, 8), Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]));
  new Uint8Array(cb)[0] = 99;
  assert.equal(new Uint8Array(buf)[0], 1, 'the copy is not the original memory');
  const u16 = new Uint16Array(buf, 2, 3);
  const c16 = structuredClone(u16);
  assert.ok(c16 instanceof Uint16Array);
  assert.deepEqual([c16.byteOffset, c16.length, c16.buffer.byteLength], [2, 3, 16]);
  assert.deepEqual(c16, u16);
  const dv = new DataView(buf, 4, 4);
  const cdv = structuredClone(dv);
  assert.ok(cdv instanceof DataView);
  assert.deepEqual([cdv.byteOffset, cdv.byteLength, cdv.getUint8(0)], [4, 4, 5]);
  for (const C of [Int8Array, Uint8ClampedArray, Int32Array, Float32Array, Float64Array, BigInt64Array]) {
    assert.ok(structuredClone(new C(2)) instanceof C, C.name);
  }
});

test('two views of one buffer stay views of one (new) buffer', () => {
  const buf = new ArrayBuffer(8);
  const views = { a: new Uint8Array(buf), b: new DataView(buf, 4), raw: buf };
  const c = structuredClone(views);
  assert.equal(c.a.buffer, c.b.buffer);
  assert.equal(c.a.buffer, c.raw);
  assert.ok(c.raw !== buf);
  c.b.setUint8(0, 42);
  assert.equal(c.a[4], 42);
  assert.equal(new Uint8Array(buf)[4], 0);
});

test('Error types keep their type, name and message; others become Error', () => {
  for (const E of [Error, EvalError, RangeError, ReferenceError, SyntaxError, TypeError, URIError]) {
    const c = structuredClone(new E('msg'));
    assert.ok(c instanceof E, E.name);
    assert.equal(c.name, E.name);
    assert.equal(c.message, 'msg');
  }
  class MyError extends Error {}
  const custom = structuredClone(new MyError('mine'));
  assert.equal(Object.getPrototypeOf(custom), Error.prototype);
  assert.equal(custom.message, 'mine');
  assert.ok(!Object.prototype.hasOwnProperty.call(structuredClone(new Error()), 'message'));
  const e = new TypeError('x');
  assert.equal(structuredClone(e).stack, e.stack);
});

test('functions, symbols, weak collections and promises are DataCloneError', () => {
  const cases = [() => 1, function named() {}, Symbol('s'), { f() {} }, [1, Symbol.iterator], new WeakMap(), new WeakSet(), Promise.resolve(), Object(Symbol('boxed')), new Map([['k', () => 0]])];
  if (typeof WeakRef === 'function') cases.push(new WeakRef({}));
  for (const [i, v] of cases.entries()) {
    const e = cloneFails(v);
    assert.equal(e.name, 'DataCloneError', `case ${i}`);
    assert.equal(e.code, 25);
    assert.ok(e instanceof DOMException);
  }
});

test('a transfer list is refused; no argument is a TypeError', () => {
  assert.equal((() => { try { structuredClone(1, { transfer: [new ArrayBuffer(1)] }); } catch (e) { return e.name; } return 'nothing'; })(), 'DataCloneError');
  assert.equal(structuredClone(1, { transfer: [] }), 1);
  assert.throws(() => structuredClone(), /argument/);
});
