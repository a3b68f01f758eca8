// kernel/proc/pipes.js: the kernel's ends of pipes, and the pumps that join
// a pipe to something only the kernel can reach (the console, the structured
// port, a file in /tmp, the kernel log, /dev/zero).
//
// Pipes live in the native core (jsksh/native/pipes.py, docs/abi.md §3): the
// kernel makes them and attaches their ends to processes; apps read and write
// them with traps of their own, so bytes between two apps never pass through
// this isolate. When an app's stdout is the terminal, the kernel holds the
// read end and a *drain* pump copies what arrives to the console as fast as
// the console takes it; when an app reads a file, a *fill* pump writes the
// file's bytes into the pipe as fast as the app reads them. A pump that
// cannot go on (the pipe is empty or full, the console's queue is full)
// waits for a `{t: 'ready', id}` notice from the machine, or for its sink to
// say it has room: the one flow-control rule, end to end.
'use strict';

const machine = require('../arch/machine');
const timers = require('../time/timers');
const { KernelError } = require('../lib/errors');
const { utf8Bytes } = require('../lib/utf8');

const EAGAIN = -11;
const EPIPE = -32;
const EMFILE = -24; // the app holds all the pipes it may (jsksh/native/pipes.py, MAX_HELD)
const BOTH = machine.READ_END | machine.WRITE_END;
const TRAPS_PER_TURN = 16; // a pump yields after this many reads or writes (4 MiB), so no pipe starves the rest
const HELD_LIMIT = 64 * 1024; // bytes the kernel keeps for a full pipe it wrote to itself

const waiting = new Map(); // pipe id -> [fn] to call when the machine says it changed

// The machine's {t: 'ready', id}: whoever waits on that pipe tries again.
function ready(id) {
  const fns = waiting.get(id);
  if (!fns) return;
  waiting.delete(id);
  for (const fn of fns) fn();
}

function whenReady(id, fn) {
  const fns = waiting.get(id);
  if (fns) fns.push(fn);
  else waiting.set(id, [fn]);
}

// A pump waits for one notice at a time, however often it found the pipe empty.
function waitOnce(id, pump) {
  if (pump.waiting) return;
  pump.waiting = true;
  whenReady(id, () => {
    pump.waiting = false;
    pump.run();
  });
}

function open() {
  const id = machine.pipeOpen();
  if (id < 0) throw new KernelError('EMFILE', 'pipe', 'pipe: Too many open files');
  return id;
}

function attach(id, pid, end) {
  const r = machine.pipeAttach(id, pid, end);
  if (r === EMFILE) throw new KernelError('EMFILE', 'pipe', 'Too many open files');
  if (r < 0) throw new KernelError('EBADF', `pipe ${id}`);
}

// The kernel lets go of its references to `end` (both by default).
const close = (id, end = BOTH) => void machine.pipeClose(id, 0, end);

// Copies what arrives in pipe `id` into `sink` until end of file:
// sink.room() says how many bytes it can take now (0: full, and then
// sink.whenRoom(fn) calls fn once it has room), sink.write(bytes) takes them
// (a view of the trap page: copy what you keep), sink.end() at end of file.
// Returns {run(): pump what is there now}.
function drain(id, sink) {
  let running = false;
  let done = false;
  const pump = {
    id,
    empty: true, // the last read found nothing waiting
    // {all: true}: until the pipe is empty, however long that takes.
    run({ all = false } = {}) {
      if (running || done) return;
      running = true;
      try {
        for (let n = 0; all || n < TRAPS_PER_TURN; n++) {
          const room = sink.room();
          if (room <= 0) return sink.whenRoom(() => pump.run());
          const want = Math.min(room, machine.MAX_PAYLOAD);
          const r = machine.pipeRead(id, want, true);
          if (r === EAGAIN) {
            pump.empty = true;
            return waitOnce(id, pump);
          }
          if (typeof r === 'number') {
            done = true; // end of file (0), or the pipe is gone
            pump.empty = true;
            close(id, machine.READ_END);
            return sink.end();
          }
          sink.write(r);
          if (r.length < want) {
            pump.empty = true; // the read emptied the pipe, and asked for the notice (arm)
            return waitOnce(id, pump);
          }
          pump.empty = false;
        }
        timers.after(0, () => pump.run()); // more may wait: after the rest of the kernel has had a turn
      } finally {
        running = false;
      }
    },
  };
  pump.run();
  return pump;
}

