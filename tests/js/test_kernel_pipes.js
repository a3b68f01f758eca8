// Unit tests for kernel/proc/pipes.js, the kernel's pumps between a pipe and
// something only the kernel can reach (docs/abi.md §3): drain (pipe -> sink:
// the console, a /tmp file, the log), fill (source -> pipe: a file, /dev/zero)
// and writeAll (the kernel's own text, held while the pipe is full).
//
// pipes.js talks to the machine only through kernel/arch/machine.js, which
// fills the trap page and calls globalThis.__trap(). So the machine here is
// a fake installed before machine.js loads: a trap page of our own and a
// __trap() that reads it and answers from a small pipe table written in JS
// after jsksh/native/pipes.py (the same rules: a bounded window, writes of
// at most PIPE_BUF bytes all or nothing, EAGAIN and short writes earning one
// {t: 'ready'} notice, EOF once no writer is left, EPIPE once no reader is).
// The window is 100 bytes and PIPE_BUF 16 so that partial writes happen with
// small literal data. Notices are queued, as the machine's messages are, and
// delivered by the test (deliver()); kernel/time/timers.js runs on the fake's
// CLOCK and TIMER_SET, and runTimers() fires what is due.
'use strict';

const PAYLOAD = 64; // the payload's offset in the trap page (docs/abi.md §1)
const MAX_PAYLOAD = 80 * 1024; // what one trap can carry here: more than HELD_LIMIT, less than a big window
const OP = { CLOCK: 3, TIMER_SET: 4, PIPE_OPEN: 16, PIPE_READ: 17, PIPE_WRITE: 18, PIPE_CLOSE: 19, PIPE_ATTACH: 20 };
const READ_END = 1;
const WRITE_END = 2;
const EBADF = -9;
const EAGAIN = -11;
const EMFILE = -24;
const EPIPE = -32;
const KERNEL = 0;

// --- the fake machine: trap page, clock, one-shot timer, pipe table ----------------

const fake = {
  now: 1.0, // seconds since power-on (not 0: TIMER_SET 0 means "cancel")
  deadline: 0, // the programmed one-shot timer, 0 = none
  pipes: new Map(),
  nextId: 101, // ids never repeat across tests, so a stale waiter in pipes.js cannot fire
  capacity: 100, // the window of pipes opened from now on
  pipeBuf: 16,
  failOpen: false,
  // Each pipe trap moves the clock on, as moving bytes takes time on the real
  // machine: without it a pump's timers.after(0) would be due again within
  // the same timer interrupt (timers.js runs what falls due in 0.2 ms).
  trapCost: 0.00005,
  notices: [], // pipe ids the kernel is to be told about ({t: 'ready', id})
  log: [], // every pipe trap: {op, a0, a1, a2, n, result}
};

globalThis.__trapPage = new ArrayBuffer(PAYLOAD + MAX_PAYLOAD);
const pageWords = new Uint32Array(globalThis.__trapPage, 0, 8);
const pageResult = new Int32Array(globalThis.__trapPage, 24, 1);
const pageTime = new Float64Array(globalThis.__trapPage, 32, 1);
const pageBytes = new Uint8Array(globalThis.__trapPage);

function newPipe(holder) {
  if (fake.failOpen) return EMFILE;
  const id = fake.nextId++;
  const p = { id, chunks: [], size: 0, capacity: fake.capacity, readers: new Map([[holder, 1]]), writers: new Map([[holder, 1]]), wantRead: new Set(), wantWrite: new Set(), error: EPIPE };
  fake.pipes.set(id, p);
  return id;
}

function tell(p, waiting) {
  for (const holder of waiting) if (holder === KERNEL) fake.notices.push(p.id); // apps poll in these tests
  waiting.clear();
}

function settle(p) {
  if (!p.writers.size) tell(p, p.wantRead); // end of file for whoever waits to read
  if (!p.readers.size) {
    p.chunks = []; // nobody will read it: writers get EPIPE
    p.size = 0;
    tell(p, p.wantWrite);
  }
  if (!p.readers.size && !p.writers.size) fake.pipes.delete(p.id);
}

function attachEnd(id, holder, end) {
  const p = fake.pipes.get(id);
  if (!p) return EBADF;
  const refs = end === READ_END ? p.readers : end === WRITE_END ? p.writers : null;
  if (!refs) return -22;
  refs.set(holder, (refs.get(holder) || 0) + 1);
  return 0;
}

