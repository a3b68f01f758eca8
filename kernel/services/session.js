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
//
// The session is the session shell's terminal, as the tty is the console
// shell's: the shell names its foreground job with proc.foreground, and the
// client's Ctrl-C (`interrupt`) stops that job only, never a background job
// (`cmd &`) of this run or an earlier one. Output written while no run is
// going (a background job's, late) goes to the client with id null.
//
// The session's mode and window are its Termios (kernel/tty/termios.js), as
// the console's are the tty's. A program may make the session raw when the
// client said it can (`modes: true` in its hello): the client is told
// ({t: 'mode', id, raw, echo, signals}), leaves its prompt and sends each
// keystroke as it comes; the mode goes back to canonical when the program
// that set it exits, or at the latest when its run ends.
'use strict';

const timers = require('../time/timers');
const { KernelError } = require('../lib/errors');
const streams = require('../proc/streams');
const { sharedAsks } = require('../proc/ask');
const { Termios } = require('../tty/termios');
const machine = require('../arch/machine');

const ASK_TIMEOUT_MS = 500;
const MAX_INPUT = 1 << 20; // input queued for a run that is not reading
const CTRL_C = '\x03';

class Session {
  // emit(message): to the client. wantsInput(): whether a client that can
  // answer `input` is connected (a version 1 client is not: its runs read
  // an empty stdin, as they always did).
  // room(): bytes the port takes now; whenRoom(fn): fn once it has room again.
  // wantsModes(): whether the client can take the terminal raw (its hello said `modes: true`).
  // notify(pid, message): a kernel message to an app (a resize notice).
  constructor({
    procs,
    emit,
    wantsInput = () => true,
    isTerminal = () => false,
    wantsModes = () => false,
    log,
    room = () => Infinity,
    whenRoom = () => {},
    notify = (pid, msg) => machine.ipcSend(pid, JSON.stringify(msg)),
  }) {
    this.procs = procs;
    this.emit = emit;
    this.room = room;
    this.whenRoom = whenRoom;
    this.wantsInput = wantsInput;
    this.isTerminal = isTerminal;
    this.wantsModes = wantsModes;
    this.log = log;
    this.sh = null;
    this.nextRun = null; // resolve of the shell's pending session.next
    this.queue = []; // [{id, line}] not started yet
    this.current = null; // {id, line, input: {chunks, size, eof}, readers: [{proc, resolve, answers}], interrupted, onInterrupt: [resolve]}
    this.foreground = new Set(); // the session shell's foreground job: pids (not the shell's own)
    this.cwd = '/';
    this.status = 0;
    this.termios = new Termios({ apply: (mode) => this.emit({ t: 'mode', id: this.runId(), ...mode }), send: notify });
    this.asks = sharedAsks(); // questions to programs, shared with the console's tty (kernel/proc/ask.js)
    procs.onExit.add((proc) => this.onExit(proc));
    // The session's own calls (the rest are in kernel/proc/syscalls.js).
    procs.handlers['session.next'] = (proc, args) => this.next(proc, args);
    procs.handlers['session.interrupted'] = (proc) => this.whenInterrupted(proc);
    // The one ask.reply call answers every asker: this session and the console's tty.
    procs.handlers['ask.reply'] = (proc, args) => this.asks.answer(proc, args || {});
    // proc.foreground names the tty's foreground job (syscalls.js, installed
    // before the session is made); for the session shell it names ours.
    const ttyForeground = procs.handlers['proc.foreground'];
    procs.handlers['proc.foreground'] = (proc, args) =>
      this.sh && proc === this.sh ? this.setForeground(args.pids) : ttyForeground(proc, args);
  }

  // ---- the terminal: its window and mode (kernel/tty/termios.js) --------------------
  get columns() {
    return this.termios.columns;
  }

  get rows() {
    return this.termios.rows;
  }

  // The client's `resize` message.
  resize(columns, rows) {
    this.termios.resize(columns, rows);
  }

  size() {
    return this.termios.size();
  }

  watchSize(proc) {
    return this.termios.watchSize(proc.pid);
  }

  getMode() {
    return this.termios.getMode();
  }

  // tty.setMode from a program of the session. Only a client that said it
  // can leave its prompt takes raw mode or echo off (`jsksh run` cannot).
  setMode(proc, mode) {
    if ((mode.raw || !mode.echo) && !(this.isTerminal() && this.wantsModes())) {
      throw new KernelError('ENOTTY', '', 'Inappropriate ioctl for device: the client cannot take raw keys');
    }
    return this.termios.setMode(mode, proc.pid);
  }

  // ---- the session's streams -------------------------------------------------------
  // stdout and stderr are two pipes every program of the session writes to
  // (the kernel keeps them open for ever); their pumps send what arrives to
  // the client, tagged with the run going on, as fast as the port takes it.
  sink(stream) {
    if (!this.sinks) this.sinks = {};
    if (!this.sinks[stream]) {
      const session = this;
      this.sinks[stream] = streams.sharedOutput(
        'channel',
        {
          room: () => this.room() - 128, // and the header line in front of the bytes
          write: (bytes) => this.emit({ t: stream, id: this.runId(), bytes: bytes.slice() }),
          whenRoom: (fn) => this.whenRoom(fn),
        },
        {
          get isTTY() {
            return session.isTerminal();
          },
          size: () => this.size(),
          terminal: this,
          // A table goes after what the program wrote before it.
          rows: (columns, rows) => {
            this.sinks[stream].pump.run({ all: true });
            this.emit({ t: 'rows', id: this.runId(), fd: stream === 'stderr' ? 2 : 1, columns, rows });
          },
        },
      );
    }
    return this.sinks[stream];
  }

