// kernel/app/sys.js: the app's API, the `sys` global, and the other globals
// an app sees (console, setTimeout and the rest).
//
// Every entry here is a thin wrapper over the earlier files: most are one
// kernel call (calls.js), streams and files are pipes.js's, services
// peers.js's, sockets udp.js's, the clock clocks.js's. docs/apps.md is its
// reference, and its "Globals" table lists what this file installs (Date and
// performance are clocks.js's). loader.js fills in the per-run fields
// (argv, env, cwd, pid, name, the streams' kinds) when a program starts.
(function (rt) {
'use strict';

const { clock, call, cast, addTimer, clearTimer, READ_END, WRITE_END, closePipe, toBytes, loadPart } = rt;
const { write, table, openFile, exit } = rt;

// sys.services (peers.js), sys.net.udp (udp.js) and sys.net.tcp (tcp.js) load their file on first use.
const part = (path) => (loadPart(path), rt);
const services = {
  export: (name, iface) => part('/kernel/app/peers.js').services.export(name, iface),
  connect: (name) => part('/kernel/app/peers.js').services.connect(name),
  list: () => part('/kernel/app/peers.js').services.list(),
};
const udp = { open: (opts) => part('/kernel/app/udp.js').udp.open(opts) };
const tcp = {
  connect: (host, port, opts) => part('/kernel/app/tcp.js').tcp.connect(host, port, opts),
  listen: (port, opts) => part('/kernel/app/tcp.js').tcp.listen(port, opts),
};

// ---- sys.stdin's prompts and the client's questions (docs/protocol.md) -----
// completer: set by sys.stdin.setCompleter.
let completer = null;

function readArgs(opts) {
  if (!opts || typeof opts !== 'object') return completer ? { answers: true } : {};
  const args = { answers: !!completer };
  if (typeof opts.prompt === 'string') args.prompt = opts.prompt;
  if (typeof opts.language === 'string') args.language = opts.language;
  return args;
}

// The kernel asks on the client's behalf ({t: 'ask'}, loader.js); the answer goes back one-way.
async function answer(msg) {
  let value = null;
  try {
    const fn = completer && (msg.kind === 'complete' ? completer.complete : completer.isComplete);
    if (typeof fn === 'function') {
      const args = msg.args || {};
      value = await (msg.kind === 'complete' ? fn(String(args.line ?? ''), Number(args.cursor) || 0) : fn(String(args.code ?? '')));
    }
  } catch (e) {
    value = null;
  }
  cast('ask.reply', { ref: msg.ref, value: value === undefined ? null : value });
}

// ---- the terminal's window (kernel/tty/termios.js) ----------------------------
// onResize listeners; the kernel is asked to tell us of changes once, on the first.
let resizeListeners = [];
let watching = false;

function onResize(fn) {
  if (typeof fn !== 'function') throw new TypeError('onResize needs a function');
  resizeListeners.push(fn);
  if (!watching) {
    watching = true;
    // Not a terminal (ENOTTY): its size never changes, and nobody is told.
    call('tty.watchSize', {}).catch(() => {});
  }
}

// {t: 'resize', columns, rows} from the kernel (loader.js): SIGWINCH's job.
function resized(msg) {
  const size = { columns: Number(msg.columns) || 80, rows: Number(msg.rows) || 24 };
  sys.stdout.columns = size.columns;
  sys.stdout.rows = size.rows;
  for (const fn of resizeListeners.slice()) {
    try {
      fn(size);
    } catch (e) {
      rt.reportUncaught(e);
    }
  }
}

function format(v) {
  if (typeof v === 'string') return v;
  try {
    return typeof v === 'object' && v !== null && !(v instanceof Error) ? JSON.stringify(v) : String(v);
  } catch (e) {
    return Object.prototype.toString.call(v);
  }
}

const sys = {
  argv: [],
  env: {},
  cwd: '/',
  pid: 0,
  name: '',
  // write(string | bytes) -> a promise, settled once the bytes are taken:
  // await it to go at the reader's pace (docs/apps.md, "Streams").
  stdout: {
    write: (s) => write(1, s),
    isTTY: false,
    columns: 80,
    rows: 24,
    kind: 'null',
    // The window stdout shows in, now: {columns, rows}.
    windowSize: () => call('tty.size', {}),
    // fn({columns, rows}) whenever that window changes size.
    onResize,
  },
  stderr: { write: (s) => write(2, s), isTTY: false, kind: 'null' },
  stdin: {
    // read({prompt, language}) -> text, or null at the end: a prompt is
    // shown where input comes from (the terminal, or the REPL client,
    // which also highlights `language`).
    read: (opts) => (rt.io.stdin ? rt.io.stdin.read() : call('stdin.read', readArgs(opts))),
    // readBytes(max) -> a Uint8Array of at most max bytes, or null at the end.
    readBytes: async (max) => {
      if (rt.io.stdin) return rt.io.stdin.readBytes(max);
      const text = await call('stdin.read', readArgs());
      return text === null ? null : toBytes(text);
    },
    isTTY: false,
    // where input comes from: 'tty', 'pipe', 'file', 'channel' (the REPL client) or 'null'
    kind: 'null',
    // A program that reads input can answer the client's questions about it
    // while it waits: complete(line, cursor) -> {start, end, items} and
    // isComplete(code) -> {status, indent} (docs/protocol.md).
    setCompleter: (answers) => {
      completer = answers && typeof answers === 'object' ? answers : null;
    },
    // The terminal's mode, termios-like: {raw, echo, signals} (kernel/tty/termios.js).
    // setMode sets the whole mode (a field not given takes its default) and
    // resolves with the one it replaced; the kernel puts the terminal back
    // to canonical when this program exits. ENOTTY when stdin is not a terminal.
    setMode: (mode) => call('tty.setMode', mode && typeof mode === 'object' ? mode : {}),
    getMode: () => call('tty.getMode', {}),
  },
  print: (...values) => write(1, values.map(format).join(' ') + '\n'),
  table: (columns, rows) => table(1, columns, rows),
  exit: (code) => {
    exit(code);
    throw Object.assign(new Error('exit'), { __exit: true });
  },
  sleep: (ms) => call('timer.sleep', { ms }),
  services,
  clock,
  call,
  chdir(path) {
    sys.cwd = path;
  },
  fs: {
    readdir: (path) => call('fs.readdir', { path }),
    stat: (path) => call('fs.stat', { path }),
    // Links: lstat and readlink do not follow a link in the last name.
    lstat: (path) => call('fs.lstat', { path }),
    readlink: (path) => call('fs.readlink', { path }),
    symlink: (target, path) => call('fs.symlink', { target, path }),
    link: (existing, path) => call('fs.link', { existing, path }),
    readFile: (path) => call('fs.read', { path }),
    writeFile: (path, data, opts = {}) => call('fs.write', { path, data: String(data), append: !!opts.append }),
    // A file as a byte stream: {read(max), write(data), close()}.
    open: (path, flags = 'r') => openFile(path, flags),
    mkdir: (path) => call('fs.mkdir', { path }),
    unlink: (path) => call('fs.unlink', { path }),
    // rename(2) within one file system (EXDEV across), rmdir(2) of an empty directory.
    rename: (from, to) => call('fs.rename', { from, to }),
    rmdir: (path) => call('fs.rmdir', { path }),
    // The modification time, in seconds since 1970; none: now.
    utimes: (path, mtime) => call('fs.utimes', mtime === undefined ? { path } : { path, mtime }),
    // chmod(2): the permission bits (a number: 0o644), links followed.
    chmod: (path, mode) => call('fs.chmod', { path, mode }),
    // {source, type, mount, readonly, size, used, free} of the file system
    // `path` is on; with no path, an array of every one.
    statfs: (path) => call('fs.statfs', path === undefined ? {} : { path }),
    // fsync(2) of a file by its path (an open handle has its own fsync), and
    // sync(2): a mounted disk's changes durable when the promise resolves.
    fsync: (path) => call('fs.fsync', { path }),
    sync: () => call('fs.sync', {}),
    // The mount table: [{source, mount, type, options}], as /proc/mounts.
    mounts: () => call('fs.mounts', {}),
    // mount(8), umount(8), mkfs and fsck of a disk ('/dev/vda').
    mount: (source, point) => call('fs.mount', point === undefined ? { source } : { source, point }),
    umount: (target) => call('fs.umount', { target }),
    mkfs: (source) => call('fs.mkfs', { source }),
    fsck: (source, { repair = false } = {}) => call('fs.fsck', { source, repair }),
  },
  proc: {
    list: () => call('proc.list', {}),
    spawn: (argv, opts = {}) => call('proc.spawn', { argv, ...opts, cwd: opts.cwd || sys.cwd }),
    // A pipe for the processes you spawn: {stdin: {pipe: id}}, {stdout: {pipe: id}}.
    // Close your own ends once they are spawned, as sh does after fork:
    // a reader sees end of file only when every writer has let go.
    pipe: () => call('proc.pipe', {}),
    closePipe: (id) => closePipe(Number(id), READ_END | WRITE_END),
    wait: (pid) => call('proc.wait', { pid }),
    kill: (pid, signal = 'TERM') => call('proc.kill', { pid, signal }),
    foreground: (pids) => call('proc.foreground', { pids }),
    // The limits this program runs under: { cpu, heap, external, queue, isolates, memory }.
    limits: () => call('proc.limits', {}),
    // Arm a CPU budget: killed (status 152) if this isolate spends `ms` more
    // CPU milliseconds before cpuBudget(0). {mode: 'add'} adds to one armed;
    // {mode: 'idle'} is checked every 100 ms instead of every 10 (docs/apps.md).
    cpuBudget: (ms, { mode = 'set' } = {}) => rt.cpuBudget(Number(ms) || 0, mode),
    // n (at most 65536) random bytes, at once: the machine's, as getrandom(2) gives them.
    random: (n) => rt.randomBytes(n),
  },
  kernel: {
    devices: () => call('dev.list', {}),
    // The disk's last requests, as its device traced them: {name, slot, trace: [{time, type, sector, length, status}]}.
    diskTrace: () => call('dev.trace', {}),
    // The machine's tracer of crossings (docs/tracing.md): start it (a ring
    // of `events`; EBUSY if it is recording already), stop it, and read what
    // it recorded: {started, stopped, capacity, dropped, fields, events}.
    traceStart: (events = 0) => call('trace.start', { events }),
    traceStop: () => call('trace.stop', {}),
    traceRead: () => call('trace.read', {}).then((r) => JSON.parse(rt.decode(r.bytes))),
    dmesg: () => call('log.read', {}),
    info: () => call('sys.info', {}),
    poweroff: (status = 0) => call('sys.power', { action: 'off', status }),
    reboot: () => call('sys.power', { action: 'reboot' }),
  },
  tty: { size: () => call('tty.size', {}) },
  net: {
    info: () => call('net.info', {}),
    stats: () => call('net.stats', {}),
    // DNS through the kernel's resolver: { answers, aliases, ... } (docs/apps.md).
    resolve: (name, type = 'A') => call('net.resolve', { name, type }),
    // A name or dotted address -> a dotted IPv4 address.
    lookup: (name) => call('net.lookup', { name }),
    udp,
    tcp,
  },
};
// Configurable so that a worker's host (fs/lib/worker/instance.js) can take
// `sys` away from the code it runs; put back when the isolate is recycled.
const defineSys = () => Object.defineProperty(globalThis, 'sys', { value: sys, writable: false, enumerable: false, configurable: true });
defineSys();

globalThis.setTimeout = (fn, ms, ...args) => addTimer(fn, ms, args, false);
globalThis.setInterval = (fn, ms, ...args) => addTimer(fn, ms, args, true);
globalThis.clearTimeout = globalThis.clearInterval = (id) => void clearTimer(id);
globalThis.console = {
  log: (...v) => sys.print(...v),
  info: (...v) => sys.print(...v),
  error: (...v) => write(2, v.map(format).join(' ') + '\n'),
  warn: (...v) => write(2, v.map(format).join(' ') + '\n'),
};

rt.onRecycle.push(() => {
  if (globalThis.sys !== sys) defineSys();
  completer = null;
  resizeListeners = [];
  watching = false;
});

Object.assign(rt, { sys, answer, resized });
})(globalThis.__rt);
