// kernel/proc/process-table.js: processes: spawn, messages, exit, wait, kill.
//
// A process is a program running in its own isolate (the machine keeps the
// isolate; the kernel keeps everything else): pid, parent, name, argv, state,
// start time, streams, exit status. Apps talk to the kernel only in messages
// (docs/abi.md §2); onMessage() is where every one of them arrives.
//
// Limits (docs/apps.md, "Limits"): a process's per-app limits (cpu, heap,
// external, queue) are its parent's, tightened by what the spawn asks; the
// machine's native core enforces them. The kernel enforces the number of
// isolates: the machine's total (with a few slots kept for the interactive
// shells, so a spawn storm never locks the person out) and, when a spawn sets
// `isolates`, the new process's own subtree, like a cgroup's pids.max.
'use strict';

const machine = require('../arch/machine');
const { KernelError } = require('../lib/errors');
const { Vfs } = require('../fs/vfs');
const streams = require('./streams');
const { WithBytes } = require('./with-bytes');
const pipes = require('./pipes');
const { formatTable } = require('../tty/table');
const { link } = require('./linker');

const SIGNALS = { INT: 2, KILL: 9, TERM: 15, PIPE: 13 };
const MAX_ISOLATES = 2000;
const SHELL_RESERVE = 8; // isolates only an interactive shell's own commands may take
const APP_LIMITS = ['cpu', 'heap', 'external', 'queue'];
const MiB = 1024 * 1024;

class ProcessTable {
  constructor({ vfs, tty, log, limits = {} }) {
    this.vfs = vfs;
    this.tty = tty;
    this.log = log;
    this.limits = { isolates: MAX_ISOLATES, ...limits }; // the machine's: isolates, memory, ...
    this.procs = new Map();
    this.nextPid = 1;
    this.ttyOut = null; // the console's shared output pipe (streams.sharedOutput), made on first use
    this.handlers = {}; // op -> (proc, args) => value | Promise, filled by syscalls.js
    this.onExit = new Set(); // kernel hooks: (proc) => void
    this.onSpawn = new Set(); // kernel hooks: (proc) => void, once the process exists
    this.relieveMemory = null; // (used, budget) => bytes freed: the service registry evicts
    this.onMachineMessage = new Set(); // (msg) => void: messages from the machine itself (pid 0)
  }

  alive() {
    let n = 0;
    for (const p of this.procs.values()) if (p.state !== 'Z') n++;
    return n;
  }

  // Find the program: a name without '/' is looked up in /bin. A program on
  // a mounted disk is a promise of its path (its stat answers later).
  resolveProgram(name, cwd) {
    const path = name.includes('/') ? Vfs.resolve(cwd, name) : `/bin/${name}.js`;
    const notFound = () => {
      throw new KernelError('ENOENT', name, `${name}: command not found`);
    };
    let st;
    try {
      st = this.vfs.stat(path);
    } catch (e) {
      notFound();
    }
    if (typeof st.then === 'function') return st.then((s) => (s.type === 'file' ? path : notFound()), notFound);
    return st.type === 'file' ? path : notFound();
  }

  // An app's proc.spawn. With a disk mounted, the program and the files
  // its redirections name may be on it, where they answer later: they are
  // read and opened first (in spawn's order: the program, stdin, stdout,
  // stderr), then spawn() runs with them in hand and the call's promise
  // gives the process. Without a disk this is spawn(), at once.
  spawnCall(parent, argv, opts = {}) {
    if (this.vfs.mounts.size === 0 || !Array.isArray(argv) || typeof argv[0] !== 'string') return this.spawn(parent, argv, opts);
    const cwd = typeof opts.cwd === 'string' ? opts.cwd : parent ? parent.cwd : '/';
    let proc = null; // for the log line of a redirection that fails later
    const made = [];
    const open = async (spec, which) => {
      if (!spec || typeof spec !== 'object' || typeof spec.file !== 'string') return undefined;
      const path = Vfs.resolve(cwd, spec.file);
      const s = await (which === 'stdin'
        ? streams.fileSource(this.vfs, path)
        : streams.fileSink(this.vfs, path, !!spec.append, (e) => this.log.info(`${proc ? `${proc.name}[${proc.pid}]` : argv[0]}: ${e.message}`)));
      made.push(s);
      return s;
    };
    return (async () => {
      try {
        const path = await this.resolveProgram(String(argv[0]), cwd);
        const source = await this.vfs.readBytes(path);
        const attach = { program: { path, source }, made };
        for (const which of ['stdin', 'stdout', 'stderr']) {
          const s = await open(opts[which], which);
          if (s) attach[which] = s;
        }
        proc = this.spawn(parent, argv, opts, attach);
        return proc;
      } catch (e) {
        streams.abandon(made);
        throw e;
      }
    })();
  }

