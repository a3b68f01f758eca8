// kernel/net/tcp/sack-recovery.js: what a TCP connection sends during
// SACK-based loss recovery (RFC 6675 §5): the first unacknowledged segment
// at once, then, while cwnd less the pipe leaves room for a segment, the
// holes the scoreboard says are lost, new data, and the holes not yet
// known to be lost, in NextSeg's order. So every hole a window of SACK
// blocks reveals goes again in the next round trip, where NewReno (RFC
// 6582, kept for peers without SACK) repairs one hole per round trip.
//
// Methods of Connection (connection.js), which installs them on its
// prototype, as output.js and timers.js are; `this` is the connection.
// The scoreboard is kernel/net/tcp/sack-scoreboard.js; the decision to
// enter and leave recovery is congestion.js's (onSackDuplicateAck, onAck).
'use strict';

const { seqAdd, seqDiff, seqGt, seqLt, seqLeq, seqMax } = require('./seq');

const sackRecovery = {
  // §5 steps (4.3) and (4.4), then (C) on every later ACK. poll() calls
  // this before sendData while congestion.js says sackRecovery.
  sendRecovery(now, out) {
    const sb = this.scoreboard;
    const smss = this.smss;
    if (this.recoveryFirstDue) {
      // (4.3): "retransmit the first data segment presumed dropped", whatever the pipe.
      this.recoveryFirstDue = false;
      const first = sb.nextSeg(this.sndUna, smss, { anyHole: true }) || { seq: this.sndUna, length: smss };
      if (first.seq === this.sndUna) this.recoveryRetransmit(first.seq, first.length, now, out);
    }
    // (C): "while cwnd - pipe >= 1 SMSS", NextSeg's rules in order.
    for (let sent = 0; sent < 1000; sent++) {
      if (this.cc.cwnd - sb.pipe(this.sndUna, this.sndMax, smss) < smss) break;
      const lost = sb.nextSeg(this.sndUna, smss); // rule (1)
      if (lost) {
        this.recoveryRetransmit(lost.seq, lost.length, now, out);
        continue;
      }
      if (this.recoveryNewData(now, out)) continue; // rule (2)
      const hole = sb.nextSeg(this.sndUna, smss, { anyHole: true }); // rule (3)
      if (!hole) break;
      this.recoveryRetransmit(hole.seq, hole.length, now, out);
    }
  },

  // Sends [seq, seq + length) again (at most one segment's payload), with
  // the FIN if the hole holds it, and moves HighRxt past it.
  recoveryRetransmit(seq, length, now, out) {
    const offset = seqDiff(seq, this.sndBufSeq);
    const data = Math.max(0, Math.min(length, this.maxPayload(), this.sendBuffer.length - offset));
    const fin = this.finQueued && seqGt(this.sndMax, this.finSeq) && offset + data === this.sendBuffer.length && seqLt(this.finSeq, seqAdd(seq, length));
    if (data === 0 && !fin) {
      this.scoreboard.retransmitted(seq, length); // nothing of ours there: never ask again
      return;
    }
    out.push(this.dataSegment(seq, data, fin, now));
    this.countRetransmission(data, 1);
    this.counters.sackRetransmits++;
    this.rto.retransmitted(); // Karn's rule
    this.scoreboard.retransmitted(seq, data + (fin ? 1 : 0));
    if (this.rtxAt === null) this.rtxAt = now + this.rto.rto;
  },

  // Rule (2): a segment of new data, if the peer's window has room for it
  // and it is a full one or the last of the queue (sender SWS, §3.8.6.2.1).
  // Returns whether one went out.
  recoveryNewData(now, out) {
    if (seqLt(this.sndNxt, this.sndMax)) return false; // only after a timeout's go-back-N, which ends recovery
    const offset = seqDiff(this.sndNxt, this.sndBufSeq);
    const unsent = this.sendBuffer.length - offset;
    const finPending = this.finQueued && seqLeq(this.sndNxt, this.finSeq);
    if (unsent <= 0 && !finPending) return false;
    const room = Math.max(0, this.sndWnd - seqDiff(this.sndNxt, this.sndUna));
    const length = Math.max(0, Math.min(unsent, this.maxPayload(), room));
    const fin = finPending && length === unsent;
    if (length === 0 && !fin) return false;
    if (length < this.maxPayload() && length !== unsent) return false;
    out.push(this.dataSegment(this.sndNxt, length, fin, now));
    this.counters.bytesOut += length;
    this.sndNxt = seqAdd(this.sndNxt, length + (fin ? 1 : 0));
    this.sndMax = seqMax(this.sndMax, this.sndNxt);
    if (this.rtxAt === null) this.rtxAt = now + this.rto.rto;
    return true;
  },
};

module.exports = { sackRecovery };
