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
  PIPE_OPEN: 16,
  PIPE_READ: 17,
  PIPE_WRITE: 18,
  PIPE_CLOSE: 19,
  PIPE_ATTACH: 20,
  DEVICE_INFO: 21,
  TRACE: 22,
};
// Pipe ends (docs/abi.md §3), for PIPE_CLOSE and PIPE_ATTACH.
const READ_END = 1;
const WRITE_END = 2;

const PAYLOAD = 64;
const page = globalThis.__trapPage;
const words = new Uint32Array(page, 0, 8);
const result = new Int32Array(page, 24, 1);
const time = new Float64Array(page, 32, 1);
const bytes = new Uint8Array(page);
const MAX_PAYLOAD = page.byteLength - PAYLOAD;

const { utf8Encode, utf8Decode, utf8Bytes } = require('../lib/utf8');
const { FRAME, MORE, writeHeader, readHeader, concat } = require('../lib/frame');
const view = new DataView(page);

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
function scratchFor(str, extra = 0) {
  if (scratch.length < str.length * 3 + extra) scratch = new Uint8Array(str.length * 3 + extra);
  return scratch;
}

const pieces = new Map(); // pid -> Uint8Array[] of a message still arriving

function replyString() {
  return utf8Decode(bytes, PAYLOAD, PAYLOAD + words[5]);
}

// The clock as read once per interrupt (turnClock): every reading the
// network stack takes in one batch of work (the frames of one interrupt,
// the segments they answer, the timers they run) is one instant, as
// Linux's TCP stamps a whole softirq with one tcp_mstamp. A trap each was
// five clock reads per HTTP request (interface, demux, transmit...), a
// fifth of the kernel's traps. clock() still reads the machine's clock
// every time, and refreshes the instant; newTurn() starts the next one.
let turnTime = -1;
function clock() {
  trap(OP.CLOCK);
  turnTime = time[0];
  return turnTime;
}

