// kernel/app/transport.js: the app isolate's door to the machine: its page,
// its trap, and messages to and from the kernel.
//
// The app runtime is the app's half of the kernel/app boundary (docs/abi.md
// §2), evaluated into every app isolate one file per job, in this order
// (jsksh/machine/machine.py, APP_RUNTIME): transport, clocks, memory, calls,
// pipes, life, sys, loader; peers, udp and tcp are loaded on first use (below). The files share one private object,
// `rt`: this file makes it as globalThis.__rt, each file takes what the ones
// before it put there when it is evaluated (`const { send } = rt`) and
// reaches what later ones put there only when it runs (`rt.exit(...)`), and
// loader.js deletes globalThis.__rt, so no app ever sees it.
//
// The files' bodies are not indented, and their comments sit on lines of
// their own: V8 keeps the runtime's source in every app isolate, and
// jsksh/native/app_pool.py blanks whole-line comments before V8 sees them.
// Each character left costs each of 1,000 sleeping apps about two bytes.
//
// This file owns the isolate's __sysPage (the trap page's layout) and the
// synchronous __sys() trap, takes the UTF-8 codec and the frame layout that
// the machine evaluates just before it (kernel/lib/utf8.js in __utf8,
// kernel/lib/frame.js in __frame), sends messages to the kernel (POST to pid
// 0) and receives frames from the kernel and from peer apps (RECV).
(function (rt) {
'use strict';

// The app's traps (docs/abi.md §2, "The app's page and traps"); 6 to 8 are
// the pipes' (docs/abi.md §3).
const OP_RECV = 2;
const OP_CLOCK = 3;
const OP_POST = 4;
const OP_LOAD = 5;
const OP_READ = 6;
const OP_WRITE = 7;
const OP_CLOSE = 8;
// 9, OP_YIELD: below, with the turns.
const PAYLOAD = 64;
// -104 and -110: a TCP connection's pipe after its failure (kernel/net/app-tcp.js).
const ERRNO = { '-3': 'ESRCH', '-9': 'EBADF', '-11': 'EAGAIN', '-22': 'EINVAL', '-28': 'ENOSPC', '-32': 'EPIPE', '-104': 'ECONNRESET', '-110': 'ETIMEDOUT' };

// The one frame layout (kernel/lib/frame.js), handed over like the codec.
const { FRAME, MORE, REPLY, writeHeader, readHeader, concat: joinPieces } = globalThis.__frame;
delete globalThis.__frame;

// 256 KiB: a pipe read or write moves up to this much per trap. V8 commits
// an ArrayBuffer's pages only when touched, so an app that only exchanges
// small messages keeps about 16 KiB of it resident (docs/performance.md).
const page = new ArrayBuffer(256 * 1024);
// Configurable, so that the machine can delete it once it has its view.
Object.defineProperty(globalThis, '__sysPage', { value: page, configurable: true });
// The page's fields: the trap's words at 0; its result at 24, and at 28
// POST's error or RECV's more-waiting; the time at 32. Then what the machine
// reads without a crossing: the ArrayBuffer bytes counted (memory.js) at 40,
// the peer calls being answered (peers.js; 0 means idle) at 48, and at 56
// idleCheck (life.js; 1: after this turn, wake me to see whether anything is
// left to do).
const words = new Uint32Array(page, 0, 8);
const result = new Int32Array(page, 24, 2);
const time = new Float64Array(page, 32, 1);
const externalBytes = new Float64Array(page, 40, 1);
const servingCalls = new Float64Array(page, 48, 1);
const idleCheck = new Float64Array(page, 56, 1);
const bytes = new Uint8Array(page);
// Taken before the accounting (memory.js) wraps it: the runtime's own bytes are never charged.
const RawUint8Array = Uint8Array;
const view = new DataView(page);
const MAX = page.byteLength - PAYLOAD;
const sysTrap = globalThis.__sys;
// Only this runtime may trap, and only with a page it filled.
delete globalThis.__sys;

// ---- UTF-8: kernel/lib/utf8.js, evaluated just before the runtime ---------
const { utf8Encode, utf8Decode, utf8StreamDecoder } = globalThis.__utf8;
delete globalThis.__utf8;
function encode(str) {
  // the runtime's own: never charged
  const out = new RawUint8Array(str.length * 3);
  return out.subarray(0, utf8Encode(str, out, 0));
}
const decode = (buf) => utf8Decode(buf, 0, buf.length);

// ---- messages: the POST and RECV crossings --------------------------------
// True during __warmup() (loader.js): nothing reaches the kernel.
rt.warming = false;
// One message to the kernel: frames to pid 0, as many pages as it takes.
// `attachment` (bytes), if given, follows the JSON after a NUL.
function send(message, attachment = null) {
  let data = encode(typeof message === 'string' ? message : JSON.stringify(message));
  if (rt.warming) return;
  if (attachment) {
    const whole = new RawUint8Array(data.length + 1 + attachment.length);
    whole.set(data);
    whole.set(attachment, data.length + 1);
    data = whole;
  }
  for (let at = 0; ; ) {
    const n = Math.min(MAX - FRAME, data.length - at);
    writeHeader(view, PAYLOAD, 0, n, at + n < data.length ? MORE : 0);
    bytes.set(data.subarray(at, at + n), PAYLOAD + FRAME);
    words[0] = OP_POST;
    words[4] = FRAME + n;
    sysTrap();
    at += n;
    if (at >= data.length) break;
  }
}

// RECV frames: from pid 0 the kernel (a JSON message), from any other pid
// a peer app (an RPC message).
// A wake takes what is waiting and no more: once a RECV has emptied the
// inbox, what arrives later gets a wake of its own, after these messages
// are handled. (Taking until none arrive would let a fast sender keep the
// app reading forever, past its queue limit, and never handling.)
// `partial`: from -> pieces of a message still arriving.
let partial = new Map();
function receiveAll() {
  const messages = [];
  for (;;) {
    words[0] = OP_RECV;
    sysTrap();
    const count = result[0];
    const moreWaiting = result[1];
    if (count <= 0) return messages;
    rt.onEvent();
    let at = PAYLOAD;
    for (let i = 0; i < count; i++) {
      const { pid: from, len, flags } = readHeader(view, at);
      const piece = bytes.slice(at + FRAME, at + FRAME + len);
      at += FRAME + len;
      const pieces = partial.get(from);
      if (flags & MORE) {
        if (pieces) pieces.push(piece);
        else partial.set(from, [piece]);
        continue;
      }
      partial.delete(from);
      // Joining a message's pieces is the runtime's work, not the app's: it
      // is not charged to the app's ArrayBuffer budget (a peer's big message
      // must not kill the receiver); decoding what it carries is.
      const whole = pieces ? joinPieces([...pieces, piece], RawUint8Array) : piece;
      messages.push(from === 0 ? kernelMessage(whole) : { t: 'peer', from, bytes: whole });
    }
    if (!moreWaiting) return messages;
  }
}
// A peer killed in the middle of a message never sends the rest (loader.js, 'peer-exit').
function dropPartial(from) {
  partial.delete(from);
}

// A kernel message: JSON, and after a NUL the bytes it carries (msg.bytes).
function kernelMessage(whole) {
  const nul = whole.indexOf(0);
  if (nul < 0) return JSON.parse(decode(whole));
  const msg = JSON.parse(utf8Decode(whole, 0, nul));
  msg.bytes = whole.subarray(nul + 1);
  return msg;
}

// ---- turns --------------------------------------------------------------
// A turn is one wake and the microtasks it sets off. A WeakRef (memory.js
// counts ArrayBuffers through them) keeps its target alive until the turn
// ends, so a pipe loop that never has to wait, all in one turn, could not
// free a byte it read or wrote. Past TURN_BYTES moved in a turn, reads and
// writes yield: the YIELD trap has the machine wake the app again as a new
// task, and the collector can run in between.
const OP_YIELD = 9;
const TURN_BYTES = 8 * 1024 * 1024;
let turnBytes = 0;
let yields = [];
// Bytes moved by a pipe read or write; true when it is time to yield.
function moved(n) {
  turnBytes += n;
  return turnBytes > TURN_BYTES;
}
const pastTurnBudget = () => turnBytes > TURN_BYTES;
function yieldTurn() {
  return new Promise((resolve) => {
    yields.push(resolve);
    if (yields.length === 1) {
      words[0] = OP_YIELD;
      sysTrap();
    }
  });
}
// A wake began: a new turn.
function newTurn() {
  turnBytes = 0;
  const waiting = yields;
  yields = [];
  for (const resolve of waiting) resolve();
}

// A CPU budget for a piece of work (docs/abi.md §2, op 10): the machine's
// watchdog kills the isolate if its thread spends `ms` more CPU milliseconds
// before the budget is disarmed (0). `mode` 'add': more for work that joins
// what is armed (a second request while the first still runs); 'idle': what
// may be spent between pieces of work (checked every 100 ms, not 10). A
// worker's request runs under one (fs/lib/worker/instance.js, Cloudflare's 50 ms).
const OP_BUDGET = 10;
function cpuBudget(ms, mode) {
  words[0] = OP_BUDGET;
  words[1] = Math.max(0, Math.min(0xffffffff, Math.round(ms)));
  words[2] = mode === 'add' ? 1 : mode === 'idle' ? 2 : 0;
  sysTrap();
}

// Random bytes from the machine (docs/abi.md §2, op 11), synchronously, as
// getrandom(2) gives them: what crypto.getRandomValues needs at once
// (/lib/web/crypto, for `worker`). The machine's are the host's os.urandom,
// as a CPU's RDRAND instruction serves a program without its kernel.
const OP_RANDOM = 11;
const RANDOM_MAX = 65536; // Web Crypto's most per call (QuotaExceededError past it)
function randomBytes(n) {
  const want = Math.trunc(Number(n));
  if (!(want >= 0 && want <= RANDOM_MAX)) throw new RangeError(`random: 0 to ${RANDOM_MAX} bytes, not ${n}`);
  words[0] = OP_RANDOM;
  words[1] = want;
  sysTrap();
  if (result[0] !== want) throw new Error(`random: the machine gave ${result[0]} bytes of ${want}`);
  return bytes.slice(PAYLOAD, PAYLOAD + want);
}

// ---- Parts loaded on first use (LOAD, docs/abi.md §2) ----------------------
// Most programs never call another isolate or open a socket, and each
// isolate would keep the code (about 3 KiB of memory per KiB of source, for
// each of 1,000 sleeping apps). These parts are not in the runtime every
// isolate evaluates: the machine hands one over, by its index in
// jsksh/machine/machine.py's APP_RUNTIME_LAZY, when it is first needed.
const LAZY = ['/kernel/proc/rpc.js', '/kernel/app/peers.js', '/kernel/app/udp.js', '/kernel/app/tcp.js'];
const loaded = new Map(); // index -> what evaluating it returned
function loadPart(path) {
  const index = LAZY.indexOf(path);
  if (loaded.has(index)) return loaded.get(index);
  words[0] = OP_LOAD;
  words[1] = index;
  sysTrap();
  const source = decode(bytes.subarray(PAYLOAD, PAYLOAD + result[0]));
  // A runtime part arrives as `(function (rt) {...})`, its call taken off
  // (machine.py); rpc.js as a CommonJS module body.
  const value = path.startsWith('/kernel/app/')
    ? (0, eval)(`${source}\n//# sourceURL=${path}`)(rt)
    : (0, eval)(`(function (module, exports) {${source}\n})\n//# sourceURL=${path}`);
  loaded.set(index, value);
  return value;
}
// peers.js, udp.js and tcp.js, when loaded, put their own in rt; until then:
rt.peersPending = () => false;
rt.peerExit = () => {};
rt.peerMessage = (msg) => {
  loadPart('/kernel/app/peers.js');
  rt.peerMessage(msg);
};
rt.socketsOpen = () => 0;

// What each file forgets when the isolate is kept for the next run of the
// same program (loader.js, 'recycle'): every file adds its own.
rt.onRecycle = [];
rt.onRecycle.push(() => {
  partial = new Map();
});

Object.assign(rt, {
  OP_CLOCK, OP_POST, OP_LOAD, OP_READ, OP_WRITE, OP_CLOSE, PAYLOAD, ERRNO, FRAME, MORE, REPLY, writeHeader, joinPieces,
  page, words, result, time, externalBytes, servingCalls, idleCheck, bytes, RawUint8Array, view, MAX, sysTrap,
  utf8Encode, utf8StreamDecoder, encode, decode, send, receiveAll, dropPartial,
  moved, pastTurnBudget, yieldTurn, newTurn, kernelMessage, loadPart, cpuBudget, randomBytes,
});
})((globalThis.__rt = {}));