function closeEnd(id, holder, end) {
  const p = fake.pipes.get(id);
  if (!p || (!p.readers.has(holder) && !p.writers.has(holder))) return EBADF;
  if (end >> 8) {
    p.error = -(end >> 8);
    end &= READ_END | WRITE_END;
  }
  for (const [which, refs] of [[READ_END, p.readers], [WRITE_END, p.writers]]) {
    if (end & which && refs.get(holder) > 0) {
      refs.set(holder, refs.get(holder) - 1);
      if (!refs.get(holder)) refs.delete(holder);
    }
  }
  settle(p);
  return 0;
}

// Bytes (a Uint8Array), 0 at end of file, or EAGAIN / EBADF.
// arm: a read that empties the pipe asks for the ready notice too (PIPE_READ arg2, as pipes.py).
function readPipe(id, holder, max, arm = false) {
  const p = fake.pipes.get(id);
  if (!p || !p.readers.has(holder)) return EBADF;
  if (!p.size) {
    if (!p.writers.size) return 0;
    p.wantRead.add(holder);
    return EAGAIN;
  }
  const out = new Uint8Array(Math.min(max, p.size));
  let n = 0;
  while (n < out.length) {
    const c = p.chunks[0];
    const take = Math.min(c.length, out.length - n);
    out.set(c.subarray(0, take), n);
    if (take < c.length) p.chunks[0] = c.subarray(take);
    else p.chunks.shift();
    n += take;
  }
  p.size -= n;
  if (arm && !p.size) {
    if (p.writers.size) p.wantRead.add(holder);
    else tell(p, new Set([holder])); // only the end of file is left: a notice to come and read it
  }
  if (p.wantWrite.size) tell(p, p.wantWrite);
  return out;
}

// The count taken (fewer than given: full, a notice will come), or EPIPE / EBADF.
function writePipe(id, holder, data) {
  const p = fake.pipes.get(id);
  if (!p || !p.writers.has(holder)) return EBADF;
  if (!p.readers.size) return p.error;
  const room = p.capacity - p.size;
  const n = data.length;
  const take = n <= room ? n : n <= fake.pipeBuf ? 0 : room;
  if (take) {
    p.chunks.push(data.slice(0, take));
    p.size += take;
    if (p.wantRead.size) tell(p, p.wantRead);
  }
  if (take < n) p.wantWrite.add(holder);
  return take;
}

globalThis.__trap = () => {
  const [op, a0, a1, a2, inLen] = pageWords;
  pageWords[5] = 0;
  let result = 0;
  switch (op) {
    case OP.CLOCK:
      pageTime[0] = fake.now;
      break;
    case OP.TIMER_SET:
      fake.deadline = pageTime[0];
      break;
    case OP.PIPE_OPEN:
      result = newPipe(KERNEL);
      break;
    case OP.PIPE_READ: {
      const r = readPipe(a0, KERNEL, Math.min(a1 || MAX_PAYLOAD, MAX_PAYLOAD), a2 === 1);
      if (r instanceof Uint8Array) {
        pageBytes.set(r, PAYLOAD);
        pageWords[5] = r.length;
        result = r.length;
      } else result = r;
      break;
    }
    case OP.PIPE_WRITE:
      result = writePipe(a0, KERNEL, pageBytes.slice(PAYLOAD, PAYLOAD + inLen));
      break;
    case OP.PIPE_CLOSE:
      result = closeEnd(a0, a1, a2);
      break;
    case OP.PIPE_ATTACH:
      result = attachEnd(a0, a1, a2);
      break;
    default:
      throw new Error(`fake machine: op ${op}`);
  }
  if (op >= OP.PIPE_OPEN) {
    fake.log.push({ op, a0, a1, a2, n: inLen, result });
    fake.now += fake.trapCost;
  }
  pageResult[0] = result;
};

const machine = require('/kernel/arch/machine');
const timers = require('/kernel/time/timers');
const pipes = require('/kernel/proc/pipes');

// --- helpers ---------------------------------------------------------------------

const APP = 7; // an app's pid
const APP2 = 8;

// Hands the kernel its queued notices, as process-table.js does with {t: 'ready', id}.
function deliver() {
  let n = 0;
  while (fake.notices.length) {
    if (++n > 100000) throw new Error('notice storm');
    pipes.ready(fake.notices.shift());
  }
  return n;
}

