// kernel/lib/frame.js: the one frame layout for messages between an isolate and the machine.
//
// The kernel require()s it (kernel/arch/machine.js) and the machine evaluates
// it into every app isolate ahead of the app runtime (kernel/app/), whose
// transport.js takes it from globalThis.__frame, as it does the UTF-8 codec.
// jsksh/native/frames.py is the same layout in Python; docs/abi.md §2 draws it:
//
//   offset 0  u32 pid    the other end: sender (RECV, IPC_RECV) or receiver (POST); 0 is the kernel
//   offset 4  u32 len    bytes of this piece, after the header
//   offset 8  u32 flags  MORE | REPLY
//   offset 12 len bytes
//
// A message larger than the room left in a page goes in several frames, all
// but the last flagged MORE. Bulk bytes never travel in messages: they go
// through pipes (docs/abi.md §3).
'use strict';

const FRAME = 12;
const MORE = 1; // the message continues in the next frame from the same pid
const REPLY = 2; // POST: answers a call the receiver made (the machine never holds it back)

// Writes a frame header at `at` (a DataView over the page); the caller copies the bytes after it.
function writeHeader(view, at, pid, len, flags) {
  view.setUint32(at, pid, true);
  view.setUint32(at + 4, len, true);
  view.setUint32(at + 8, flags, true);
}

// Reads the frame header at `at`: {pid, len, flags}.
function readHeader(view, at) {
  return { pid: view.getUint32(at, true), len: view.getUint32(at + 4, true), flags: view.getUint32(at + 8, true) };
}

// Joins the pieces of a message that came in several frames.
function concat(parts, Bytes = Uint8Array) {
  if (parts.length === 1) return parts[0];
  const whole = new Bytes(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    whole.set(p, o);
    o += p.length;
  }
  return whole;
}

module.exports = { FRAME, MORE, REPLY, writeHeader, readHeader, concat };
