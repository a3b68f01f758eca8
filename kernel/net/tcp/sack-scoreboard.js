// kernel/net/tcp/sack-scoreboard.js: the sender's SACK scoreboard and RFC
// 6675's questions about it: which bytes the peer holds above SND.UNA
// (SACKed, from the blocks of RFC 2018 §3 on its ACKs), which of the rest
// are lost (IsLost), what to retransmit next (NextSeg), and how much is in
// the network (SetPipe).
//
// Pure: no clock, no segments, no connection. The connection feeds it each
// ACK's blocks (update) and asks it questions; congestion.js and
// sack-recovery.js turn the answers into sending. Sequence numbers are
// compared modulo 2^32 (seq.js); every range is [left, right), as SACK
// blocks are (RFC 2018 §3: the right edge is the byte after the block).
'use strict';

const { seqAdd, seqDiff, seqLt, seqLeq, seqGt, seqGeq, seqMax, seqMin } = require('./seq');

const DUP_THRESH = 3; // RFC 6675 §2, DupThresh (RFC 5681's third duplicate ACK)
const MAX_RANGES = 64; // a peer reports at most 4 blocks an ACK; holes beyond this are not worth tracking

class SackScoreboard {
  constructor({ dupThresh = DUP_THRESH, maxRanges = MAX_RANGES } = {}) {
    this.dupThresh = dupThresh;
    this.maxRanges = maxRanges;
    this.ranges = []; // SACKed [left, right), in sequence order, disjoint and not touching
    // RFC 6675 §2, HighRxt: here the end of the highest sequence retransmitted
    // in this recovery (exclusive), so "S2 > HighRxt" is seqGeq(S2, highRxt);
    // never behind SND.UNA, and null until the first update says where that is.
    this.highRxt = null;
  }

  // Forgets every SACKed byte (RFC 2018 §8: after a retransmission timeout
  // the peer may have discarded them, "reneging").
  reset(una) {
    this.ranges = [];
    this.highRxt = una;
  }

  get sackedBytes() {
    let n = 0;
    for (const r of this.ranges) n += seqDiff(r.right, r.left);
    return n;
  }

  // The end of the highest SACKed byte (RFC 6675's "highest octet covered
  // by any received SACK", plus one), or null.
  get highestSacked() {
    return this.ranges.length ? this.ranges[this.ranges.length - 1].right : null;
  }

  // An ACK arrived: SND.UNA is now `una`, `max` the highest sequence sent
  // (SND.MAX), `blocks` its SACK blocks ({left, right}). Returns the bytes
  // it SACKed that were not SACKed before: RFC 6675 §2's duplicate ACK
  // "identifies previously unacknowledged and un-SACKed octets".
  // Blocks at or below SND.UNA (D-SACK, RFC 2883, or old news) and blocks
  // past what was sent (a broken or lying peer) are ignored.
  update(una, max, blocks = []) {
    this.prune(una);
    if (this.highRxt === null || seqLt(this.highRxt, una)) this.highRxt = una;
    let added = 0;
    for (const b of blocks) {
      let left = b.left >>> 0;
      const right = b.right >>> 0;
      if (!seqLt(left, right) || seqLeq(right, una) || seqGt(right, max)) continue;
      if (seqLt(left, una)) left = una;
      added += this.insert(left, right);
    }
    return added;
  }

  // Drops what SND.UNA has passed: it is acknowledged, no longer SACKed.
  prune(una) {
    while (this.ranges.length && seqLeq(this.ranges[0].right, una)) this.ranges.shift();
    if (this.ranges.length && seqLt(this.ranges[0].left, una)) this.ranges[0] = { left: una, right: this.ranges[0].right };
  }

  // Adds [left, right), merging with the ranges it overlaps or touches.
  // Returns how many of its bytes are new.
  insert(left, right) {
    let fresh = seqDiff(right, left);
    const kept = [];
    let merged = { left, right };
    for (const r of this.ranges) {
      if (seqLt(r.right, merged.left) || seqGt(r.left, merged.right)) {
        kept.push(r);
        continue;
      }
      // Overlapping or touching: the overlap is not new; the union is the range.
      const overlap = seqDiff(seqMin(r.right, right), seqMax(r.left, left));
      if (overlap > 0) fresh -= overlap;
      merged = { left: seqMin(r.left, merged.left), right: seqMax(r.right, merged.right) };
    }
    let i = kept.findIndex((r) => seqGt(r.left, merged.left));
    if (i < 0) i = kept.length;
    kept.splice(i, 0, merged);
    // Bounded: past maxRanges the highest ranges go (they are the ones
    // furthest from being needed; the holes below them are sent first).
    if (kept.length > this.maxRanges) kept.length = this.maxRanges;
    this.ranges = kept;
    return fresh;
  }