// Fires the one-shot timer until nothing is due (kernel/time/timers.js onInterrupt).
function runTimers() {
  let n = 0;
  while (fake.deadline > 0) {
    if (++n > 10000) throw new Error('timer storm');
    fake.now = Math.max(fake.now, fake.deadline);
    fake.deadline = 0;
    timers.onInterrupt();
  }
  return n;
}

// Everything a test did is finished: no timer left behind for the next test.
function quiet() {
  deliver();
  runTimers();
  assert.equal(timers.pending(), 0, 'a timer was left pending');
}

// The app reads pipe `id` until end of file, or until nothing more will come
// (EAGAIN with no notice and no timer that could make the kernel write).
function appReadAll(id, pid = APP, max = 1 << 30) {
  const got = [];
  for (let guard = 0; guard < 1000000; guard++) {
    const r = readPipe(id, pid, max);
    if (r instanceof Uint8Array) got.push(...r);
    else if (r === 0) return { bytes: got, eof: true };
    else if (r === EAGAIN) {
      if (!fake.notices.length && !fake.deadline) return { bytes: got, eof: false };
      deliver();
      runTimers();
    } else return { bytes: got, eof: false, error: r };
  }
  throw new Error('appReadAll: no end');
}

// The app writes all of `data` in pieces, waiting (delivering the kernel's
// notices, so its pump reads) whenever the pipe is full.
function appWriteAll(id, data, piece, pid = APP) {
  let at = 0;
  for (let guard = 0; at < data.length; guard++) {
    if (guard > 100000) throw new Error('appWriteAll: stuck');
    const r = writePipe(id, pid, data.subarray(at, Math.min(data.length, at + piece)));
    if (r < 0) return r;
    at += r;
    deliver();
    runTimers();
  }
  return at;
}

const pattern = (n, seed = 0) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff);
const text = (arr) => String.fromCharCode(...arr);
const count = (arr, value) => arr.reduce((n, b) => n + (b === value), 0);
const traps = (op, id) => fake.log.filter((t) => t.op === op && t.a0 === id);

// A sink as drain() wants one; the bytes it is given are views of the trap
// page, so it copies them (as the console driver does).
function makeSink(room = () => Infinity) {
  const s = {
    got: [],
    writes: 0,
    ends: 0,
    roomWaiters: [],
    room,
    write(b) {
      s.got.push(...b);
      s.writes++;
      s.lastView = b;
    },
    whenRoom(fn) {
      s.roomWaiters.push(fn);
    },
    end() {
      s.ends++;
    },
  };
  return s;
}

// An app's stdout to the kernel, set up as streams.js does it: the kernel
// opens a pipe, starts its drain pump, gives the app the write end and lets
// go of its own write end (adopt).
function appOutput(sink) {
  const id = pipes.open();
  const pump = pipes.drain(id, sink);
  pipes.attach(id, APP, WRITE_END);
  machine.pipeClose(id, KERNEL, WRITE_END);
  return { id, pump };
}

// A byte source as fill() wants one: `data` in pieces of at most `piece`.
function makeSource(data, piece) {
  const src = { at: 0, nextCalls: 0, ends: 0 };
  src.next = (max) => {
    src.nextCalls++;
    if (src.at >= data.length) return null;
    const p = data.subarray(src.at, Math.min(data.length, src.at + Math.min(max, piece)));
    src.at += p.length;
    return p;
  };
  src.end = () => src.ends++;
  return src;
}

// A pipe between two apps that the kernel holds no end of (sys.proc.pipe, after the spawn).
function appPipe() {
  const id = pipes.open();
  pipes.attach(id, APP, READ_END);
  pipes.attach(id, APP2, WRITE_END);
  pipes.close(id); // both of the kernel's ends
  return id;
}

// --- the fake itself, and the small functions ----------------------------------------

