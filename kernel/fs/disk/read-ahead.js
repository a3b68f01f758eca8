// kernel/fs/disk/read-ahead.js: when to read a file's blocks before they
// are asked for, the window logic of Linux's on-demand read-ahead
// (mm/readahead.c: ondemand_readahead, get_init_ra_size, get_next_ra_size)
// in file blocks, with no I/O of its own: file-system.js asks it on every
// read, and inodes.js reads the window it names.
//
// A read that goes on where the last one ended (or in its last block), or
// starts at the file's first block, is sequential. The first sequential
// read opens a window just past it, of 2-4 times its size (at least
// MIN_WINDOW); when a later read reaches into that window (Linux's
// PG_readahead marker: the window's first block), the next window is
// started past it, 4 times or twice as large, up to MAX_WINDOW. So one window is always being read while the one before is
// consumed, and a reader that keeps going finds its blocks cached. A read
// anywhere else is random: the state resets, and only what was asked is
// read (Linux: "standalone, small random read").
'use strict';

const MIN_WINDOW = 4; // blocks: 16 KiB, the smallest window opened
const MAX_WINDOW = 128; // blocks: 512 KiB, Linux's default read_ahead_kb is 128 KiB, a disk's is often more

// Linux's get_init_ra_size: a first window of 4x a small read, 2x a medium one.
function initialWindow(count, max) {
  let n = MIN_WINDOW;
  while (n < count) n *= 2;
  if (n <= max / 32) n *= 4;
  else if (n <= max / 4) n *= 2;
  else n = max;
  return Math.min(n, max);
}

// Linux's get_next_ra_size: grow fast while small, then double, up to max.
function nextWindow(size, max) {
  if (size < max / 16) return Math.min(4 * size, max);
  if (size <= max / 2) return 2 * size;
  return max;
}

class ReadAhead {
  constructor(max = MAX_WINDOW) {
    this.max = Math.max(MIN_WINDOW, max);
    this.expected = 0; // the block after the last read: where a sequential read starts
    this.start = 0; // the last window read ahead: [start, start + size)
    this.size = 0; // 0: no window (the reader is random, or has not begun)
  }

  // A read of file blocks [first, first + count) is starting. Returns the
  // window to read ahead, {start, count}, or null. The caller clips it at
  // the end of the file.
  access(first, count) {
    const end = first + count;
    const sequential = first === this.expected || first === this.expected - 1;
    this.expected = end;
    if (first === 0) this.size = 0; // a read from the start opens a new window, as Linux's at index 0
    else if (!sequential) {
      this.size = 0;
      return null;
    }
    if (this.size === 0) {
      this.start = end;
      this.size = initialWindow(count, this.max);
      return { start: this.start, count: this.size };
    }
    if (end <= this.start) return null; // not into the last window yet
    this.start = Math.max(this.start + this.size, end);
    this.size = nextWindow(this.size, this.max);
    return { start: this.start, count: this.size };
  }
}

module.exports = { ReadAhead, initialWindow, nextWindow, MIN_WINDOW, MAX_WINDOW };
