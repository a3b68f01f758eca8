// kernel/app/life.js: an app's life: it ends when nothing is left to do, at
// sys.exit(), or at an uncaught error.
//
// Like a Node program: after its main code has returned (loader.js, start),
// the app lives on while anything is pending (a timer or a kernel call,
// calls.js; a read or write, pipes.js; an open socket, udp.js; an exported
// service or an RPC call, peers.js) and exits when the last is done, or at
// sys.exit(). Pending work always ends with a message (a reply, a ready
// notice, a peer's message); while the app lingers (idleCheck = 1) the
// machine wakes it once more after each turn that handled messages,
// microtasks included, to look (docs/apps.md, "An app's life"). Exiting
// sends {t: 'exit', code} after what the app wrote is in its pipes.
(function (rt) {
'use strict';

const { idleCheck, send, callsPending, pipesWaiting, write } = rt;

// As jsksh/native/limits.py: 128 + SIGABRT.
const STATUS_ARRAYBUFFER_LIMIT = 134;
// Per-run state: `state` is {name} while a program runs; `mainStatus` is the
// status main returned, once it has.
let state = null;
let exited = false;
let mainStatus = null;

// A program starts (loader.js, start).
function beginRun(name) {
  state = { name };
  exited = false;
  mainStatus = null;
}

function pendingWork() {
  // peers.js, udp.js and tcp.js replace these when they are loaded (transport.js, loadPart).
  return callsPending() || pipesWaiting() || rt.socketsOpen() > 0 || rt.peersPending();
}
// The machine's look after a turn: a wake with no messages (loader.js, __wake).
function checkIdle() {
  if (mainStatus === null || exited || pendingWork()) return;
  idleCheck[0] = 0;
  finish(mainStatus);
}
// Main has returned (loader.js, start). __warmup goes this way too, so V8
// has compiled it before a real program needs it (nothing is sent then).
function mainEnded(status) {
  if (exited) return;
  mainReturned(status);
}
// Nothing pending: end now, after a few microtask hops (a promise chain
// main started without awaiting may still start a timer).
function mainReturned(status, hops = 8) {
  mainStatus = status;
  if (pendingWork()) {
    idleCheck[0] = 1;
    return;
  }
  if (hops > 0) return void Promise.resolve().then(() => mainReturned(status, hops - 1));
  if (!exited) finish(status);
}

function reportUncaught(e) {
  if (e && e.__exit) return;
  if (e && e.code === 'ELIMIT' && !exited) {
    // An ArrayBuffer allocation over the limit that nobody caught ends the app.
    write(2, `${state ? state.name : 'app'}: killed: ${e.message}\n`);
    exit(STATUS_ARRAYBUFFER_LIMIT);
    return;
  }
  const name = state ? state.name : 'app';
  if (e && e.writeError) return void write(2, `${name}: ${e.message}\n`); // a stream that failed: no stack, as coreutils says it
  const text = e && e.stack ? String(e.stack) : `${e && e.name ? e.name : 'Error'}: ${String(e && e.message !== undefined ? e.message : e)}`;
  write(2, `${name}: ${text}\n`);
}

// The app ends: what it wrote goes first (into its pipes), then the exit message.
let exitWaiters = []; // __warmup waits for its program's whole exit path
function exit(code) {
  if (exited) return;
  exited = true;
  const run = state;
  const io = rt.io;
  const output = io ? [io.stdout.drain(), io.stderr.drain()] : [];
  const sent = Promise.all(output)
    .then(() => closeStdout(io, run, code))
    .then((status) => {
      if (state === run) send({ t: 'exit', code: status | 0 }); // a no-op while warming
    });
  for (const resolve of exitWaiters.splice(0)) resolve(sent);
}

// coreutils' close_stdout: output to a file sits in the pipe until the
// kernel hands it to the file, which may refuse it (a full disk or /tmp:
// ENOSPC), after every write() here had returned. Before it exits, an app
// that wrote to a file on stdout asks the kernel to take the rest now and
// to finish writing it (stdout.settle), so it is in the file before the
// exit is heard; a refusal the app has not heard yet is reported as
// 'NAME: write error: No space left on device', and the status is 1 if it
// was 0.
function closeStdout(io, run, code) {
  if (!io || !io.stdout.taken || rt.sys.stdout.kind !== 'file' || state !== run) return code;
  const heard = !!io.stdout.error;
  return rt.call('stdout.settle', {}).then(
    () => code,
    (e) => {
      if (heard) return code;
      write(2, `${run.name}: write error: ${rt.STRERROR[e.code] || e.message}\n`);
      return io.stderr.drain().then(() => code || 1);
    },
  );
}
// A promise that settles once the current program's exit message has gone.
const whenExited = () => new Promise((resolve) => exitWaiters.push(resolve)).then((sent) => sent);
const finish = exit;

rt.onRecycle.push(() => {
  exitWaiters = [];
  mainStatus = null;
  idleCheck[0] = 0;
  state = null;
});

Object.assign(rt, { beginRun, checkIdle, mainEnded, reportUncaught, exit, whenExited });
})(globalThis.__rt);