  // Start `argv` as a child of `parent` (null: the kernel). `opts` come from an
  // app (JSON: 'inherit' | 'null' | {pipe} | {file, append}); `attach` lets the
  // kernel hand over stream objects directly.
  spawn(parent, argv, opts = {}, attach = {}) {
    if (!Array.isArray(argv) || !argv.length || typeof argv[0] !== 'string') throw new KernelError('EINVAL', 'spawn');
    const limits = this.childLimits(parent, opts.limits);
    const quotas = this.checkIsolates(parent, limits);
    this.checkMemory();
    argv = argv.map(String);
    const cwd = typeof opts.cwd === 'string' ? opts.cwd : parent ? parent.cwd : '/';
    const path = attach.program ? attach.program.path : this.resolveProgram(argv[0], cwd);
    if (typeof path !== 'string') path.catch(() => {});
    if (typeof path !== 'string') throw new KernelError('EINVAL', argv[0], `${argv[0]}: a program on a mounted disk is started by an app's spawn`);
    // the program's code, sent as bytes (linker.js)
    const source = attach.program ? attach.program.source : this.vfs.readBytes(path);
    const pid = this.nextPid++;
    const proc = {
      pid,
      ppid: parent ? parent.pid : 0,
      name: argv[0].split('/').pop().replace(/\.js$/, ''),
      argv,
      path,
      cwd,
      env: opts.env && typeof opts.env === 'object' ? { ...opts.env } : parent ? { ...parent.env } : { PATH: '/bin', HOME: '/' },
      state: 'R',
      start: machine.clock(),
      status: null,
      waiters: [],
      interactive: !!attach.interactive,
      service: !!attach.service,
      shell: !parent && !attach.service, // started by the kernel: the console's or the session's shell
      limits,
      quotas, // the subtree limits this process counts against
      ownQuota: null, // a spawn that set `isolates`: what this process may start under it
    };
    if (limits.isolates !== undefined) proc.ownQuota = { max: limits.isolates, used: 0, owner: `${proc.name}[${pid}]` };
    const made = []; // streams made for this spawn: let go of if it fails
    try {
      if (attach.tty) {
        // The console's own process: all three streams are the terminal.
        attach = { ...attach, stdin: streams.ttySource(this.tty, proc), stdout: this.ttyOutput() };
        attach.stderr = attach.stdout;
      }
      proc.stdin = attach.stdin || this._source(parent, proc, opts.stdin, made);
      proc.stdout = attach.stdout || this._sink(parent, proc, opts.stdout, 'stdout', made);
      proc.stderr = attach.stderr || this._sink(parent, proc, opts.stderr, 'stderr', made);
    } catch (e) {
      streams.abandon(made);
      throw e;
    }
    const fds = [proc.stdin, proc.stdout, proc.stderr];
    // Streams made for this process are its own (a child that inherits one does not close it at exit).
    for (const s of [...made, ...(attach.made || [])]) s.ownerPid = pid;
    streams.adopt(pid, fds); // before the app can run: its first write needs its end
    this.procs.set(pid, proc);
    const start = {
      t: 'start',
      pid,
      path,
      name: proc.name,
      argv,
      env: proc.env,
      cwd,
      // Where each of fds 0, 1, 2 goes: its kind and its pipe (0: none; stdin then comes by stdin.read).
      fds: fds.map((s) => ({ kind: s.kind, pipe: s.pipe })),
      tty: { stdin: proc.stdin.isTTY, stdout: proc.stdout.isTTY, stderr: proc.stderr.isTTY, stdinKind: proc.stdin.kind, ...this.windowSize(proc) },
      // The runtime enforces the ArrayBuffer limit itself: tell it the machine's if the app set none.
      limits: this.limits.external && limits.external === undefined ? { ...limits, external: this.limits.external } : limits,
    };
    // A service (svc) serves for as long as it runs: the machine gives it no
    // limit on its total CPU time unless one was asked for (docs/apps.md, "Limits").
    const header = attach.service ? { path, limits, service: true } : { path, limits };
    const r = machine.spawn(pid, header, start, { source, modules: link(this.vfs, source) });
    if (r < 0) {
      this.procs.delete(pid);
      for (const s of fds) if (s.pipe) machine.pipeClose(s.pipe, pid, s.end);
      throw new KernelError('EAGAIN', argv[0]);
    }
    for (const q of quotas) q.used++;
    for (const hook of this.onSpawn) hook(proc);
    return proc;
  }