  // Calls fn once everything the run's programs wrote has gone to the client.
  afterOutput(fn) {
    const pumps = Object.values(this.sinks || {}).map((s) => s.pump);
    for (const p of pumps) p.run({ all: true });
    if (pumps.every((p) => p.empty)) return fn();
    timers.after(5, () => this.afterOutput(fn)); // the port is full: try again soon
  }

  source() {
    const session = this;
    return {
      kind: 'channel',
      get isTTY() {
        return session.isTerminal();
      },
      read: (args, proc) => this.read(proc, args || {}),
      terminal: this,
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
    return new Promise((resolve) => {
      const wait = () => {
        this.nextRun = resolve;
        this.pump();
      };
      if (this.current) this.finish(Number(status) | 0, wait);
      else wait();
    });
  }

  // A run starts. `interactive`: the client shows the session on a terminal
  // (the REPL), so the shell reports background jobs the way bash does.
  pump() {
    if (!this.nextRun || this.current || !this.queue.length) return;
    const { id, line } = this.queue.shift();
    this.current = { id, line, input: { chunks: [], size: 0, eof: false }, readers: [], interrupted: false, onInterrupt: [] };
    const resolve = this.nextRun;
    this.nextRun = null;
    resolve({ line: String(line), interactive: Boolean(this.isTerminal()) });
  }

  // The run ended: its output goes to the client first, then its exit.
  finish(status, then = () => {}) {
    const run = this.current;
    this.status = status;
    this.termios.reset(); // a program that set a mode and left a child running: the run is over

    this.foreground.clear();
    for (const r of run.readers.splice(0)) r.resolve(null);
    for (const resolve of run.onInterrupt.splice(0)) resolve(false);
    run.ending = true;
    this.afterOutput(() => {
      if (this.current === run) this.current = null;
      this.emit({ t: 'exit', id: run.id, status, cwd: this.cwd });
      then();
    });
  }

  onExit(proc) {
    this.termios.processExited(proc.pid);
    if (proc === this.sh) {
      // `exit`, or the shell was killed: the session ends; the next request starts another.
      this.sh = null;
      this.nextRun = null;
      this.foreground.clear();
      const status = proc.status | 0;
      const ended = () => {
        this.emit({ t: 'session', state: 'ended', status });
        if (this.queue.length) this.ensureShell();
      };
      if (this.current && !this.current.ending) this.finish(status, ended);
      else ended();
      return;
    }
    if (this.current) this.current.readers = this.current.readers.filter((r) => r.proc !== proc);
  }

  // Ctrl-C for a run: its foreground job exits with 130; the session shell
  // and the background jobs go on. A run still in the queue is dropped.
  interrupt(id) {
    const queued = this.queue.findIndex((r) => r.id === id);
    if (queued >= 0) {
      this.queue.splice(queued, 1);
      this.emit({ t: 'exit', id, status: 130, cwd: this.cwd });
      return;
    }
    const run = this.current;
    if (!run || run.id !== id || !this.sh) return;
    // The rest of the run is interrupted too: a job the shell puts in the
    // foreground later (it had not started the command yet) is stopped as
    // it gets there, and a `wait` in progress ends.
    run.interrupted = true;
    for (const resolve of run.onInterrupt.splice(0)) resolve(true);
    this.stopForeground();
  }

  // proc.foreground from the session shell: these pids are the job Ctrl-C stops.
  setForeground(pids) {
    if (!Array.isArray(pids)) throw new KernelError('EINVAL', 'foreground');
    this.foreground = new Set(pids.map(Number).filter((pid) => pid !== this.sh.pid));
    if (this.current && this.current.interrupted && this.foreground.size) timers.after(0, () => this.stopForeground());
  }

  // The foreground job and whatever it started (a `sh -c` and its commands).
  stopForeground() {
    for (const pid of this.foreground) {
      const proc = this.procs.procs.get(pid);
      if (!proc || proc.state === 'Z') continue;
      for (const p of this.procs.descendants(pid)) this.stop(p);
      this.stop(proc);
    }
  }

  stop(proc) {
    try {
      this.procs.kill(proc.pid, 'INT');
    } catch (e) {
      /* already gone */
    }
  }

  // session.interrupted: the shell's `wait` asks to hear of a Ctrl-C, since
  // the shell itself is the foreground then. True when the run is
  // interrupted, false when it ends first.
  whenInterrupted(proc) {
    if (proc !== this.sh) throw new KernelError('EPERM', 'session.interrupted');
    const run = this.current;
    if (!run) return false;
    if (run.interrupted) return true;
    return new Promise((resolve) => run.onInterrupt.push(resolve));
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
      if (this.termios.isRaw()) return; // the client sends keys as they come: no line is asked for
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
    const mode = this.termios.getMode();
    if (mode.raw && mode.signals && data.includes(CTRL_C)) {
      // ISIG: Ctrl-C interrupts, and the input not yet read goes (no NOFLSH).
      run.input.chunks = [];
      run.input.size = 0;
      this.interrupt(id);
      return null;
    }
    if (mode.raw && mode.signals) data = data.replace(/\x1a/g, ''); // ^Z: no job control, as on the console
    if (mode.raw && !data) return null;
    if (mode.raw && mode.echo) this.emit({ t: 'stdout', id, data });
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
    return this.asks.ask(target, kind, args, ASK_TIMEOUT_MS);
  }

  describe() {
    return {
      cwd: this.cwd,
      status: this.status,
      running: this.current ? [{ id: this.current.id, line: this.current.line }] : [],
      mode: this.termios.getMode(),
    };
  }
}

module.exports = { Session };