test('fake machine: machine.js traps reach the fake pipe table', () => {
  fake.capacity = 100;
  const id = machine.pipeOpen();
  assert.ok(id > 100);
  assert.equal(machine.pipeWrite(id, pattern(20)), 20);
  assert.deepEqual(Uint8Array.from(machine.pipeRead(id, 8)), pattern(8));
  assert.equal(machine.pipeRead(id, 100).length, 12);
  assert.deepEqual(fake.notices, []); // nobody waited for anything yet
  assert.equal(machine.pipeRead(id, 100), EAGAIN);
  assert.equal(machine.pipeWrite(id, pattern(120)), 100); // more than PIPE_BUF: what fits
  assert.deepEqual(fake.notices.splice(0), [id]); // the reader that found it empty is told, once
  assert.equal(machine.pipeWrite(id, pattern(10)), 0); // at most PIPE_BUF: all or nothing
  assert.deepEqual(fake.notices, []);
  assert.equal(machine.pipeClose(id, KERNEL, 3), 0);
  assert.deepEqual(fake.notices.splice(0), [id]); // the waiting writer hears the reader is gone
  assert.equal(fake.pipes.has(id), false);
  assert.equal(machine.MAX_PAYLOAD, MAX_PAYLOAD);
  quiet();
});

test('open() returns the id, or throws EMFILE; attach() throws EBADF for a pipe that is gone', () => {
  const id = pipes.open();
  assert.equal(fake.pipes.get(id).readers.get(KERNEL), 1);
  fake.failOpen = true;
  try {
    assert.throws(() => pipes.open(), /Too many open files/);
  } finally {
    fake.failOpen = false;
  }
  pipes.attach(id, APP, READ_END);
  assert.equal(fake.pipes.get(id).readers.get(APP), 1);
  pipes.close(id); // both ends, by default
  assert.deepEqual(traps(OP.PIPE_CLOSE, id).map((t) => [t.a1, t.a2]), [[KERNEL, READ_END | WRITE_END]]);
  assert.equal(codeOf(() => pipes.attach(9999, APP, READ_END)), 'EBADF');
  quiet();
});

function codeOf(fn) {
  try {
    fn();
  } catch (e) {
    return e.code;
  }
  return 'no error';
}

test('ready(id) calls each waiter of that pipe once; one that waits again waits for the next notice', () => {
  const calls = [];
  pipes.whenReady(5001, () => calls.push('a'));
  pipes.whenReady(5001, () => {
    calls.push('b');
    pipes.whenReady(5001, () => calls.push('b again'));
  });
  pipes.whenReady(5002, () => calls.push('other'));
  pipes.ready(5001);
  assert.deepEqual(calls, ['a', 'b']);
  pipes.ready(5001);
  pipes.ready(5001);
  pipes.ready(4242); // nobody waits: nothing happens
  assert.deepEqual(calls, ['a', 'b', 'b again']);
  pipes.ready(5002);
  assert.deepEqual(calls, ['a', 'b', 'b again', 'other']);
});

// --- drain --------------------------------------------------------------------------

test('drain: copies everything into the sink across many ready notices, and ends at EOF', () => {
  fake.capacity = 100;
  const sink = makeSink();
  const { id, pump } = appOutput(sink);
  assert.equal(pump.empty, true); // nothing yet: it waits for a notice
  const data = pattern(1000, 3);
  const before = fake.log.length;
  let notices = 0;
  // The app writes 37 bytes at a time; the kernel hears each time it has data.
  for (let at = 0; at < data.length; ) {
    const r = writePipe(id, APP, data.subarray(at, at + 37));
    assert.ok(r >= 0);
    at += r;
    notices += deliver();
  }
  assert.ok(notices >= 20, `only ${notices} notices`);
  assert.equal(sink.ends, 0);
  assert.deepEqual(Uint8Array.from(sink.got), data);
  // The app exits: its write end goes, and the pump sees end of file.
  closeEnd(id, APP, WRITE_END);
  deliver();
  assert.equal(sink.ends, 1);
  // The pump let go of its read end, so the pipe is freed.
  assert.deepEqual(traps(OP.PIPE_CLOSE, id).slice(-1).map((t) => [t.a1, t.a2]), [[KERNEL, READ_END]]);
  assert.equal(fake.pipes.has(id), false);
  // Done is done: another notice or run() does nothing.
  const reads = traps(OP.PIPE_READ, id).length;
  pipes.ready(id);
  pump.run();
  pump.run({ all: true });
  assert.equal(traps(OP.PIPE_READ, id).length, reads);
  assert.equal(sink.ends, 1);
  assert.ok(fake.log.length > before);
  quiet();
});

