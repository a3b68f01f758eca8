// kernel/lib/chacha20.js: the ChaCha20 stream cipher of RFC 8439 (its block
// function and keystream, §2.1-§2.4), and ChaCha20Rng, the generator behind
// the kernel's /dev/urandom.
//
//   const { ChaCha20, ChaCha20Rng } = require('/kernel/lib/chacha20');
//   new ChaCha20(key32, nonce12, counter).xor(bytes);   // encrypt or decrypt in place (§2.4)
//   const rng = new ChaCha20Rng(seed32);                // seed: 32 bytes from virtio-rng
//   rng.fill(uint8array);                               // random bytes, in place
//
// The generator works like Linux's CRNG (drivers/char/random.c since 5.17)
// and Bernstein's "fast-key-erasure random-number generators" (2017): the
// key is the whole secret state, and every request is answered with the
// keystream of the current key (nonce 0, block counter from 0) of which the
// first 32 bytes become the next key before any byte is handed out. Whoever
// learns the state later cannot recompute output already given: its key was
// overwritten. A request is cut into pieces of at most KEY_USE_BYTES, each
// with a key of its own, so no key ever produces more than about 64 KiB.
// Consequently the stream depends on how it is asked for: fill(200) gives
// different bytes from fill(100) twice (both are equally random).
//
// Speed: the state and the working block are Uint32Arrays made once; the 20
// rounds run on 16 local variables (V8 keeps them in registers); when the
// host is little-endian (every machine V8 runs on in practice) whole blocks
// are written straight into the caller's buffer through a Uint32Array view
// of it, so nothing is allocated per block.
'use strict';

// §2.3: the first four words of the state, "expand 32-byte k" in ASCII.
const SIGMA = [0x61707865, 0x3320646e, 0x79622d32, 0x6b206574];

const BLOCK_BYTES = 64; // one block of keystream (§2.3)
const KEY_USE_BYTES = 64 * 1024; // ChaCha20Rng: the most output one key produces before it is replaced
const NO_BYTES = new Uint8Array(0);

// §2.3's serialization is little-endian; a Uint32Array stores words in the
// host's byte order, so a view of the output can take whole words only on a
// little-endian host. Elsewhere the bytes are written one by one.
const LITTLE_ENDIAN = new Uint8Array(Uint32Array.of(1).buffer)[0] === 1;

// §2.1: the quarter round on the words x[a], x[b], x[c], x[d] of an array.
// This is the readable reference (tested against §2.1.1); chacha20Block
// below does the same steps on local variables, which V8 runs about eight
// times faster than calls of this function on an array.
function quarterRound(x, a, b, c, d) {
  x[a] = (x[a] + x[b]) | 0; x[d] = rotl(x[d] ^ x[a], 16); // 1. a += b; d ^= a; d <<<= 16;
  x[c] = (x[c] + x[d]) | 0; x[b] = rotl(x[b] ^ x[c], 12); // 2. c += d; b ^= c; b <<<= 12;
  x[a] = (x[a] + x[b]) | 0; x[d] = rotl(x[d] ^ x[a], 8); //  3. a += b; d ^= a; d <<<= 8;
  x[c] = (x[c] + x[d]) | 0; x[b] = rotl(x[b] ^ x[c], 7); //  4. c += d; b ^= c; b <<<= 7;
}

const rotl = (v, n) => (v << n) | (v >>> (32 - n));

