// fs/lib/sha256.js (/lib/sha256 in the image): the SHA-256 hash of FIPS 180-4,
// fed incrementally; sha256sum uses it, and so can any app that needs a digest.
//
//   const { Sha256, hex } = require('/lib/sha256');
//   const h = new Sha256();
//   h.update(bytes);                 // Uint8Arrays of any sizes, as they arrive
//   h.update(moreBytes);
//   hex(h.digest());                 // 'ba7816bf...': digest() is a Uint8Array(32)
//
// The message is hashed in 64-byte blocks (§6.2.2). update() compresses the
// whole blocks straight out of the caller's array and copies only a tail of
// less than a block into a 64-byte buffer of its own, so hashing allocates
// nothing per call or per byte: the eight working variables are locals and
// the message schedule is one 64-word array made with the hasher.
//
// The 32-bit words are kept in Int32Arrays and combined with `| 0`: the bits
// are those of FIPS 180-4's unsigned words (addition modulo 2^32 is the same
// operation on signed and unsigned 32-bit integers), but V8 keeps int32 values
// unboxed in registers, while a Uint32Array element of 2^31 or more would be a
// double. Only digest() turns the words back into bytes.
'use strict';

// §4.2.2: the first 32 bits of the fractional parts of the cube roots of the
// first 64 primes.
const K = new Int32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);

// §5.3.3: the initial hash value H(0), the first 32 bits of the fractional
// parts of the square roots of the first 8 primes.
const H0 = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];

const BLOCK = 64; // bytes in a message block (512 bits, §5.2.1)

// Hashes the whole blocks bytes[at, end) into the hash value H (§6.2.2),
// using W (64 words) for the message schedule. end - at is a multiple of 64.
function compressBlocks(H, W, bytes, at, end) {
  let h0 = H[0], h1 = H[1], h2 = H[2], h3 = H[3], h4 = H[4], h5 = H[5], h6 = H[6], h7 = H[7];
  for (; at < end; at += BLOCK) {
    // Step 1, the message schedule: the block's 16 big-endian words (§3.1: the
    // most significant byte first), then 48 words mixed from earlier ones
    // with σ0 and σ1 (§4.1.2, (4.6) and (4.7)).
    for (let t = 0, i = at; t < 16; t++, i += 4) {
      W[t] = (bytes[i] << 24) | (bytes[i + 1] << 16) | (bytes[i + 2] << 8) | bytes[i + 3];
    }
    for (let t = 16; t < 64; t++) {
      const w15 = W[t - 15];
      const w2 = W[t - 2];
      const sigma0 = ((w15 >>> 7) | (w15 << 25)) ^ ((w15 >>> 18) | (w15 << 14)) ^ (w15 >>> 3);
      const sigma1 = ((w2 >>> 17) | (w2 << 15)) ^ ((w2 >>> 19) | (w2 << 13)) ^ (w2 >>> 10);
      W[t] = (sigma1 + W[t - 7] + sigma0 + W[t - 16]) | 0;
    }

    // Steps 2 and 3: the working variables start as the hash so far and go
    // through 64 rounds. ROTR^n(x) is (x >>> n) | (x << (32 - n)).
    let a = h0, b = h1, c = h2, d = h3, e = h4, f = h5, g = h6, h = h7;
    for (let t = 0; t < 64; t++) {
      const Sigma1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7)); // (4.5)
      const ch = g ^ (e & (f ^ g)); // Ch(e, f, g) = (e & f) ^ (~e & g), (4.2), one operation fewer
      // Adding in pairs keeps every sum a 32-bit integer, which V8 adds fastest.
      const T1 = (((((h + Sigma1) | 0) + ((ch + K[t]) | 0)) | 0) + W[t]) | 0;
      const Sigma0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10)); // (4.4)
      const maj = (a & b) ^ (c & (a ^ b)); // Maj(a, b, c) = (a & b) ^ (a & c) ^ (b & c), (4.3)
      const T2 = (Sigma0 + maj) | 0;
      h = g;
      g = f;
      f = e;
      e = (d + T1) | 0;
      d = c;
      c = b;
      b = a;
      a = (T1 + T2) | 0;
    }

    // Step 4: the intermediate hash value H(i).
    h0 = (h0 + a) | 0;
    h1 = (h1 + b) | 0;
    h2 = (h2 + c) | 0;
    h3 = (h3 + d) | 0;
    h4 = (h4 + e) | 0;
    h5 = (h5 + f) | 0;
    h6 = (h6 + g) | 0;
    h7 = (h7 + h) | 0;
  }
  H[0] = h0; H[1] = h1; H[2] = h2; H[3] = h3; H[4] = h4; H[5] = h5; H[6] = h6; H[7] = h7;
}

