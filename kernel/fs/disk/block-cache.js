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
// The device has the shape of kernel/drivers/virtio/blk.js: read(sector,
// count) and write(sector, bytes) promise bytes and completion; a rejected
// promise becomes a KernelError EIO here.
'use strict';

const { KernelError } = require('../../lib/errors');
const { BLOCK_SIZE, SECTORS_PER_BLOCK } = require('./layout');

const CLEAN_LIMIT = 4096; // clean blocks kept (16 MiB), least recently used dropped first

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

const writeBlock = (device, block, bytes) => deviceCall('write', block, device.write(block * SECTORS_PER_BLOCK, bytes));
const flushDevice = (device) => deviceCall('flush', 0, device.flush());

class BlockCache {
  constructor(device, sb) {
    this.device = device;
    this.sb = sb;
    this.clean = new Map(); // block -> bytes as at home (Map order = recency)
    this.dirty = new Map(); // block -> bytes of the running transaction
  }

  // The current contents of a block, not to be changed by the caller.
  async read(block) {
    const d = this.dirty.get(block);
    if (d) return d;
    let c = this.clean.get(block);
    if (c) {
      this.clean.delete(block);
      this.clean.set(block, c);
      return c;
    }
    if (!(block >= 0 && block < this.sb.blocks)) throw new KernelError('EIO', null, `disk: block ${block} is outside the file system (run fsck)`);
    c = await readBlock(this.device, block);
    this.remember(block, c);
    return c;
  }

  remember(block, bytes) {
    this.clean.delete(block);
    this.clean.set(block, bytes);
    if (this.clean.size > CLEAN_LIMIT) this.clean.delete(this.clean.keys().next().value);
  }

  begin() {
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
  committed() {
    for (const [block, bytes] of this.dirty) this.remember(block, bytes);
    this.dirty = new Map();
  }

  // A commit failed: forget the transaction and everything cached, so the
  // next read sees only what the device holds (after recovery).
  dropAll() {
    this.dirty = new Map();
    this.clean = new Map();
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

module.exports = { BlockCache, Operation, readBlock, writeBlock, flushDevice };
