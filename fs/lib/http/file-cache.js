// fs/lib/http/file-cache.js (/lib/http/file-cache in the image): what a
// file server knows about the files it serves, kept between requests, as
// nginx's open_file_cache is. Serving a small file costs four kernel calls
// (stat, open, read, close), each a round trip to the kernel's isolate;
// from the cache it costs none. An entry is trusted for `valid` ms after
// it was last checked; then the next request stats the file again, and
// reads it again only if its size, mtime or inode changed. So a file
// changed on disk is served new at most `valid` ms later (0: checked on
// every request, one stat). Only files up to `maxFileSize` keep their
// bytes, and at most `maxBytes` in all (the least recently used go first);
// a larger one is described (its stat) and the server streams it.
//
//   const cache = new FileCache({ fs: sys.fs, now: () => Date.now() });
//   const { st, bytes } = await cache.get(path);   // bytes: null for a directory or a large file
//                                                   // throws as sys.fs.stat does (ENOENT...)
'use strict';

const { concatBytes } = require('/lib/http/bytes');

const DEFAULTS = {
  valid: 1000, // ms an entry is trusted without a stat
  maxFileSize: 256 * 1024, // bytes of a file worth keeping
  maxBytes: 8 * 1024 * 1024, // bytes kept in all
  maxEntries: 4096,
};

class FileCache {
  // fs: {stat(path), open(path, 'r') -> {read(max), close()}}; now(): ms.
  constructor({ fs, now = () => Date.now(), ...options }) {
    this.fs = fs;
    this.now = now;
    this.options = { ...DEFAULTS, ...options };
    this.entries = new Map(); // path -> {st, bytes, checked}, least recently used first
    this.bytes = 0;
    this.counts = { hits: 0, checks: 0, reads: 0 }; // served as kept, stats made, files read
  }

  async get(path) {
    const e = this.entries.get(path);
    const now = this.now();
    if (e && now - e.checked < this.options.valid) {
      this.counts.hits++;
      this.touch(path, e);
      return e;
    }
    let st;
    this.counts.checks++;
    try {
      st = await this.fs.stat(path);
    } catch (err) {
      this.forget(path);
      throw err;
    }
    const current = this.entries.get(path); // another request may have changed it meanwhile
    if (current && sameFile(current.st, st)) {
      current.checked = now;
      this.touch(path, current);
      return current;
    }
    this.forget(path);
    const keep = st.type === 'file' && st.size <= this.options.maxFileSize;
    const bytes = keep ? await this.read(path, st.size) : null;
    // The bytes read are the file as it is now; a change between the stat and the read is seen at the next check.
    const entry = { st: bytes && bytes.length !== st.size ? { ...st, size: bytes.length } : st, bytes, checked: now };
    this.forget(path); // another request may have put it there while this one read
    this.entries.set(path, entry);
    if (bytes) this.bytes += bytes.length;
    this.evict();
    return entry;
  }

  // The whole file (it was at most maxFileSize when stat'ed), or null if it has grown past that.
  async read(path, size) {
    this.counts.reads++;
    const f = await this.fs.open(path, 'r');
    const pieces = [];
    let length = 0;
    try {
      for (;;) {
        const piece = await f.read(Math.max(size - length, 1));
        if (piece === null) break;
        pieces.push(piece);
        length += piece.length;
        if (length > this.options.maxFileSize) return null; // it grew past what is kept: streamed
      }
    } finally {
      await f.close().catch(() => {});
    }
    return pieces.length === 1 ? pieces[0] : concatBytes(pieces);
  }

  touch(path, e) {
    // Map order is the LRU order: the newest last.
    this.entries.delete(path);
    this.entries.set(path, e);
  }

  forget(path) {
    const e = this.entries.get(path);
    if (!e) return;
    this.entries.delete(path);
    if (e.bytes) this.bytes -= e.bytes.length;
  }

  evict() {
    const { maxBytes, maxEntries } = this.options;
    for (const path of this.entries.keys()) {
      if (this.bytes <= maxBytes && this.entries.size <= maxEntries) break;
      this.forget(path);
    }
  }
}

// The file has not changed since `a` was taken, as far as stat can tell.
const sameFile = (a, b) => a.type === b.type && a.size === b.size && a.mtime === b.mtime && a.ino === b.ino;

module.exports = { FileCache, DEFAULTS };
