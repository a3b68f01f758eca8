// kernel/proc/with-bytes.js: a kernel call's result that carries raw bytes.
//
// A message between an isolate and the kernel is UTF-8 JSON, optionally
// followed by a NUL byte and one attachment of raw bytes (docs/abi.md §2,
// "Messages"). A kernel call returns `new WithBytes(value, bytes)` to reply
// with both: the JSON says what the bytes are (e.g. each datagram's size),
// the bytes cross as they are, never as a string.
'use strict';

class WithBytes {
  constructor(value, bytes) {
    this.value = value;
    this.bytes = bytes;
  }
}

// Joins byte arrays into one attachment.
function joinBytes(parts) {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

module.exports = { WithBytes, joinBytes };
