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
'use strict';

const { LineDiscipline } = require('./line-discipline');
const { utf8Bytes } = require('../lib/utf8');

const CR = 13;
const LF = 10;

class Tty {
  // writeBytes(bytes): to the console port; room(): bytes it takes now.
  constructor({ writeBytes, onInterrupt, room = () => Infinity }) {
    this.writeBytes = writeBytes;
    this.room = room;
    this.roomWaiters = [];
    this.lastByte = 0; // the last output byte: a CR before an LF means it needs none added
    this.onInterrupt = onInterrupt;
    this.ld = new LineDiscipline({ echo: true, maxLine: 4096 });
    this.lines = []; // finished input (strings; null = end of file)
    this.readers = []; // {proc, resolve}
    this.foreground = new Set();
    this.columns = 80;
    this.rows = 24;
  }

  // Input from the client.
  input(bytes) {
    for (const ev of this.ld.input(bytes)) {
      if (ev.type === 'echo') this.writeRaw(ev.data);
      else if (ev.type === 'line') this.lines.push(ev.data);
      else if (ev.type === 'data') this.lines.push(ev.data);
      else if (ev.type === 'eof') this.lines.push(null);
      else if (ev.type === 'interrupt') this.onInterrupt();
    }
    this.deliver();
  }

  // A read from process `proc`: resolves with the next line, or null at Ctrl-D.
  read(proc) {
    return new Promise((resolve) => {
      this.readers.push({ proc, resolve });
      this.deliver();
    });
  }

  // Only the foreground job reads the terminal; the others wait their turn.
  deliver() {
    while (this.lines.length) {
      const i = this.readers.findIndex((r) => this.foreground.has(r.proc.pid));
      if (i < 0) return;
      const [reader] = this.readers.splice(i, 1);
      reader.resolve(this.lines.shift());
    }
  }

  // Wake a reader with an empty read: the shell drops its half-typed command
  // and redraws its prompt after ^C.
  wakeReaders(pids) {
    for (let i = this.readers.length - 1; i >= 0; i--) {
      if (pids.has(this.readers[i].proc.pid)) this.readers.splice(i, 1)[0].resolve('');
    }
  }

  dropReader(proc) {
    this.readers = this.readers.filter((r) => r.proc !== proc);
  }

  setForeground(pids) {
    this.foreground = new Set(pids);
    this.deliver();
  }

  write(text) {
    this.writeRaw(String(text).replace(/\r?\n/g, '\r\n'));
  }

  // Program output, as bytes: LF becomes CR LF unless a CR is already before it (ONLCR).
  writeOutput(bytes) {
    const prev = this.lastByte;
    let extra = 0;
    for (let i = bytes.indexOf(LF); i >= 0; i = bytes.indexOf(LF, i + 1)) {
      if ((i > 0 ? bytes[i - 1] : prev) !== CR) extra++;
    }
    if (bytes.length) this.lastByte = bytes[bytes.length - 1];
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