// §2.3, the ChaCha20 block function: 20 rounds over a copy of `state` (16
// words: constants, key, counter, nonce), then the state added word by word.
// Writes the 16 words of keystream to out[at, at + 16). Each line below is
// one step of a quarter round (§2.1) with the rotation written out: the
// column rounds work on (0, 4, 8, 12) ... (3, 7, 11, 15), the diagonal rounds
// on (0, 5, 10, 15) ... (3, 4, 9, 14) (§2.2, the "inner_block" of §2.3.1).
function chacha20Block(state, out, at = 0) {
  let x0 = state[0] | 0, x1 = state[1] | 0, x2 = state[2] | 0, x3 = state[3] | 0;
  let x4 = state[4] | 0, x5 = state[5] | 0, x6 = state[6] | 0, x7 = state[7] | 0;
  let x8 = state[8] | 0, x9 = state[9] | 0, x10 = state[10] | 0, x11 = state[11] | 0;
  let x12 = state[12] | 0, x13 = state[13] | 0, x14 = state[14] | 0, x15 = state[15] | 0;
  for (let round = 0; round < 20; round += 2) {
    // Column round: QUARTERROUND(0, 4, 8, 12)
    x0 = (x0 + x4) | 0; x12 ^= x0; x12 = (x12 << 16) | (x12 >>> 16);
    x8 = (x8 + x12) | 0; x4 ^= x8; x4 = (x4 << 12) | (x4 >>> 20);
    x0 = (x0 + x4) | 0; x12 ^= x0; x12 = (x12 << 8) | (x12 >>> 24);
    x8 = (x8 + x12) | 0; x4 ^= x8; x4 = (x4 << 7) | (x4 >>> 25);
    // QUARTERROUND(1, 5, 9, 13)
    x1 = (x1 + x5) | 0; x13 ^= x1; x13 = (x13 << 16) | (x13 >>> 16);
    x9 = (x9 + x13) | 0; x5 ^= x9; x5 = (x5 << 12) | (x5 >>> 20);
    x1 = (x1 + x5) | 0; x13 ^= x1; x13 = (x13 << 8) | (x13 >>> 24);
    x9 = (x9 + x13) | 0; x5 ^= x9; x5 = (x5 << 7) | (x5 >>> 25);
    // QUARTERROUND(2, 6, 10, 14)
    x2 = (x2 + x6) | 0; x14 ^= x2; x14 = (x14 << 16) | (x14 >>> 16);
    x10 = (x10 + x14) | 0; x6 ^= x10; x6 = (x6 << 12) | (x6 >>> 20);
    x2 = (x2 + x6) | 0; x14 ^= x2; x14 = (x14 << 8) | (x14 >>> 24);
    x10 = (x10 + x14) | 0; x6 ^= x10; x6 = (x6 << 7) | (x6 >>> 25);
    // QUARTERROUND(3, 7, 11, 15)
    x3 = (x3 + x7) | 0; x15 ^= x3; x15 = (x15 << 16) | (x15 >>> 16);
    x11 = (x11 + x15) | 0; x7 ^= x11; x7 = (x7 << 12) | (x7 >>> 20);
    x3 = (x3 + x7) | 0; x15 ^= x3; x15 = (x15 << 8) | (x15 >>> 24);
    x11 = (x11 + x15) | 0; x7 ^= x11; x7 = (x7 << 7) | (x7 >>> 25);
    // Diagonal round: QUARTERROUND(0, 5, 10, 15)
    x0 = (x0 + x5) | 0; x15 ^= x0; x15 = (x15 << 16) | (x15 >>> 16);
    x10 = (x10 + x15) | 0; x5 ^= x10; x5 = (x5 << 12) | (x5 >>> 20);
    x0 = (x0 + x5) | 0; x15 ^= x0; x15 = (x15 << 8) | (x15 >>> 24);
    x10 = (x10 + x15) | 0; x5 ^= x10; x5 = (x5 << 7) | (x5 >>> 25);
    // QUARTERROUND(1, 6, 11, 12)
    x1 = (x1 + x6) | 0; x12 ^= x1; x12 = (x12 << 16) | (x12 >>> 16);
    x11 = (x11 + x12) | 0; x6 ^= x11; x6 = (x6 << 12) | (x6 >>> 20);
    x1 = (x1 + x6) | 0; x12 ^= x1; x12 = (x12 << 8) | (x12 >>> 24);
    x11 = (x11 + x12) | 0; x6 ^= x11; x6 = (x6 << 7) | (x6 >>> 25);
    // QUARTERROUND(2, 7, 8, 13)
    x2 = (x2 + x7) | 0; x13 ^= x2; x13 = (x13 << 16) | (x13 >>> 16);
    x8 = (x8 + x13) | 0; x7 ^= x8; x7 = (x7 << 12) | (x7 >>> 20);
    x2 = (x2 + x7) | 0; x13 ^= x2; x13 = (x13 << 8) | (x13 >>> 24);
    x8 = (x8 + x13) | 0; x7 ^= x8; x7 = (x7 << 7) | (x7 >>> 25);
    // QUARTERROUND(3, 4, 9, 14)
    x3 = (x3 + x4) | 0; x14 ^= x3; x14 = (x14 << 16) | (x14 >>> 16);
    x9 = (x9 + x14) | 0; x4 ^= x9; x4 = (x4 << 12) | (x4 >>> 20);
    x3 = (x3 + x4) | 0; x14 ^= x3; x14 = (x14 << 8) | (x14 >>> 24);
    x9 = (x9 + x14) | 0; x4 ^= x9; x4 = (x4 << 7) | (x4 >>> 25);
  }
  // Add the original state to the result (§2.3, step 3).
  out[at] = (x0 + state[0]) | 0; out[at + 1] = (x1 + state[1]) | 0; out[at + 2] = (x2 + state[2]) | 0; out[at + 3] = (x3 + state[3]) | 0;
  out[at + 4] = (x4 + state[4]) | 0; out[at + 5] = (x5 + state[5]) | 0; out[at + 6] = (x6 + state[6]) | 0; out[at + 7] = (x7 + state[7]) | 0;
  out[at + 8] = (x8 + state[8]) | 0; out[at + 9] = (x9 + state[9]) | 0; out[at + 10] = (x10 + state[10]) | 0; out[at + 11] = (x11 + state[11]) | 0;
  out[at + 12] = (x12 + state[12]) | 0; out[at + 13] = (x13 + state[13]) | 0; out[at + 14] = (x14 + state[14]) | 0; out[at + 15] = (x15 + state[15]) | 0;
}

