// kernel/net/tcp/reassembly.js: the receive side's out-of-order buffer.
// Segments come in as (sequence number, bytes); what is contiguous from
// RCV.NXT comes out in order, and the rest waits, described by the SACK
// blocks it would report (RFC 2018 §4).
//
// Pure: no clock, no sockets. The TCP socket checks a segment against its
// window first (RFC 9293 §3.10.7.4), hands it here, appends `data` to the
// receive buffer the app reads, and sets its RCV.NXT to `nxt`. Bounds, so a
// peer cannot make us hold more than we offered:
//   limit      bytes from nxt that may be held: anything at or past
//              nxt + limit is cut off. The socket keeps it equal to the
//              receive window it advertises.
//   maxPieces  segments held at once, so a peer sending 1-byte segments
//              cannot make thousands of objects out of a small window.
// Held bytes are copies, so a held segment does not pin the whole frame it
// arrived in; data delivered at once is a view of the segment's bytes.
'use strict';

const { seqAdd, seqDiff } = require('./seq');

const EMPTY = new Uint8Array(0);
const DEFAULT_LIMIT = 256 * 1024;

class Reassembly {
  // nxt: the first sequence number expected (IRS + 1 after the SYN).
  constructor(nxt, { limit = DEFAULT_LIMIT, maxPieces = Math.max(16, Math.ceil(limit / 256)) } = {}) {
    this.nxt = nxt >>> 0;
    this.limit = limit;
    this.maxPieces = maxPieces;
    // Held segments: { seq, bytes, stamp }, sorted, never overlapping, all
    // after nxt. `stamp` says when a segment last arrived or was repeated:
    // SACK blocks are reported most recent first.
    this.pieces = [];
    this.heldBytes = 0;
    this.fin = null; // { seq, stamp }: where the peer's FIN is, once seen
    this.finished = false; // the FIN has been delivered: nxt is past it
    this.clock = 0; // the last stamp given
  }

  // Bytes held out of order.
  get held() {
    return this.heldBytes;
  }

  // Takes one segment's data (and its FIN flag). Returns
  //   { data, fin, duplicate, outside, refused }
  //   data       the bytes now in order, as a list of Uint8Arrays (often empty)
  //   fin        true when the FIN is reached: the peer's stream has ended
  //              (nxt then counts the FIN too, as RCV.NXT does)
  //   duplicate  bytes we already had (before nxt, or held)
  //   outside    bytes cut off past nxt + limit, or past the FIN
  //   refused    bytes dropped because maxPieces segments are already held
  // Every byte given is in exactly one of data, held, duplicate, outside or refused.
  insert(seq, bytes = EMPTY, { fin = false } = {}) {
    const result = { data: [], fin: false, duplicate: 0, outside: 0, refused: 0 };
    const offset = seqDiff(seq, this.nxt); // where the segment starts, from nxt
    const end = offset + bytes.length;
    // Keep only [lo, hi): from nxt, to the limit, and not past a known FIN
    // (after the FIN has been delivered that is nothing at all).
    let keepEnd = this.limit;
    if (this.fin !== null) keepEnd = Math.min(keepEnd, seqDiff(this.fin.seq, this.nxt));
    if (this.finished) keepEnd = -1;
    const lo = Math.max(offset, 0);
    const hi = Math.max(lo, Math.min(end, keepEnd));
    result.duplicate = Math.max(0, Math.min(end, 0) - offset);
    result.outside = bytes.length - result.duplicate - (hi - lo);

    const stamp = ++this.clock;
    if (fin) this.noteFin(seqAdd(seq, bytes.length), hi === end, stamp);
    if (lo === 0 && hi > 0) {
      // In order: deliver it, then whatever held data now follows on.
      result.data.push(bytes.subarray(lo - offset, hi - offset));
      this.nxt = seqAdd(this.nxt, hi);
      this.pullHeld(result);
    } else if (hi > lo) {
      this.hold(seq, offset, bytes, lo, hi, stamp, result);
    }
    if (this.fin !== null && !this.finished && this.fin.seq === this.nxt) {
      // RFC 9293 §3.10.7.4, eighth step: the FIN is in order; RCV.NXT steps over it.
      this.nxt = seqAdd(this.nxt, 1);
      this.finished = true;
      result.fin = true;
    }
    return result;
  }

