// kernel/proc/streams.js: where a process's stdin comes from and stdout goes.
//
// A process has three streams. Output sinks: the terminal, a pipe, a file in
// /tmp, the client's structured channel, or nothing. Input sources: the
// terminal, a pipe, a file, the channel, or nothing. Each is a small object
// with write()/rows() or read(); the process table only holds references.
'use strict';

const { formatTable } = require('../tty/table');

// ---- pipes ---------------------------------------------------------------------
// An in-kernel pipe: text written by one process, read by another. It ends
// (read() gives null) when every writer has exited; writing after the last
// reader has gone fails, and the writer is stopped as by SIGPIPE.
class Pipe {
  constructor(id) {
    this.id = id;
    this.chunks = [];
    this.waiting = [];
    this.writers = 0;
    this.readers = 0;
    this.everWritten = false;
  }

  write(text) {
    if (this.readers === 0 && this.everRead) return false;
    if (this.waiting.length) this.waiting.shift()(text);
    else this.chunks.push(text);
    return true;
  }

  read() {
    this.everRead = true;
    if (this.chunks.length) return Promise.resolve(this.chunks.splice(0).join(''));
    if (this.writers === 0 && this.everWritten) return Promise.resolve(null);
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  addWriter() {
    this.writers++;
    this.everWritten = true;
  }

  closeWriter() {
    if (--this.writers === 0) for (const w of this.waiting.splice(0)) w(null);
  }

  addReader() {
    this.readers++;
    this.everRead = true;
  }

  closeReader() {
    this.readers--;
    if (this.readers === 0) this.chunks = [];
  }
}

// ---- sinks (stdout, stderr) -------------------------------------------------------
const nullSink = { kind: 'null', isTTY: false, write() {}, rows() {}, open() {}, close() {} };

function ttySink(tty) {
  return {
    kind: 'tty',
    isTTY: true,
    write: (text) => tty.write(text),
    rows: (columns, rows) => tty.write(formatTable(columns, rows)),
    open() {},
    close() {},
  };
}

function pipeSink(pipe, onBrokenPipe) {
  return {
    kind: 'pipe',
    isTTY: false,
    write: (text) => pipe.write(text) || onBrokenPipe(),
    rows: (columns, rows) => pipe.write(formatTable(columns, rows)) || onBrokenPipe(),
    open: () => pipe.addWriter(),
    close: () => pipe.closeWriter(),
  };
}

function fileSink(vfs, path, append) {
  if (!append) vfs.writeFile(path, ''); // create or truncate now, so errors reach the shell
  else vfs.writeFile(path, '', true);
  return {
    kind: 'file',
    isTTY: false,
    write: (text) => vfs.writeFile(path, text, true),
    rows: (columns, rows) => vfs.writeFile(path, formatTable(columns, rows), true),
    open() {},
    close() {},
  };
}

// A daemon's output (a `svc start` service): each line goes to the kernel
// log as "NAME[PID]: line", as journald keeps a service's stdout.
function logSink(log, label) {
  let partial = '';
  const put = (text) => {
    const lines = (partial + text).split('\n');
    partial = lines.pop().slice(0, 4096);
    for (const line of lines) log.info(`${label()}: ${line.slice(0, 1024)}`);
  };
  return {
    kind: 'log',
    isTTY: false,
    write: put,
    rows: (columns, rows) => put(formatTable(columns, rows)),
    open() {},
    close: () => partial && put('\n'),
  };
}

// ---- sources (stdin) -------------------------------------------------------------------
const nullSource = { kind: 'null', isTTY: false, read: () => Promise.resolve(null), open() {}, close() {} };

function ttySource(tty, proc) {
  return { kind: 'tty', isTTY: true, read: () => tty.read(proc), open() {}, close() {} };
}

function pipeSource(pipe) {
  return {
    kind: 'pipe',
    isTTY: false,
    read: () => pipe.read(),
    open: () => pipe.addReader(),
    close: () => pipe.closeReader(),
  };
}

function fileSource(vfs, path) {
  let text = vfs.readFile(path); // fails now (ENOENT) rather than at the first read
  return {
    kind: 'file',
    isTTY: false,
    read() {
      const t = text;
      text = null;
      return Promise.resolve(t === '' ? null : t);
    },
    open() {},
    close() {},
  };
}

module.exports = { Pipe, nullSink, ttySink, pipeSink, fileSink, logSink, nullSource, ttySource, pipeSource, fileSource };
