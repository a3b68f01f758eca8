// kernel/app/loader.js: starting a program, handing each kernel message to
// the file that owns it, and the two entry points the machine calls.
//
// The machine calls __wake() when messages for the app arrive (transport.js
// RECVs them and this file dispatches each: a reply to calls.js, a ready
// notice to pipes.js, the client's question and a window's resize to
// sys.js, a peer's message to peers.js) and __warmup() once, in its pool,
// before any program runs here.
// {t: 'start'} runs the program: its source and the /lib modules the kernel
// linked (docs/apps.md, "The shape of an app"); {t: 'recycle'} makes the
// isolate fit for the next run of the same program. This file is evaluated
// last: it deletes globalThis.__rt, so nothing the runtime shares is left
// where an app could reach it.
(function (rt) {
'use strict';

const { OP_CLOCK, words, sysTrap, receiveAll, dropPartial, onEvent, startProgramClock, setExternalLimit } = rt;
const { checkWasmGrowth, reply, ready, openStdio, beginRun, checkIdle, mainEnded } = rt;
const { reportUncaught, exit, sys, answer, onRecycle } = rt;

// source -> compiled module function (programs and libraries)
const compiled = new Map();

function makeRequire(modules) {
  const cache = new Map();
  return function require(path) {
    const key = path.endsWith('.js') ? path : path + '.js';
    if (cache.has(key)) return cache.get(key).exports;
    if (!(key in modules)) throw new Error(`Cannot find module '${path}' (only literal /lib paths are linked)`);
    const module = { exports: {} };
    cache.set(key, module);
    let fn = compiled.get(modules[key]);
    if (!fn) {
      fn = (0, eval)(`(function (exports, require, module) {${modules[key]}\n})\n//# sourceURL=${key}`);
      compiled.set(modules[key], fn);
    }
    fn(module.exports, require, module);
    return module.exports;
  };
}

async function start(msg) {
  beginRun(msg.name);
  // performance.now() counts from the program's start
  startProgramClock();
  sys.argv = msg.argv;
  sys.env = msg.env || {};
  sys.cwd = msg.cwd || '/';
  sys.pid = msg.pid;
  sys.name = msg.name;
  sys.stdout.isTTY = !!msg.tty.stdout;
  sys.stderr.isTTY = !!msg.tty.stderr;
  sys.stdin.isTTY = !!msg.tty.stdin;
  sys.stdin.kind = msg.tty.stdinKind || 'null';
  sys.stdout.columns = msg.tty.columns || 80;
  sys.stdout.rows = msg.tty.rows || 24;
  rt.io = openStdio(msg.fds);
  const kinds = (msg.fds || []).map((fd) => (fd && fd.kind) || 'null');
  sys.stdout.kind = kinds[1] || 'null';
  sys.stderr.kind = kinds[2] || 'null';
  setExternalLimit(msg.limits && msg.limits.external);
  let status = 0;
  try {
    const module = { exports: {} };
    let fn = compiled.get(msg.source);
    try {
      // A recycled isolate runs the same program again: compile it once.
      if (!fn) {
        fn = (0, eval)(`(function (exports, require, module) {${msg.source}\n})\n//# sourceURL=${msg.path}`);
        compiled.set(msg.source, fn);
      }
    } catch (e) {
      reportUncaught(e);
      return exit(2);
    }
    fn(module.exports, makeRequire(msg.modules || {}), module);
    if (sys.argv[1] === '--help' && declaresItself(module.exports)) {
      status = await printHelp(module.exports);
    } else if (typeof module.exports === 'function') {
      const r = await module.exports(sys.argv);
      status = typeof r === 'number' ? r : 0;
    }
  } catch (e) {
    if (e && e.__exit) return;
    reportUncaught(e);
    // An uncaught error ends the app at once, as in Node.
    return exit(1);
  }
  mainEnded(status);
}

// `NAME --help`, for every app that declares itself (a description or
// options) and does not answer --help on its own (module.exports.ownHelp):
// the help is written from the declaration instead of running main
// (docs/apps.md, "--help, help and man"). /lib/app-help, which formats it
// as `help NAME` does, is read only now: the kernel links what an app
// requires, and apps do not require it.
const HELP_LIBRARY = '/lib/app-help.js';
function declaresItself(exports) {
  if (!exports || exports.ownHelp) return false;
  return exports.description !== undefined || exports.options !== undefined;
}
async function printHelp(exports) {
  const source = await sys.fs.readFile(HELP_LIBRARY);
  const { helpText, declaredBy } = makeRequire({ [HELP_LIBRARY]: source })(HELP_LIBRARY);
  await sys.stdout.write(helpText(sys.name, declaredBy(exports)));
  return 0;
}

function dispatch(msg) {
  switch (msg.t) {
    case 'start':
      start(msg);
      break;
    case 'reply':
      reply(msg);
      break;
    case 'ready':
      ready(Number(msg.id));
      break;
    case 'ask':
      answer(msg);
      break;
    case 'resize':
      rt.resized(msg);
      break;
    case 'peer':
      rt.peerMessage(msg);
      break;
    case 'peer-exit':
      dropPartial(Number(msg.pid));
      rt.peerExit(Number(msg.pid), msg.reason);
      break;
    case 'recycle':
      // The kernel keeps this isolate warm for the next run of the same
      // program: forget everything this run left behind, its globals and
      // what each file of the runtime kept for it.
      for (const k of Object.getOwnPropertyNames(globalThis)) if (!baseline.has(k)) delete globalThis[k];
      for (const forget of onRecycle) forget();
      break;
  }
}

globalThis.__wake = function wake() {
  rt.newTurn();
  const messages = receiveAll();
  try {
    checkWasmGrowth();
  } catch (e) {
    reportUncaught(e);
    // It ends here: nothing it waited for runs.
    return;
  }
  // No messages: the machine's look after a turn (idleCheck), microtasks and all.
  if (!messages.length) return checkIdle();
  for (const msg of messages) {
    try {
      dispatch(msg);
    } catch (e) {
      reportUncaught(e);
    }
  }
};

// The machine calls this once, first, with the start message as the call's
// receiver: a string, JSON (jsksh/native/app_mailbox.py, start). It comes
// this way, not through RECV, because it carries the program's code and
// its libraries: 200 KB for `worker`, which as bytes cost a page copy each
// and a UTF-8 decode here.
globalThis.__start = function startMessage() {
  'use strict';
  rt.newTurn();
  rt.onEvent();
  try {
    dispatch(JSON.parse(this));
  } catch (e) {
    reportUncaught(e);
  }
};

// The machine calls this once, in its pool, before any program runs here:
// an empty program goes through the whole start and exit path, so V8 has
// compiled the runtime's functions before a real spawn needs them (lazy
// compilation costs a fresh isolate's first program about 0.8 ms).
globalThis.__warmup = function warmup() {
  rt.warming = true;
  // Only the start and exit path: what a sleeping program also runs
  // (code compiled here stays in every isolate: 1,000 sleepers keep it).
  const source = 'module.exports = async () => { await null; };';
  const exited = rt.whenExited();
  // As a real start arrives: text, in a new turn, dispatched; then a kernel
  // message, as a wake takes one from its bytes.
  const start = { t: 'start', pid: 0, path: '/warmup', name: 'warmup', argv: [], source, modules: {}, fds: [], tty: {}, limits: {} };
  globalThis.__start.call(JSON.stringify(start));
  rt.kernelMessage(rt.encode(JSON.stringify({ t: 'ready', id: '0' })));
  exited.then(() => {
    rt.warming = false;
    dispatch({ t: 'recycle' });
  });
};

// Nothing the runtime's files share stays reachable from the app's globals.
// Deleted before the baseline is taken: 'recycle' deletes an __rt the app
// makes, as any other global of its own.
delete globalThis.__rt;
const baseline = new Set(Object.getOwnPropertyNames(globalThis));
baseline.add('__wake');
baseline.add('__warmup');
baseline.add('__start');
words[0] = OP_CLOCK;
// The first trap tells the machine which thread runs this isolate.
sysTrap();
onEvent();
})(globalThis.__rt);
