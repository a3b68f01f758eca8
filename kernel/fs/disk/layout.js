// kernel/fs/disk/layout.js: the on-disk format of the jsksh disk file
// system, version 1, as pure encode/decode functions over bytes.
//
// Nothing here reads a device: each function turns a record into the bytes
// of a block (or a part of one) and back, and says what is wrong when the
// bytes are not a valid structure. docs/disk-format.md describes the same
// format byte by byte; the tests (tests/js/test_disk_layout.js) pin it to
// literal bytes. All integers are little-endian.
//
//   block 0              superblock (and a backup copy in the last block)
//   log                  1 header block + two areas the commits alternate
//   bitmap               1 bit per block of the file system, 1 = in use
//   inode table          128-byte inodes, 32 a block; inode 0 is never used
//   data                 file and directory blocks, indirect blocks
'use strict';

const { crc32c } = require('./crc32c');
const { utf8Bytes, utf8Decode } = require('../../lib/utf8');

const BLOCK_SIZE = 4096;
const SECTOR_SIZE = 512;
const SECTORS_PER_BLOCK = BLOCK_SIZE / SECTOR_SIZE;
const VERSION = 1;
const MAGIC = Uint8Array.from('jsksh-fs', (c) => c.charCodeAt(0));
const SUPERBLOCK_SIZE = 64; // bytes used in block 0; the rest is zero

const INODE_SIZE = 128;
const INODES_PER_BLOCK = BLOCK_SIZE / INODE_SIZE;
const NDIRECT = 12;
const PTRS_PER_BLOCK = BLOCK_SIZE / 4; // u32 block numbers in an indirect block
const MAX_FILE_BLOCKS = NDIRECT + PTRS_PER_BLOCK + PTRS_PER_BLOCK * PTRS_PER_BLOCK;
const ROOT_INO = 1;

// Inode types; a directory entry repeats its inode's type.
const T_FREE = 0;
const T_FILE = 1;
const T_DIR = 2;
const T_SYMLINK = 3;
const TYPE_NAMES = { [T_FILE]: 'file', [T_DIR]: 'dir', [T_SYMLINK]: 'symlink' };

const NAME_MAX = 255; // bytes of one name (NAME_MAX of POSIX)
const DIRENT_HEADER = 8;

// The log header lives in the first sector of the log's first block: a
// 512-byte sector is written whole or not at all, even when a power cut
// tears a 4 KiB write, so the header (the commit record) is never torn.
const LOG_MAGIC = Uint8Array.from('JLOG', (c) => c.charCodeAt(0));
const LOG_HEADER_FIXED = 20;
const LOG_MAX_BLOCKS = (SECTOR_SIZE - LOG_HEADER_FIXED) / 4; // 123 home block numbers

const le = (bytes) => new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
const sameBytes = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);

// ---- geometry -------------------------------------------------------------

// Where everything goes on a file system of `blocks` blocks with room for
// at least `inodes` inodes and a log of `logBlocks` blocks (header + two
// areas). Returns the superblock record.
function geometry({ blocks, inodes, logBlocks }) {
  const bitmapBlocks = Math.ceil(blocks / (BLOCK_SIZE * 8));
  const inodeBlocks = Math.ceil((inodes + 1) / INODES_PER_BLOCK); // +1: inode 0 is never used
  const logStart = 1;
  const bitmapStart = logStart + logBlocks;
  const inodeStart = bitmapStart + bitmapBlocks;
  const dataStart = inodeStart + inodeBlocks;
  return {
    version: VERSION,
    blockSize: BLOCK_SIZE,
    blocks,
    inodes: inodeBlocks * INODES_PER_BLOCK,
    logStart,
    logBlocks,
    bitmapStart,
    bitmapBlocks,
    inodeStart,
    inodeBlocks,
    dataStart,
    rootIno: ROOT_INO,
    created: 0,
  };
}

// The two log areas (block numbers of their first block) and the most
// blocks one transaction may hold.
function logAreas(sb) {
  const half = (sb.logBlocks - 1) >> 1;
  return { areas: [sb.logStart + 1, sb.logStart + 1 + half], maxBlocks: Math.min(half, LOG_MAX_BLOCKS) };
}

// ---- superblock -----------------------------------------------------------
//   0  magic "jsksh-fs"      8 bytes
//   8  version               u32   (1)
//  12  block size            u32   (4096)
//  16  blocks                u32   in the file system
//  20  inodes                u32   slots in the inode table (inode 0 unused)
//  24  log start, log blocks u32 u32
//  32  bitmap start, blocks  u32 u32
//  40  inode start, blocks   u32 u32
//  48  data start            u32
//  52  root inode            u32   (1)
//  56  created               u32   seconds since 1970 (informational)
//  60  CRC32C of bytes 0..59 u32
const SB_FIELDS = ['version', 'blockSize', 'blocks', 'inodes', 'logStart', 'logBlocks', 'bitmapStart', 'bitmapBlocks', 'inodeStart', 'inodeBlocks', 'dataStart', 'rootIno', 'created'];

