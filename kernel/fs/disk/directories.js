// kernel/fs/disk/directories.js: names in a directory: look one up, list
// them, add, remove, and point one at another inode.
//
// A directory is an inode whose data blocks are chains of ext2-style
// records (layout.js); its size is always a whole number of blocks, and its
// first block starts with '.' (itself) and '..' (its parent; the root's is
// itself). Directories grow a block at a time and never shrink until they
// are removed. Lookup is a linear scan, as in ext2 without htree and xv6.
'use strict';

const { KernelError } = require('../../lib/errors');
const { BLOCK_SIZE, dirEntries, dirInsert, dirRemove, dirRetarget, emptyDirBlock } = require('./layout');
const { bmap } = require('./inodes');

const corrupt = (inode, e) => new KernelError('EIO', null, `disk: directory inode ${inode.ino} is corrupt (${e.message}); run fsck`);

// Each directory block in turn: calls visit(blockNumber, bytes, entries);
// stops at the first truthy return value and returns it.
async function eachBlock(op, dir, visit) {
  for (let i = 0; i < dir.size / BLOCK_SIZE; i++) {
    const b = await bmap(op, dir, i);
    if (!b) continue;
    const bytes = await op.get(b);
    let entries;
    try {
      entries = dirEntries(bytes);
    } catch (e) {
      throw corrupt(dir, e);
    }
    const found = await visit(b, bytes, entries);
    if (found) return found;
  }
  return null;
}

// {ino, type, block, offset} for `name`, or null.
function lookup(op, dir, name) {
  return eachBlock(op, dir, (block, bytes, entries) => {
    const e = entries.find((x) => x.name === name);
    return e ? { ino: e.ino, type: e.type, block, offset: e.offset } : null;
  });
}

// Every entry, '.' and '..' included: [{name, ino, type}].
async function list(op, dir) {
  const out = [];
  await eachBlock(op, dir, (block, bytes, entries) => {
    for (const e of entries) out.push({ name: e.name, ino: e.ino, type: e.type });
  });
  return out;
}

// True when only '.' and '..' are left.
async function isEmpty(op, dir) {
  return !(await eachBlock(op, dir, (block, bytes, entries) => entries.some((e) => e.name !== '.' && e.name !== '..')));
}

// Adds `name` -> ino; grows the directory by a block when no block has
// room (the caller writes the directory's inode afterwards).
async function addEntry(op, dir, name, ino, type) {
  const placed = await eachBlock(op, dir, async (block, bytes) => {
    const copy = bytes.slice();
    if (!dirInsert(copy, name, ino, type)) return false;
    (await op.modify(block)).set(copy);
    return true;
  });
  if (placed) return;
  const index = dir.size / BLOCK_SIZE;
  const b = await bmap(op, dir, index, true);
  const block = op.fresh(b);
  block.set(emptyDirBlock());
  dirInsert(block, name, ino, type);
  dir.size += BLOCK_SIZE;
}

async function removeEntry(op, found) {
  dirRemove(await op.modify(found.block), found.offset);
}

async function retarget(op, found, ino, type) {
  dirRetarget(await op.modify(found.block), found.offset, ino, type);
}

module.exports = { lookup, list, isEmpty, addEntry, removeEntry, retarget };
