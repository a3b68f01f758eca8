// kernel/app/calls.js: kernel calls and the timers built on them.
//
// A kernel call is a JSON message {t: 'call', id, op, args} to the kernel
// (transport.js, send); its answer, {t: 'reply', id, value | error}, settles
// the promise call() returned (loader.js dispatches it here). A one-way call
// (cast, id 0) gets no answer. The kernel's calls are listed in docs/apps.md
// with the sys API (sys.js) that wraps them. Timers are `timer.sleep` calls:
// setTimeout and the rest (installed by sys.js) come from here.
(function (rt) {
'use strict';

const { send } = rt;

let nextId = 1;
// pending: id -> { resolve, reject, ref }, for each call not yet answered.
let pending = new Map();
// Calls that do not keep the app alive by themselves: a read of the
// terminal (Node's stdin, unread, does not hold a process either), a
// sleep (its timer does, until it is cleared), the session's own waits.
const UNREF = new Set(['stdin.read', 'timer.sleep', 'session.interrupted']);
// Output written before a call goes out before it (a program that prints,
// asks the kernel something, then loops still shows what it printed).
function flushOutput() {
  // This run's streams (pipes.js).
  const io = rt.io;
  if (!io) return;
  io.stdout.flush();
  if (io.stderr !== io.stdout) io.stderr.flush();
}
// A one-way call: no reply comes back (see the kernel's _call).
function cast(op, args, attachment = null) {
  flushOutput();
  send({ t: 'call', id: 0, op, args }, attachment);
}
function call(op, args) {
  flushOutput();
  return new Promise((resolve, reject) => {
    const id = nextId++;
    // Throws on a BigInt: nothing is then pending.
    const message = JSON.stringify({ t: 'call', id, op, args });
    pending.set(id, { resolve, reject, ref: !UNREF.has(op) });
    send(message);
  });
}

// The kernel's answer to call(): {t: 'reply', id, value} or {..., error: {code, message, path}}.
// A reply that carries bytes resolves to both: {value, bytes}.
function reply(msg) {
  const p = pending.get(msg.id);
  if (!p) return;
  pending.delete(msg.id);
  if (msg.error) p.reject(kernelError(msg.error));
  else p.resolve(msg.bytes ? { value: msg.value, bytes: msg.bytes } : msg.value);
}

function kernelError(err) {
  const e = new Error(err.message);
  e.code = err.code;
  if (err.path !== undefined) e.path = err.path;
  return e;
}

let timers = new Map();
let nextTimer = 1;
function addTimer(fn, ms, args, repeat) {
  const id = nextTimer++;
  const delay = Math.max(0, Number(ms) || 0);
  timers.set(id, true);
  const arm = () =>
    call('timer.sleep', { ms: delay }).then(() => {
      if (!timers.has(id)) return;
      if (!repeat) timers.delete(id);
      try {
        fn(...args);
      } catch (e) {
        rt.reportUncaught(e);
      }
      if (repeat && timers.has(id)) arm();
    });
  arm();
  return id;
}
const clearTimer = (id) => timers.delete(id);

// What keeps the app alive (life.js): a call that waits for its reply (not
// the UNREF ones), or a timer.
function callsPending() {
  for (const p of pending.values()) if (p.ref) return true;
  return timers.size > 0;
}

rt.onRecycle.push(() => {
  pending = new Map();
  timers = new Map();
});

Object.assign(rt, { cast, call, reply, addTimer, clearTimer, callsPending });
})(globalThis.__rt);