  // The parent's limits, tightened (never loosened) by the ones asked for.
  childLimits(parent, asked) {
    const limits = { ...(parent ? parent.limits : {}) };
    delete limits.isolates;
    if (asked && typeof asked === 'object') {
      for (const key of APP_LIMITS) {
        const v = Number(asked[key]);
        if (asked[key] !== undefined && Number.isFinite(v) && v > 0) limits[key] = limits[key] === undefined ? v : Math.min(limits[key], v);
      }
      const n = Number(asked.isolates);
      if (asked.isolates !== undefined && Number.isInteger(n) && n >= 0) limits.isolates = n;
    }
    return limits;
  }

  // The machine's isolate limit, and every subtree quota the parent is under.
  // Returns the quotas the new process counts against.
  checkIsolates(parent, limits) {
    const alive = this.alive();
    // The kernel's own spawns and the commands of the shells it started
    // (console, session) may use the reserve; services and apps may not.
    const fromShell = !parent || parent.shell;
    const max = this.limits.isolates - (fromShell ? 0 : SHELL_RESERVE);
    if (alive >= max) {
      throw new KernelError('EAGAIN', '', `fork: retry: Resource temporarily unavailable (isolate limit: ${this.limits.isolates} alive)`);
    }
    const quotas = parent ? [...parent.quotas, ...(parent.ownQuota ? [parent.ownQuota] : [])] : [];
    for (const q of quotas) {
      if (q.used >= q.max) throw new KernelError('EAGAIN', '', `fork: retry: Resource temporarily unavailable (isolate limit of ${q.owner}: ${q.max})`);
    }
    return quotas;
  }

  // Over the machine's memory budget: idle services are evicted first; only
  // if that is not enough is the spawn refused.
  checkMemory() {
    if (!this.limits.memory) return;
    const { used, budget } = machine.memory();
    if (used <= budget) return;
    const freed = this.relieveMemory ? this.relieveMemory(used, budget) : 0;
    if (used - freed > budget) {
      throw new KernelError('ENOMEM', '', `out of isolate memory (${(used / MiB).toFixed(1)} MiB used, budget ${(budget / MiB).toFixed(1)} MiB)`);
    }
  }

  // The window the process's output appears in: the console's, or the
  // structured port client's (its `resize` messages).
  windowSize(proc) {
    return proc.stdout.size ? proc.stdout.size() : { columns: this.tty.columns, rows: this.tty.rows };
  }

  // The console's output: one pipe every process writing to the terminal
  // shares, so their bytes reach it in the order they were written.
  ttyOutput() {
    if (!this.ttyOut) {
      const tty = this.tty;
      this.ttyOut = streams.sharedOutput(
        'tty',
        {
          room: () => tty.room(),
          write: (bytes) => tty.writeOutput(bytes),
          whenRoom: (fn) => tty.whenRoom(fn),
        },
        { terminal: tty },
      );
    }
    return this.ttyOut;
  }

  _source(parent, proc, spec, made) {
    if (spec === 'null') return streams.nullSource;
    if (spec && typeof spec === 'object' && spec.pipe !== undefined) return streams.pipeStream(this._pipe(parent, spec.pipe), machine.READ_END);
    if (spec && typeof spec === 'object' && typeof spec.file === 'string') {
      const s = streams.fileSource(this.vfs, Vfs.resolve(proc.cwd, spec.file));
      made.push(s);
      return s;
    }
    const from = parent ? parent.stdin : streams.nullSource; // 'inherit'
    if (from.kind === 'tty') return streams.ttySource(this.tty, proc);
    return from;
  }

