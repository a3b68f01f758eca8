// kernel/tty/tty.js: the terminal on the console port (hvc0).
//
// Bytes from the serial client go through the line discipline, which edits
// the line and echoes (kernel/tty/line-discipline.js); finished lines wait
// here for the foreground process to read them. Ctrl-C interrupts the
// foreground job. Output gets the one post-processing a serial terminal
// needs: "\n" becomes "\r\n" (termios ONLCR). Programs' output comes
// through one pipe that every process writing to the terminal shares
// (kernel/proc/streams.js); its pump asks room() before each write and waits
// for whenRoom() while the console is full, so nothing is dropped.
//
// Line editing (kernel/tty/line-discipline.js) needs three things only the
// tty knows, all about the foreground process waiting in read():
//   - its program's name: each program has its own history (the shell's is
//     not eval's REPL's), kept here, in memory only (a reboot forgets it);
//   - whether it answers questions (its read said `answers: true`, from
//     sys.stdin.setCompleter): then Tab asks it {kind: 'complete', args:
//     {line, cursor}} through kernel/proc/ask.js, as the session does for
//     the REPL client, and no answer within a second rings the bell;
//   - its prompt, to draw again below a list of completions or after ^L: a
//     program prints its prompt before it reads (sh writes it to stdout; a
//     read's `prompt` is written to stdout by the stdin.read call), so the
//     prompt is what output wrote since the last CR or LF. Nothing else has
//     to say it, and a prompt with colours is drawn again as it was.
//
// The terminal's mode and window size are its Termios (kernel/tty/termios.js):
// an app may make it raw (each keystroke is read as it comes, unedited),
// turn echo or Ctrl-C off, and watch the size; the mode goes back to
// canonical when the app that set it exits (processExited).
'use strict';

const { LineDiscipline, History } = require('./line-discipline');
const { Termios } = require('./termios');
const { utf8Bytes, utf8Decode } = require('../lib/utf8');

const CR = 13;
const LF = 10;
const COMPLETE_TIMEOUT_MS = 1000; // Tab waits this long for the reader's answer, then rings the bell
const MAX_PROMPT = 512; // bytes: output longer than this since the last newline is no prompt
const MAX_PROGRAMS = 32; // histories kept; the least recently used goes first

class Tty {
  // writeBytes(bytes): to the console port; room(): bytes it takes now.
  // asks: kernel/proc/ask.js's Asks (the kernel's shared one unless a test gives its own).
  // notify(pid, message): a kernel message to an app (the resize notice).
  constructor({ writeBytes, onInterrupt, room = () => Infinity, asks = null, notify = () => {} }) {
    this.writeBytes = writeBytes;
    this.room = room;
    this.roomWaiters = [];
    this.lastByte = 0; // the last output byte: a CR before an LF means it needs none added
    this.onInterrupt = onInterrupt;
    this.ld = new LineDiscipline({ echo: true, maxLine: 4096 });
    this.lines = []; // finished input (strings; null = end of file)
    this.readers = []; // {proc, resolve, answers}
    this.foreground = new Set();
    this.termios = new Termios({ apply: (mode) => this.applyMode(mode), send: notify });
    this.asks = asks;
    this.histories = new Map(); // program name -> History, least recently used first
    this.answerer = null; // the foreground reader, if it answers completion questions
    this.outputTail = new Uint8Array(0); // output since the last CR or LF: the prompt
  }

  // The window: the console device's size (virtio RESIZE), 80x24 until it says.
  get columns() {
    return this.termios.columns;
  }

  get rows() {
    return this.termios.rows;
  }

  set columns(n) {
    this.termios.resize(n, this.rows);
  }

  set rows(n) {
    this.termios.resize(this.columns, n);
  }

  resize(columns, rows) {
    this.termios.resize(columns, rows);
  }

  // ---- the mode (kernel/tty/termios.js) -------------------------------------------
  getMode() {
    return this.termios.getMode();
  }

  // tty.setMode from process `proc`: returns the mode it replaced.
  setMode(proc, mode) {
    return this.termios.setMode(mode, proc.pid);
  }

  watchSize(proc) {
    return this.termios.watchSize(proc.pid);
  }

  size() {
    return this.termios.size();
  }

  // The line discipline takes the new mode. Going raw hands over a line
  // half typed as data (as Linux does when ICANON is cleared).
  applyMode(mode) {
    this.prepare();
    this.ld.setEcho(mode.echo);
    this.ld.setIsig(mode.signals);
    this.handle(this.ld.setCanonical(!mode.raw));
    this.deliver();
  }

  // A process is gone: its reads are forgotten, and the mode it set undone.
  processExited(proc) {
    this.dropReader(proc);
    this.termios.processExited(proc.pid);
  }

  // Input from the client.
  input(bytes) {
    this.prepare();
    this.handle(this.ld.input(bytes));
    this.deliver();
  }

  // What the line discipline needs to draw a line again.
  prepare() {
    this.ld.prompt = utf8Decode(this.outputTail, 0, this.outputTail.length);
    this.ld.screenColumns = this.columns;
  }

