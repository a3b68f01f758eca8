// kernel/arch/machine.js: the kernel's only door to the machine: the trap page.
//
// Each function fills the trap page (docs/abi.md §1), calls the synchronous
// __trap() the machine installed, and reads the reply. On real hardware these
// would be MMIO loads and stores, a clock read, an interrupt-controller claim;
// here each costs one JS -> Python crossing (about 11 us), so callers batch.
'use strict';

const OP = {
  MMIO_READ: 1,
  MMIO_WRITE: 2,
  CLOCK: 3,
  TIMER_SET: 4,
  IRQ_CLAIM: 5,
  IPC_SEND: 6,
  IPC_RECV: 7,
  SPAWN: 8,
  KILL: 9,
  PROC_STAT: 10,
  POWER: 11,
  HOST_INFO: 12,
  RELEASE: 13,
  CONNECT: 14,
  MEMORY: 15,
};

const PAYLOAD = 64;
const page = globalThis.__trapPage;
const words = new Uint32Array(page, 0, 8);
const result = new Int32Array(page, 24, 1);
const time = new Float64Array(page, 32, 1);
const bytes = new Uint8Array(page);
const MAX_PAYLOAD = page.byteLength - PAYLOAD;

const { utf8Encode, utf8Decode } = require('../lib/utf8');

function trap(op, a0 = 0, a1 = 0, a2 = 0, inLen = 0) {
  words[0] = op;
  words[1] = a0;
  words[2] = a1;
  words[3] = a2;
  words[4] = inLen;
  words[5] = 0;
  globalThis.__trap();
  return result[0];
}

// Scratch space for strings too long to encode straight into the page
// (worst case UTF-8 is 3 bytes per UTF-16 unit).
let scratch = new Uint8Array(0);
function scratchFor(str) {
  if (scratch.length < str.length * 3) scratch = new Uint8Array(str.length * 3);
  return scratch;
}

const pieces = new Map(); // pid -> Uint8Array[] of a message still arriving

function concat(parts) {
  const whole = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    whole.set(p, o);
    o += p.length;
  }
  return whole;
}

function replyString() {
  return utf8Decode(bytes, PAYLOAD, PAYLOAD + words[5]);
}

module.exports = {
  OP,
  MAX_PAYLOAD,
  utf8Encode,
  utf8Decode,
  mmioRead: (slot, offset) => trap(OP.MMIO_READ, slot, offset) >>> 0,
  mmioWrite: (slot, offset, value) => void trap(OP.MMIO_WRITE, slot, offset, value >>> 0),
  clock: () => (trap(OP.CLOCK), time[0]),
  timerSet(deadline) {
    time[0] = deadline;
    trap(OP.TIMER_SET);
  },
  irqClaim: () => trap(OP.IRQ_CLAIM) >>> 0,
  // A message larger than the page goes in pieces (arg1 = 1: more follows).
  ipcSend(pid, message) {
    if (message.length * 3 <= MAX_PAYLOAD) return trap(OP.IPC_SEND, pid, 0, 0, utf8Encode(message, bytes, PAYLOAD));
    const data = scratchFor(message);
    const n = utf8Encode(message, data, 0);
    let r = 0;
    for (let at = 0; at < n && r >= 0; at += MAX_PAYLOAD) {
      const end = Math.min(n, at + MAX_PAYLOAD);
      bytes.set(data.subarray(at, end), PAYLOAD);
      r = trap(OP.IPC_SEND, pid, end < n ? 1 : 0, 0, end - at);
    }
    return r;
  },
  // Returns [[pid, messageString], ...] for the app messages waiting. A
  // message larger than the page arrives in pieces (flag MORE), kept here.
  ipcRecv() {
    const count = trap(OP.IPC_RECV);
    const view = new DataView(page);
    const out = [];
    let at = PAYLOAD;
    for (let i = 0; i < count; i++) {
      const pid = view.getUint32(at, true);
      const len = view.getUint32(at + 4, true);
      const more = view.getUint32(at + 8, true) & 1;
      const piece = bytes.slice(at + 12, at + 12 + len);
      at += 12 + len;
      const parts = pieces.get(pid) || [];
      parts.push(piece);
      if (more) {
        pieces.set(pid, parts);
        continue;
      }
      pieces.delete(pid);
      const whole = parts.length === 1 ? parts[0] : concat(parts);
      out.push([pid, utf8Decode(whole, 0, whole.length)]);
    }
    return out;
  },
  release: (pid) => trap(OP.RELEASE, pid),
  dropPieces: (pid) => void pieces.delete(pid),
  // The payload is a small JSON header (what the machine needs: program and
  // limits), then the start message the app receives; arg1 = header length.
  spawn(pid, header, start) {
    const h = JSON.stringify(header);
    const s = JSON.stringify(start);
    const data = scratchFor(h + s);
    const hn = utf8Encode(h, data, 0);
    const n = hn + utf8Encode(s, data, hn);
    // A program and its libraries can outgrow the page: then it goes in
    // pieces, arg2 = 1 while more follow (the machine joins them).
    let r = 0;
    for (let at = 0; at < n && r >= 0; at += MAX_PAYLOAD) {
      const end = Math.min(n, at + MAX_PAYLOAD);
      bytes.set(data.subarray(at, end), PAYLOAD);
      r = trap(OP.SPAWN, pid, hn, end < n ? 1 : 0, end - at);
    }
    return r;
  },
  kill: (pid) => trap(OP.KILL, pid),
  // Read in page-sized slices: 1,000 apps' statistics are larger than the page.
  procStat() {
    const parts = [];
    let have = 0;
    let total = trap(OP.PROC_STAT, 0);
    for (;;) {
      parts.push(bytes.slice(PAYLOAD, PAYLOAD + words[5]));
      have += words[5];
      if (have >= total || words[5] === 0) break;
      total = trap(OP.PROC_STAT, have);
    }
    const whole = parts.length === 1 ? parts[0] : concat(parts);
    return JSON.parse(utf8Decode(whole, 0, whole.length) || '{}');
  },
  // Let two apps post messages to each other directly (RPC; docs/abi.md §2).
  connect: (a, b) => trap(OP.CONNECT, a, b),
  // The apps' memory (heap as last sampled + ArrayBuffers) and the machine's budget.
  memory: () => (trap(OP.MEMORY), JSON.parse(replyString() || '{}')),
  hostInfo: () => (trap(OP.HOST_INFO), JSON.parse(replyString() || '{}')),
  power: (reset, status) => void trap(OP.POWER, reset ? 1 : 0, status >>> 0),
};