function encodeSuperblock(sb) {
  const block = new Uint8Array(BLOCK_SIZE);
  block.set(MAGIC, 0);
  const v = le(block);
  SB_FIELDS.forEach((name, i) => v.setUint32(8 + 4 * i, sb[name] >>> 0, true));
  v.setUint32(60, crc32c(block.subarray(0, 60)), true);
  return block;
}

// The record, or a thrown Error whose message names the problem (mount and
// fsck both show it to a person).
function decodeSuperblock(block) {
  const v = le(block);
  if (!sameBytes(block.subarray(0, 8), MAGIC)) {
    const blank = isZero(block.subarray(0, SUPERBLOCK_SIZE));
    throw new Error(blank ? 'no superblock (block 0 is zeroed)' : 'not a jsksh file system (wrong magic number in block 0)');
  }
  if (v.getUint32(60, true) !== crc32c(block.subarray(0, 60))) throw new Error('superblock checksum mismatch (block 0 is corrupt)');
  const sb = {};
  SB_FIELDS.forEach((name, i) => (sb[name] = v.getUint32(8 + 4 * i, true)));
  if (sb.version !== VERSION) throw new Error(`unsupported format version ${sb.version} (this kernel reads version ${VERSION})`);
  if (sb.blockSize !== BLOCK_SIZE) throw new Error(`unsupported block size ${sb.blockSize}`);
  const g = geometry({ blocks: sb.blocks, inodes: sb.inodes - 1, logBlocks: sb.logBlocks });
  const fits = ['bitmapStart', 'bitmapBlocks', 'inodeStart', 'inodeBlocks', 'dataStart', 'inodes'].every((k) => g[k] === sb[k]);
  if (!fits || sb.logStart !== 1 || sb.rootIno !== ROOT_INO || sb.dataStart + 2 > sb.blocks) throw new Error('superblock geometry is inconsistent');
  return sb;
}

// ---- log header -----------------------------------------------------------
//   0  magic "JLOG"          4 bytes
//   4  sequence              u32   of the last commit (grows by one a commit)
//   8  count                 u32   blocks in the committed transaction, 0 = none
//  12  area                  u32   block number of the first logged block
//  16  CRC32C                u32   of bytes 0..15, the home numbers, and the
//                                  logged blocks' contents in order
//  20  home[count]           u32   where each logged block belongs
// The rest of the header block is zero.
function encodeLogHeader({ sequence, count, area, crc, homes }) {
  const block = new Uint8Array(BLOCK_SIZE);
  block.set(LOG_MAGIC, 0);
  const v = le(block);
  v.setUint32(4, sequence >>> 0, true);
  v.setUint32(8, count, true);
  v.setUint32(12, area, true);
  v.setUint32(16, crc >>> 0, true);
  homes.forEach((h, i) => v.setUint32(LOG_HEADER_FIXED + 4 * i, h, true));
  return block;
}

function decodeLogHeader(block) {
  if (!sameBytes(block.subarray(0, 4), LOG_MAGIC)) throw new Error('log header has the wrong magic number');
  const v = le(block);
  const count = v.getUint32(8, true);
  if (count > LOG_MAX_BLOCKS) throw new Error(`log header claims ${count} blocks (at most ${LOG_MAX_BLOCKS})`);
  const homes = [];
  for (let i = 0; i < count; i++) homes.push(v.getUint32(LOG_HEADER_FIXED + 4 * i, true));
  return { sequence: v.getUint32(4, true), count, area: v.getUint32(12, true), crc: v.getUint32(16, true), homes };
}

// The CRC a header must carry for these homes and logged block contents.
function logChecksum({ sequence, count, area, homes }, blocks) {
  const head = new Uint8Array(16 + 4 * count);
  const v = le(head);
  head.set(LOG_MAGIC, 0);
  v.setUint32(4, sequence >>> 0, true);
  v.setUint32(8, count, true);
  v.setUint32(12, area, true);
  homes.forEach((h, i) => v.setUint32(16 + 4 * i, h, true));
  let crc = crc32c(head);
  for (const b of blocks) crc = crc32c(b, crc);
  return crc;
}

