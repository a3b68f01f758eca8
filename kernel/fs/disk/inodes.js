// kernel/fs/disk/inodes.js: inodes and the bytes they hold: reading and
// writing an inode record, mapping a file's block index to a disk block
// (12 direct pointers, one indirect block, one double-indirect block, as in
// ext2 and xv6's bmap), reading, writing and truncating a file's data.
//
// Everything works on an operation (block-cache.js) and on a plain inode
// record (layout.js decodeInode); a caller that changes the record writes
// it back with writeInode in the same operation. A pointer of 0 is a hole,
// read as zeros: truncating up allocates nothing. Invariants fsck checks:
// no block at an index past the end of the file, and `blocks` counts every
// data and indirect block the inode holds.
'use strict';

const { KernelError } = require('../../lib/errors');
const { BLOCK_SIZE, NDIRECT, PTRS_PER_BLOCK, MAX_FILE_BLOCKS, INODE_SIZE, encodeInode, decodeInode, inodePlace } = require('./layout');
const { allocBlock, freeBlock } = require('./allocator');

const le = (bytes) => new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
const ptr = (block, i) => le(block).getUint32(4 * i, true);
const setPtr = (block, i, v) => le(block).setUint32(4 * i, v, true);
const FETCH_BLOCKS = 256; // blocks of one read asked for at once (1 MiB), so a long read stays within the cache

async function readInode(op, ino) {
  const sb = op.sb;
  if (!(ino > 0 && ino < sb.inodes)) throw new KernelError('EIO', null, `disk: inode number ${ino} is out of range (run fsck)`);
  const { block, offset } = inodePlace(sb, ino);
  const bytes = (await op.get(block)).subarray(offset, offset + INODE_SIZE);
  try {
    return { ino, ...decodeInode(bytes) };
  } catch (e) {
    throw new KernelError('EIO', null, `disk: inode ${ino} is corrupt (${e.message}); run fsck`);
  }
}

async function writeInode(op, inode) {
  const { block, offset } = inodePlace(op.sb, inode.ino);
  encodeInode(inode, (await op.modify(block)).subarray(offset, offset + INODE_SIZE));
}

// The disk block holding block `index` of the file, or 0 for a hole. With
// `alloc`, a hole (and any indirect block on the way) is filled with a new
// zeroed block, counted in inode.blocks; the caller writes the inode.
async function bmap(op, inode, index, alloc = false) {
  if (index >= MAX_FILE_BLOCKS) throw new KernelError('EFBIG', null, 'disk: file too large');
  const take = async () => {
    const b = await allocBlock(op, inode.lastAlloc);
    inode.lastAlloc = b + 1;
    op.fresh(b);
    inode.blocks++;
    return b;
  };
  if (index < NDIRECT) {
    if (!inode.direct[index] && alloc) inode.direct[index] = await take();
    return inode.direct[index];
  }
  index -= NDIRECT;
  let top;
  let path; // indices at each level below the inode's pointer
  if (index < PTRS_PER_BLOCK) {
    if (!inode.indirect && alloc) inode.indirect = await take();
    top = inode.indirect;
    path = [index];
  } else {
    index -= PTRS_PER_BLOCK;
    if (!inode.double && alloc) inode.double = await take();
    top = inode.double;
    path = [Math.floor(index / PTRS_PER_BLOCK), index % PTRS_PER_BLOCK];
  }
  let at = top;
  for (const i of path) {
    if (!at) return 0;
    let next = ptr(await op.get(at), i);
    if (!next && alloc) {
      next = await take();
      setPtr(await op.modify(at), i, next);
    }
    at = next;
  }
  return at;
}

// The disk blocks holding file blocks [first, first + count) (0 for a
// hole), as bmap without `alloc` finds them, reading each indirect block
// once for the whole range.
async function mapBlocks(op, inode, first, count) {
  const out = new Array(count).fill(0);
  const pointers = new Map(); // indirect block -> its bytes, for this call
  const pointer = async (at, i) => {
    let bytes = pointers.get(at);
    if (!bytes) pointers.set(at, (bytes = await op.get(at)));
    return ptr(bytes, i);
  };
  for (let k = 0; k < count; k++) {
    let index = first + k;
    if (index >= MAX_FILE_BLOCKS) break;
    if (index < NDIRECT) {
      out[k] = inode.direct[index];
      continue;
    }
    index -= NDIRECT;
    if (index < PTRS_PER_BLOCK) {
      out[k] = inode.indirect && (await pointer(inode.indirect, index));
      continue;
    }
    index -= PTRS_PER_BLOCK;
    const mid = inode.double && (await pointer(inode.double, Math.floor(index / PTRS_PER_BLOCK)));
    out[k] = mid && (await pointer(mid, index % PTRS_PER_BLOCK));
  }
  return out;
}

