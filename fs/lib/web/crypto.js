// fs/lib/web/crypto.js (/lib/web/crypto in the image): the two methods of
// Web Crypto's Crypto interface (W3C Web Cryptography API §10) that need no
// SubtleCrypto: getRandomValues and randomUUID, for Workers-style code
// (issue 14). There is no random source in here: makeCrypto(randomBytes)
// takes one, randomBytes(n) giving n random bytes as a Uint8Array, so an
// app can hand it the machine's (sys.proc.random) and tests a fixed sequence.
// crypto.subtle is left out.
'use strict';

const { DOMException } = require('/lib/web/dom-exception');

// §10.1.1: at most 65,536 bytes a call.
const MAX_BYTES = 65536;
const INTEGER_ARRAYS = ['Int8Array', 'Uint8Array', 'Uint8ClampedArray', 'Int16Array', 'Uint16Array', 'Int32Array', 'Uint32Array', 'BigInt64Array', 'BigUint64Array'];
const typedArrayName = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(Uint8Array.prototype), Symbol.toStringTag).get;

function makeCrypto(randomBytes) {
  if (typeof randomBytes !== 'function') throw new TypeError('makeCrypto: randomBytes(n) is required');

  // `n` bytes from the source, checked, since a short read would leave
  // predictable zeros where random bytes were promised.
  function draw(n) {
    const bytes = randomBytes(n);
    if (!(bytes instanceof Uint8Array) || bytes.length < n) throw new Error(`crypto: the random source gave ${bytes && bytes.length} of ${n} bytes`);
    return bytes.length === n ? bytes : bytes.subarray(0, n);
  }

  // §10.1.1 getRandomValues: fills an integer typed array in place and returns it.
  function getRandomValues(array) {
    if (!ArrayBuffer.isView(array)) throw new TypeError('getRandomValues: the argument must be an ArrayBufferView');
    if (!INTEGER_ARRAYS.includes(typedArrayName.call(array))) {
      throw new DOMException('getRandomValues: only integer typed arrays can be filled', 'TypeMismatchError');
    }
    if (array.byteLength > MAX_BYTES) {
      throw new DOMException(`getRandomValues: ${array.byteLength} bytes asked, at most ${MAX_BYTES} allowed`, 'QuotaExceededError');
    }
    new Uint8Array(array.buffer, array.byteOffset, array.byteLength).set(draw(array.byteLength));
    return array;
  }

  // §10.1.2 randomUUID: RFC 9562 §5.4's version 4 layout, 122 random bits.
  function randomUUID() {
    const b = Uint8Array.from(draw(16));
    b[6] = (b[6] & 0x0f) | 0x40; // version 4 in the high nibble of octet 6
    b[8] = (b[8] & 0x3f) | 0x80; // variant 10xx in the high bits of octet 8
    const hex = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }

  return { getRandomValues, randomUUID };
}

module.exports = { makeCrypto, MAX_BYTES };
