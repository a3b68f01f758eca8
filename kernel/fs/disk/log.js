// kernel/fs/disk/log.js: the write-ahead (redo) log: a transaction's blocks
// reach their homes only after all of them, and a commit record naming
// them, are durable. xv6's kernel/log.c is the model; this one adds a
// checksum and two alternating areas for a device with a write cache.
//
// The log region is a header block and two equal areas. One commit:
//   1. write the transaction's blocks into the area the durable header
//      does not name                                  (may be lost, torn)
//   2. FLUSH: they are durable, and so are the previous commit's installs
//   3. write the header: sequence, count, area, homes, CRC32C of all that
//      and the logged contents. This one-sector write is the commit point.
//   4. FLUSH: the transaction is durable; fsync and sync may return
//   5. write each block at its home (install). No FLUSH here: step 2 of the
//      next commit (or umount's final FLUSH) makes the installs durable
//      before any later header can supersede this one.
// Step 1 is one device request (the area is contiguous), and step 5 one
// per run of contiguous homes, all in flight together: a request a block,
// each awaited, made a commit of 123 blocks 250 round trips to the device.
// The header is never cleared in normal running: the next commit's header
// supersedes it, in one sector. Recovery (`recover`) replays the header's
// transaction whatever happened to the installs (replay is idempotent:
// the same bytes to the same homes), FLUSHes, and writes an empty header.
//
// Why a CRC mismatch means damage, not a crash: the header names an area
// whose blocks were flushed before the header was written (step 2), and the
// next commit writes into the other area, so every header a crash can leave
// on the disk matches the blocks it names. A mismatch is a corrupt log, and
// mount refuses it rather than guess (fsck can drop it).
'use strict';

const { KernelError } = require('../../lib/errors');
const { BLOCK_SIZE, encodeLogHeader, decodeLogHeader, logChecksum, logAreas } = require('./layout');
const { readBlock, readBlocks, writeBlock, flushDevice } = require('./block-cache');

const corrupt = (what) => new KernelError('EIO', null, `disk: ${what}; run fsck`);

// Reads the header and the blocks it names. Returns {header, blocks}
// (blocks empty when the log holds no transaction) or throws naming the
// problem. fsck calls it too.
async function readLog(device, sb) {
  let header;
  try {
    header = decodeLogHeader(await readBlock(device, sb.logStart));
  } catch (e) {
    if (e instanceof KernelError) throw e;
    throw corrupt(e.message);
  }
  const { areas, maxBlocks } = logAreas(sb);
  if (header.count === 0) return { header, blocks: [] };
  if (header.count > maxBlocks || !areas.includes(header.area)) throw corrupt(`log header names ${header.count} blocks at block ${header.area}, which is not a log area`);
  if (header.homes.some((h) => h < sb.logStart + sb.logBlocks || h >= sb.blocks)) throw corrupt('log header names a home block outside the file system');
  const blocks = await readBlocks(device, header.area, header.count); // the area is contiguous: one request
  if (logChecksum(header, blocks) !== header.crc) throw corrupt(`log checksum mismatch (transaction ${header.sequence}, ${header.count} blocks)`);
  return { header, blocks };
}

// An empty header (no transaction) with this sequence number.
function emptyHeader(sequence) {
  const h = { sequence, count: 0, area: 0, homes: [] };
  return encodeLogHeader({ ...h, crc: logChecksum(h, []) });
}

class Log {
  constructor(device, sb) {
    this.device = device;
    this.sb = sb;
    const { areas, maxBlocks } = logAreas(sb);
    this.areas = areas;
    this.maxBlocks = maxBlocks; // blocks one transaction may hold
    this.sequence = 0;
    this.nextArea = 0; // index into areas of the next commit's area
    this.commits = 0;
    this.replayed = null; // {sequence, blocks} when mount replayed one
    this.staging = null; // maxBlocks blocks side by side: what one request of several blocks writes
  }

  // Writes `blocks` (4 KiB arrays) to `first` and the blocks after it, in
  // one request, from the staging buffer at block `at`.
  writeRun(first, blocks, at = 0) {
    if (blocks.length === 1) return writeBlock(this.device, first, blocks[0]);
    this.staging ||= new Uint8Array(this.maxBlocks * BLOCK_SIZE);
    const run = this.staging.subarray(at * BLOCK_SIZE, (at + blocks.length) * BLOCK_SIZE);
    blocks.forEach((b, i) => run.set(b, i * BLOCK_SIZE));
    return writeBlock(this.device, first, run);
  }

  // Step 5: each run of contiguous homes in one request, all in flight at
  // once; settles when all have (the staging buffer is free again), and
  // fails with the first error.
  async install(homes, blocks) {
    const order = homes.map((_, i) => i).sort((a, b) => homes[a] - homes[b]);
    const writes = [];
    for (let k = 0, at = 0; k < order.length; ) {
      let n = 1;
      while (k + n < order.length && homes[order[k + n]] === homes[order[k]] + n) n++;
      const run = order.slice(k, k + n).map((i) => blocks[i]);
      writes.push(this.writeRun(homes[order[k]], run, at));
      at += n;
      k += n;
    }
    const failed = (await Promise.allSettled(writes)).find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  // Mount-time recovery: replay the committed transaction, if any, and
  // leave an empty header. Returns the number of blocks replayed.
  async recover() {
    const { header, blocks } = await readLog(this.device, this.sb);
    this.sequence = header.sequence;
    if (header.count === 0) return 0;
    await this.install(header.homes, blocks);
    await flushDevice(this.device);
    await writeBlock(this.device, this.sb.logStart, emptyHeader(this.sequence));
    await flushDevice(this.device);
    this.replayed = { sequence: header.sequence, blocks: header.count };
    return header.count;
  }

  // Commits `transaction` (a Map home -> bytes) through steps 1-5 above.
  // Resolves once it is durable and installed (installs not yet flushed).
  async commit(transaction) {
    const homes = [...transaction.keys()];
    if (homes.length === 0) return;
    if (homes.length > this.maxBlocks) throw new Error(`transaction of ${homes.length} blocks exceeds the log (${this.maxBlocks})`);
    const blocks = homes.map((h) => transaction.get(h));
    const area = this.areas[this.nextArea];
    await this.writeRun(area, blocks); // 1
    await flushDevice(this.device); // 2
    const header = { sequence: (this.sequence + 1) >>> 0, count: homes.length, area, homes };
    await writeBlock(this.device, this.sb.logStart, encodeLogHeader({ ...header, crc: logChecksum(header, blocks) })); // 3
    await flushDevice(this.device); // 4: durable from here
    this.sequence = header.sequence;
    this.nextArea ^= 1;
    this.commits++;
    await this.install(homes, blocks); // 5
  }

  // A clean unmount: installs durable, then an empty header, so the next
  // mount has nothing to replay.
  async close() {
    await flushDevice(this.device);
    await writeBlock(this.device, this.sb.logStart, emptyHeader(this.sequence));
    await flushDevice(this.device);
  }
}

module.exports = { Log, readLog, emptyHeader };
