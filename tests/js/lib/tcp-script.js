// tests/js/lib/tcp-script.js: segment-by-segment scripts against one
// kernel/net/tcp/connection.js Connection, in the style of smoltcp's TCP
// socket tests, with segments written as tcpdump prints them:
//
//   send(c, 0.5, "P. seq 30001 ack 10001 win 256 'abc'")       the peer sends this
//   recv(c, 0.5, [". seq 10001 ack 30004 win 61"])             poll() gives exactly these
//   recv(c, 0.5, [])                                           ... or nothing
//
// A line is FLAGS seq N [ack N] [win N] [<options>] [payload]:
//   FLAGS     tcpdump's letters: S F R P and . for ACK ("S.", "FP.", "R"), or none
//   options   <mss 1460,sackOK,ts VAL ECR,wscale 7,sack L-R L-R>
//   payload   'text' (printable ASCII) or `len N` (N bytes; compared by length)
// An incoming line without `win` has the script's default window (256).
// Times are seconds. Every connection made here records its events as
// strings ("established", "error ECONNRESET", "closed") for events(c).
'use strict';

const { Connection } = require('/kernel/net/tcp/connection');
const tcp = require('/kernel/net/wire/tcp');

const LOCAL_PORT = 80;
const REMOTE_PORT = 49500;
const LOCAL_SEQ = 10000; // our ISS
const REMOTE_SEQ = 30000; // theirs
const PEER_WINDOW = 256;
const IP = { src: 0x0a00020f, dst: 0x0a000202 };

const LETTERS = { F: 'fin', S: 'syn', R: 'rst', P: 'psh', '.': 'ack', U: 'urg', E: 'ece', W: 'cwr' };

function text(s) {
  return Uint8Array.from(s, (ch) => ch.charCodeAt(0));
}

// Parses one line into a record (as tcp.parse returns them), from the peer
// to us unless `outgoing`.
function segment(line, { outgoing = false, window = PEER_WINDOW } = {}) {
  const m = /^\s*(\S+)\s+seq\s+(\d+)(?:\s+ack\s+(\d+))?(?:\s+win\s+(\d+))?(?:\s+<([^>]*)>)?(?:\s+'([^']*)'|\s+len\s+(\d+))?\s*$/.exec(line);
  if (!m) throw new Error(`tcp-script: cannot read segment "${line}"`);
  const [, letters, seq, ack, win, opts, payloadText, payloadLength] = m;
  const flags = { fin: false, syn: false, rst: false, psh: false, ack: false, urg: false, ece: false, cwr: false };
  for (const ch of letters === 'none' ? '' : letters) {
    if (!(ch in LETTERS)) throw new Error(`tcp-script: unknown flag ${ch} in "${line}"`);
    flags[LETTERS[ch]] = true;
  }
  const options = tcp.noOptions();
  for (const item of (opts || '').split(',').map((s) => s.trim()).filter(Boolean)) {
    const [name, ...args] = item.split(/\s+/);
    if (name === 'mss') options.mss = Number(args[0]);
    else if (name === 'wscale') options.windowScale = Number(args[0]);
    else if (name === 'sackOK') options.sackPermitted = true;
    else if (name === 'ts') options.timestamps = { tsVal: Number(args[0]), tsEcr: Number(args[1]) };
    else if (name === 'sack') options.sackBlocks = args.map((a) => a.split('-').map(Number)).map(([left, right]) => ({ left: left >>> 0, right: right >>> 0 }));
    else throw new Error(`tcp-script: unknown option ${name} in "${line}"`);
  }
  let payload = new Uint8Array(0);
  if (payloadText !== undefined) payload = text(payloadText);
  else if (payloadLength !== undefined) payload = new Uint8Array(Number(payloadLength)).fill(0x78);
  return {
    srcPort: outgoing ? LOCAL_PORT : REMOTE_PORT,
    dstPort: outgoing ? REMOTE_PORT : LOCAL_PORT,
    seq: Number(seq) >>> 0,
    ack: ack === undefined ? 0 : Number(ack) >>> 0,
    flags,
    window: win === undefined ? window : Number(win),
    urgentPointer: 0,
    options,
    payload,
    lengthOnly: payloadLength !== undefined,
  };
}