  isSacked(seq) {
    return this.ranges.some((r) => seqGeq(seq, r.left) && seqLt(seq, r.right));
  }

  // RFC 6675 §4, IsLost(SeqNum): true if DupThresh discontiguous SACKed
  // ranges lie above it, or more than (DupThresh - 1) * SMSS SACKed bytes.
  // For an un-SACKed `seq`.
  isLost(seq, smss) {
    let n = 0;
    let bytes = 0;
    for (const r of this.ranges) {
      if (!seqGt(r.left, seq)) continue;
      n++;
      bytes += seqDiff(r.right, r.left);
    }
    return n >= this.dupThresh || bytes > (this.dupThresh - 1) * smss;
  }

  // Where IsLost turns false: every un-SACKed byte below the edge is lost,
  // none at or above it. (IsLost only grows as SeqNum falls, and every
  // un-SACKed byte of one hole has the same ranges above it.) `una` when
  // nothing is lost.
  lostEdge(una, smss) {
    let n = 0;
    let bytes = 0;
    for (let i = this.ranges.length - 1; i >= 0; i--) {
      const r = this.ranges[i];
      n++;
      bytes += seqDiff(r.right, r.left);
      if (n >= this.dupThresh || bytes > (this.dupThresh - 1) * smss) return r.left;
    }
    return una;
  }

  // The un-SACKed ranges [left, right) from `una` to `max`, in order.
  holes(una, max) {
    const out = [];
    let at = una;
    for (const r of this.ranges) {
      if (seqLt(at, r.left)) out.push({ left: at, right: r.left });
      at = seqMax(at, r.right);
    }
    if (seqLt(at, max)) out.push({ left: at, right: max });
    return out;
  }

  // RFC 6675 §4, SetPipe(): the bytes in the network, counted over every
  // un-SACKed byte from HighACK (SND.UNA) to HighData (SND.MAX): one if it
  // is not lost (still on its way), one more if it was retransmitted (that
  // copy is on its way too).
  pipe(una, max, smss) {
    const edge = this.lostEdge(una, smss);
    let pipe = 0;
    for (const h of this.holes(una, max)) {
      if (seqGeq(h.left, edge)) pipe += seqDiff(h.right, h.left); // not lost
      const rxtEnd = this.highRxt === null ? h.left : seqMin(h.right, this.highRxt);
      if (seqGt(rxtEnd, h.left)) pipe += seqDiff(rxtEnd, h.left); // retransmitted
    }
    return pipe;
  }

  // RFC 6675 §4, NextSeg(), its rules (1) and (3): the hole to retransmit
  // next, as { seq, length } (length at most `smss`, never into SACKed
  // data), or null. Rule (1): the first un-SACKed byte above HighRxt and
  // below the highest SACKed byte that IsLost; with `anyHole` (rule 3,
  // when there is no new data to send under rule 2) one that is not lost
  // yet will do. Rule (2), new data, and rule (4), the rescue
  // retransmission (a MAY), are the caller's and not done.
  nextSeg(una, smss, { anyHole = false } = {}) {
    const top = this.highestSacked;
    if (top === null) return null;
    const edge = this.lostEdge(una, smss);
    const from = this.highRxt === null ? una : seqMax(una, this.highRxt);
    for (const h of this.holes(una, top)) {
      if (seqLeq(h.right, from)) continue;
      const seq = seqMax(h.left, from);
      if (!anyHole && !seqLt(seq, edge)) return null;
      return { seq, length: Math.min(smss, seqDiff(h.right, seq)) };
    }
    return null;
  }

  // A retransmission of [seq, seq + length) went out: HighRxt moves past it.
  retransmitted(seq, length) {
    const end = seqAdd(seq, length);
    this.highRxt = this.highRxt === null ? end : seqMax(this.highRxt, end);
  }
}

module.exports = { SackScoreboard, DUP_THRESH };
