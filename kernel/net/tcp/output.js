// kernel/net/tcp/output.js: what a TCP connection sends, the methods
// poll() uses (RFC 9293 §3.7-3.8): our SYN or SYN-ACK, data cut to the
// MSS under the peer's window and cwnd, Nagle and sender SWS avoidance,
// retransmissions (timeout and fast), the FIN after the data, and the ACK
// every segment carries with our window, timestamps and SACK blocks.
//
// These are methods of Connection (connection.js), kept in a file of their
// own so each file holds one part of the machine; connection.js installs
// them on its prototype, and `this` is the connection.
'use strict';

const { seqAdd, seqDiff, seqGt, seqGeq, seqLeq, seqMax } = require('./seq');
const { State } = require('./states');

const EMPTY = new Uint8Array(0);
const MAX_HEADER = 60; // a TCP header with the most options (RFC 9293 §3.1: data offset 15)
const ALL_FLAGS = Object.freeze({ fin: false, syn: false, rst: false, psh: false, ack: false, urg: false, ece: false, cwr: false });

// The options record wire/tcp.js parses and emits, every field present.
function options(fields = {}) {
  return { mss: null, windowScale: null, sackPermitted: false, sackBlocks: [], timestamps: null, unknown: [], ...fields };
}

const output = {
  // Our SYN (SYN-SENT) or SYN-ACK (SYN-RECEIVED), first time or again.
  synSegment(now) {
    this.synDue = false;
    const o = this.options;
    const synAck = this.state === State.SYN_RECEIVED;
    const opts = { mss: o.mss };
    // On a SYN-ACK, only what the SYN offered (RFC 7323 §2.2, §3.2; RFC 2018 §2).
    if (synAck ? this.wsOk : o.windowScale !== false) opts.windowScale = this.ourShift;
    if (synAck ? this.sackOk : o.sack) opts.sackPermitted = true;
    if (synAck ? this.tsOk : o.timestamps) opts.timestamps = { tsVal: this.tsClock(now), tsEcr: synAck ? this.tsRecent : 0 };
    if (this.rtxAt === null) this.rtxAt = now + this.rto.rto;
    if (this.retries === 0) this.rto.startTiming(this.iss, now); // Karn: never time a retransmission
    return this.record({
      seq: this.iss,
      ack: synAck ? this.rcvNxt : 0,
      flags: { syn: true, ack: synAck },
      window: Math.min(0xffff, o.receiveBuffer),
      options: opts,
    });
  },

  // Data, and the FIN after it, as far as the windows, Nagle and SWS allow.
  sendData(now, out) {
    if (this.retransmitDue !== null) this.retransmit(now, out);
    const finSeq = this.finSeq;
    for (;;) {
      const offset = seqDiff(this.sndNxt, this.sndBufSeq);
      const unsent = this.sendBuffer.length - offset;
      const finPending = this.finQueued && seqLeq(this.sndNxt, finSeq);
      if (offset < 0 || (unsent <= 0 && !finPending)) break;
      const firstTime = seqGeq(this.sndNxt, this.sndMax);
      const flight = seqDiff(this.sndNxt, this.sndUna);
      const usable = Math.max(0, Math.min(this.sndWnd, this.cc.cwnd) - flight);
      const room = this.maxPayload();
      const length = this.sendLength(unsent, room, usable);
      const fin = finPending && length === unsent; // the FIN rides on the last data, or alone
      if (length === 0 && !fin) break; // the window is closed
      if (length < room && !fin && firstTime && !this.smallSegmentAllowed(length, unsent)) break;
      this.forceSend = false;
      out.push(this.dataSegment(this.sndNxt, length, fin, now, room));
      if (length % room !== 0 || length === 0) this.sndSml = seqAdd(this.sndNxt, length);
      if (firstTime) {
        this.counters.bytesOut += length;
        if (!this.tsOk) this.rto.startTiming(this.sndNxt, now);
      } else {
        this.countRetransmission(length, Math.ceil(length / room));
      }
      this.sndNxt = seqAdd(this.sndNxt, length + (fin ? 1 : 0));
      this.sndMax = seqMax(this.sndMax, this.sndNxt);
      if (this.rtxAt === null) this.rtxAt = now + this.rto.rto; // RFC 6298 §5.1
    }
    // The persist timer (RFC 9293 §3.8.6.1): data waits, nothing is in
    // flight, so no ACK will come to open the window. Probe it.
    const waiting = this.sendBuffer.length - seqDiff(this.sndNxt, this.sndBufSeq) > 0;
    if (waiting && this.sndMax === this.sndUna) {
      if (this.persistAt === null) this.persistAt = now + this.persistInterval;
    } else {
      this.persistAt = null;
    }
  },

  // How much the next segment carries: one MSS at most, or with segmentation
  // offload (options.segmentOffload: the largest segment the NIC cuts) as
  // many whole MSS-sized pieces as the windows allow, which the NIC then
  // cuts (Linux's TSO, tcp_mss_split_point). A short tail goes with them
  // only if it ends the queue and Nagle would send it alone too.
  sendLength(unsent, room, usable) {
    const one = Math.min(unsent, room, usable);
    const limit = this.options.segmentOffload - MAX_HEADER;
    if (one < room || !(limit > room)) return one;
    const most = Math.min(unsent, usable, limit);
    const tail = most % room;
    if (tail && most === unsent && this.smallSegmentAllowed(tail, tail)) return most;
    return most - tail;
  },

  // Nagle (RFC 9293 §3.7.4, RFC 896) and sender SWS avoidance (§3.8.6.2.1)
  // for a segment shorter than a full one. Nagle in Minshall's form, as
  // Linux has it: a small segment waits while an earlier small segment is
  // unacknowledged (SND.SML), not while anything is; so a reply's short
  // tail after full segments goes at once instead of waiting out the
  // peer's delayed ACK. SWS: send it only if it empties the queue or fills
  // half the largest window the peer has offered.
  smallSegmentAllowed(length, unsent) {
    if (this.forceSend) return true;
    if (!this.nodelay && seqGt(this.sndSml, this.sndUna)) return false;
    return length === unsent || length >= this.maxSndWnd / 2;
  },

  // A retransmission owed by a timeout (go-back-N from SND.UNA: SND.NXT
  // moves on past it) or by fast retransmit or a NewReno partial ACK (one
  // segment; SND.NXT stays). Sent even into a closed window, as RFC 6298
  // §5.4 says: the earliest segment not acknowledged.
  retransmit(now, out) {
    const mode = this.retransmitDue;
    this.retransmitDue = null;
    const offset = seqDiff(this.sndUna, this.sndBufSeq);
    // Only what was sent before: new data goes by the ordinary rules.
    const length = Math.max(0, Math.min(this.maxPayload(), this.sendBuffer.length - offset, seqDiff(this.sndMax, this.sndUna)));
    const fin = this.finQueued && seqLeq(this.sndUna, this.finSeq) && seqGt(this.sndMax, this.finSeq) && offset + length === this.sendBuffer.length;
    if (length === 0 && !fin) return;
    out.push(this.dataSegment(this.sndUna, length, fin, now));
    this.countRetransmission(length, 1);
    this.rto.retransmitted(); // Karn's rule
    if (mode === 'rto') this.sndNxt = seqMax(this.sndNxt, seqAdd(this.sndUna, length + (fin ? 1 : 0)));
    if (this.rtxAt === null) this.rtxAt = now + this.rto.rto;
  },

  // Segments as they go on the wire (a large one counts as the pieces the NIC cuts).
  countRetransmission(length, segments) {
    this.counters.retransmits += segments;
    this.counters.bytesRetransmitted += length;
  },

  // `room`: the payload of one segment on the wire; a longer segment is
  // one for the NIC to cut into pieces of that size (segmentSize).
  dataSegment(seq, length, fin, now, room = length) {
    const offset = seqDiff(seq, this.sndBufSeq);
    const payload = this.sendBuffer.peek(offset, length);
    // PSH on the segment that empties the queue (RFC 9293 §3.9.1.2's "MAY",
    // as Linux and BSD do).
    const psh = length > 0 && offset + length === this.sendBuffer.length;
    const segment = this.makeSegment({ seq, payload, fin, psh, now });
    if (length > room) segment.segmentSize = room;
    return segment;
  },

  // Where the FIN goes: after the last queued byte.
  get finSeq() {
    return seqAdd(this.sndBufSeq, this.sendBuffer.length);
  },

  finAcked() {
    return this.finQueued && seqGt(this.sndUna, this.finSeq);
  },

  // The payload room in one segment: SMSS (timestamps already counted)
  // less the SACK blocks it would carry (smoltcp's rule: the options a
  // segment carries come out of its payload, so it never exceeds the MSS).
  maxPayload() {
    const blocks = this.sackBlocksToSend().length;
    return Math.max(1, this.smss - (blocks ? 4 + 8 * blocks : 0));
  },

  sackBlocksToSend() {
    if (!this.sackOk || !this.reassembly || this.reassembly.pieces.length === 0 && !this.reassembly.fin) return [];
    if (this.reassembly.finished) return [];
    return this.reassembly.sackBlocks(this.tsOk ? 3 : 4);
  },

  // Does sendData have something it could send now?
  wouldSend() {
    if (!this.synchronized || this.state === State.SYN_RECEIVED || !this.cc) return false;
    const offset = seqDiff(this.sndNxt, this.sndBufSeq);
    const unsent = this.sendBuffer.length - offset;
    if (this.finQueued && seqLeq(this.sndNxt, this.finSeq) && unsent <= 0) return true;
    if (unsent <= 0) return false;
    const usable = Math.min(this.sndWnd, this.cc.cwnd) - seqDiff(this.sndNxt, this.sndUna);
    const length = Math.min(unsent, this.maxPayload(), usable);
    if (length <= 0) return false;
    return length >= this.maxPayload() || this.smallSegmentAllowed(length, unsent) || (this.finQueued && length === unsent);
  },

  // Every segment we send but SYNs and RSTs: ACK with RCV.NXT, our window,
  // timestamps and SACK blocks if agreed. Sending it settles any ACK owed.
  makeSegment({ seq, payload = EMPTY, fin = false, psh = false, now }) {
    const opts = {};
    if (this.tsOk) opts.timestamps = { tsVal: this.tsClock(now), tsEcr: this.tsRecent };
    const blocks = this.sackBlocksToSend();
    if (blocks.length) opts.sackBlocks = blocks;
    const window = this.windowField();
    this.ackNow = false;
    this.delackAt = null;
    this.unackedBytes = 0;
    this.lastAckSent = this.rcvNxt;
    return this.record({ seq, ack: this.rcvNxt, flags: { ack: true, fin, psh }, window, options: opts, payload });
  },

  record({ seq, ack = 0, flags, window = 0, options: opts = {}, payload = EMPTY }) {
    return {
      srcPort: this.localPort,
      dstPort: this.remotePort,
      seq: seq >>> 0,
      ack: ack >>> 0,
      flags: { ...ALL_FLAGS, ...flags },
      window,
      urgentPointer: 0,
      options: options(opts),
      payload,
    };
  },
};

module.exports = { output, options, ALL_FLAGS, EMPTY };
