// kernel/fs/disk/reservation.js: how many free blocks a write of file
// bytes may take, counted before it is made, so that a full disk refuses
// bytes when they are handed over (write(2)) rather than later, when the
// asynchronous disk gets to them (ext4's delayed allocation reserves the
// same way: ext4_da_reserve_space).
//
// The worst case is exact for this format (docs/disk-format.md, "Inode"):
// every data block the bytes touch, and every indirect block that maps one
// of them (one indirect block for file blocks 12..1035; past them the
// double-indirect block and one indirect block below it per 1,024 file
// blocks). Nothing else a write changes comes from the free blocks: the
// inode table, the bitmap and the log are fixed at mkfs. Blocks the file
// already holds are counted too (a hole costs the same as a new block), so
// this over-counts only an overwrite, which a stream truncated at open
// never is.
//
// A stream of writes (a redirection's or sys.fs.open's sink) reserves its
// bytes one piece at a time: StreamReservation counts, for each piece, only
// what the stream's earlier pieces did not already cover (a block two
// pieces share is reserved once).
'use strict';

const { BLOCK_SIZE, NDIRECT, PTRS_PER_BLOCK } = require('./layout');

const DOUBLE_START = NDIRECT + PTRS_PER_BLOCK; // the first file block under the double-indirect block

// Indirect blocks that map some file block in [first, end).
function metaBlocks(first, end) {
  if (end <= first) return 0;
  let n = 0;
  if (first < DOUBLE_START && end > NDIRECT) n++; // the indirect block
  if (end > DOUBLE_START) {
    const lo = Math.max(first, DOUBLE_START) - DOUBLE_START;
    const hi = end - DOUBLE_START; // exclusive
    n += 2 + Math.floor((hi - 1) / PTRS_PER_BLOCK) - Math.floor(lo / PTRS_PER_BLOCK); // the double block, and each indirect block below it
  }
  return n;
}

// Blocks (data and indirect) that writing bytes [start, end) of a file may
// take from the free ones, at most.
function blocksFor(start, end) {
  if (end <= start) return 0;
  const first = Math.floor(start / BLOCK_SIZE);
  const last = Math.ceil(end / BLOCK_SIZE); // exclusive
  return last - first + metaBlocks(first, last);
}

// The bytes of one stream, from `start` (0 for a file truncated at open,
// its size for one opened to append), reserved a piece at a time.
class StreamReservation {
  constructor(start = 0) {
    this.start = start;
    this.end = start; // bytes up to here are reserved
  }

  // Blocks the next `length` bytes need that the earlier ones did not.
  need(length) {
    return blocksFor(this.start, this.end + length) - blocksFor(this.start, this.end);
  }

  // The most of the next `length` bytes whose blocks fit in `available`
  // (need() grows with the length, so a binary search finds it).
  fit(length, available) {
    if (this.need(length) <= available) return length;
    let lo = 0; // fits
    let hi = length; // does not
    while (hi - lo > 1) {
      const mid = Math.floor((lo + hi) / 2);
      if (this.need(mid) <= available) lo = mid;
      else hi = mid;
    }
    return lo;
  }

  // The next `length` bytes are reserved.
  accept(length) {
    this.end += length;
  }
}

module.exports = { metaBlocks, blocksFor, StreamReservation };