test('drain: bytes written then the writer gone, before the pump ran: all of them, then the end', () => {
  fake.capacity = 100;
  const sink = makeSink();
  const { id } = appOutput(sink);
  writePipe(id, APP, pattern(60));
  closeEnd(id, APP, WRITE_END);
  deliver(); // one notice (data) is enough for both
  assert.deepEqual(Uint8Array.from(sink.got), pattern(60));
  assert.equal(sink.ends, 1);
  // The sink was handed a view of the trap page's payload, not a copy.
  assert.equal(sink.lastView.buffer, globalThis.__trapPage);
  assert.equal(sink.lastView.byteOffset, PAYLOAD);
  quiet();
});

test('drain: stops while sink.room() is 0, reads no more than room(), and resumes on whenRoom', () => {
  fake.capacity = 100;
  let budget = 20;
  const sink = makeSink(() => budget);
  const write = sink.write;
  sink.write = (b) => {
    budget -= b.length;
    write(b);
  };
  const { id } = appOutput(sink);
  writePipe(id, APP, pattern(50));
  deliver();
  assert.equal(sink.got.length, 20); // what the sink had room for
  assert.equal(traps(OP.PIPE_READ, id).slice(-1)[0].a1, 20); // asked for no more than that
  assert.equal(sink.roomWaiters.length, 1);
  // Full: more data comes, but the pump neither reads nor waits on the pipe.
  const reads = traps(OP.PIPE_READ, id).length;
  writePipe(id, APP, pattern(10, 50));
  assert.equal(deliver(), 0); // the kernel was not waiting on the pipe: no notice
  assert.equal(traps(OP.PIPE_READ, id).length, reads);
  // Room for 7: a read of at most 7.
  budget = 7;
  sink.roomWaiters.shift()();
  assert.equal(sink.got.length, 27);
  assert.equal(traps(OP.PIPE_READ, id).slice(-1)[0].a1, 7);
  // Room again: the rest, in order.
  budget = 1000;
  sink.roomWaiters.shift()();
  assert.deepEqual(Uint8Array.from(sink.got), Uint8Array.from([...pattern(50), ...pattern(10, 50)]));
  assert.equal(fake.pipes.get(id).size, 0);
  assert.equal(sink.roomWaiters.length, 0);
  closeEnd(id, APP, WRITE_END);
  deliver();
  assert.equal(sink.ends, 1);
  quiet();
});

test('drain: a turn stops after 16 reads and the rest comes on a timer; run({all: true}) takes it all at once', () => {
  fake.capacity = 100;
  const sink = makeSink(() => 4); // a slow sink: 4 bytes per write
  const { id, pump } = appOutput(sink);
  writePipe(id, APP, pattern(100));
  deliver();
  assert.equal(sink.got.length, 16 * 4); // TRAPS_PER_TURN reads, then it yields
  assert.equal(timers.pending(), 1);
  runTimers();
  assert.equal(sink.got.length, 100);
  assert.deepEqual(Uint8Array.from(sink.got), pattern(100));
  assert.equal(timers.pending(), 0);
  // The same again, run dry now (as streams.settle does when a process exits).
  writePipe(id, APP, pattern(100, 9));
  pump.run({ all: true });
  assert.equal(sink.got.length, 200);
  assert.deepEqual(Uint8Array.from(sink.got.slice(100)), pattern(100, 9));
  assert.equal(timers.pending(), 0); // it never yielded
  assert.equal(pump.empty, true);
  closeEnd(id, APP, WRITE_END);
  deliver();
  assert.equal(sink.ends, 1);
  quiet();
});

test('drain: however often it finds the pipe empty, a pump waits for one notice', () => {
  fake.capacity = 100;
  const sink = makeSink();
  const { id, pump } = appOutput(sink);
  for (let i = 0; i < 5; i++) pump.run(); // five EAGAINs
  const reads = traps(OP.PIPE_READ, id).length;
  writePipe(id, APP, pattern(30));
  deliver();
  // One wake-up, one read: it gets the data and, emptying the pipe, asks for the next notice (arm).
  assert.equal(traps(OP.PIPE_READ, id).length - reads, 1);
  assert.equal(sink.writes, 1);
  assert.equal(pump.empty, true);
  closeEnd(id, APP, WRITE_END);
  deliver();
  quiet();
});

// --- fill ------------------------------------------------------------------------------