// Writes what `source` makes into pipe `id` until the source ends or no
// reader is left: source.next(max) gives the next bytes (a Uint8Array of at
// most max) or null at its end, or a promise of them (a disk's bytes come
// on a later interrupt); source.end() is called either way. A promise that
// rejects with an error carrying `errno` (a disk's EIO) ends the pipe with
// that error for the reader, after the bytes before it (docs/abi.md §3).
function fill(id, source) {
  let pending = null; // bytes the pipe has not taken yet
  let awaiting = false; // a promise from source.next is not settled yet
  let done = false;
  const finish = (errno = 0) => {
    done = true;
    // The reader sees end of file (or the errno) once it has read the rest.
    close(id, machine.WRITE_END | (errno << 8));
    if (source.end) source.end();
  };
  const pump = {
    id,
    run() {
      if (done || awaiting) return;
      for (let n = 0; n < TRAPS_PER_TURN; n++) {
        if (!pending) pending = source.next(machine.MAX_PAYLOAD);
        if (pending && typeof pending.then === 'function') {
          awaiting = true;
          pending.then(
            (bytes) => {
              awaiting = false;
              pending = bytes;
              if (!pending) finish();
              else pump.run();
            },
            (e) => {
              awaiting = false;
              pending = null;
              finish((e && e.errno) || 5); // EIO unless it says
            },
          );
          return;
        }
        if (!pending) return finish();
        const offered = Math.min(pending.length, machine.MAX_PAYLOAD);
        const r = machine.pipeWrite(id, pending);
        if (r < 0) return finish(); // EPIPE: the reader has gone
        pending = r < pending.length ? pending.subarray(r) : null;
        if (r < offered) return whenReady(id, () => pump.run()); // full: wait for room
      }
      timers.after(0, () => pump.run());
    },
  };
  pump.run();
  return pump;
}

// Text or bytes the kernel itself writes into a pipe it may hold no end of
// (a prompt, "NAME: killed: ..."): it takes a write reference for as long as
// it needs one. What a full pipe cannot take waits here, at most HELD_LIMIT
// bytes a pipe (then the rest is dropped: a message is never worth a stall).
const held = new Map(); // pipe id -> [Uint8Array]

function writeAll(id, data) {
  if (!id) return;
  const bytes = typeof data === 'string' ? utf8Bytes(data) : data;
  if (!bytes.length) return;
  const queue = held.get(id);
  if (queue) {
    // A message that does not fit what may wait is dropped whole, never cut.
    if (queue.reduce((n, b) => n + b.length, 0) + bytes.length <= HELD_LIMIT) queue.push(bytes.slice());
    return;
  }
  if (machine.pipeAttach(id, 0, machine.WRITE_END) < 0) return; // the pipe is gone
  held.set(id, [bytes]);
  flushHeld(id);
}

// Writes what the kernel holds for pipe `id` while the pipe takes it; what
// is left waits (capped at HELD_LIMIT) for the pipe's ready notice. A write
// of more than one trap's payload goes in several traps: only a write the
// pipe took short of what was offered means it is full.
function flushHeld(id) {
  const queue = held.get(id);
  while (queue.length) {
    const offered = Math.min(queue[0].length, machine.MAX_PAYLOAD);
    const r = machine.pipeWrite(id, queue[0]);
    if (r < 0) {
      queue.length = 0; // no reader: drop it all
      break;
    }
    queue[0] = queue[0].subarray(r);
    if (r < offered) {
      let kept = 0;
      for (let i = 0; i < queue.length; i++) {
        queue[i] = queue[i].subarray(0, Math.max(0, HELD_LIMIT - kept));
        kept += queue[i].length;
      }
      return whenReady(id, () => flushHeld(id));
    }
    if (!queue[0].length) queue.shift();
  }
  held.delete(id);
  machine.pipeClose(id, 0, machine.WRITE_END);
}

module.exports = { ready, whenReady, open, attach, close, drain, fill, writeAll, EAGAIN, EPIPE, BOTH };