  _sink(parent, proc, spec, which, made) {
    if (spec === 'null') return streams.nullSink;
    // {inherit: 1 | 2}: the parent's stdout or stderr, whichever this fd is (`>&2`).
    if (spec && typeof spec === 'object' && (spec.inherit === 1 || spec.inherit === 2)) {
      return parent ? parent[spec.inherit === 2 ? 'stderr' : 'stdout'] : streams.nullSink;
    }
    if (spec && typeof spec === 'object' && spec.pipe !== undefined) return streams.pipeStream(this._pipe(parent, spec.pipe), machine.WRITE_END);
    if (spec && typeof spec === 'object' && typeof spec.file === 'string') {
      const path = Vfs.resolve(proc.cwd, spec.file);
      const s = streams.fileSink(this.vfs, path, !!spec.append, (e) => this.log.info(`${proc.name}[${proc.pid}]: ${e.message}`));
      made.push(s);
      return s;
    }
    return parent ? parent[which] : streams.nullSink; // 'inherit'
  }

  // A pipe the parent made with proc.pipe: only its own may be handed on.
  _pipe(parent, id) {
    if (!parent || !parent.pipes || !parent.pipes.has(Number(id))) throw new KernelError('EBADF', `pipe ${id}`);
    return Number(id);
  }

  // sys.proc.pipe(): a pipe whose two ends the calling app holds, to hand to
  // the processes it spawns ({stdin: {pipe}}, {stdout: {pipe}}) and then
  // close (sys.proc.closePipe), as sh does after fork.
  newPipe(proc) {
    const id = pipes.open();
    try {
      pipes.attach(id, proc.pid, machine.READ_END);
      pipes.attach(id, proc.pid, machine.WRITE_END);
    } finally {
      pipes.close(id);
    }
    if (!proc.pipes) proc.pipes = new Set();
    proc.pipes.add(id);
    return id;
  }

  // A table for `proc`'s stdout or stderr: drawn by the client of the
  // structured port; as text, which the app writes itself, anywhere else.
  table(proc, fd, columns, rows) {
    const sink = fd === 2 ? proc.stderr : proc.stdout;
    if (sink.rows) return void sink.rows(columns, rows);
    return formatTable(columns, rows);
  }

  // ---- messages from apps ---------------------------------------------------------
  onMessage(pid, text, attachment = null) {
    if (pid === 0) return this.machineMessage(text);
    const proc = this.procs.get(pid);
    if (!proc || proc.state === 'Z') return;
    let msg;
    try {
      msg = JSON.parse(text);
    } catch (e) {
      return this.fault(proc, 'malformed message');
    }
    if (!msg || typeof msg !== 'object') return this.fault(proc, 'malformed message');
    switch (msg.t) {
      case 'call':
        return this._call(proc, msg, attachment);
      case 'exit':
        return this.exit(proc, Number(msg.code) | 0, msg.reason || null);
      default:
        return this.fault(proc, `unknown message type ${JSON.stringify(String(msg.t)).slice(0, 40)}`);
    }
  }

  // The machine's own news: memory over budget ({t: 'pressure', used, budget}).
  machineMessage(text) {
    let msg;
    try {
      msg = JSON.parse(text);
    } catch (e) {
      return;
    }
    if (msg && msg.t === 'ready') return pipes.ready(Number(msg.id));
    if (msg && msg.t === 'pressure' && this.relieveMemory) this.relieveMemory(Number(msg.used), Number(msg.budget));
    for (const hook of this.onMachineMessage) hook(msg);
  }

  // A call with id 0 is one-way (a "cast"): no reply, not even for an error;
  // the op reports failures its own way (UDP sends: through receive()).
  // A handler gets the message's attachment too, and may answer with bytes (WithBytes).
  _call(proc, msg, attachment) {
    const reply = (body) => {
      if (!msg.id || proc.state === 'Z') return;
      if (body.value instanceof WithBytes) {
        machine.ipcSend(proc.pid, JSON.stringify({ t: 'reply', id: msg.id, value: body.value.value }), body.value.bytes);
      } else {
        machine.ipcSend(proc.pid, JSON.stringify({ t: 'reply', id: msg.id, ...body }));
      }
    };
    const fail = (e) => reply({ error: { code: e.code || 'EINVAL', message: e.code ? e.message : `kernel: ${e.message}`, path: e.path } });
    const handler = Object.prototype.hasOwnProperty.call(this.handlers, msg.op) ? this.handlers[msg.op] : null;
    if (!handler) return fail(new KernelError('ENOSYS', String(msg.op)));
    let value;
    try {
      value = handler(proc, msg.args && typeof msg.args === 'object' ? msg.args : {}, attachment);
    } catch (e) {
      return fail(e);
    }
    if (value && typeof value.then === 'function') value.then((v) => reply({ value: v }), fail);
    else reply({ value });
  }

