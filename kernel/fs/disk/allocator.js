// kernel/fs/disk/allocator.js: free blocks (the bitmap) and free inodes
// (the inode table), taken and given back inside an operation.
//
// Blocks: one bit each in the bitmap, 1 = in use; the superblock, the log,
// the bitmap, the inode table and the backup superblock (the last block)
// are marked in use by mkfs and never freed. Inodes: a slot whose type is
// 0 is free, as in xv6 (no inode bitmap to keep in step). Every change is a
// block modified through the operation (block-cache.js), so an operation
// that fails gives back nothing it never really took.
'use strict';

const { KernelError } = require('../../lib/errors');
const { BITS_PER_BLOCK, INODES_PER_BLOCK, INODE_SIZE, bitGet, bitSet } = require('./layout');

const noSpace = (what) => new KernelError('ENOSPC', null, `disk: no free ${what} left (No space left on device)`);

// Takes a free data block: scans the bitmap from `hint` (the last one
// taken, so a file's blocks tend to sit together), wrapping once.
// An operation may take at most `op.spare` blocks more than it frees (the
// free blocks nobody reserved, and its own reservation: file-system.js).
async function allocBlock(op, hint = 0) {
  const sb = op.sb;
  if (op.taken - op.given >= op.spare) throw noSpace('blocks');
  const first = sb.dataStart;
  const last = sb.blocks - 2; // the last block is the backup superblock
  const count = last - first + 1;
  let start = hint >= first && hint <= last ? hint : first;
  for (let scanned = 0; scanned < count; ) {
    const mapIndex = Math.floor(start / BITS_PER_BLOCK);
    const map = await op.get(sb.bitmapStart + mapIndex);
    const base = mapIndex * BITS_PER_BLOCK;
    const end = Math.min(last + 1, base + BITS_PER_BLOCK);
    for (let b = start; b < end; b++) {
      if ((b & 7) === 0 && map[(b - base) >> 3] === 0xff && b + 8 <= end) {
        b += 7; // a full byte: eight blocks in use
        continue;
      }
      if (!bitGet(map, b - base)) {
        bitSet(await op.modify(sb.bitmapStart + mapIndex), b - base, true);
        op.taken++;
        return b;
      }
    }
    scanned += end - start;
    start = end > last ? first : end;
  }
  throw noSpace('blocks');
}

async function freeBlock(op, block) {
  const sb = op.sb;
  if (block < sb.dataStart || block >= sb.blocks - 1) throw new KernelError('EIO', null, `disk: freeing block ${block}, which is not a data block (run fsck)`);
  const mapIndex = Math.floor(block / BITS_PER_BLOCK);
  bitSet(await op.modify(sb.bitmapStart + mapIndex), block - mapIndex * BITS_PER_BLOCK, false);
  op.given++;
}

// A free inode is 128 zero bytes (layout.js).
function isFreeSlot(block, slot) {
  for (let i = slot * INODE_SIZE; i < (slot + 1) * INODE_SIZE; i++) if (block[i] !== 0) return false;
  return true;
}

// A free inode number (its slot is all zeros); the caller writes the inode.
async function allocInode(op) {
  const sb = op.sb;
  for (let i = 0; i < sb.inodeBlocks; i++) {
    const block = await op.get(sb.inodeStart + i);
    for (let slot = i === 0 ? 1 : 0; slot < INODES_PER_BLOCK; slot++) {
      if (isFreeSlot(block, slot)) return i * INODES_PER_BLOCK + slot;
    }
  }
  throw noSpace('inodes');
}

// Free blocks and inodes, counted (statfs).
async function countFree(op) {
  const sb = op.sb;
  let blocks = 0;
  for (let b = sb.dataStart; b < sb.blocks - 1; ) {
    const mapIndex = Math.floor(b / BITS_PER_BLOCK);
    const map = await op.get(sb.bitmapStart + mapIndex);
    const end = Math.min(sb.blocks - 1, (mapIndex + 1) * BITS_PER_BLOCK);
    for (; b < end; b++) if (!bitGet(map, b - mapIndex * BITS_PER_BLOCK)) blocks++;
  }
  let inodes = 0;
  for (let i = 0; i < sb.inodeBlocks; i++) {
    const block = await op.get(sb.inodeStart + i);
    for (let slot = i === 0 ? 1 : 0; slot < INODES_PER_BLOCK; slot++) if (isFreeSlot(block, slot)) inodes++;
  }
  return { blocks, inodes };
}

module.exports = { allocBlock, freeBlock, allocInode, countFree };
