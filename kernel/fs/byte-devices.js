// kernel/fs/byte-devices.js: /dev/zero and /dev/urandom, the two endless byte sources.
//
// Each is a device node's `stream`: a function the kernel's fill pump calls
// for the next bytes (kernel/fs/vfs.js openRead, kernel/proc/pipes.js fill).
// /dev/urandom is what Linux's is since 4.8: a ChaCha20 keystream (RFC 8439)
// keyed from the hardware's entropy, here virtio-rng's first 32 bytes, which
// init passes to seed(). Until then (the first milliseconds of boot) it is
// keyed from Math.random, which nothing reads that early.
'use strict';

const { ChaCha20Rng } = require('../lib/chacha20');

const CHUNK = 256 * 1024; // bytes made per call at most: one pipe's worth

const zeros = new Uint8Array(CHUNK);
const zeroStream = (max) => zeros.subarray(0, Math.min(max, CHUNK));

function provisionalKey() {
  const key = new Uint8Array(32);
  for (let i = 0; i < key.length; i++) key[i] = (Math.random() * 256) | 0;
  return key;
}

const urandom = {
  rng: null,
  seed(key) {
    this.rng = new ChaCha20Rng(key);
  },
  // A fresh buffer each time: the pump may still hold the last one.
  bytes(max) {
    if (!this.rng) this.seed(provisionalKey());
    const out = new Uint8Array(Math.min(max, CHUNK));
    this.rng.fill(out);
    return out;
  },
};

// "64M", "512k", "1G", "4096": a size in bytes (powers of 1024), for tmpfs.size= on the command line.
function parseSize(text) {
  const m = /^(\d+)([kmg]?)$/i.exec(String(text).trim());
  if (!m) return undefined;
  return Number(m[1]) * { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[m[2].toLowerCase()];
}

module.exports = { zeroStream, urandom, parseSize };