  // A process broke the message protocol: it is stopped, the kernel is not.
  fault(proc, why) {
    this.log.warn(`${proc.name}[${proc.pid}]: ${why}; killed`);
    machine.kill(proc.pid);
    this.exit(proc, 137, why, { gone: true });
  }

  // ---- exit, wait, kill -------------------------------------------------------------------
  exit(proc, status, reason = null, { gone = !!reason } = {}) {
    if (proc.state === 'Z') return;
    proc.state = 'Z';
    proc.status = status;
    proc.reason = reason; // the limit it broke, or why it was killed; null for an exit of its own
    if (!gone) machine.release(proc.pid); // a clean exit: the isolate may be kept warm
    machine.dropPieces(proc.pid);
    if (reason) proc.stderr.write(`${proc.name}: killed: ${reason}\n`);
    for (const q of proc.quotas) q.used--;
    // Disk files it read (fs.open, `< FILE`) are closed: an unlinked one is freed now.
    for (const s of [proc.stdin, ...(proc.files ? proc.files.values() : [])]) if (s.release && s.ownerPid === proc.pid) s.release();
    // What it wrote to a file is there before anyone hears it ended.
    streams.settle(proc.stdout);
    streams.settle(proc.stderr);
    this.tty.processExited(proc); // its reads, and the terminal mode it set (kernel/tty/termios.js)
    if (this.tty.foreground.has(proc.pid)) this.tty.foreground.delete(proc.pid);
    for (const child of this.procs.values()) if (child.ppid === proc.pid) child.ppid = 0;
    const parent = this.procs.get(proc.ppid);
    if (!parent || parent.state === 'Z' || proc.waiters.length) this.procs.delete(proc.pid);
    for (const w of proc.waiters.splice(0)) w(status);
    for (const p of [...this.procs.values()]) if (p.state === 'Z' && p.ppid === 0) this.procs.delete(p.pid);
    for (const hook of this.onExit) hook(proc);
  }

  wait(parent, pid) {
    const proc = this.procs.get(pid);
    if (!proc || (parent && proc.ppid !== parent.pid)) throw new KernelError('ECHILD', `wait ${pid}`);
    if (proc.state === 'Z') {
      this.procs.delete(pid);
      return Promise.resolve(proc.status);
    }
    return new Promise((resolve) => proc.waiters.push(resolve));
  }

  kill(pid, signal = 'TERM') {
    const proc = this.procs.get(Number(pid));
    if (!proc || proc.state === 'Z') throw new KernelError('ESRCH', `(${pid})`);
    const signo = SIGNALS[String(signal).replace(/^SIG/, '').toUpperCase()];
    if (!signo) throw new KernelError('EINVAL', `signal ${signal}`);
    machine.kill(proc.pid);
    this.exit(proc, 128 + signo, null, { gone: true });
  }

  // Every live descendant of `pid`, deepest first.
  descendants(pid) {
    const out = [];
    for (const p of this.procs.values()) {
      if (p.ppid === pid && p.state !== 'Z') out.push(...this.descendants(p.pid), p);
    }
    return out;
  }

  list() {
    const stats = machine.procStat();
    return [...this.procs.values()].map((p) => {
      const s = stats[p.pid] || {};
      return {
        pid: p.pid,
        ppid: p.ppid,
        name: p.name,
        argv: p.argv,
        state: p.state === 'Z' ? 'Z' : s.state || 'S',
        start: p.start,
        cpu: s.cpu || 0,
        heap: s.heap ?? null, // null until the machine has sampled it
        heap_limit: s.heap_limit || 0,
        external: s.external || 0,
        external_limit: p.limits.external || this.limits.external || 0,
        cpu_limit: p.limits.cpu || (p.service ? 0 : this.limits.cpu) || 0, // 0: none (a service's)
        in: s.in || 0,
        out: s.out || 0,
        queue: s.queue || 0,
        serving: s.serving || 0,
        service: p.service,
      };
    });
  }
}

module.exports = { ProcessTable, SIGNALS };
