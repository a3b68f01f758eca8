// kernel/net/icmp-echo.js: the sending half of ping (RFC 792 echo / echo reply):
// ping(dst) sends one echo request and resolves with the round-trip time.
//
// State lives here (which requests are outstanding); bytes are wire/'s job,
// and the interface answers other hosts' pings by itself. Replies come back
// through iface.addEchoListener(id, fn), which routes them by echo id:
// one id per Pinger, as one id per ping process on Unix.
'use strict';

const icmp = require('./wire/icmp');
const { PROTO_ICMP } = require('./wire/ipv4');
const { ipFromString } = require('./wire/ip-address');

const DEFAULT_TIMEOUT_MS = 1000;
const DEFAULT_DATA_LEN = 56; // ping's default: 64 bytes of ICMP with the header
let lastId = 0x4a00; // ids are handed out from here; any 16-bit value works

const toIp = (ip) => (typeof ip === 'string' ? ipFromString(ip) : ip);

function pingError(code, message) {
  const e = new Error(message);
  e.code = code;
  return e;
}

// Each Pinger gets its own id, so two pings running at once never see each
// other's replies (Linux uses the process id).
function unusedId(iface) {
  do lastId = (lastId + 1) & 0xffff;
  while (iface.hasEchoListener(lastId));
  return lastId;
}

// The classic ping payload: bytes counting up, easy to spot in a capture.
function defaultData() {
  return Uint8Array.from({ length: DEFAULT_DATA_LEN }, (_, i) => i & 0xff);
}

class Pinger {
  // iface: an Interface; clock and timers default to the interface's own.
  constructor(iface, { clock = iface.clock, timers = iface.timers, id } = {}) {
    this.iface = iface;
    this.clock = clock;
    this.timers = timers;
    this.id = id ?? unusedId(iface);
    this.outstanding = new Map(); // seq -> { sentAt, resolve, reject, timer }
    this.nextSeq = 0;
    iface.addEchoListener(this.id, (reply) => this.onReply(reply));
  }

  // Sends an echo request; resolves { rtt (ms), ttl, seq, bytes, from } or
  // rejects with code 'ETIMEDOUT', or the interface's reason ('no-route', ...).
  ping(dst, { seq = this.nextSeq, data = defaultData(), timeoutMs = DEFAULT_TIMEOUT_MS, ttl } = {}) {
    this.nextSeq = (seq + 1) & 0xffff;
    return new Promise((resolve, reject) => {
      if (this.outstanding.has(seq)) return reject(pingError('EBUSY', `seq ${seq} is already outstanding`));
      const payload = icmp.emit({ type: icmp.TYPE_ECHO_REQUEST, id: this.id, seq, data });
      const entry = { sentAt: this.clock(), resolve, reject, timer: null };
      this.outstanding.set(seq, entry);
      const status = this.iface.sendIp({ dst: toIp(dst), protocol: PROTO_ICMP, payload, ttl });
      if (status !== 'sent' && status !== 'queued') {
        this.outstanding.delete(seq);
        return reject(pingError(status, `ping: ${status}`));
      }
      entry.timer = this.timers.after(timeoutMs, () => {
        this.outstanding.delete(seq);
        reject(pingError('ETIMEDOUT', `ping: no reply to seq ${seq} in ${timeoutMs} ms`));
      });
    });
  }

  // Called by the interface with { id, seq, data, src, ttl }.
  onReply(reply) {
    const entry = this.outstanding.get(reply.seq);
    if (!entry) return false; // late (after the timeout) or duplicate
    this.outstanding.delete(reply.seq);
    this.timers.cancel(entry.timer);
    entry.resolve({
      rtt: (this.clock() - entry.sentAt) * 1000,
      ttl: reply.ttl,
      seq: reply.seq,
      bytes: reply.data.length + icmp.HEADER_LEN,
      from: reply.src,
    });
    return true;
  }

  close() {
    this.iface.removeEchoListener(this.id);
    for (const [seq, entry] of this.outstanding) {
      this.timers.cancel(entry.timer);
      entry.reject(pingError('ECANCELED', `ping: seq ${seq} cancelled`));
    }
    this.outstanding.clear();
  }
}

module.exports = { Pinger, DEFAULT_TIMEOUT_MS };