// `length` bytes from `offset`, cut at the end of the file. The blocks it
// needs are asked for together (block-cache.js fetch: a contiguous run in
// one device request), FETCH_BLOCKS at a time ahead of the copying, and so
// is `ahead`, blocks it does not need yet ({start, count} in file blocks,
// cut at the end of the file, or null: read-ahead.js says which), in the
// same turn, so that both reach the device in one notify. With `into` (a
// Uint8Array of at least `length` bytes) the bytes go there and a view of
// it is returned, rather than a new array (see file-system.js read).
async function readData(op, inode, offset, length, ahead = null, into = null) {
  const end = Math.min(inode.size, offset + length);
  if (end <= offset) return new Uint8Array(0);
  const out = into ? into.subarray(0, end - offset) : new Uint8Array(end - offset);
  const first = Math.floor(offset / BLOCK_SIZE);
  const blocks = await mapBlocks(op, inode, first, Math.ceil(end / BLOCK_SIZE) - first);
  let later = null;
  if (ahead) {
    const last = Math.min(ahead.start + ahead.count, Math.ceil(inode.size / BLOCK_SIZE));
    if (last > ahead.start) later = await mapBlocks(op, inode, ahead.start, last - ahead.start);
  }
  const fetch = (k) => op.cache.fetch(blocks.slice(k, k + FETCH_BLOCKS).filter((b) => b && !op.changes.has(b)));
  fetch(0);
  fetch(FETCH_BLOCKS);
  if (later) op.cache.fetch(later.filter((b) => b), true);
  for (let k = 0; k < blocks.length; k++) {
    if (k > 0 && k % FETCH_BLOCKS === 0) fetch(k + FETCH_BLOCKS); // a long read: keep the next batch coming
    const at = Math.max(offset, (first + k) * BLOCK_SIZE);
    const within = at % BLOCK_SIZE;
    const n = Math.min(BLOCK_SIZE - within, end - at);
    if (blocks[k]) out.set((await op.get(blocks[k])).subarray(within, within + n), at - offset);
    else if (into) out.fill(0, at - offset, at - offset + n); // a hole
  }
  return out;
}

// Writes `bytes` at `offset` (the caller keeps one call within its
// operation's reservation); grows the size. The caller writes the inode.
async function writeData(op, inode, offset, bytes) {
  for (let done = 0; done < bytes.length; ) {
    const at = offset + done;
    const index = Math.floor(at / BLOCK_SIZE);
    const within = at % BLOCK_SIZE;
    const n = Math.min(BLOCK_SIZE - within, bytes.length - done);
    const b = await bmap(op, inode, index, true);
    const block = n === BLOCK_SIZE ? op.fresh(b) : await op.modify(b);
    block.set(bytes.subarray(done, done + n), within);
    done += n;
  }
  inode.size = Math.max(inode.size, offset + bytes.length);
}

// Frees every block below pointer `at` (an indirect block of `level`
// levels, 0 = a data block) whose file index is `keep` or more, where
// `span` is how many file blocks one pointer in `at` covers. Returns the
// pointer to keep (0 when the whole subtree went).
async function shrinkTree(op, inode, at, level, keep) {
  if (!at) return 0;
  if (keep <= 0) {
    if (level > 0) {
      const block = await op.get(at);
      for (let i = 0; i < PTRS_PER_BLOCK; i++) {
        const p = ptr(block, i);
        if (p) await shrinkTree(op, inode, p, level - 1, 0);
      }
    }
    await freeBlock(op, at);
    inode.blocks--;
    return 0;
  }
  if (level === 0) return at;
  const span = level === 1 ? 1 : PTRS_PER_BLOCK;
  const first = Math.floor(keep / span); // the first child that may lose blocks
  const block = await op.get(at);
  for (let i = first; i < PTRS_PER_BLOCK; i++) {
    const p = ptr(block, i);
    if (!p) continue;
    const kept = await shrinkTree(op, inode, p, level - 1, keep - i * span);
    if (kept !== p) setPtr(await op.modify(at), i, kept);
  }
  return at;
}

// Cuts or extends the file to `size` bytes. Blocks past the new end are
// freed; the tail of the last kept block is zeroed, so bytes that come
// back by a later extension read as zeros.
async function truncateData(op, inode, size) {
  if (size < inode.size) {
    const keep = Math.ceil(size / BLOCK_SIZE);
    for (let i = Math.max(keep, 0); i < NDIRECT; i++) {
      if (inode.direct[i]) {
        await freeBlock(op, inode.direct[i]);
        inode.blocks--;
        inode.direct[i] = 0;
      }
    }
    inode.indirect = await shrinkTree(op, inode, inode.indirect, 1, keep - NDIRECT);
    inode.double = await shrinkTree(op, inode, inode.double, 2, keep - NDIRECT - PTRS_PER_BLOCK);
    if (size % BLOCK_SIZE) {
      const b = await bmap(op, inode, Math.floor(size / BLOCK_SIZE));
      if (b) (await op.modify(b)).fill(0, size % BLOCK_SIZE);
    }
  }
  inode.size = size;
}

// Every block the inode holds, for fsck: data as [index, block], indirect
// blocks, and pointers that `valid(block)` rejects (not followed).
async function blocksOf(get, inode, valid) {
  const data = [];
  const meta = [];
  const bad = [];
  inode.direct.forEach((b, i) => b && (valid(b) ? data.push([i, b]) : bad.push(b)));
  const walk = async (at, level, base) => {
    if (!valid(at)) return bad.push(at);
    meta.push(at);
    const block = await get(at);
    const span = level === 1 ? 1 : PTRS_PER_BLOCK;
    for (let i = 0; i < PTRS_PER_BLOCK; i++) {
      const p = ptr(block, i);
      if (!p) continue;
      if (level === 1) valid(p) ? data.push([base + i, p]) : bad.push(p);
      else await walk(p, level - 1, base + i * span);
    }
  };
  if (inode.indirect) await walk(inode.indirect, 1, NDIRECT);
  if (inode.double) await walk(inode.double, 2, NDIRECT + PTRS_PER_BLOCK);
  return { data, meta, bad };
}

module.exports = { readInode, writeInode, bmap, mapBlocks, readData, writeData, truncateData, blocksOf };