test('fill: writes a source\'s bytes through a small pipe, partial writes included; closes only its write end at the end', () => {
  fake.capacity = 100;
  const data = pattern(300, 1);
  const src = makeSource(data, 50);
  const id = pipes.open();
  pipes.fill(id, src); // as streams.fileSource: before the app holds the pipe
  assert.equal(fake.pipes.get(id).size, 100); // two pieces of 50, then the pipe is full
  assert.equal(src.ends, 0);
  pipes.attach(id, APP, READ_END); // adopt: the app gets the read end...
  machine.pipeClose(id, KERNEL, READ_END); // ...and the kernel lets go of its own
  const chunks = [];
  let eof = false;
  // The app reads 30 bytes at a time; the pump hears of the room each time.
  for (let guard = 0; guard < 1000 && !eof; guard++) {
    const r = readPipe(id, APP, 30);
    if (r instanceof Uint8Array) chunks.push(...r);
    else if (r === 0) eof = true;
    deliver();
  }
  assert.equal(eof, true);
  assert.deepEqual(Uint8Array.from(chunks), data);
  assert.equal(src.ends, 1);
  // Partial writes happened: the pipe took fewer bytes than offered.
  const writes = traps(OP.PIPE_WRITE, id);
  assert.ok(writes.some((t) => t.result > 0 && t.result < t.n), 'no partial write');
  assert.ok(writes.some((t) => t.result === 0), 'never found the pipe full');
  // The pump's only close is of its write end; the read end's close was ours (adopt).
  assert.deepEqual(traps(OP.PIPE_CLOSE, id).map((t) => [t.a1, t.a2]), [[KERNEL, READ_END], [KERNEL, WRITE_END]]);
  assert.equal(fake.pipes.has(id), true); // the app still holds its read end
  closeEnd(id, APP, READ_END);
  assert.equal(fake.pipes.has(id), false);
  quiet();
});

test('fill: a short file is all written at once; the reader gets it after the pump closed its end, then EOF', () => {
  fake.capacity = 100;
  const src = makeSource(pattern(40), 1000);
  const id = pipes.open();
  pipes.fill(id, src);
  assert.equal(src.ends, 1);
  assert.deepEqual(traps(OP.PIPE_CLOSE, id).map((t) => t.a2), [WRITE_END]);
  pipes.attach(id, APP, READ_END);
  machine.pipeClose(id, KERNEL, READ_END);
  const { bytes, eof } = appReadAll(id);
  assert.deepEqual(Uint8Array.from(bytes), pattern(40));
  assert.equal(eof, true);
  quiet();
});

test('fill: an empty source closes the write end at once: the reader sees EOF', () => {
  const src = makeSource(new Uint8Array(0), 10);
  const id = pipes.open();
  pipes.fill(id, src);
  assert.equal(src.ends, 1);
  assert.equal(traps(OP.PIPE_WRITE, id).length, 0);
  pipes.attach(id, APP, READ_END);
  machine.pipeClose(id, KERNEL, READ_END);
  assert.equal(readPipe(id, APP, 10), 0);
  quiet();
});

test('fill: stops with EPIPE when the reader goes, ends the source and asks it for nothing more', () => {
  fake.capacity = 100;
  // An endless source, like /dev/zero.
  const src = { nextCalls: 0, ends: 0, next: () => (src.nextCalls++, new Uint8Array(32).fill(0x5a)), end: () => src.ends++ };
  const id = pipes.open();
  pipes.fill(id, src);
  pipes.attach(id, APP, READ_END);
  machine.pipeClose(id, KERNEL, READ_END);
  // The app reads a little (`head -c 150`): the pump keeps the pipe full.
  let got = 0;
  while (got < 150) {
    const r = readPipe(id, APP, 50);
    if (r instanceof Uint8Array) got += r.length;
    deliver();
  }
  assert.equal(src.ends, 0);
  // The app goes: no reader is left, and the waiting pump is told.
  closeEnd(id, APP, READ_END);
  deliver();
  assert.equal(src.ends, 1);
  assert.equal(traps(OP.PIPE_WRITE, id).slice(-1)[0].result, EPIPE);
  assert.deepEqual(traps(OP.PIPE_CLOSE, id).slice(-1).map((t) => [t.a1, t.a2]), [[KERNEL, WRITE_END]]);
  assert.equal(fake.pipes.has(id), false);
  const calls = src.nextCalls;
  pipes.ready(id);
  runTimers();
  assert.equal(src.nextCalls, calls);
  quiet();
});