// Sets up a state (§2.3): the constants, the 256-bit key (32 bytes read as
// eight little-endian words), the block counter and the 96-bit nonce
// (12 bytes, three little-endian words).
function initState(state, key, counter, nonce) {
  if (!(key instanceof Uint8Array) || key.length !== 32) throw new RangeError('ChaCha20: the key is 32 bytes (a Uint8Array)');
  if (!(nonce instanceof Uint8Array) || nonce.length !== 12) throw new RangeError('ChaCha20: the nonce is 12 bytes (a Uint8Array)');
  state.set(SIGMA, 0);
  for (let i = 0; i < 8; i++) state[4 + i] = getWordLE(key, 4 * i);
  state[12] = counter;
  for (let i = 0; i < 3; i++) state[13 + i] = getWordLE(nonce, 4 * i);
}

const getWordLE = (bytes, at) => (bytes[at] | (bytes[at + 1] << 8) | (bytes[at + 2] << 16) | (bytes[at + 3] << 24)) >>> 0;

// Copies bytes [from, from + count) of the serialized block `words` (word i
// is bytes 4i..4i+3, least significant first: §2.3) to out[at, ...).
function copyBlockBytes(words, from, out, at, count) {
  for (let i = 0; i < count; i++) {
    const k = from + i;
    out[at + i] = words[k >> 2] >>> ((k & 3) << 3);
  }
}

// Writes keystream blocks for the state's counter, counter + 1, ... over
// out[start, end), and leaves the counter after the last block used. Whole
// blocks go straight into the output when a word view of it is possible;
// a last partial block goes through `scratch` (16 words).
function keystreamBlocks(state, scratch, out, start, end) {
  let at = start;
  const aligned = LITTLE_ENDIAN && (out.byteOffset + at) % 4 === 0;
  const wholeEnd = at + Math.floor((end - at) / BLOCK_BYTES) * BLOCK_BYTES;
  if (aligned && wholeEnd > at) {
    const words = new Uint32Array(out.buffer, out.byteOffset + at, (wholeEnd - at) / 4);
    for (let w = 0; w < words.length; w += 16) {
      chacha20Block(state, words, w);
      state[12]++;
    }
    at = wholeEnd;
  }
  for (; at < end; at += BLOCK_BYTES) {
    chacha20Block(state, scratch, 0);
    state[12]++;
    copyBlockBytes(scratch, 0, out, at, Math.min(BLOCK_BYTES, end - at));
  }
  scratch.fill(0);
}