class Sha256 {
  constructor() {
    this.H = Int32Array.from(H0); // the hash value so far (§6.2.1)
    this.W = new Int32Array(64); // the message schedule, reused for every block
    this.tail = new Uint8Array(BLOCK); // bytes of an unfinished block
    this.tailLength = 0;
    this.length = 0; // message bytes so far (exact up to 2^53)
    this.result = null; // the digest, once digest() has padded the message
  }

  // Adds bytes (a Uint8Array, or any typed array or DataView: its bytes) to
  // the message. Returns the hasher, so calls can chain.
  update(data) {
    if (this.result) throw new Error('Sha256: update() after digest()');
    const bytes = data instanceof Uint8Array ? data : asBytes(data);
    const n = bytes.length;
    this.length += n;
    let at = 0;
    if (this.tailLength > 0) {
      // Complete the block begun by earlier calls first.
      at = Math.min(BLOCK - this.tailLength, n);
      this.tail.set(at === n ? bytes : bytes.subarray(0, at), this.tailLength);
      this.tailLength += at;
      if (this.tailLength < BLOCK) return this;
      compressBlocks(this.H, this.W, this.tail, 0, BLOCK);
      this.tailLength = 0;
    }
    const whole = n - ((n - at) % BLOCK);
    compressBlocks(this.H, this.W, bytes, at, whole);
    if (whole < n) {
      this.tail.set(bytes.subarray(whole), 0);
      this.tailLength = n - whole;
    }
    return this;
  }

  // The 32-byte hash of everything passed to update(). The first call pads
  // the message and finishes the hash; later calls return the same bytes.
  digest() {
    if (!this.result) this.result = this.finish();
    return this.result.slice();
  }

  // The digest as 64 lowercase hex digits.
  hex() {
    return hex(this.digest());
  }

  // §5.1.1 padding: the bit 1, then zeros up to 56 bytes into a block, then
  // the message length in bits as a 64-bit big-endian number.
  finish() {
    const block = this.tail;
    let n = this.tailLength;
    block[n++] = 0x80;
    if (n > BLOCK - 8) {
      // No room for the length: it goes in one more block.
      block.fill(0, n, BLOCK);
      compressBlocks(this.H, this.W, block, 0, BLOCK);
      n = 0;
    }
    block.fill(0, n, BLOCK - 8);
    const bitsHigh = Math.floor(this.length / 0x20000000); // length * 8 / 2^32
    const bitsLow = (this.length * 8) >>> 0; // length * 8 modulo 2^32 (exact: * 8 only shifts the exponent)
    putWord(block, BLOCK - 8, bitsHigh);
    putWord(block, BLOCK - 4, bitsLow);
    compressBlocks(this.H, this.W, block, 0, BLOCK);

    // §6.2.2: the hash is H0 || H1 || ... || H7, each word big-endian.
    const out = new Uint8Array(32);
    for (let i = 0; i < 8; i++) putWord(out, i * 4, this.H[i]);
    return out;
  }
}

// Writes the 32-bit word x big-endian at bytes[at, at + 4).
function putWord(bytes, at, x) {
  bytes[at] = x >>> 24;
  bytes[at + 1] = x >>> 16;
  bytes[at + 2] = x >>> 8;
  bytes[at + 3] = x;
}

// The bytes a typed array or DataView looks at, without copying.
function asBytes(data) {
  if (!ArrayBuffer.isView(data)) throw new TypeError('Sha256: update() takes a Uint8Array');
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

// The SHA-256 of one Uint8Array.
const sha256 = (bytes) => new Sha256().update(bytes).digest();

// Bytes as lowercase hex digits, two a byte: hex(Uint8Array.of(1, 171)) is '01ab'.
const HEX_DIGITS = '0123456789abcdef';
function hex(bytes) {
  let out = '';
  for (let i = 0; i < bytes.length; i++) out += HEX_DIGITS[bytes[i] >> 4] + HEX_DIGITS[bytes[i] & 15];
  return out;
}

module.exports = { Sha256, sha256, hex };
