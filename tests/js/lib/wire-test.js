// tests/js/lib/wire-test.js: helpers shared by the network tests.
//
// hex() reads a byte vector written as hex with # comments; reasonOf() runs a
// parser and returns the WireError reason it threw; fuzz() throws random and
// mutated inputs at a parser and fails on anything but a listed WireError.
'use strict';

const { WireError, REASONS } = require('/kernel/net/wire/errors');

const hex = (s) => Uint8Array.from(s.replace(/#[^\n]*/g, '').match(/[0-9a-f]{2}/gi) || [], (h) => parseInt(h, 16));
function reasonOf(fn) {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof WireError)) throw e;
    return e.reason;
  }
  return null;
}

// Fuzzing: mulberry32, a small deterministic PRNG, and byte-level mutations of
// valid vectors. Any exception other than a WireError with a listed reason fails.
function prng(seed) {
  let a = seed >>> 0;
  return (n) => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) % n;
  };
}
// `interesting` are the byte values a mutation likes to plant (lengths, flags, versions).
function mutate(rand, seed, interesting = [0, 0xff, 0xc0, 0x3f, 0x80, 1]) {
  const b = Array.from(seed);
  for (let k = 1 + rand(4); k > 0; k--) {
    const at = rand(b.length + 1);
    switch (rand(5)) {
      case 0: b[at] = rand(256); break;
      case 1: b[at] ^= 1 << rand(8); break;
      case 2: b.length = at; break;
      case 3: b.splice(at, 0, ...Array.from({ length: 1 + rand(8) }, () => rand(256))); break;
      default: b[at] = interesting[rand(interesting.length)];
    }
  }
  return Uint8Array.from(b, (x) => x & 0xff);
}
function fuzz(parse, seeds, runs = 2000, { seed = 0xa1b, maxLength = 64 } = {}) {
  const rand = prng(seed);
  let parsed = 0;
  for (let i = 0; i < runs; i++) {
    const input = i % 4 === 0 ? Uint8Array.from({ length: rand(maxLength) }, () => rand(256)) : mutate(rand, seeds[rand(seeds.length)]);
    try {
      parse(input);
      parsed++;
    } catch (e) {
      if (!(e instanceof WireError) || !REASONS.includes(e.reason)) throw new Error(`[${input}] threw ${e && e.stack}`);
    }
  }
  return parsed;
}

module.exports = { hex, reasonOf, prng, mutate, fuzz };
