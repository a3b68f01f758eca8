// kernel/fs/disk/block-cache.js: 4 KiB blocks between the file system and
// the block device, and the running transaction that changed blocks join.
//
// Three layers, looked up from the top:
//   an operation's changes   (Operation: one create, one write chunk...)
//   the running transaction  (`dirty`: every finished operation's blocks)
//   clean blocks             (copies of what is at home on the device)
// An operation reads through all three and writes only into its own layer.
// When it finishes, its blocks join the transaction (`finish`); when it
// fails (ENOSPC half-way, a device error) its layer is dropped (`abandon`)
// and nothing it did is visible: that is what makes each operation atomic
// in memory, as the log (log.js) makes each transaction atomic on disk.
//
// Reads in flight: `fetch` starts reading blocks no layer holds, a run of
// contiguous blocks in one device request (a file's read and its
// read-ahead, read-ahead.js), and `read` of such a block waits for its run
// rather than asking again. A run's bytes become clean blocks only if
// nothing newer came meanwhile: a commit that installs a block (or a
// failed commit that drops everything) forgets the run's claim on it, so a
// read issued before the block changed can never put its old bytes over
// the new ones. A run that fails is forgotten; a read that wanted one of
// its blocks then asks for that block alone, and reports its own error.
//
// The device has the shape of kernel/drivers/virtio/blk.js: read(sector,
// count) and write(sector, bytes) promise bytes and completion; a rejected
// promise becomes a KernelError EIO here.
'use strict';

const { KernelError } = require('../../lib/errors');
const { BLOCK_SIZE, SECTORS_PER_BLOCK } = require('./layout');

const CLEAN_LIMIT = 4096; // clean blocks kept (16 MiB) by default, least recently used dropped first
const RUN_LIMIT = 64; // blocks in one fetched run (256 KiB): one device request
// Of the clean limit: blocks read ahead in flight at most (2 MiB), beyond
// which more read-ahead is skipped; and evicted buffers kept for reuse (1 MiB).
const PENDING_SHARE = 1 / 8;
const SPARE_SHARE = 1 / 16;

// A device call, with any failure turned into EIO naming the block.
async function deviceCall(what, block, promise) {
  try {
    return await promise;
  } catch (e) {
    throw new KernelError('EIO', null, `disk: ${what} of block ${block} failed: ${(e && e.message) || e}`);
  }
}

async function readBlock(device, block) {
  const bytes = await deviceCall('read', block, device.read(block * SECTORS_PER_BLOCK, SECTORS_PER_BLOCK));
  if (!bytes || bytes.length !== BLOCK_SIZE) throw new KernelError('EIO', null, `disk: read of block ${block} returned ${bytes ? bytes.length : 0} bytes`);
  return bytes;
}

// Blocks [first, first + n) in one request, as n views of one array.
async function readBlocks(device, first, n) {
  const bytes = await deviceCall('read', first, device.read(first * SECTORS_PER_BLOCK, n * SECTORS_PER_BLOCK));
  if (!bytes || bytes.length !== n * BLOCK_SIZE) throw new KernelError('EIO', null, `disk: read of blocks ${first}+${n} returned ${bytes ? bytes.length : 0} bytes`);
  return Array.from({ length: n }, (_, i) => bytes.subarray(i * BLOCK_SIZE, (i + 1) * BLOCK_SIZE));
}

const writeBlock = (device, block, bytes) => deviceCall('write', block, device.write(block * SECTORS_PER_BLOCK, bytes));
const flushDevice = (device) => deviceCall('flush', 0, device.flush());