test('fill: a turn stops after 16 writes and the rest follows on a timer', () => {
  fake.capacity = 1000;
  const src = makeSource(pattern(500), 10);
  const id = pipes.open();
  pipes.fill(id, src);
  assert.equal(fake.pipes.get(id).size, 160); // 16 writes of 10 bytes
  assert.equal(timers.pending(), 1);
  assert.equal(runTimers(), 3); // 160 more, 160 more, then the last 20 and the end
  assert.equal(fake.pipes.get(id).size, 500);
  assert.equal(src.ends, 1);
  pipes.attach(id, APP, READ_END);
  machine.pipeClose(id, KERNEL, READ_END);
  assert.deepEqual(Uint8Array.from(appReadAll(id).bytes), pattern(500));
  fake.capacity = 100;
  quiet();
});

// --- writeAll ---------------------------------------------------------------------------

test('writeAll: text goes in as UTF-8, with a write reference held only while writing', () => {
  fake.capacity = 100;
  const id = appPipe();
  const before = fake.log.length;
  pipes.writeAll(id, 'é€\n');
  assert.deepEqual(fake.log.slice(before).map((t) => [t.op, t.a1, t.a2, t.result]), [
    [OP.PIPE_ATTACH, KERNEL, WRITE_END, 0],
    [OP.PIPE_WRITE, 0, 0, 6],
    [OP.PIPE_CLOSE, KERNEL, WRITE_END, 0],
  ]);
  assert.equal(fake.pipes.get(id).writers.has(KERNEL), false);
  assert.deepEqual(readPipe(id, APP, 100), Uint8Array.of(0xc3, 0xa9, 0xe2, 0x82, 0xac, 0x0a));
  // Bytes are written as they are; nothing at all for pipe 0 or for nothing.
  pipes.writeAll(id, Uint8Array.of(0, 255));
  assert.deepEqual(readPipe(id, APP, 100), Uint8Array.of(0, 255));
  const n = fake.log.length;
  pipes.writeAll(0, 'lost');
  pipes.writeAll(id, '');
  pipes.writeAll(id, new Uint8Array(0));
  assert.equal(fake.log.length, n);
  quiet();
});

test('writeAll: what a full pipe cannot take waits, in order, and is written when the pipe is ready', () => {
  fake.capacity = 100;
  const id = appPipe();
  assert.equal(writePipe(id, APP2, new Uint8Array(100).fill(0x2e)), 100); // another writer filled it
  pipes.writeAll(id, 'hello ');
  assert.equal(fake.pipes.get(id).writers.get(KERNEL), 1); // held while it waits
  const n = fake.log.length;
  const caller = Uint8Array.from([0x77, 0x6f, 0x72, 0x6c, 0x64]); // "world"
  pipes.writeAll(id, caller);
  caller.fill(0x58); // the caller's buffer is its own again: what waits is a copy
  pipes.writeAll(id, '!');
  assert.equal(fake.log.length, n); // queued behind the first: no trap
  const { bytes } = appReadAll(id);
  assert.equal(text(bytes), '.'.repeat(100) + 'hello world!');
  assert.equal(fake.pipes.get(id).writers.has(KERNEL), false); // let go once all was written
  quiet();
});

test('writeAll: at most 64 KiB waits for a full pipe; a message that does not fit is dropped whole', () => {
  fake.capacity = 4096;
  const id = appPipe();
  writePipe(id, APP2, new Uint8Array(4096).fill(0x2e));
  pipes.writeAll(id, new Uint8Array(40960).fill(0x41)); // A: waits (40 KiB)
  pipes.writeAll(id, new Uint8Array(30720).fill(0x42)); // B: 70 KiB would be too much: dropped
  pipes.writeAll(id, new Uint8Array(20480).fill(0x43)); // C: 60 KiB: waits
  pipes.writeAll(id, new Uint8Array(5120).fill(0x44)); // D: 65 KiB: dropped
  pipes.writeAll(id, new Uint8Array(4096).fill(0x45)); // E: exactly 64 KiB: waits
  closeEnd(id, APP2, WRITE_END); // only the kernel's reference keeps the pipe open now
  const { bytes, eof } = appReadAll(id);
  assert.equal(eof, true);
  assert.deepEqual([0x2e, 0x41, 0x42, 0x43, 0x44, 0x45].map((v) => count(bytes, v)), [4096, 40960, 0, 20480, 0, 4096]);
  assert.equal(bytes.length, 4096 + 65536);
  // In order: A, then C, then E.
  assert.deepEqual([bytes[4096], bytes[4096 + 40960], bytes[bytes.length - 1]], [0x41, 0x43, 0x45]);
  fake.capacity = 100;
  quiet();
});

