// kernel/tty/termios.js: the settings of a terminal that an app may change
// and watch: its mode (raw or canonical, echo, signals) and its window size.
//
// Each terminal owns one Termios: the console's tty (kernel/tty/tty.js) and
// the structured port's session (kernel/services/session.js), which is the
// REPL client's terminal. The kernel calls tty.setMode, tty.getMode and
// tty.watchSize (kernel/proc/syscalls.js) reach it through the caller's
// stdin or stdout; docs/apps.md, "The terminal", is the app's view.
//
// The mode is a small termios(3):
//   raw      ICANON off: every keystroke goes to the reader as it arrives,
//            with no line editing (cfmakeraw's input side)
//   echo     ECHO: typed characters are sent back to the screen
//   signals  ISIG: Ctrl-C interrupts the foreground job; off, it is a byte
// setMode() sets the whole mode, as tcsetattr(3) does: a field not given
// takes its default (raw false, echo !raw, signals true), so {raw: true} is
// raw, no echo, Ctrl-C still interrupts, and {} is the sane canonical mode.
//
// The mode belongs to the terminal, not to the app. The difference from Unix:
// the process that changed it is its owner, and when the owner exits, by
// itself, killed or crashed, the terminal goes back to the canonical mode, so
// an editor that dies never leaves the console raw (a shell's `stty sane`,
// done for you). An owner that sets the canonical mode again gives it up.
'use strict';

const { KernelError } = require('../lib/errors');

const CANONICAL = Object.freeze({ raw: false, echo: true, signals: true });

// An app's request as a whole mode; anything else than booleans is EINVAL.
function parseMode(args) {
  const a = args && typeof args === 'object' ? args : {};
  for (const key of Object.keys(a)) {
    if (!(key in CANONICAL)) throw new KernelError('EINVAL', '', `setMode: unknown setting '${String(key).slice(0, 20)}'`);
    if (typeof a[key] !== 'boolean') throw new KernelError('EINVAL', '', `setMode: ${key} must be true or false`);
  }
  const raw = a.raw === true;
  return { raw, echo: a.echo === undefined ? !raw : a.echo, signals: a.signals === undefined ? true : a.signals };
}

const sameMode = (a, b) => a.raw === b.raw && a.echo === b.echo && a.signals === b.signals;

class Termios {
  // apply(mode, previous): the terminal makes the mode so (its line
  // discipline, its client); called only when the mode changes.
  // send(pid, message): a kernel message to an app (the resize notice).
  constructor({ apply = () => {}, send = () => {}, columns = 80, rows = 24 } = {}) {
    this.apply = apply;
    this.send = send;
    this.mode = { ...CANONICAL };
    this.owner = 0; // pid of the process that set a non-canonical mode; 0: none
    this.columns = columns;
    this.rows = rows;
    this.watchers = new Set(); // pids told of every change of the window's size
  }

  getMode() {
    return { ...this.mode };
  }

  isRaw() {
    return this.mode.raw;
  }

  // The process `pid` sets the mode; returns the one it replaced.
  setMode(mode, pid = 0) {
    const previous = this.getMode();
    this.owner = sameMode(mode, CANONICAL) ? 0 : pid;
    if (!sameMode(mode, previous)) {
      this.mode = { ...mode };
      this.apply(this.getMode(), previous);
    }
    return previous;
  }

  // Back to canonical, whoever set it (the terminal's client left, a run ended).
  reset() {
    this.setMode({ ...CANONICAL }, 0);
  }

  // A process exited: if it owned the mode, the terminal is canonical again.
  // Its size watch ends too.
  processExited(pid) {
    this.watchers.delete(pid);
    if (this.owner && this.owner === pid) this.reset();
  }

  size() {
    return { columns: this.columns, rows: this.rows };
  }

  // `pid` is told {t: 'resize', columns, rows} whenever the size changes
  // (SIGWINCH's job). Returns the size now.
  watchSize(pid) {
    this.watchers.add(pid);
    return this.size();
  }

  // The window changed size (the virtio console's RESIZE, the client's resize message).
  resize(columns, rows) {
    if (!(columns > 0 && rows > 0)) return;
    if (columns === this.columns && rows === this.rows) return;
    this.columns = columns;
    this.rows = rows;
    for (const pid of this.watchers) this.send(pid, { t: 'resize', columns, rows });
  }
}

module.exports = { Termios, parseMode, CANONICAL };