class BlockCache {
  constructor(device, sb, { limit = CLEAN_LIMIT } = {}) {
    this.device = device;
    this.sb = sb;
    this.limit = limit;
    this.pendingLimit = Math.max(RUN_LIMIT, Math.floor(limit * PENDING_SHARE));
    this.spareLimit = Math.floor(limit * SPARE_SHARE);
    this.clean = new Map(); // block -> bytes as at home (Map order = recency)
    this.dirty = new Map(); // block -> bytes of the running transaction
    this.pending = new Map(); // block -> the run being read that will bring it
    this.oldest = null; // an iterator over `clean`, oldest first: the next to evict
    // Buffers of evicted blocks, reused for blocks read: a fresh 4 KiB array
    // costs V8 a page fault, several times the copy into a used one. A buffer
    // evicted while an operation runs may still be in that operation's hands
    // (op.get), so it waits in `released` until the next operation begins.
    // Only buffers made here are reused: a device may answer a read with a
    // view of memory that is not ours to write (tests/js/lib/crash-device.js).
    this.own = new WeakSet();
    this.spare = [];
    this.released = [];
    this.stats = { runs: 0, runBlocks: 0, runsFailed: 0, hits: 0, misses: 0, waits: 0 };
  }

  // The current contents of a block, not to be changed by the caller.
  async read(block) {
    const d = this.dirty.get(block);
    if (d) return d;
    let c = this.clean.get(block);
    if (c) {
      this.clean.delete(block);
      this.clean.set(block, c);
      this.stats.hits++;
      return c;
    }
    const run = this.pending.get(block);
    if (run) {
      this.stats.waits++;
      await run.done;
      // The run has settled: the block is clean now, unless the run failed,
      // or a commit (or a crowd of other reads) got there first.
      c = this.dirty.get(block) || this.clean.get(block);
      if (c) return c;
    }
    if (!(block >= 0 && block < this.sb.blocks)) throw new KernelError('EIO', null, `disk: block ${block} is outside the file system (run fsck)`);
    this.stats.misses++;
    c = await readBlock(this.device, block);
    // A commit may have installed a newer copy while this read was out.
    const newer = this.dirty.get(block) || this.clean.get(block);
    if (newer) return newer;
    this.remember(block, c);
    return c;
  }

  remember(block, bytes) {
    const old = this.clean.get(block);
    if (old) {
      this.clean.delete(block);
      if (old !== bytes) this.release(old);
    }
    this.clean.set(block, bytes);
    if (this.clean.size > this.limit) this.evictOldest();
  }

  // Drops the least recently used clean block. The iterator is kept from
  // one eviction to the next: a new one would walk past every entry
  // deleted since the Map last compacted itself, each time.
  evictOldest() {
    let next = this.oldest ? this.oldest.next() : { done: true };
    if (next.done) {
      this.oldest = this.clean.keys();
      next = this.oldest.next();
    }
    const bytes = this.clean.get(next.value);
    this.clean.delete(next.value);
    this.release(bytes);
  }

  release(bytes) {
    if (this.released.length < this.spareLimit && this.own.has(bytes)) this.released.push(bytes);
  }

  // A 4 KiB buffer for a block read: a spare one if there is one.
  buffer() {
    if (this.spare.length) return this.spare.pop();
    const bytes = new Uint8Array(BLOCK_SIZE);
    this.own.add(bytes);
    return bytes;
  }

  // Starts reading those of `blocks` (disk block numbers, in file order)
  // that no layer holds and no run is reading, a run of contiguous blocks
  // per device request; returns at once. `ahead`: blocks not asked for yet
  // (read-ahead), skipped rather than queued when `pendingLimit` blocks are
  // in flight already.
  fetch(blocks, ahead = false) {
    let first = -1;
    let n = 0;
    for (const b of blocks) {
      if (this.dirty.has(b) || this.clean.has(b) || this.pending.has(b) || !(b > 0 && b < this.sb.blocks)) continue;
      if (n > 0 && b === first + n && n < RUN_LIMIT) {
        n++;
        continue;
      }
      if (n > 0 && !this.startRun(first, n, ahead)) return;
      first = b;
      n = 1;
    }
    if (n > 0) this.startRun(first, n, ahead);
  }

