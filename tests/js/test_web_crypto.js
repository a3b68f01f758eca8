// Unit tests for fs/lib/web/crypto.js: getRandomValues and randomUUID over a
// random source the test controls (a counter, or all-0x00 / all-0xff
// bytes), against Web Crypto §10.1 (which arrays, the 65,536-byte quota,
// the DOMException names) and RFC 9562 §5.4 (the version 4 bit layout).
const { makeCrypto } = require('/lib/web/crypto');

// A source giving 0, 1, 2, ... (mod 256) and counting what it was asked for.
function counter() {
  let next = 0;
  const asked = [];
  const randomBytes = (n) => {
    asked.push(n);
    return Uint8Array.from({ length: n }, () => next++ & 0xff);
  };
  return { crypto: makeCrypto(randomBytes), asked };
}
const filled = (byte) => makeCrypto((n) => new Uint8Array(n).fill(byte));
const errorName = (fn) => {
  try {
    fn();
  } catch (e) {
    return e.name;
  }
  return 'nothing thrown';
};

test('getRandomValues fills the array in place from the source and returns it', () => {
  const { crypto, asked } = counter();
  const a = new Uint8Array(4);
  assert.equal(crypto.getRandomValues(a), a);
  assert.deepEqual(a, Uint8Array.from([0, 1, 2, 3]));
  const w = new Uint16Array(2);
  crypto.getRandomValues(w);
  assert.deepEqual(new Uint8Array(w.buffer), Uint8Array.from([4, 5, 6, 7]));
  assert.deepEqual(asked, [4, 4], 'bytes, not elements');
});

test('getRandomValues fills only the view, not the rest of its buffer', () => {
  const { crypto } = counter();
  const buf = new Uint8Array(8).fill(0xee);
  crypto.getRandomValues(new Uint8Array(buf.buffer, 2, 3));
  assert.deepEqual(buf, Uint8Array.from([0xee, 0xee, 0, 1, 2, 0xee, 0xee, 0xee]));
});

test('every integer array type is accepted; float arrays and DataView are TypeMismatchError', () => {
  const { crypto } = counter();
  for (const C of [Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array, Uint32Array, BigInt64Array, BigUint64Array]) {
    assert.ok(crypto.getRandomValues(new C(1)) instanceof C, C.name);
  }
  assert.equal(errorName(() => crypto.getRandomValues(new Float32Array(1))), 'TypeMismatchError');
  assert.equal(errorName(() => crypto.getRandomValues(new Float64Array(1))), 'TypeMismatchError');
  assert.equal(errorName(() => crypto.getRandomValues(new DataView(new ArrayBuffer(1)))), 'TypeMismatchError');
  assert.equal(errorName(() => crypto.getRandomValues([1, 2])), 'TypeError');
  assert.equal(errorName(() => crypto.getRandomValues(new ArrayBuffer(2))), 'TypeError');
});

test('at most 65,536 bytes: one more is QuotaExceededError and the source is not asked', () => {
  const { crypto, asked } = counter();
  assert.equal(crypto.getRandomValues(new Uint8Array(65536)).length, 65536);
  assert.equal(crypto.getRandomValues(new Uint32Array(16384)).length, 16384);
  assert.equal(errorName(() => crypto.getRandomValues(new Uint8Array(65537))), 'QuotaExceededError');
  assert.equal(errorName(() => crypto.getRandomValues(new Uint16Array(32769))), 'QuotaExceededError');
  assert.deepEqual(asked, [65536, 65536]);
});

test('a source that gives too few bytes is an error, not zeros', () => {
  const crypto = makeCrypto((n) => new Uint8Array(n - 1));
  assert.throws(() => crypto.getRandomValues(new Uint8Array(4)), /gave 3 of 4/);
  assert.throws(() => makeCrypto(), /randomBytes/);
});

test('randomUUID: the counter bytes laid out 8-4-4-4-12, version and variant set', () => {
  const { crypto } = counter();
  // Bytes 00..0f; octet 6 (06) becomes 46, octet 8 (08) becomes 88.
  assert.equal(crypto.randomUUID(), '00010203-0405-4607-8809-0a0b0c0d0e0f');
});

test('randomUUID: version 4 and variant 10 whatever the source gives', () => {
  assert.equal(filled(0x00).randomUUID(), '00000000-0000-4000-8000-000000000000');
  assert.equal(filled(0xff).randomUUID(), 'ffffffff-ffff-4fff-bfff-ffffffffffff');
  const { crypto } = counter();
  for (let i = 0; i < 40; i++) assert.ok(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(crypto.randomUUID()));
});