  // Records a FIN at `finSeq`, if it is believable: not cut off with its
  // segment's tail (RFC 9293 §3.10.7.4 trims a FIN with the data past the
  // window), not before data already held, not a second FIN somewhere else.
  // It may sit exactly at nxt + limit: a FIN takes no buffer space, and
  // Linux takes a bare FIN into a zero window too.
  noteFin(finSeq, wholeSegmentKept, stamp) {
    if (!wholeSegmentKept || this.finished) return;
    const at = seqDiff(finSeq, this.nxt);
    if (at < 0 || at > this.limit) return;
    if (this.fin !== null) {
      if (this.fin.seq === finSeq) this.fin.stamp = stamp; // a repeat
      return;
    }
    const last = this.pieces[this.pieces.length - 1];
    if (last && seqDiff(seqAdd(last.seq, last.bytes.length), this.nxt) > at) return;
    this.fin = { seq: finSeq, stamp };
  }

  // nxt has moved: delivers held segments that now start at or before it
  // (their overlap with what was just delivered counts as duplicate).
  pullHeld(result) {
    let taken = 0;
    for (const piece of this.pieces) {
      const start = seqDiff(piece.seq, this.nxt);
      if (start > 0) break;
      const length = piece.bytes.length;
      taken++;
      this.heldBytes -= length;
      if (start + length <= 0) {
        result.duplicate += length; // entirely covered by what was delivered
        continue;
      }
      result.duplicate += -start;
      result.data.push(piece.bytes.subarray(-start));
      this.nxt = seqAdd(this.nxt, start + length);
    }
    this.pieces.splice(0, taken);
  }

  // Out of order: stores the parts of [lo, hi) no held segment has yet, and
  // marks the held segments it overlaps as just seen (for SACK's order).
  hold(seq, offset, bytes, lo, hi, stamp, result) {
    const startOf = (piece) => seqDiff(piece.seq, this.nxt);
    let i = this.firstEndingAfter(lo);
    let cursor = lo;
    while (cursor < hi) {
      const piece = this.pieces[i];
      const pieceStart = piece ? startOf(piece) : Infinity;
      if (pieceStart > cursor) {
        // A gap from cursor up to the next held segment (or to hi): new data.
        const gapEnd = Math.min(pieceStart, hi);
        if (this.pieces.length >= this.maxPieces) {
          result.refused += gapEnd - cursor;
        } else {
          const copy = bytes.slice(cursor - offset, gapEnd - offset);
          this.pieces.splice(i, 0, { seq: seqAdd(seq, cursor - offset), bytes: copy, stamp });
          this.heldBytes += copy.length;
          i++;
        }
        cursor = gapEnd;
      } else {
        // Overlaps a held segment: those bytes are duplicates.
        const pieceEnd = pieceStart + piece.bytes.length;
        result.duplicate += Math.min(pieceEnd, hi) - cursor;
        piece.stamp = stamp;
        cursor = pieceEnd;
        i++;
      }
    }
  }

  // Binary search: the index of the first held segment ending after `at`
  // (pieces are sorted and disjoint, so their ends are sorted too).
  firstEndingAfter(at) {
    let low = 0;
    let high = this.pieces.length;
    while (low < high) {
      const mid = (low + high) >> 1;
      const piece = this.pieces[mid];
      if (seqDiff(piece.seq, this.nxt) + piece.bytes.length > at) high = mid;
      else low = mid + 1;
    }
    return low;
  }

  // The SACK blocks to send with the next ACK, most recent first, at most
  // `max` (4 fit in the option; 3 beside timestamps). RFC 2018 §4: the first
  // block holds the segment that triggered this ACK, and the rest repeat
  // the most recently reported ones. Each block is a maximal run of held
  // data, so none is a subset of another. A FIN held out of order counts
  // as one more sequence number at the end of its block, as Linux reports it.
  // Returns [{ left, right }], right being one past the block's last byte.
  sackBlocks(max = 4) {
    const ranges = this.pieces.map((p) => ({ seq: p.seq, length: p.bytes.length, stamp: p.stamp }));
    if (this.fin !== null && !this.finished) ranges.push({ seq: this.fin.seq, length: 1, stamp: this.fin.stamp });
    const blocks = [];
    for (const range of ranges) {
      const last = blocks[blocks.length - 1];
      if (last && last.right === range.seq) {
        last.right = seqAdd(range.seq, range.length);
        last.stamp = Math.max(last.stamp, range.stamp);
      } else {
        blocks.push({ left: range.seq, right: seqAdd(range.seq, range.length), stamp: range.stamp });
      }
    }
    blocks.sort((a, b) => b.stamp - a.stamp);
    return blocks.slice(0, max).map(({ left, right }) => ({ left, right }));
  }
}

module.exports = { Reassembly, DEFAULT_LIMIT };
