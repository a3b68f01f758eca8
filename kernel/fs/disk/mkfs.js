// kernel/fs/disk/mkfs.js: makes an empty file system on a block device:
// superblock, an empty log, the bitmap, a zeroed inode table, the root
// directory (inode 1) and lost+found (inode 2, where fsck puts what it
// finds with no name), and the backup superblock in the last block.
//
// mkfs writes straight to the device, not through the log (there is no
// file system yet), and writes the superblock last, after a FLUSH: a power
// cut during mkfs leaves a disk that mount refuses, never a half-made one
// that it accepts.
'use strict';

const { KernelError } = require('../../lib/errors');
const L = require('./layout');
const { writeBlock, flushDevice } = require('./block-cache');
const { emptyHeader } = require('./log');

// Default sizes: an inode per 16 KiB, a log area of 1/32 of the disk
// between 32 and 123 blocks (the most one header can name).
function defaults(blocks) {
  const half = Math.min(L.LOG_MAX_BLOCKS, Math.max(32, Math.floor(blocks / 32)));
  return { inodes: Math.max(32, Math.floor(blocks / 4)), logBlocks: 1 + 2 * half };
}

async function mkfs(device, options = {}) {
  const capacity = Math.floor(device.capacity / L.SECTORS_PER_BLOCK);
  const blocks = options.blocks || capacity;
  if (blocks > capacity) throw new KernelError('EINVAL', null, `mkfs: ${blocks} blocks do not fit a device of ${capacity} blocks`);
  if (blocks >= 2 ** 32) throw new KernelError('EINVAL', null, 'mkfs: at most 2^32 - 1 blocks');
  const d = defaults(blocks);
  const sb = L.geometry({ blocks, inodes: options.inodes || d.inodes, logBlocks: options.logBlocks || d.logBlocks });
  sb.created = Math.floor(options.now !== undefined ? options.now : 0);
  const { maxBlocks } = L.logAreas(sb);
  if (maxBlocks < 24 + sb.bitmapBlocks) throw new KernelError('EINVAL', null, `mkfs: a log of ${sb.logBlocks} blocks is too small for this disk (an operation may need ${24 + sb.bitmapBlocks})`);
  if (sb.dataStart + 8 > blocks) throw new KernelError('EINVAL', null, `mkfs: ${blocks} blocks leave no room for data`);

  const rootBlock = sb.dataStart;
  const lostBlock = sb.dataStart + 1;
  const now = options.now || 0;
  const dir = (ino, block, nlink, mode) => ({ ...L.freeInode(), ino, type: L.T_DIR, mode, nlink, size: L.BLOCK_SIZE, mtime: now, ctime: now, blocks: 1, direct: [block, ...new Array(L.NDIRECT - 1).fill(0)] });

  // The bitmap: metadata, the two directory blocks and the backup in use.
  for (let m = 0; m < sb.bitmapBlocks; m++) {
    const map = new Uint8Array(L.BLOCK_SIZE);
    const base = m * L.BITS_PER_BLOCK;
    for (let i = 0; i < L.BITS_PER_BLOCK; i++) {
      const b = base + i;
      if (b >= blocks || b <= lostBlock || b === blocks - 1) L.bitSet(map, i, true);
    }
    await writeBlock(device, sb.bitmapStart + m, map);
  }
  // The inode table: root (1) and lost+found (2), the rest free.
  for (let i = 0; i < sb.inodeBlocks; i++) {
    const block = new Uint8Array(L.BLOCK_SIZE);
    if (i === 0) {
      L.encodeInode(dir(1, rootBlock, 3, 0o755), block.subarray(L.INODE_SIZE, 2 * L.INODE_SIZE));
      L.encodeInode(dir(2, lostBlock, 2, 0o700), block.subarray(2 * L.INODE_SIZE, 3 * L.INODE_SIZE));
    }
    await writeBlock(device, sb.inodeStart + i, block);
  }
  const root = L.newDirBlock(1, 1);
  L.dirInsert(root, 'lost+found', 2, L.T_DIR);
  await writeBlock(device, rootBlock, root);
  await writeBlock(device, lostBlock, L.newDirBlock(2, 1));
  await writeBlock(device, sb.logStart, emptyHeader(0));
  await writeBlock(device, blocks - 1, L.encodeSuperblock(sb));
  await flushDevice(device);
  await writeBlock(device, 0, L.encodeSuperblock(sb));
  await flushDevice(device);
  return sb;
}

module.exports = { mkfs, defaults };
