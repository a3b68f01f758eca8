// kernel/services/session.js: the structured port's session (docs/protocol.md).
//
// One shell, `sh --session`, outlives the clients that attach to the port, so
// its directory, variables and last status carry from one command line to the
// next, as in a terminal multiplexer. The client's `run` requests queue here;
// the shell takes them one at a time with the session.next call, and its
// answer to the next one reports how the last one ended. Everything the run's
// programs write goes to the client tagged with the run's id; what they read
// is the input the client sends for that run (`input` asks for it, like
// Jupyter's input_request). The client's questions (complete, is-complete)
// are asked of the program that owns the language: the shell for command
// lines, a program reading input (the eval REPL) for its own.
'use strict';

const machine = require('../arch/machine');
const timers = require('../time/timers');
const { KernelError } = require('../fs/errors');

const ASK_TIMEOUT_MS = 500;
const MAX_INPUT = 1 << 20; // input queued for a run that is not reading

class Session {
  // emit(message): to the client. wantsInput(): whether a client that can
  // answer `input` is connected (a version 1 client is not: its runs read
  // an empty stdin, as they always did).
  constructor({ procs, emit, wantsInput = () => true, isTerminal = () => false, log }) {
    this.procs = procs;
    this.emit = emit;
    this.wantsInput = wantsInput;
    this.isTerminal = isTerminal;
    this.log = log;
    this.sh = null;
    this.nextRun = null; // resolve of the shell's pending session.next
    this.queue = []; // [{id, line}] not started yet
    this.current = null; // {id, line, input: {chunks, size, eof}, readers: [{proc, resolve, answers}]}
    this.cwd = '/';
    this.status = 0;
    this.columns = 80;
    this.rows = 24;
    this.asks = new Map(); // ref -> {pid, done}
    this.nextRef = 1;
    procs.onExit.add((proc) => this.onExit(proc));
    procs.onSpawn.add((proc) => this.onSpawn(proc));
    // The session's own two calls (the rest are in kernel/proc/syscalls.js).
    procs.handlers['session.next'] = (proc, args) => this.next(proc, args);
    procs.handlers['ask.reply'] = (proc, args) => this.answer(proc, args);
  }

  // ---- the session's streams -------------------------------------------------------
  sink(stream) {
    const session = this;
    return {
      kind: 'channel',
      get isTTY() {
        return session.isTerminal();
      },
      size: () => ({ columns: this.columns, rows: this.rows }),
      write: (data) => this.emit({ t: stream, id: this.runId(), data: String(data) }),
      rows: (columns, rows) => this.emit({ t: 'rows', id: this.runId(), fd: stream === 'stderr' ? 2 : 1, columns, rows }),
      open() {},
      close() {},
    };
  }

  source() {
    const session = this;
    return {
      kind: 'channel',
      get isTTY() {
        return session.isTerminal();
      },
      read: (args, proc) => this.read(proc, args || {}),
      open() {},
      close() {},
    };
  }

  runId() {
    return this.current ? this.current.id : null;
  }

  // ---- runs ------------------------------------------------------------------------------
  run(id, line) {
    this.queue.push({ id, line });
    this.ensureShell();
    this.pump();
  }

  ensureShell() {
    if (this.sh) return true;
    try {
      this.sh = this.procs.spawn(
        null,
        ['sh', '--session'],
        { cwd: this.cwd, env: { PATH: '/bin', HOME: '/', TERM: 'xterm-256color' } },
        { stdin: this.source(), stdout: this.sink('stdout'), stderr: this.sink('stderr') },
      );
      return true;
    } catch (e) {
      // No shell (the process table is full, say): every queued run fails now.
      for (const { id } of this.queue.splice(0)) {
        this.emit({ t: 'stderr', id, data: `jsksh: cannot start the session shell: ${e.message}\n` });
        this.emit({ t: 'exit', id, status: 126, cwd: this.cwd });
      }
      return false;
    }
  }

  // The shell asks for the next line, reporting how the last one ended.
  next(proc, { status, cwd }) {
    if (proc !== this.sh) throw new KernelError('EPERM', 'session.next');
    if (typeof cwd === 'string' && cwd.startsWith('/')) this.cwd = cwd;
    if (this.current) this.finish(Number(status) | 0);
    return new Promise((resolve) => {
      this.nextRun = resolve;
      this.pump();
    });
  }

  pump() {
    if (!this.nextRun || this.current || !this.queue.length) return;
    const { id, line } = this.queue.shift();
    this.current = { id, line, input: { chunks: [], size: 0, eof: false }, readers: [] };
    const resolve = this.nextRun;
    this.nextRun = null;
    resolve({ line: String(line) });
  }

