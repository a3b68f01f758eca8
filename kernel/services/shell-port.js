// kernel/services/shell-port.js: the structured channel on port org.jsksh.shell.0.
//
// The client's port carries JSON lines (docs/protocol.md, version 2). This
// file is the port's half: it frames and checks messages, remembers what the
// connected client asked for (its protocol version, whether it wants tables
// as rows), keeps the session's recent output for replay, forwards kernel log
// lines to an attached client, and hands everything else to the session
// (kernel/services/session.js), which runs the command lines.
'use strict';

const { utf8Bytes, utf8Decode, utf8StreamDecoder } = require('../lib/utf8');
const { formatTable } = require('../tty/table');
const { Session } = require('./session');

const PROTOCOL_VERSION = 2;
const MAX_LINE = 1 << 20;
const REPLAY_BYTES = 64 * 1024;
const MAX_ITEMS = 1000; // completions sent for one request
const REPLAYED = new Set(['stdout', 'stderr', 'rows', 'input', 'exit', 'session']);
const STATUSES = new Set(['complete', 'incomplete', 'invalid']);

class ShellPort {
  // status(): {uptime, isolates, address, hostname} for `status` requests;
  // motd(): the text of /etc/motd.
  // room(), whenRoom(fn): how much the port takes now, and a call once it has room again.
  constructor({ write, procs, bootinfo, log, status = () => ({}), motd = () => '', room = () => Infinity, whenRoom = () => {} }) {
    this.writeBytes = write;
    this.decoders = { stdout: utf8StreamDecoder(), stderr: utf8StreamDecoder() }; // for clients that take text only
    this.bootinfo = bootinfo;
    this.status = status;
    this.motd = motd;
    this.buffer = '';
    this.discarding = false;
    this.client = newClient();
    this.replay = []; // recent session messages
    this.replayBytes = 0;
    this.session = new Session({
      procs,
      log,
      emit: (msg) => this.emit(msg),
      wantsInput: () => this.client.version >= 2,
      isTerminal: () => this.client.terminal,
      wantsModes: () => this.client.modes,
      room,
      whenRoom,
    });
    // Log lines go to an attached client (the REPL shows them); emergencies
    // (a panic, `reboot: Restarting system`) to any client, as Linux writes
    // KERN_EMERG to every terminal: a `jsksh run` whose line rebooted the
    // machine learns from it that its run went with the old kernel.
    if (log && log.listen) {
      log.listen((entry) => (this.client.attached || (entry.level === 'emerg' && this.client.version >= 2)) && this.send({ t: 'log', ...entry }));
    }
  }

  // The client went away: the next one starts afresh.
  disconnected() {
    this.cutShort = this.client.binary; // raw bytes may have been cut off mid-piece
    this.client = newClient();
    this.buffer = '';
    this.discarding = false;
  }

  // ---- output ------------------------------------------------------------------------------
  send(message) {
    let msg = message;
    if (msg.bytes) {
      // Program output. A client that said `binary` gets the bytes as they
      // are, after a header line that says how many; any other gets text.
      if (this.client.binary) {
        this.sendLine(JSON.stringify({ t: msg.t, id: msg.id, size: msg.bytes.length }) + '\n');
        return this.writeBytes(msg.bytes);
      }
      msg = { t: msg.t, id: msg.id, data: this.decoders[msg.t].decode(msg.bytes) };
      if (!msg.data) return;
    }
    if (msg.t === 'rows' && !this.client.rows) msg = { t: msg.fd === 2 ? 'stderr' : 'stdout', id: msg.id, data: formatTable(msg.columns, msg.rows) };
    if (msg.t === 'input' && this.client.version < 2) return;
    if (msg.t === 'mode' && !this.client.modes) return; // a client that cannot leave its prompt
    this.sendLine(JSON.stringify(msg) + '\n');
  }

  sendLine(text) {
    this.writeBytes(utf8Bytes(text));
  }

  // A message of the session: kept for replay, and sent.
  emit(msg) {
    if (REPLAYED.has(msg.t)) this.remember(msg);
    this.send(msg);
  }

  // Keeps the last REPLAY_BYTES of the session for a client that attaches
  // later. Program output is kept as bytes, only its tail (what replay
  // would keep of it), and decoded when it is replayed: decoding and
  // measuring every piece of a 100 MB output cost half the kernel's time.
  remember(message) {
    let msg = message;
    let size;
    if (msg.bytes) {
      const tail = msg.bytes.subarray(Math.max(0, msg.bytes.length - REPLAY_BYTES));
      msg = { t: msg.t, id: msg.id, bytes: tail.slice() }; // a copy: the piece's buffer is reused
      size = tail.length + 32;
    } else {
      size = JSON.stringify(msg).length;
    }
    this.replay.push({ msg, size });
    this.replayBytes += size;
    while (this.replayBytes > REPLAY_BYTES && this.replay.length > 1) this.replayBytes -= this.replay.shift().size;
  }