  startRun(first, n, ahead) {
    if (ahead && this.pending.size + n > this.pendingLimit) return false;
    const run = { first, n, done: null };
    for (let i = 0; i < n; i++) this.pending.set(first + i, run);
    this.stats.runs++;
    this.stats.runBlocks += n;
    // The driver hands the bytes over from DMA memory (read's `take`); a
    // device that does not returns them, and they are taken the same way.
    const take = (view, at) => this.settle(run, view, at / BLOCK_SIZE);
    run.done = deviceCall('read', first, this.device.read(first * SECTORS_PER_BLOCK, n * SECTORS_PER_BLOCK, take)).then(
      (bytes) => {
        if (bytes) take(bytes, 0);
        this.settle(run, null, 0);
      },
      () => {
        this.stats.runsFailed++;
        this.settle(run, null, 0);
      },
    );
    return true;
  }

  // Bytes of a run came back, from its block `index` on (`view`: whole
  // blocks; null: the run is over, and what did not come never will): each
  // block still claimed by the run becomes a clean block, copied into a
  // buffer of the cache's own.
  settle(run, view, index) {
    const end = view ? Math.min(run.n, index + Math.floor(view.length / BLOCK_SIZE)) : run.n;
    for (let i = view ? index : 0; i < end; i++) {
      const block = run.first + i;
      if (this.pending.get(block) !== run) continue; // installed or dropped meanwhile: these bytes are old
      this.pending.delete(block);
      if (!view || this.dirty.has(block) || this.clean.has(block)) continue;
      const at = (i - index) * BLOCK_SIZE;
      const bytes = this.buffer();
      bytes.set(view.subarray(at, at + BLOCK_SIZE));
      this.remember(block, bytes);
    }
  }

  // A new operation: none before it holds a block any more, so the buffers
  // evicted meanwhile may be reused.
  begin() {
    if (this.released.length) {
      for (const bytes of this.released) if (this.spare.length < this.spareLimit) this.spare.push(bytes);
      this.released = [];
    }
    return new Operation(this);
  }

  // An operation's blocks join the running transaction.
  finish(op) {
    for (const [block, bytes] of op.changes) this.dirty.set(block, bytes);
    op.changes = null;
  }

  abandon(op) {
    op.changes = null;
  }

  // The transaction's blocks, for the log to commit.
  get transaction() {
    return this.dirty;
  }

  // After a commit installed them: the blocks are what is at home now.
  // A run still reading one of them was asked before it changed: it loses
  // its claim, and its bytes for the block are dropped when they come.
  committed() {
    for (const [block, bytes] of this.dirty) {
      this.pending.delete(block);
      this.remember(block, bytes);
    }
    this.dirty = new Map();
  }

  // A commit failed: forget the transaction, everything cached and every
  // read in flight, so the next read sees only what the device holds
  // (after recovery).
  dropAll() {
    this.dirty = new Map();
    this.clean = new Map();
    this.oldest = null;
    this.pending = new Map();
  }
}

// One operation's view: reads fall through to the transaction and the
// cache; `modify` and `fresh` give blocks it may change.
class Operation {
  constructor(cache) {
    this.cache = cache;
    this.sb = cache.sb;
    this.changes = new Map();
    // Blocks it took and gave back in the bitmap (allocator.js), and the
    // most it may take beyond what it gives back (set by the file system).
    this.taken = 0;
    this.given = 0;
    this.spare = Infinity;
  }

  async get(block) {
    return this.changes.get(block) || this.cache.read(block);
  }

  // A private copy of a block that this operation will change.
  async modify(block) {
    let bytes = this.changes.get(block);
    if (!bytes) {
      bytes = (await this.cache.read(block)).slice();
      this.changes.set(block, bytes);
    }
    return bytes;
  }

  // A zeroed block this operation will fill (a newly allocated one: what
  // was there before does not matter, so it is not read).
  fresh(block) {
    const bytes = new Uint8Array(BLOCK_SIZE);
    this.changes.set(block, bytes);
    return bytes;
  }

  // Blocks this operation changed that the transaction does not hold yet.
  get added() {
    let n = 0;
    for (const block of this.changes.keys()) if (!this.cache.dirty.has(block)) n++;
    return n;
  }
}

module.exports = { CLEAN_LIMIT, BlockCache, Operation, readBlock, readBlocks, writeBlock, flushDevice };