test('writeAll: with no reader left the bytes are dropped and the reference let go; a pipe that is gone is left alone', () => {
  fake.capacity = 100;
  const id = appPipe();
  closeEnd(id, APP, READ_END);
  pipes.writeAll(id, 'nobody hears this');
  assert.equal(traps(OP.PIPE_WRITE, id).slice(-1)[0].result, EPIPE);
  assert.equal(fake.pipes.get(id).writers.has(KERNEL), false);
  // Nothing is held for it: the next message tries again from the start.
  pipes.writeAll(id, 'again');
  assert.equal(traps(OP.PIPE_ATTACH, id).filter((t) => t.a1 === KERNEL).length, 2);
  closeEnd(id, APP2, WRITE_END);
  assert.equal(fake.pipes.has(id), false);
  const n = fake.log.length;
  pipes.writeAll(id, 'gone');
  assert.deepEqual(fake.log.slice(n).map((t) => [t.op, t.result]), [[OP.PIPE_ATTACH, EBADF]]);
  quiet();
});

// KERNEL BUG (kernel/proc/pipes.js, flushHeld, lines 167-171): pipeWrite()
// puts at most MAX_PAYLOAD bytes in per trap (machine.js), so when writeAll
// is given more than that, the first write takes all MAX_PAYLOAD bytes it was
// offered, r < queue[0].length, and flushHeld waits for a ready notice. But
// the pipe took everything it was offered, so it is not full and no notice
// ever comes (docs/abi.md §3: a notice is owed only after EAGAIN or a short
// write): the rest is never written, and the kernel keeps its write
// reference, so the reader never sees end of file either. With the real
// machine, MAX_PAYLOAD is 262080 and the window 262144: any writeAll of more
// than 262080 bytes into a pipe with at most 64 bytes buffered, e.g. an
// app's sys.stdin.read prompt (syscalls.js 'stdin.read' -> stdout.write ->
// writeAll) when its stdout is a pipe or a file.
// And the message stays in `held` for ever, so every later writeAll to that
// pipe queues behind it and is never written either: for the console's
// shared pipe (streams.sharedOutput), every later prompt and "killed"
// message the kernel writes to the terminal is lost.
// Expected: {length: 92165, eof: true, tail: 'after'}.
// Got: {length: 81920, eof: false, ...}: the rest never comes (EAGAIN for ever).
test('writeAll: more than one trap\'s payload reaches the reader whole, then end of file', () => {
  fake.capacity = 200 * 1024; // a window larger than a trap's payload, as on the real machine
  const id = appPipe();
  closeEnd(id, APP2, WRITE_END); // the kernel's reference will be the only writer
  const data = pattern(90 * 1024, 5);
  pipes.writeAll(id, data);
  pipes.writeAll(id, 'after'); // a later message to the same pipe (a prompt, "killed: ...")
  const { bytes, eof } = appReadAll(id);
  fake.capacity = 100;
  assert.deepEqual(
    { length: bytes.length, eof, tail: text(bytes.slice(-5)) },
    { length: data.length + 5, eof: true, tail: 'after' },
  );
  assert.deepEqual(Uint8Array.from(bytes.slice(0, data.length)), data);
});

// KERNEL BUG (kernel/proc/pipes.js, writeAll, lines 159-161): the comment
// says at most HELD_LIMIT (64 KiB) bytes wait for a full pipe "(then the rest
// is dropped: a message is never worth a stall)", and later messages are
// held to it (the test above), but the first message is held whole however
// large it is: writeAll of 70 KiB into a full pipe keeps all 70 KiB.
// Expected: at most 65536 of them reach the reader. Got: 71680.
test('writeAll: the first message into a full pipe is held to 64 KiB too', () => {
  fake.capacity = 100;
  const id = appPipe();
  writePipe(id, APP2, new Uint8Array(100).fill(0x2e));
  closeEnd(id, APP2, WRITE_END);
  pipes.writeAll(id, new Uint8Array(70 * 1024).fill(0x41));
  const { bytes } = appReadAll(id);
  const held = count(bytes, 0x41);
  assert.ok(held <= 65536, `${held} bytes were held for the full pipe`);
  quiet();
});