// ---- inodes ---------------------------------------------------------------
//   0  type                  u16   0 free, 1 file, 2 directory, 3 symlink
//   2  mode                  u16   permission bits (07777)
//   4  nlink                 u32   directory entries naming it
//   8  size                  u64   bytes
//  16  mtime                 i64 seconds, u32 nanoseconds (at 24)
//  28  ctime                 i64 seconds, u32 nanoseconds (at 36)
//  40  blocks                u32   blocks it holds, indirect ones included
//  44  direct[12]            u32   block numbers, 0 = a hole
//  92  indirect              u32
//  96  double indirect       u32
// 100  reserved              zero
// 124  CRC32C of bytes 0..123 u32
// A free inode is 128 zero bytes (no checksum).
function encodeTime(v, at, t) {
  const sec = Math.floor(t);
  const nsec = Math.min(999999999, Math.round((t - sec) * 1e9));
  v.setBigInt64(at, BigInt(sec), true);
  v.setUint32(at + 8, nsec, true);
}
const decodeTime = (v, at) => Number(v.getBigInt64(at, true)) + v.getUint32(at + 8, true) / 1e9;

function encodeInode(inode, into = new Uint8Array(INODE_SIZE)) {
  into.fill(0);
  if (inode.type === T_FREE) return into;
  const v = le(into);
  v.setUint16(0, inode.type, true);
  v.setUint16(2, inode.mode & 0o7777, true);
  v.setUint32(4, inode.nlink, true);
  v.setUint32(8, inode.size % 2 ** 32, true);
  v.setUint32(12, Math.floor(inode.size / 2 ** 32), true);
  encodeTime(v, 16, inode.mtime);
  encodeTime(v, 28, inode.ctime);
  v.setUint32(40, inode.blocks, true);
  for (let i = 0; i < NDIRECT; i++) v.setUint32(44 + 4 * i, inode.direct[i] || 0, true);
  v.setUint32(92, inode.indirect, true);
  v.setUint32(96, inode.double, true);
  v.setUint32(124, crc32c(into.subarray(0, 124)), true);
  return into;
}

const freeInode = () => ({ type: T_FREE, mode: 0, nlink: 0, size: 0, mtime: 0, ctime: 0, blocks: 0, direct: new Array(NDIRECT).fill(0), indirect: 0, double: 0 });

// The record; throws an Error naming the problem for a bad checksum or type.
function isZero(bytes) {
  for (let i = 0; i < bytes.length; i++) if (bytes[i] !== 0) return false;
  return true;
}

function decodeInode(bytes) {
  if (isZero(bytes)) return freeInode();
  const v = le(bytes);
  if (v.getUint32(124, true) !== crc32c(bytes.subarray(0, 124))) throw new Error('checksum mismatch');
  const type = v.getUint16(0, true);
  if (!TYPE_NAMES[type]) throw new Error(`unknown type ${type}`);
  const direct = [];
  for (let i = 0; i < NDIRECT; i++) direct.push(v.getUint32(44 + 4 * i, true));
  return {
    type,
    mode: v.getUint16(2, true),
    nlink: v.getUint32(4, true),
    size: v.getUint32(8, true) + v.getUint32(12, true) * 2 ** 32,
    mtime: decodeTime(v, 16),
    ctime: decodeTime(v, 28),
    blocks: v.getUint32(40, true),
    direct,
    indirect: v.getUint32(92, true),
    double: v.getUint32(96, true),
  };
}

// Where inode `ino` lives: its block and byte offset in it.
const inodePlace = (sb, ino) => ({ block: sb.inodeStart + Math.floor(ino / INODES_PER_BLOCK), offset: (ino % INODES_PER_BLOCK) * INODE_SIZE });

// ---- directory blocks -----------------------------------------------------
// ext2's linked directory entries: each block is a chain of records that
// exactly fills it, and no record crosses a block.
//   0  inode                 u32   0 = an unused record (free space)
//   4  record length         u16   to the next record; a multiple of 4
//   6  name length           u8    1..255 bytes
//   7  type                  u8    the inode's type (1 file, 2 dir, 3 symlink)
//   8  name                  bytes, then zero padding to the record length
// A record's slack (its length beyond 8 + name rounded up to 4) is where
// a new name goes; removing a name gives its record to the one before.
const recordNeeds = (nameLength) => DIRENT_HEADER + ((nameLength + 3) & ~3);

function emptyDirBlock() {
  const block = new Uint8Array(BLOCK_SIZE);
  le(block).setUint16(4, BLOCK_SIZE, true);
  return block;
}