module.exports = {
  OP,
  MAX_PAYLOAD,
  utf8Encode,
  utf8Decode,
  mmioRead: (slot, offset) => trap(OP.MMIO_READ, slot, offset) >>> 0,
  mmioWrite: (slot, offset, value) => void trap(OP.MMIO_WRITE, slot, offset, value >>> 0),
  clock,
  turnClock: () => (turnTime >= 0 ? turnTime : clock()),
  newTurn() {
    turnTime = -1;
  },
  timerSet(deadline) {
    time[0] = deadline;
    trap(OP.TIMER_SET);
  },
  irqClaim: () => trap(OP.IRQ_CLAIM) >>> 0,
  // One message to app `pid`, as frames (docs/abi.md §2): a message larger
  // than the page goes in several, all but the last flagged MORE.
  // `attachment` (a Uint8Array) goes after the JSON and a NUL byte.
  ipcSend(pid, message, attachment = null) {
    let data;
    let n;
    const extra = attachment ? 1 + attachment.length : 0;
    if (message.length * 3 + extra <= MAX_PAYLOAD - FRAME) {
      n = utf8Encode(message, bytes, PAYLOAD + FRAME);
      if (attachment) {
        bytes[PAYLOAD + FRAME + n] = 0;
        bytes.set(attachment, PAYLOAD + FRAME + n + 1);
        n += extra;
      }
      writeHeader(view, PAYLOAD, pid, n, 0);
      return trap(OP.IPC_SEND, 0, 0, 0, FRAME + n);
    }
    data = scratchFor(message, extra);
    n = utf8Encode(message, data, 0);
    if (attachment) {
      data[n] = 0;
      data.set(attachment, n + 1);
      n += extra;
    }
    let r = 0;
    for (let at = 0; at < n && r >= 0; at += MAX_PAYLOAD - FRAME) {
      const end = Math.min(n, at + MAX_PAYLOAD - FRAME);
      writeHeader(view, PAYLOAD, pid, end - at, end < n ? MORE : 0);
      bytes.set(data.subarray(at, end), PAYLOAD + FRAME);
      r = trap(OP.IPC_SEND, 0, 0, 0, FRAME + end - at);
    }
    return r;
  },
  // Returns [[pid, messageString, attachment | null], ...] for the app
  // messages waiting. A message larger than the page arrives in pieces (flag
  // MORE), kept here; bytes after a NUL are the message's attachment.
  ipcRecv() {
    const count = trap(OP.IPC_RECV);
    const out = [];
    let at = PAYLOAD;
    for (let i = 0; i < count; i++) {
      const { pid, len, flags } = readHeader(view, at);
      const piece = bytes.slice(at + FRAME, at + FRAME + len);
      at += FRAME + len;
      const parts = pieces.get(pid) || [];
      parts.push(piece);
      if (flags & MORE) {
        pieces.set(pid, parts);
        continue;
      }
      pieces.delete(pid);
      const whole = concat(parts);
      const nul = whole.indexOf(0);
      const end = nul < 0 ? whole.length : nul;
      out.push([pid, utf8Decode(whole, 0, end), nul < 0 ? null : whole.subarray(nul + 1)]);
    }
    return out;
  },
  release: (pid) => trap(OP.RELEASE, pid),
  dropPieces: (pid) => void pieces.delete(pid),
  // The payload is a small JSON header (what the machine needs: program,
  // limits, and the sizes of what follows), the start message the app
  // receives, then the program's code as bytes: its source, then each
  // library {path: bytes} (kernel/proc/linker.js). The machine puts the code
  // into the start message as text (docs/abi.md, SPAWN); arg1 = header length.
  spawn(pid, header, start, { source, modules }) {
    const code = [['', source], ...Object.entries(modules)];
    const s = utf8Bytes(JSON.stringify(start));
    let size = s.length;
    for (const [, b] of code) size += b.length;
    const h = JSON.stringify({ ...header, start: s.length, code: code.map(([path, b]) => [path, b.length]) });
    const data = scratchFor(h, size);
    const hn = utf8Encode(h, data, 0);
    let n = hn;
    for (const b of [s, ...code.map(([, b]) => b)]) {
      data.set(b, n);
      n += b.length;
    }
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
  // A device's own counters and backend, as the machine's half of it keeps
  // them (a NIC's offload work, its fault injector's drops): {} if it has none.
  deviceInfo: (slot) => (trap(OP.DEVICE_INFO, slot), JSON.parse(replyString() || '{}')),
  // A device's trace of recent requests (virtio-blk's: [{time, type, sector, length, status}]), or null.
  deviceTrace: (slot) => (trap(OP.DEVICE_INFO, slot, 1) < 0 ? null : JSON.parse(replyString() || '{}').trace || null),
  // The machine's tracer of crossings (jsksh/native/tracer.py; docs/tracing.md):
  // start recording into a ring of `events` (0: its default), -16 EBUSY if
  // it already records (the host's --trace, or another `trace`); stop; and
  // what it holds, as JSON bytes, read in page-sized slices.
  traceStart: (events) => trap(OP.TRACE, 1, events),
  traceStop: () => trap(OP.TRACE, 2),
  traceRead() {
    const parts = [];
    let have = 0;
    let total = trap(OP.TRACE, 3, 0);
    for (;;) {
      parts.push(bytes.slice(PAYLOAD, PAYLOAD + words[5]));
      have += words[5];
      if (have >= total || words[5] === 0) break;
      total = trap(OP.TRACE, 3, have);
    }
    return parts.length === 1 ? parts[0] : concat(parts);
  },
  // `reason` (a panic's text) goes in the payload for the host to print;
  // clipped so that three UTF-8 bytes per unit always fit the page.
  power(reset, status, reason = '') {
    const n = utf8Encode(String(reason).slice(0, Math.floor(MAX_PAYLOAD / 3)), bytes, PAYLOAD);
    trap(OP.POWER, reset ? 1 : 0, status >>> 0, 0, n);
  },

  // ---- pipes (docs/abi.md §3): the kernel's own ends ----
  READ_END,
  WRITE_END,
  // A new pipe; the kernel holds one reference to each end. Returns its id (> 0) or an error.
  pipeOpen: () => trap(OP.PIPE_OPEN),
  // Up to `max` buffered bytes (a view of the trap page: valid until the next
  // trap, so copy what you keep); or 0 at end of file, or an error (-11
  // EAGAIN: nothing yet, a {t: 'ready', id} message will come).
  // arm: a read that empties the pipe asks for the ready notice too (saves a trap).
  pipeRead(id, max = 0, arm = false) {
    const r = trap(OP.PIPE_READ, id, max, arm ? 1 : 0);
    return r > 0 ? bytes.subarray(PAYLOAD, PAYLOAD + r) : r;
  },
  // Puts as much of `data` (at most MAX_PAYLOAD bytes) in as fits; returns the
  // count. Fewer than given: the pipe is full, a ready message will come.
  // -32 EPIPE: no reader is left.
  pipeWrite(id, data) {
    const n = Math.min(data.length, MAX_PAYLOAD);
    bytes.set(n === data.length ? data : data.subarray(0, n), PAYLOAD);
    return trap(OP.PIPE_WRITE, id, 0, 0, n);
  },
  // Drops one reference of `holder` (a pid, 0 the kernel) to `end` (READ_END, WRITE_END, or both).
  pipeClose: (id, holder, end) => trap(OP.PIPE_CLOSE, id, holder, end),
  // Gives `pid` one more reference to `end`: how a process gets its stdin and stdout.
  pipeAttach: (id, pid, end) => trap(OP.PIPE_ATTACH, id, pid, end),
};
