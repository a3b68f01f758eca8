// kernel/net/tcp/send-buffer.js: the bytes an app has handed to a TCP
// connection and the peer has not yet acknowledged (RFC 9293 §3.3.1's send
// sequence space, from SND.UNA on: sent-but-unacknowledged, then not yet sent).
//
// Pure: the connection (connection.js) decides what to send and when; this
// only keeps bytes. `push` takes what fits under the capacity (that is the
// back-pressure an app feels), `peek` copies a range out for a segment
// (first transmission or retransmission alike), `drop` forgets bytes once an
// ACK covers them. Offsets count from the first unacknowledged byte.
'use strict';

const EMPTY = new Uint8Array(0);

class SendBuffer {
  constructor(capacity) {
    this.capacity = capacity;
    this.chunks = []; // Uint8Arrays (copies: the app may reuse its own)
    this.head = 0; // bytes of chunks[0] already dropped
    this.length = 0; // bytes held
  }

  get free() {
    return Math.max(0, this.capacity - this.length);
  }

  // Appends as much of `bytes` as fits; returns how many were taken.
  push(bytes) {
    const n = Math.min(bytes.length, this.free);
    if (n > 0) {
      this.chunks.push(bytes.slice(0, n));
      this.length += n;
    }
    return n;
  }

  // A copy of `length` bytes starting `offset` bytes after the first held
  // one (a segment's payload must not change under a retransmission queue).
  peek(offset, length) {
    length = Math.max(0, Math.min(length, this.length - offset));
    if (length === 0) return EMPTY;
    const out = new Uint8Array(length);
    let skip = offset + this.head;
    let filled = 0;
    for (const chunk of this.chunks) {
      if (skip >= chunk.length) {
        skip -= chunk.length;
        continue;
      }
      const piece = chunk.subarray(skip, Math.min(chunk.length, skip + length - filled));
      out.set(piece, filled);
      filled += piece.length;
      skip = 0;
      if (filled === length) break;
    }
    return out;
  }

  // Forgets the first `n` bytes (acknowledged). Returns how many it dropped.
  drop(n) {
    n = Math.max(0, Math.min(n, this.length));
    let left = n;
    while (left > 0) {
      const room = this.chunks[0].length - this.head;
      if (left < room) {
        this.head += left;
        break;
      }
      left -= room;
      this.chunks.shift();
      this.head = 0;
    }
    this.length -= n;
    return n;
  }
}

module.exports = { SendBuffer };