// Every record of a block: [{offset, recLen, ino, type, name}] (unused
// ones too, with ino 0). Throws an Error naming the problem for a chain
// that does not fit the block.
function dirRecords(block) {
  const v = le(block);
  const out = [];
  for (let at = 0; at < BLOCK_SIZE; ) {
    if (at + DIRENT_HEADER > BLOCK_SIZE) throw new Error(`directory record at ${at} runs past the block`);
    const recLen = v.getUint16(at + 4, true);
    const nameLength = block[at + 6];
    const ino = v.getUint32(at, true);
    if (recLen < DIRENT_HEADER || recLen % 4 || at + recLen > BLOCK_SIZE) throw new Error(`directory record at ${at} has a bad length ${recLen}`);
    if (ino && (nameLength === 0 || recordNeeds(nameLength) > recLen)) throw new Error(`directory record at ${at} has a bad name length ${nameLength}`);
    out.push({ offset: at, recLen, ino, type: block[at + 7], name: ino ? utf8Decode(block, at + 8, at + 8 + nameLength) : '' });
    at += recLen;
  }
  return out;
}

// Names in use: [{offset, ino, type, name}].
const dirEntries = (block) => dirRecords(block).filter((r) => r.ino !== 0);

function writeRecord(block, at, recLen, ino, type, nameBytes) {
  const v = le(block);
  block.fill(0, at, at + recLen);
  v.setUint32(at, ino, true);
  v.setUint16(at + 4, recLen, true);
  block[at + 6] = nameBytes.length;
  block[at + 7] = type;
  block.set(nameBytes, at + 8);
}

// Puts a name into `block` if it has room; true if it did.
function dirInsert(block, name, ino, type) {
  const nameBytes = typeof name === 'string' ? utf8Bytes(name) : name;
  const need = recordNeeds(nameBytes.length);
  for (const r of dirRecords(block)) {
    if (r.ino === 0 && r.recLen >= need) {
      writeRecord(block, r.offset, r.recLen, ino, type, nameBytes);
      return true;
    }
    const used = recordNeeds(utf8Bytes(r.name).length);
    if (r.ino !== 0 && r.recLen - used >= need) {
      le(block).setUint16(r.offset + 4, used, true);
      writeRecord(block, r.offset + used, r.recLen - used, ino, type, nameBytes);
      return true;
    }
  }
  return false;
}

// Takes the record at `offset` out: the record before it absorbs its
// length, or (first in the block) it becomes unused.
function dirRemove(block, offset) {
  const records = dirRecords(block);
  const i = records.findIndex((r) => r.offset === offset);
  if (i < 0) throw new Error(`no directory record at ${offset}`);
  const r = records[i];
  if (i === 0) writeRecord(block, 0, r.recLen, 0, 0, new Uint8Array(0));
  else {
    le(block).setUint16(records[i - 1].offset + 4, records[i - 1].recLen + r.recLen, true);
    block.fill(0, r.offset, r.offset + r.recLen);
  }
}

// Points the record at `offset` at another inode (rename over a name, '..').
function dirRetarget(block, offset, ino, type) {
  le(block).setUint32(offset, ino, true);
  block[offset + 7] = type;
}

// The first block of a new directory: '.' and '..'.
function newDirBlock(ino, parentIno) {
  const block = emptyDirBlock();
  dirInsert(block, '.', ino, T_DIR);
  dirInsert(block, '..', parentIno, T_DIR);
  return block;
}

// ---- bitmap ---------------------------------------------------------------
// Bit (n % 8) of byte (n / 8) of the bitmap, block by block, is block n.
const bitGet = (bytes, i) => (bytes[i >> 3] >> (i & 7)) & 1;
function bitSet(bytes, i, on) {
  if (on) bytes[i >> 3] |= 1 << (i & 7);
  else bytes[i >> 3] &= ~(1 << (i & 7));
}
const BITS_PER_BLOCK = BLOCK_SIZE * 8;

module.exports = {
  BLOCK_SIZE,
  SECTOR_SIZE,
  SECTORS_PER_BLOCK,
  VERSION,
  MAGIC,
  INODE_SIZE,
  INODES_PER_BLOCK,
  NDIRECT,
  PTRS_PER_BLOCK,
  MAX_FILE_BLOCKS,
  ROOT_INO,
  T_FREE,
  T_FILE,
  T_DIR,
  T_SYMLINK,
  TYPE_NAMES,
  NAME_MAX,
  LOG_MAX_BLOCKS,
  BITS_PER_BLOCK,
  geometry,
  logAreas,
  encodeSuperblock,
  decodeSuperblock,
  encodeLogHeader,
  decodeLogHeader,
  logChecksum,
  encodeInode,
  decodeInode,
  freeInode,
  inodePlace,
  recordNeeds,
  emptyDirBlock,
  newDirBlock,
  dirRecords,
  dirEntries,
  dirInsert,
  dirRemove,
  dirRetarget,
  bitGet,
  bitSet,
};