// §2.4: ChaCha20 as a stream cipher. The keystream continues across calls:
// keystream(a) then keystream(b) gives the same bytes as one call as long
// as both. xor(data) encrypts or decrypts data in place.
class ChaCha20 {
  constructor(key, nonce, counter = 0) {
    this.state = new Uint32Array(16);
    initState(this.state, key, counter, nonce);
    this.block = new Uint32Array(16); // the current block of keystream ...
    this.used = BLOCK_BYTES; // ... of which this many bytes are spent
    this.scratch = new Uint32Array(16); // for keystreamBlocks, which wipes it
    this.bytes = new Uint8Array(0); // scratch for xor()
  }

  // Fills out (a Uint8Array) with the next out.length bytes of keystream.
  keystream(out) {
    let at = 0;
    // First the rest of a block begun by an earlier call.
    if (this.used < BLOCK_BYTES) {
      const n = Math.min(BLOCK_BYTES - this.used, out.length);
      copyBlockBytes(this.block, this.used, out, 0, n);
      this.used += n;
      at = n;
    }
    // Then whole blocks, and the start of one more into this.block.
    const whole = at + Math.floor((out.length - at) / BLOCK_BYTES) * BLOCK_BYTES;
    this.checkCounter(whole - at);
    keystreamBlocks(this.state, this.scratch, out, at, whole);
    if (whole < out.length) {
      this.checkCounter(BLOCK_BYTES);
      chacha20Block(this.state, this.block, 0);
      this.state[12]++;
      this.used = out.length - whole;
      copyBlockBytes(this.block, 0, out, whole, this.used);
    }
    return out;
  }

  // XORs data (a Uint8Array) with the keystream, in place; returns data.
  xor(data) {
    if (this.bytes.length < data.length) this.bytes = new Uint8Array(data.length);
    const stream = this.keystream(this.bytes.subarray(0, data.length));
    for (let i = 0; i < data.length; i++) data[i] ^= stream[i];
    stream.fill(0);
    return data;
  }

  // §2.4: the block counter is 32 bits; a stream must not wrap it and reuse keystream.
  checkCounter(bytes) {
    if (this.state[12] + Math.ceil(bytes / BLOCK_BYTES) > 0x100000000) throw new RangeError('ChaCha20: block counter exhausted');
  }
}

// A cryptographically secure generator with fast key erasure (the header
// says why): the state is one key, seeded with 32 bytes of entropy.
class ChaCha20Rng {
  constructor(seed) {
    this.state = new Uint32Array(16);
    initState(this.state, seed, 0, new Uint8Array(12));
    this.block = new Uint32Array(16); // block 0 of a piece: the next key
    this.scratch = new Uint32Array(16); // a last partial block
  }

  // Fills out (a Uint8Array) with random bytes; returns out.
  fill(out) {
    for (let at = 0; at < out.length; at += KEY_USE_BYTES) this.fillPiece(out, at, Math.min(out.length, at + KEY_USE_BYTES));
    return out;
  }

  // One piece: block 0 of the current key gives the next key (its first 32
  // bytes) and the piece's first 32 bytes (its last 32); blocks 1, 2, ...
  // give the rest. Then the new key replaces the old one, which is gone.
  fillPiece(out, start, end) {
    const state = this.state;
    const block = this.block;
    state[12] = 0;
    chacha20Block(state, block, 0);
    const first = Math.min(32, end - start);
    copyBlockBytes(block, 32, out, start, first);
    state[12] = 1;
    if (start + first < end) keystreamBlocks(state, this.scratch, out, start + first, end);
    for (let i = 0; i < 8; i++) state[4 + i] = block[i]; // fast key erasure
    state[12] = 0;
    block.fill(0);
  }

  // Mixes fresh entropy (32 bytes, e.g. from virtio-rng again) into the key:
  // the new key is the keystream of (old key XOR seed), so it is secret if
  // either of them was.
  reseed(seed) {
    if (!(seed instanceof Uint8Array) || seed.length !== 32) throw new RangeError('ChaCha20Rng: a seed is 32 bytes (a Uint8Array)');
    for (let i = 0; i < 8; i++) this.state[4 + i] ^= getWordLE(seed, 4 * i);
    this.fillPiece(NO_BYTES, 0, 0); // no output, but the key moves on
  }
}

module.exports = { ChaCha20, ChaCha20Rng, chacha20Block, quarterRound };