const printable = (bytes) => bytes.length <= 80 && bytes.every((b) => b >= 0x20 && b < 0x7f && b !== 0x27);

// A record as a line (the inverse of segment()); `lengthOnly` prints any payload as `len N`.
function format(r, { lengthOnly = false } = {}) {
  let line = `${tcp.flagsString(r.flags)} seq ${r.seq}`;
  if (r.flags.ack) line += ` ack ${r.ack}`;
  line += ` win ${r.window}`;
  const o = r.options;
  const opts = [];
  if (o.mss !== null) opts.push(`mss ${o.mss}`);
  if (o.sackPermitted) opts.push('sackOK');
  if (o.timestamps) opts.push(`ts ${o.timestamps.tsVal} ${o.timestamps.tsEcr}`);
  if (o.windowScale !== null) opts.push(`wscale ${o.windowScale}`);
  if (o.sackBlocks.length) opts.push(`sack ${o.sackBlocks.map((b) => `${b.left}-${b.right}`).join(' ')}`);
  if (opts.length) line += ` <${opts.join(',')}>`;
  if (r.payload.length) {
    line += !lengthOnly && printable(r.payload) ? ` '${String.fromCharCode(...r.payload)}'` : ` len ${r.payload.length}`;
  }
  return line;
}

// A connection whose events are kept as strings.
function track(make) {
  const log = [];
  const onEvent = (type, detail) => {
    if (type === 'error') log.push(`error ${detail.code}`);
    else log.push(type);
  };
  const c = make(onEvent);
  c.log = log;
  return c;
}

const BASE = { localPort: LOCAL_PORT, remotePort: REMOTE_PORT, iss: LOCAL_SEQ };

// Options as smoltcp's tests have them: small buffers, no options, no delayed ACK.
const PLAIN = { windowScale: false, timestamps: false, sack: false, ackDelay: 0, sendBuffer: 64, receiveBuffer: 64 };

function connect(opts = {}, now = 0) {
  return track((onEvent) => Connection.connect({ ...BASE, ...PLAIN, ...opts, onEvent }, now));
}

function accept(synLine, opts = {}, now = 0) {
  return track((onEvent) => Connection.accept(segment(synLine), { ...BASE, ...PLAIN, ...opts, onEvent }, now));
}

// The peer sends `line` at `now`.
function send(c, now, line) {
  c.segment(segment(line), now);
}

// poll(now) must give exactly `lines`; each record must also survive
// tcp.emit and tcp.parse unchanged. Returns the records.
function recv(c, now, lines) {
  const out = c.poll(now);
  for (const r of out) {
    assert.equal(r.srcPort, LOCAL_PORT);
    assert.equal(r.dstPort, REMOTE_PORT);
    const back = tcp.parse(tcp.emit(r, IP), IP);
    assert.equal(format(back), format(r), 'the record survives emit and parse');
  }
  const expected = lines.map((line) => segment(line, { outgoing: true }));
  const got = out.map((r, i) => format(r, { lengthOnly: Boolean(expected[i] && expected[i].lengthOnly) }));
  const want = expected.map((r) => format(r, { lengthOnly: r.lengthOnly }));
  assert.deepEqual(got, want, `at ${now} s:\n  got      ${JSON.stringify(got)}\n  expected ${JSON.stringify(want)}`);
  return out;
}

function events(c) {
  return c.log.splice(0);
}

// An ESTABLISHED connection after an active open: we sent 10000, they 30000.
function established(opts = {}, { peerWindow = PEER_WINDOW, peerMss = 1460 } = {}) {
  const c = connect(opts);
  c.poll(0);
  send(c, 0, `S. seq ${REMOTE_SEQ} ack ${LOCAL_SEQ + 1} win ${peerWindow} <mss ${peerMss}>`);
  c.poll(0);
  events(c);
  return c;
}

module.exports = {
  LOCAL_PORT, REMOTE_PORT, LOCAL_SEQ, REMOTE_SEQ, PEER_WINDOW, PLAIN,
  text, segment, format, connect, accept, send, recv, events, established,
};