  handle(events) {
    for (const ev of events) {
      if (ev.type === 'echo') this.writeRaw(ev.data);
      else if (ev.type === 'line') this.lines.push(ev.data);
      else if (ev.type === 'data') this.lines.push(ev.data);
      else if (ev.type === 'eof') this.lines.push(null);
      else if (ev.type === 'interrupt') {
        // POSIX termios, ISIG without NOFLSH: an interrupt flushes the input
        // not yet read, so lines typed ahead (or garbage) do not run after it.
        this.lines = [];
        this.onInterrupt();
      } else if (ev.type === 'complete') this.complete(ev);
      if (ev.type === 'line' || ev.type === 'eof' || ev.type === 'interrupt') this.outputTail = new Uint8Array(0);
    }
  }

  // Tab: ask the reader; its answer (or null) goes back to the line discipline.
  complete({ ref, line, cursor }) {
    const done = (answer) => {
      this.prepare();
      this.handle(this.ld.completed(ref, answer));
      this.deliver();
    };
    if (!this.answerer) return void Promise.resolve(null).then(done);
    if (!this.asks) this.asks = require('../proc/ask').sharedAsks();
    this.asks.ask(this.answerer, 'complete', { line, cursor }, COMPLETE_TIMEOUT_MS).then(done, () => done(null));
  }

  // A read from process `proc`: resolves with the next line, or null at Ctrl-D.
  // args: the read's request (kernel/app/sys.js readArgs); `answers: true`
  // says the program answers completion questions.
  read(proc, args) {
    return new Promise((resolve) => {
      this.readers.push({ proc, resolve, answers: Boolean(args && args.answers) });
      this.deliver();
    });
  }

  // Only the foreground job reads the terminal; the others wait their turn.
  // A canonical read takes one line; a raw read takes all the keys waiting.
  deliver() {
    while (this.lines.length) {
      const i = this.readers.findIndex((r) => this.foreground.has(r.proc.pid));
      if (i < 0) break;
      const [reader] = this.readers.splice(i, 1);
      let input = this.lines.shift();
      if (this.termios.isRaw()) {
        while (input !== null && typeof this.lines[0] === 'string') input += this.lines.shift();
      }
      reader.resolve(input);
    }
    this.followReader();
  }

  // The line being typed is for the first foreground reader: its program's
  // history, and Tab asks it if it answers. With no reader (typing ahead
  // while a command runs) the history stays the last one's and Tab is a tab.
  followReader() {
    const reader = this.readers.find((r) => this.foreground.has(r.proc.pid));
    this.answerer = reader && reader.answers ? reader.proc : null;
    this.ld.setAnswers(this.answerer !== null);
    if (reader) this.ld.setHistory(this.historyOf(String(reader.proc.name || '')));
  }

  historyOf(name) {
    let history = this.histories.get(name);
    if (history) this.histories.delete(name); // to the end: the most recently used
    else history = new History();
    this.histories.set(name, history);
    if (this.histories.size > MAX_PROGRAMS) this.histories.delete(this.histories.keys().next().value);
    return history;
  }

  // Wake a reader with an empty read: the shell drops its half-typed command
  // and redraws its prompt after ^C.
  wakeReaders(pids) {
    for (let i = this.readers.length - 1; i >= 0; i--) {
      if (pids.has(this.readers[i].proc.pid)) this.readers.splice(i, 1)[0].resolve('');
    }
    this.followReader();
  }

  dropReader(proc) {
    this.readers = this.readers.filter((r) => r.proc !== proc);
    this.followReader();
  }

  setForeground(pids) {
    this.foreground = new Set(pids);
    this.deliver();
  }

  write(text) {
    const out = String(text).replace(/\r?\n/g, '\r\n');
    this.writeRaw(out);
    if (out) this.noteOutput(utf8Bytes(out));
  }

  // Output (not echo) since the last CR or LF: the prompt a reader printed.
  noteOutput(bytes) {
    let i = bytes.length - 1;
    while (i >= 0 && bytes[i] !== CR && bytes[i] !== LF) i--;
    let tail = bytes.subarray(i + 1);
    if (i < 0 && this.outputTail.length) {
      const joined = new Uint8Array(this.outputTail.length + tail.length);
      joined.set(this.outputTail);
      joined.set(tail, this.outputTail.length);
      tail = joined;
    }
    this.outputTail = tail.length > MAX_PROMPT ? new Uint8Array(0) : tail.slice();
  }

  // Program output, as bytes: LF becomes CR LF unless a CR is already before it (ONLCR).
  writeOutput(bytes) {
    const prev = this.lastByte;
    let extra = 0;
    for (let i = bytes.indexOf(LF); i >= 0; i = bytes.indexOf(LF, i + 1)) {
      if ((i > 0 ? bytes[i - 1] : prev) !== CR) extra++;
    }
    if (bytes.length) this.lastByte = bytes[bytes.length - 1];
    this.noteOutput(bytes);
    if (!extra) return this.writeBytes(bytes);
    const out = new Uint8Array(bytes.length + extra);
    let o = 0;
    for (let i = 0; i < bytes.length; i++) {
      const b = bytes[i];
      if (b === LF && (i > 0 ? bytes[i - 1] : prev) !== CR) out[o++] = CR;
      out[o++] = b;
    }
    this.writeBytes(out);
  }

  // The console took what waited: writers that stopped for room go on.
  drained() {
    for (const fn of this.roomWaiters.splice(0)) fn();
  }

  whenRoom(fn) {
    this.roomWaiters.push(fn);
  }

  writeRaw(text) {
    if (!text) return;
    this.writeBytes(utf8Bytes(text));
    this.lastByte = text.charCodeAt(text.length - 1);
  }
}

module.exports = { Tty };
