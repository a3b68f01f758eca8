// kernel/services/shell-port.js: the structured channel on port org.jsksh.shell.0.
//
// The client's port carries JSON lines (docs/protocol.md). This service runs
// each requested command line as `sh -c LINE` with its output streamed back
// as messages tagged with the request id, then its exit status. It is also
// what `jsksh run` uses, which is why stdout and stderr stay apart here.
'use strict';

const { utf8Encode, utf8Decode } = require('../arch/machine');
const { formatTable } = require('../tty/table');

const PROTOCOL_VERSION = 1;
const MAX_LINE = 1 << 20;

class ShellPort {
  constructor({ write, procs, bootinfo, log }) {
    this.writeBytes = write;
    this.procs = procs;
    this.bootinfo = bootinfo;
    this.log = log;
    this.buffer = '';
    this.running = new Map(); // request id -> proc
    procs.onExit.add((proc) => {
      for (const [id, p] of this.running) {
        if (p === proc) {
          this.running.delete(id);
          this.send({ t: 'exit', id, status: proc.status });
        }
      }
    });
  }

  send(message) {
    const text = JSON.stringify(message) + '\n';
    const out = new Uint8Array(text.length * 3);
    this.writeBytes(out.subarray(0, utf8Encode(text, out, 0)));
  }

  input(bytes) {
    this.buffer += utf8Decode(bytes, 0, bytes.length);
    let nl;
    while ((nl = this.buffer.indexOf('\n')) >= 0) {
      const line = this.buffer.slice(0, nl);
      this.buffer = this.buffer.slice(nl + 1);
      if (line.trim()) this.handle(line);
    }
    if (this.buffer.length > MAX_LINE) {
      this.buffer = '';
      this.send({ t: 'error', message: `message longer than ${MAX_LINE} bytes` });
    }
  }

  handle(line) {
    let msg;
    try {
      msg = JSON.parse(line);
    } catch (e) {
      return this.send({ t: 'error', message: `malformed message: ${e.message}` });
    }
    if (!msg || typeof msg !== 'object') return this.send({ t: 'error', message: 'a message is a JSON object' });
    switch (msg.t) {
      case 'hello':
        return this.send({ t: 'hello', version: PROTOCOL_VERSION, v8: this.bootinfo.v8 });
      case 'run':
        return this.run(msg);
      case 'interrupt':
        return this.interrupt(msg.id);
      default:
        return this.send({ t: 'error', id: msg.id, message: `unknown message type: ${String(msg.t).slice(0, 40)}` });
    }
  }

  run(msg) {
    if (typeof msg.line !== 'string') return this.send({ t: 'error', id: msg.id, message: 'run needs a line' });
    const id = msg.id;
    const sink = (stream) => ({
      kind: 'channel',
      isTTY: false,
      write: (data) => this.send({ t: stream, id, data }),
      rows: (columns, rows) => this.send({ t: stream, id, data: formatTable(columns, rows) }),
      open() {},
      close() {},
    });
    const nothing = { kind: 'null', isTTY: false, read: () => Promise.resolve(null), open() {}, close() {} };
    try {
      const proc = this.procs.spawn(null, ['sh', '-c', msg.line], { cwd: '/' }, { stdin: nothing, stdout: sink('stdout'), stderr: sink('stderr') });
      this.running.set(id, proc);
    } catch (e) {
      this.send({ t: 'stderr', id, data: `jsksh: ${e.message}\n` });
      this.send({ t: 'exit', id, status: 126 });
    }
  }

  interrupt(id) {
    const proc = this.running.get(id);
    if (!proc) return;
    for (const p of [...this.procs.descendants(proc.pid), proc]) {
      try {
        this.procs.kill(p.pid, 'INT');
      } catch (e) {
        /* already gone */
      }
    }
  }
}

module.exports = { ShellPort };