  finish(status) {
    const run = this.current;
    this.current = null;
    this.status = status;
    for (const r of run.readers) r.resolve(null);
    this.emit({ t: 'exit', id: run.id, status, cwd: this.cwd });
  }

  onExit(proc) {
    if (proc === this.sh) {
      // `exit`, or the shell was killed: the session ends; the next request starts another.
      this.sh = null;
      this.nextRun = null;
      const status = proc.status | 0;
      if (this.current) this.finish(status);
      this.emit({ t: 'session', state: 'ended', status });
      if (this.queue.length) this.ensureShell();
      return;
    }
    if (this.current) this.current.readers = this.current.readers.filter((r) => r.proc !== proc);
  }

  // Ctrl-C for a run: its programs exit with 130; the session shell goes on.
  // A run still in the queue is dropped.
  interrupt(id) {
    const queued = this.queue.findIndex((r) => r.id === id);
    if (queued >= 0) {
      this.queue.splice(queued, 1);
      this.emit({ t: 'exit', id, status: 130, cwd: this.cwd });
      return;
    }
    if (!this.current || this.current.id !== id || !this.sh) return;
    // Ctrl-C typed before the shell has started the command still stops it.
    this.current.interrupted = true;
    for (const p of this.procs.descendants(this.sh.pid)) this.stop(p);
  }

  stop(proc) {
    try {
      this.procs.kill(proc.pid, 'INT');
    } catch (e) {
      /* already gone */
    }
  }

  // A program started for a run already interrupted is stopped at once.
  onSpawn(proc) {
    if (!this.current || !this.current.interrupted || !this.sh) return;
    for (let p = proc; p; p = this.procs.procs.get(p.ppid)) {
      if (p.ppid === this.sh.pid) return void timers.after(0, () => this.stop(proc));
    }
  }

  // ---- input ---------------------------------------------------------------------------
  read(proc, args) {
    const run = this.current;
    if (!run || !this.wantsInput()) return Promise.resolve(null);
    const { input } = run;
    if (input.chunks.length) {
      const text = input.chunks.splice(0).join('');
      input.size = 0;
      return Promise.resolve(text);
    }
    if (input.eof) return Promise.resolve(null);
    return new Promise((resolve) => {
      run.readers.push({ proc, resolve, answers: !!args.answers });
      this.emit({
        t: 'input',
        id: run.id,
        prompt: typeof args.prompt === 'string' ? args.prompt : '',
        language: typeof args.language === 'string' ? args.language : null,
        answers: !!args.answers,
      });
    });
  }

  // Input from the client for run `id`; an error message, or null.
  input(id, data, eof) {
    const run = this.current;
    if (!run || run.id !== id) return `run ${JSON.stringify(id)} is not running`;
    if (eof) {
      run.input.eof = true;
      for (const r of run.readers.splice(0)) r.resolve(null);
      return null;
    }
    if (typeof data !== 'string') return 'stdin needs data or eof';
    if (run.readers.length) {
      run.readers.shift().resolve(data);
      return null;
    }
    if (run.input.size + data.length > MAX_INPUT) return `more than ${MAX_INPUT} bytes of input waiting for run ${JSON.stringify(id)}`;
    run.input.chunks.push(data);
    run.input.size += data.length;
    return null;
  }

  // ---- questions from the client -----------------------------------------------------
  // kind: 'complete' | 'is-complete'. Without a run id, the shell answers; with
  // one, the program of that run now waiting for input, if it said it answers.
  // Resolves with its answer, or null (no answerer, or no answer in time).
  ask(kind, args, runId) {
    let target = null;
    if (runId === undefined || runId === null) {
      if (this.ensureShell()) target = this.sh;
    } else if (this.current && this.current.id === runId) {
      const reader = this.current.readers.find((r) => r.answers);
      if (reader) target = reader.proc;
    }
    if (!target || target.state === 'Z') return Promise.resolve(null);
    const ref = this.nextRef++;
    return new Promise((resolve) => {
      const timer = timers.after(ASK_TIMEOUT_MS, () => done(null));
      const done = (value) => {
        if (!this.asks.delete(ref)) return;
        timers.cancel(timer);
        resolve(value);
      };
      this.asks.set(ref, { pid: target.pid, done });
      machine.ipcSend(target.pid, JSON.stringify({ t: 'ask', ref, kind, args }));
    });
  }

  // The answer, from the program asked (one-way, so nothing is returned).
  answer(proc, { ref, value }) {
    const ask = this.asks.get(ref);
    if (ask && ask.pid === proc.pid) ask.done(value);
  }

  describe() {
    return { cwd: this.cwd, status: this.status, running: this.current ? [{ id: this.current.id, line: this.current.line }] : [] };
  }
}

module.exports = { Session };