  // ---- input ------------------------------------------------------------------------------
  input(bytes) {
    this.buffer += utf8Decode(bytes, 0, bytes.length);
    let nl;
    while ((nl = this.buffer.indexOf('\n')) >= 0) {
      const line = this.buffer.slice(0, nl);
      this.buffer = this.buffer.slice(nl + 1);
      if (this.discarding) this.discarding = false; // the tail of an oversized message
      else if (line.length > MAX_LINE) this.send({ t: 'error', message: `message longer than ${MAX_LINE} bytes` });
      else if (line.trim()) this.handle(line);
    }
    if (this.buffer.length > MAX_LINE) {
      this.buffer = '';
      this.discarding = true; // the rest of this line, up to its newline, goes too
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
    if (!msg || typeof msg !== 'object' || Array.isArray(msg)) return this.send({ t: 'error', message: 'a message is a JSON object' });
    const handler = Object.prototype.hasOwnProperty.call(HANDLERS, msg.t) ? HANDLERS[msg.t] : null;
    if (!handler) return this.send({ t: 'error', id: msg.id, message: `unknown message type: ${String(msg.t).slice(0, 40)}` });
    const problem = handler.call(this, msg);
    if (typeof problem === 'string') this.send({ t: 'error', id: msg.id, message: problem });
  }
}

function newClient() {
  return { version: 1, rows: false, terminal: false, binary: false, modes: false, attached: false };
}

const isText = (v) => typeof v === 'string';

// One handler per message type; a string returned is the error reply.
const HANDLERS = {
  hello(msg) {
    const version = Number(msg.version) >= 2 ? PROTOCOL_VERSION : 1;
    this.client = {
      ...this.client,
      version,
      rows: version >= 2 && msg.rows === true,
      terminal: version >= 2 && msg.terminal === true,
      binary: version >= 2 && msg.binary === true, // program output as raw bytes after a {t, id, size} line
      modes: version >= 2 && msg.modes === true, // it leaves its prompt for a raw-mode program ({t: 'mode'})
    };
    if (version >= 2) this.session.ensureShell(); // ready for the first completion
    this.send({
      t: 'hello',
      version,
      versions: [1, 2],
      v8: this.bootinfo.v8,
      hostname: this.status().hostname,
      motd: this.motd(),
      binary: this.client.binary,
      modes: this.client.modes,
    });
  },

  attach(msg) {
    this.client.attached = true;
    const kept = msg.replay === false ? [] : this.replay;
    // Replayed output is text (a piece may start inside a character: it shows as U+FFFD).
    for (const { msg: m } of kept) this.send(m.bytes ? { t: m.t, id: m.id, data: utf8Decode(m.bytes, 0, m.bytes.length), replay: true } : { ...m, replay: true });
    this.session.ensureShell();
    this.send({ t: 'attached', ...this.session.describe(), replayed: kept.length });
  },

  run(msg) {
    if (!isText(msg.line)) return 'run needs a line';
    this.session.run(msg.id, msg.line);
  },

  stdin(msg) {
    return this.session.input(msg.id, msg.data, msg.eof === true) || undefined;
  },

  interrupt(msg) {
    this.session.interrupt(msg.id);
  },

  complete(msg) {
    if (!isText(msg.line)) return 'complete needs a line';
    const line = msg.line;
    const cursor = Number.isInteger(msg.cursor) ? Math.max(0, Math.min(msg.cursor, line.length)) : line.length;
    this.session.ask('complete', { line, cursor }, msg.run).then((answer) => {
      this.send({ t: 'complete', id: msg.id, ...completions(answer, cursor, line.length) });
    });
  },

  'is-complete'(msg) {
    if (!isText(msg.code)) return 'is-complete needs code';
    this.session.ask('is-complete', { code: msg.code }, msg.run).then((answer) => {
      const status = answer && STATUSES.has(answer.status) ? answer.status : 'complete';
      const indent = answer && isText(answer.indent) ? answer.indent.slice(0, 80) : '';
      this.send({ t: 'is-complete', id: msg.id, status, indent });
    });
  },

  resize(msg) {
    const columns = Number(msg.columns);
    const rows = Number(msg.rows);
    if (!(columns >= 1 && columns <= 10000 && rows >= 1 && rows <= 10000)) return 'resize needs columns and rows (1-10000)';
    this.session.resize(Math.floor(columns), Math.floor(rows));
  },

  status(msg) {
    const s = this.session.describe();
    this.send({ t: 'status', id: msg.id, ...this.status(), cwd: s.cwd, last: s.status, running: s.running.map((r) => r.id) });
  },
};

// An answer from a program (untrusted: any JSON) made into a well-formed reply.
function completions(answer, cursor, length) {
  const clamp = (n, dflt) => (Number.isInteger(n) ? Math.max(0, Math.min(n, length)) : dflt);
  if (!answer || !Array.isArray(answer.items)) return { start: cursor, end: cursor, items: [] };
  const start = clamp(answer.start, cursor);
  const end = Math.max(start, clamp(answer.end, cursor));
  const items = [];
  for (const item of answer.items.slice(0, MAX_ITEMS)) {
    const it = isText(item) ? { text: item } : item;
    if (!it || !isText(it.text)) continue;
    const out = { text: it.text.slice(0, 4096) };
    if (isText(it.kind)) out.kind = it.kind.slice(0, 20);
    if (isText(it.meta)) out.meta = it.meta.slice(0, 200);
    items.push(out);
  }
  return { start, end, items };
}

module.exports = { ShellPort, PROTOCOL_VERSION };
