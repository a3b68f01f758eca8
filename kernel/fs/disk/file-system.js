// kernel/fs/disk/file-system.js: the disk file system's operations, as the
// VFS (kernel/fs/vfs.js) and the host's `jsksh disk` tools call them.
//
//   const { mount } = require('/kernel/fs/disk/file-system');
//   const fs = await mount(device, { clock, setTimer, clearTimer });
//
// `device` is a block device ({sectorSize, capacity, read, write, flush},
// kernel/drivers/virtio/blk.js). `clock()` gives seconds since 1970 (for
// mtime and ctime); `setTimer(ms, fn)` and `clearTimer(id)` run the commit
// interval (without them, commits happen only on fsync, sync, umount and a
// full log); `cacheBlocks` is how many clean blocks the cache keeps (4096,
// 16 MiB). Nothing here reads a global: time and I/O are injected.
//
// Every method is async. A `path` is relative to this file system's root
// ('/a/b' and 'a/b' are the same); symbolic links on the way are followed
// (an absolute target from this root). A `target` is a path or an inode
// number from open(), so an open file stays reachable after unlink.
//   stat(target) lstat(path) -> {ino, type: 'file'|'dir'|'symlink', mode,
//                               nlink, size, blocks, mtime, ctime}
//   readdir(path) -> [{name, ino, type}]  ('.' and '..' left out)
//   read(target, offset, length[, into]) -> Uint8Array (short at the end of
//                                   file; with `into`, a view of it)
//   write(target, offset, bytes) -> bytes written (whole unless ENOSPC
//                                   stopped it part-way)
//   append(target, bytes) -> the offset the bytes landed at (O_APPEND)
//   truncate(target, size)   create(path, {mode, exclusive}) -> ino
//   mkdir(path, mode)  unlink(path)  rmdir(path)  rename(from, to)
//   link(existing, path)  symlink(target, path)  readlink(path) -> string
//   utimes(target, mtime)  chmod(target, mode)
//   open(target) -> ino   close(ino)   fsync(target)   sync()
//   resolve(path, follow) -> where a path leads, for a VFS above (links
//                            whose target leaves this file system)
//   statfs() -> {blockSize, blocks, freeBlocks, reservedBlocks, inodes,
//                freeInodes, nameMax}  (freeBlocks: less what is reserved)
//   reserve(blocks) -> a reservation {blocks}, or null if they are not free
//   unreserve(reservation)   available() -> blocks free and not reserved
//     (synchronous: reservation.js and "Reservations" below)
//   umount()
// Errors are KernelErrors with POSIX codes (kernel/lib/errors.js).
//
// Atomicity: each call is one operation (a large write is several, one per
// chunk), run one at a time under a lock; its changed blocks stay in its
// own layer of the block cache until it succeeds, then join the running
// transaction (block-cache.js). Before it starts, the operation reserves
// its worst case of blocks; if the transaction could not hold them it is
// committed first, so an operation never spans two transactions (xv6's
// begin_op). Durability: a transaction commits (log.js) on fsync, sync,
// umount, a full log, or `commitInterval` ms (5 s) after it began; fsync is
// sync, since there is one transaction for the whole file system.
//
// Reservations: a caller that accepts bytes now and writes them later (the
// kernel's sink for a redirection, kernel/fs/disk-mount.js) reserves the
// blocks they will take first, synchronously, against `free` (a count of
// free blocks kept as operations finish) less `reserved`; write(...,
// {reservation}) spends it as its chunks take blocks and gives back the
// rest when it ends. Every other operation may take only blocks nobody
// reserved (allocator.js, op.spare), so a reserved write never meets ENOSPC.
'use strict';

const { KernelError } = require('../../lib/errors');
const { utf8Bytes, utf8Decode } = require('../../lib/utf8');
const L = require('./layout');
const { BlockCache, CLEAN_LIMIT, readBlock } = require('./block-cache');
const { Log } = require('./log');
const { allocInode, countFree } = require('./allocator');
const { readInode, writeInode, readData, writeData, truncateData } = require('./inodes');
const dirs = require('./directories');
const { ReadAhead, MIN_WINDOW, MAX_WINDOW } = require('./read-ahead');

const COMMIT_INTERVAL = 5000; // ms a change may wait before it is committed
const MAX_LINKS_FOLLOWED = 40; // Linux's MAXSYMLINKS
const SYMLINK_MAX = L.BLOCK_SIZE - 1;
const READ_AHEAD_FILES = 64; // files whose read-ahead state is kept, least recently read dropped first

const err = (code, path) => new KernelError(code, path);
const components = (path) => String(path).split('/').filter((p) => p !== '' && p !== '.');

class DiskFileSystem {
  constructor(device, sb, log, { clock = () => 0, setTimer = null, clearTimer = null, commitInterval = COMMIT_INTERVAL, cacheBlocks = CLEAN_LIMIT } = {}) {
    this.device = device;
    this.sb = sb;
    this.log = log;
    this.cache = new BlockCache(device, sb, { limit: cacheBlocks });
    // Read-ahead windows of at most 1/32 of the cache (512 KiB of 16 MiB):
    // two in flight are a sixteenth of it, read well before they are evicted.
    this.readAheadMax = Math.max(MIN_WINDOW, Math.min(MAX_WINDOW, Math.floor(cacheBlocks / 32)));
    this.clock = clock;
    this.setTimer = setTimer;
    this.clearTimer = clearTimer;
    this.commitInterval = commitInterval;
    this.timer = null;
    this.opens = new Map(); // ino -> open count
    this.readAheads = new Map(); // ino -> ReadAhead (Map order = recency)
    this.tail = Promise.resolve(); // the lock: operations run one at a time
    this.broken = false; // a commit failed: recover from the disk before the next operation
    this.mounted = true;
    this.free = null; // free blocks, as of the last finished operation (mount counts them; null: unlimited)
    this.reserved = 0; // blocks reserved for writes accepted but not made yet
    // The largest operation the reservations below allow for.
    this.metaReserve = 16 + sb.bitmapBlocks;
    this.chunkBlocks = Math.min(64, log.maxBlocks - 8 - sb.bitmapBlocks);
  }

  // ---- the machinery: lock, operations, commits ----

  exclusive(fn) {
    const result = this.tail.then(() => fn());
    this.tail = result.catch(() => {});
    return result;
  }

  async ready() {
    if (!this.mounted) throw new KernelError('EINVAL', null, 'disk: the file system is not mounted');
    if (this.broken) {
      await this.log.recover();
      this.broken = false;
      if (this.free !== null) this.free = await this.countFreeBlocks(); // the transaction's changes are gone
    }
  }

  // Free blocks, counted in the bitmap.
  async countFreeBlocks() {
    const op = this.cache.begin();
    try {
      return (await countFree(op)).blocks;
    } finally {
      this.cache.abandon(op);
    }
  }

  // ---- reservations (synchronous) ----

  available() {
    return this.free === null ? Infinity : Math.max(0, this.free - this.reserved);
  }

  reserve(blocks) {
    if (!(blocks >= 0) || blocks > this.available()) return null;
    this.reserved += blocks;
    return { blocks };
  }

  unreserve(reservation) {
    if (!reservation) return;
    this.reserved -= reservation.blocks;
    reservation.blocks = 0;
  }

  // Runs fn(op) as one atomic operation that dirties at most `reserve`
  // blocks (of the log). Called with the lock held. It may take the free
  // blocks nobody reserved, and those of `reservation`, which it spends.
  async operation(reserve, fn, reservation = null) {
    await this.ready();
    if (this.cache.dirty.size + reserve > this.log.maxBlocks) await this.commit();
    const op = this.cache.begin();
    if (this.free !== null) op.spare = this.free - this.reserved + (reservation ? reservation.blocks : 0);
    try {
      const result = await fn(op);
      if (op.added > reserve) throw new Error(`disk: an operation changed ${op.added} blocks but reserved ${reserve}`);
      this.cache.finish(op);
      const net = op.taken - op.given;
      if (this.free !== null) this.free -= net;
      if (reservation) {
        const spent = Math.min(Math.max(net, 0), reservation.blocks);
        reservation.blocks -= spent;
        this.reserved -= spent;
      }
      this.arm();
      return result;
    } catch (e) {
      this.cache.abandon(op);
      throw e;
    }
  }

  // A read-only look: an operation that changes nothing.
  look(fn) {
    return this.exclusive(() => this.operation(0, fn));
  }

  change(fn, reserve = this.metaReserve) {
    return this.exclusive(() => this.operation(reserve, fn));
  }

  arm() {
    if (this.timer !== null || !this.setTimer || this.cache.dirty.size === 0) return;
    this.timer = this.setTimer(this.commitInterval, () => {
      this.timer = null;
      this.sync().catch(() => {}); // the next operation sees EIO through `broken`
    });
  }

  disarm() {
    if (this.timer !== null && this.clearTimer) this.clearTimer(this.timer);
    this.timer = null;
  }

  // Commits the running transaction (lock held). On a device error the
  // transaction is abandoned: the cache forgets everything, and the next
  // operation first recovers from what the disk holds.
  async commit() {
    this.disarm();
    if (this.cache.dirty.size === 0) return;
    try {
      await this.log.commit(this.cache.transaction);
      this.cache.committed();
    } catch (e) {
      this.cache.dropAll();
      this.broken = true;
      throw e instanceof KernelError ? e : new KernelError('EIO', null, `disk: commit failed: ${e.message}`);
    }
  }

  now() {
    return this.clock();
  }

  // ---- paths ----

  // The inode `parts` lead to from the root, links followed (the last one
  // only if `follow`).
  async walk(op, parts, path, follow) {
    const root = await readInode(op, L.ROOT_INO);
    let cur = root;
    let links = 0;
    parts = parts.slice();
    while (parts.length) {
      const part = parts.shift();
      if (cur.type !== L.T_DIR) throw err('ENOTDIR', path);
      const e = await dirs.lookup(op, cur, part);
      if (!e) throw err('ENOENT', path);
      const next = await readInode(op, e.ino);
      if (next.type === L.T_SYMLINK && (parts.length > 0 || follow)) {
        if (++links > MAX_LINKS_FOLLOWED) throw err('ELOOP', path);
        const target = utf8Decode(await readData(op, next, 0, next.size), 0, next.size);
        parts = [...components(target), ...parts];
        if (target.startsWith('/')) cur = root;
        continue;
      }
      cur = next;
    }
    return cur;
  }

  // For a VFS that mounts this file system (kernel/fs/disk-mount.js): walks
  // `path` as walk() does, following links (the last only if `follow`), but
  // stops where a link's target leaves this file system, since only the VFS
  // knows what is outside it. Returns {path, links}: the names walked with
  // every link replaced ('/' + names; the last name may not exist), or
  // {escape: 'root' | 'up', rest, links}: an absolute target ('root': `rest`
  // is the whole target and what followed it) or a '..' above this root
  // ('up': `rest` is what follows it, from the mount point's parent).
  // `links` counts the links followed, from `linksSoFar` (ELOOP past 40).
  resolve(path, follow = true, linksSoFar = 0) {
    return this.look(async (op) => {
      const root = await readInode(op, L.ROOT_INO);
      const walked = []; // [{name, inode}] from the root down
      let parts = components(path);
      let links = linksSoFar;
      while (parts.length) {
        const part = parts.shift();
        if (part === '..') {
          if (!walked.length) return { escape: 'up', rest: parts, links };
          walked.pop();
          continue;
        }
        const cur = walked.length ? walked[walked.length - 1].inode : root;
        if (cur.type !== L.T_DIR) throw err('ENOTDIR', path);
        const e = await dirs.lookup(op, cur, part);
        if (!e) {
          if (parts.length) throw err('ENOENT', path);
          walked.push({ name: part, inode: null });
          break;
        }
        const next = await readInode(op, e.ino);
        if (next.type === L.T_SYMLINK && (parts.length > 0 || follow)) {
          if (++links > MAX_LINKS_FOLLOWED) throw err('ELOOP', path);
          const target = utf8Decode(await readData(op, next, 0, next.size), 0, next.size);
          if (target.startsWith('/')) return { escape: 'root', rest: [...components(target), ...parts], links };
          parts = [...components(target), ...parts];
          continue;
        }
        walked.push({ name: part, inode: next });
      }
      return { path: '/' + walked.map((w) => w.name).join('/'), links };
    });
  }

  // The inode a target (path or open inode number) names.
  async inodeOf(op, target, follow = true) {
    if (typeof target === 'number') {
      const inode = await readInode(op, target);
      if (inode.type === L.T_FREE) throw new KernelError('EBADF', null, `disk: inode ${target} is not in use`);
      return inode;
    }
    return this.walk(op, components(target), target, follow);
  }

  // The directory that will hold the last name of `path`, and that name.
  async parentOf(op, path) {
    const parts = components(path);
    const name = parts.pop();
    if (name === undefined || name === '..') throw err(name === undefined ? 'EBUSY' : 'EINVAL', path);
    if (utf8Bytes(name).length > L.NAME_MAX) throw err('ENAMETOOLONG', path);
    const dir = await this.walk(op, parts, path, true);
    if (dir.type !== L.T_DIR) throw err('ENOTDIR', path);
    return { dir, name };
  }

  // A new inode of `type`, written by the caller.
  async newInode(op, type, mode) {
    const ino = await allocInode(op);
    const t = this.now();
    return { ...L.freeInode(), ino, type, mode: mode & 0o7777, nlink: 1, mtime: t, ctime: t };
  }

  // Gives back an inode and every block it holds.
  async release(op, inode) {
    await truncateData(op, inode, 0);
    await writeInode(op, { ino: inode.ino, ...L.freeInode() });
  }

  // One fewer name for `inode`; released when no name and no open is left.
  async dropLink(op, inode) {
    inode.nlink = inode.type === L.T_DIR ? 0 : inode.nlink - 1;
    inode.ctime = this.now();
    if (inode.nlink === 0 && !this.opens.has(inode.ino)) await this.release(op, inode);
    else await writeInode(op, inode);
  }

  touch(inode) {
    inode.mtime = inode.ctime = this.now();
  }

  // ---- reading ----

  stat(target) {
    return this.look(async (op) => describe(await this.inodeOf(op, target, true)));
  }

  lstat(path) {
    return this.look(async (op) => describe(await this.inodeOf(op, path, false)));
  }

  readdir(path) {
    return this.look(async (op) => {
      const dir = await this.inodeOf(op, path, true);
      if (dir.type !== L.T_DIR) throw err('ENOTDIR', path);
      return (await dirs.list(op, dir)).filter((e) => e.name !== '.' && e.name !== '..').map((e) => ({ name: e.name, ino: e.ino, type: L.TYPE_NAMES[e.type] }));
    });
  }

  // `into`: a Uint8Array of at least `length` bytes that the caller reuses
  // for every read (kernel/fs/disk-mount.js's pump): a new array of 64 KiB
  // and more costs V8 a page fault per 4 KiB it fills, more than the copy.
  read(target, offset, length, into = null) {
    return this.look(async (op) => {
      const inode = await this.inodeOf(op, target, true);
      if (inode.type === L.T_DIR) throw err('EISDIR', target);
      if (!(offset >= 0 && length >= 0)) throw err('EINVAL', target);
      const end = Math.min(inode.size, offset + length);
      if (end <= offset) return new Uint8Array(0);
      const first = Math.floor(offset / L.BLOCK_SIZE);
      const ahead = this.readAheadOf(inode.ino).access(first, Math.ceil(end / L.BLOCK_SIZE) - first);
      return readData(op, inode, offset, length, ahead, into);
    });
  }

  // The read-ahead state of a file (read-ahead.js). Linux keeps one per
  // open file; here reads name an inode, so there is one per inode, for the
  // READ_AHEAD_FILES read last (two readers of one file at different places
  // look random to it: they read what they ask for, no more).
  readAheadOf(ino) {
    let ra = this.readAheads.get(ino);
    if (ra) this.readAheads.delete(ino);
    else ra = new ReadAhead(this.readAheadMax);
    this.readAheads.set(ino, ra);
    if (this.readAheads.size > READ_AHEAD_FILES) this.readAheads.delete(this.readAheads.keys().next().value);
    return ra;
  }

  readlink(path) {
    return this.look(async (op) => {
      const inode = await this.inodeOf(op, path, false);
      if (inode.type !== L.T_SYMLINK) throw err('EINVAL', path);
      return utf8Decode(await readData(op, inode, 0, inode.size), 0, inode.size);
    });
  }

  statfs() {
    return this.look(async (op) => {
      const free = await countFree(op);
      const freeBlocks = Math.max(0, free.blocks - this.reserved); // as ext4's statfs leaves out delayed allocations
      return { blockSize: L.BLOCK_SIZE, blocks: this.sb.blocks, freeBlocks, reservedBlocks: this.reserved, inodes: this.sb.inodes - 1, freeInodes: free.inodes, nameMax: L.NAME_MAX };
    });
  }

  // ---- writing file data ----

  // Writes in chunks of at most `chunkBlocks` blocks, each its own
  // operation; all under one hold of the lock, so no other call sees half
  // of the write (a power cut may keep a prefix of it: each chunk is whole).
  // `reservation` (from reserve()) is spent by the chunks, and what is left
  // of it given back when the write ends, however it ends.
  write(target, offset, bytes, { append = false, reservation = null } = {}) {
    const written = this._write(target, offset, bytes, append, reservation);
    if (!reservation) return written;
    return written.finally(() => this.unreserve(reservation));
  }

  _write(target, offset, bytes, append, reservation) {
    return this.exclusive(async () => {
      if (!(offset >= 0) && !append) throw err('EINVAL', target);
      let ino = typeof target === 'number' ? target : null;
      let done = 0;
      let at = offset;
      const reserve = this.chunkBlocks + 6 + this.sb.bitmapBlocks;
      do {
        try {
          done += await this.operation(reserve, async (op) => {
            const inode = await this.inodeOf(op, ino === null ? target : ino, true);
            if (inode.type === L.T_DIR) throw err('EISDIR', target);
            if (inode.type !== L.T_FILE) throw err('EINVAL', target);
            ino = inode.ino;
            if (done === 0 && append) at = inode.size;
            const pos = at + done;
            const end = Math.min(at + bytes.length, (Math.floor(pos / L.BLOCK_SIZE) + this.chunkBlocks) * L.BLOCK_SIZE);
            await writeData(op, inode, pos, bytes.subarray(done, end - at));
            this.touch(inode);
            await writeInode(op, inode);
            return end - pos;
          }, reservation);
        } catch (e) {
          if (e.code === 'ENOSPC' && done > 0) break; // a short write: what was written stays
          throw e;
        }
      } while (done < bytes.length);
      return append ? { offset: at, written: done } : done;
    });
  }

  async append(target, bytes) {
    return (await this.write(target, 0, bytes, { append: true })).offset;
  }

  truncate(target, size) {
    return this.change(async (op) => {
      if (!(Number.isInteger(size) && size >= 0)) throw err('EINVAL', target);
      const inode = await this.inodeOf(op, target, true);
      if (inode.type === L.T_DIR) throw err('EISDIR', target);
      if (inode.type !== L.T_FILE) throw err('EINVAL', target);
      if (Math.ceil(size / L.BLOCK_SIZE) > L.MAX_FILE_BLOCKS) throw err('EFBIG', target);
      await truncateData(op, inode, size);
      this.touch(inode);
      await writeInode(op, inode);
    });
  }

  // ---- names ----

  create(path, { mode = 0o644, exclusive = true } = {}) {
    return this.change(async (op) => {
      const { dir, name } = await this.parentOf(op, path);
      const e = await dirs.lookup(op, dir, name);
      if (e) {
        if (exclusive) throw err('EEXIST', path);
        const inode = await this.inodeOf(op, path, true);
        if (inode.type === L.T_DIR) throw err('EISDIR', path);
        return inode.ino;
      }
      const inode = await this.newInode(op, L.T_FILE, mode);
      await writeInode(op, inode);
      await this.addName(op, dir, name, inode);
      return inode.ino;
    });
  }

  async addName(op, dir, name, inode) {
    await dirs.addEntry(op, dir, name, inode.ino, inode.type);
    this.touch(dir);
    await writeInode(op, dir);
  }

  mkdir(path, mode = 0o755) {
    return this.change(async (op) => {
      const { dir, name } = await this.parentOf(op, path);
      if (await dirs.lookup(op, dir, name)) throw err('EEXIST', path);
      const inode = await this.newInode(op, L.T_DIR, mode);
      inode.nlink = 2; // its name and its '.'
      await writeData(op, inode, 0, L.newDirBlock(inode.ino, dir.ino));
      await writeInode(op, inode);
      dir.nlink++; // the new directory's '..'
      await this.addName(op, dir, name, inode);
    });
  }

  symlink(target, path) {
    return this.change(async (op) => {
      const bytes = utf8Bytes(String(target));
      if (bytes.length > SYMLINK_MAX) throw err('ENAMETOOLONG', path);
      if (bytes.length === 0) throw err('ENOENT', path);
      const { dir, name } = await this.parentOf(op, path);
      if (await dirs.lookup(op, dir, name)) throw err('EEXIST', path);
      const inode = await this.newInode(op, L.T_SYMLINK, 0o777);
      await writeData(op, inode, 0, bytes);
      await writeInode(op, inode);
      await this.addName(op, dir, name, inode);
    });
  }

  link(existing, path) {
    return this.change(async (op) => {
      const inode = await this.inodeOf(op, existing, false);
      if (inode.type === L.T_DIR) throw err('EPERM', existing);
      const { dir, name } = await this.parentOf(op, path);
      if (await dirs.lookup(op, dir, name)) throw err('EEXIST', path);
      inode.nlink++;
      inode.ctime = this.now();
      await writeInode(op, inode);
      await this.addName(op, dir, name, inode);
    });
  }

  unlink(path) {
    return this.change(async (op) => {
      const { dir, name } = await this.parentOf(op, path);
      const e = await dirs.lookup(op, dir, name);
      if (!e) throw err('ENOENT', path);
      const inode = await readInode(op, e.ino);
      if (inode.type === L.T_DIR) throw err('EISDIR', path);
      await dirs.removeEntry(op, e);
      this.touch(dir);
      await writeInode(op, dir);
      await this.dropLink(op, inode);
    });
  }

  rmdir(path) {
    return this.change(async (op) => {
      const { dir, name } = await this.parentOf(op, path);
      const e = await dirs.lookup(op, dir, name);
      if (!e) throw err('ENOENT', path);
      const inode = await readInode(op, e.ino);
      if (inode.type !== L.T_DIR) throw err('ENOTDIR', path);
      if (!(await dirs.isEmpty(op, inode))) throw err('ENOTEMPTY', path);
      await dirs.removeEntry(op, e);
      dir.nlink--; // its '..'
      this.touch(dir);
      await writeInode(op, dir);
      await this.dropLink(op, inode);
    });
  }

  // rename(2): atomic, and it replaces an existing target (a file by a
  // file, an empty directory by a directory).
  rename(from, to) {
    return this.change(async (op) => {
      const src = await this.parentOf(op, from);
      const dst = await this.parentOf(op, to);
      const sameDir = src.dir.ino === dst.dir.ino;
      const ddir = sameDir ? src.dir : dst.dir; // one record per inode
      const se = await dirs.lookup(op, src.dir, src.name);
      if (!se) throw err('ENOENT', from);
      const moving = await readInode(op, se.ino);
      const de = await dirs.lookup(op, ddir, dst.name);
      if (de && de.ino === se.ino) return; // the same file: nothing to do
      if (moving.type === L.T_DIR) {
        // No directory may move into itself or below itself.
        for (let d = ddir; ; ) {
          if (d.ino === moving.ino) throw err('EINVAL', to);
          if (d.ino === L.ROOT_INO) break;
          d = await readInode(op, (await dirs.lookup(op, d, '..')).ino);
        }
      }
      if (de) {
        const target = await readInode(op, de.ino);
        if (moving.type === L.T_DIR && target.type !== L.T_DIR) throw err('ENOTDIR', to);
        if (moving.type !== L.T_DIR && target.type === L.T_DIR) throw err('EISDIR', to);
        if (target.type === L.T_DIR && !(await dirs.isEmpty(op, target))) throw err('ENOTEMPTY', to);
        await dirs.retarget(op, de, moving.ino, moving.type);
        if (target.type === L.T_DIR) ddir.nlink--; // the replaced directory's '..'
        await this.dropLink(op, target);
      } else {
        await dirs.addEntry(op, ddir, dst.name, moving.ino, moving.type);
      }
      await dirs.removeEntry(op, se);
      if (moving.type === L.T_DIR && !sameDir) {
        await dirs.retarget(op, await dirs.lookup(op, moving, '..'), ddir.ino, L.T_DIR);
        src.dir.nlink--;
        ddir.nlink++;
      }
      moving.ctime = this.now();
      await writeInode(op, moving);
      this.touch(src.dir);
      await writeInode(op, src.dir);
      if (!sameDir) {
        this.touch(ddir);
        await writeInode(op, ddir);
      }
    });
  }

  // ---- attributes ----

  utimes(target, mtime) {
    return this.change(async (op) => {
      if (mtime !== undefined && !Number.isFinite(mtime)) throw err('EINVAL', target);
      const inode = await this.inodeOf(op, target, true);
      inode.ctime = this.now();
      inode.mtime = mtime === undefined ? inode.ctime : mtime;
      await writeInode(op, inode);
    });
  }

  chmod(target, mode) {
    return this.change(async (op) => {
      const inode = await this.inodeOf(op, target, true);
      inode.mode = mode & 0o7777;
      inode.ctime = this.now();
      await writeInode(op, inode);
    });
  }

  // ---- open files and durability ----

  // Counts an open of `target`; the inode number it returns keeps the file
  // readable and writable after its last name goes, until close.
  open(target) {
    return this.look(async (op) => {
      const inode = await this.inodeOf(op, target, true);
      this.opens.set(inode.ino, (this.opens.get(inode.ino) || 0) + 1);
      return inode.ino;
    });
  }

  close(ino) {
    return this.change(async (op) => {
      const n = this.opens.get(ino) || 0;
      if (n === 0) throw new KernelError('EBADF', null, `disk: inode ${ino} is not open`);
      if (n > 1) return this.opens.set(ino, n - 1);
      this.opens.delete(ino);
      const inode = await readInode(op, ino);
      if (inode.type !== L.T_FREE && inode.nlink === 0) await this.release(op, inode);
    });
  }

  // Everything changed so far is durable when this resolves.
  sync() {
    return this.exclusive(async () => {
      await this.ready();
      await this.commit();
    });
  }

  async fsync(target) {
    if (target !== undefined) await this.stat(target);
    return this.sync();
  }

  // Frees inodes with no name and no open (left by a power cut while a
  // file was open after its unlink); mount does this before anything else.
  async freeOrphans() {
    const candidates = await this.look(async (op) => {
      const out = [];
      for (let i = 0; i < this.sb.inodeBlocks; i++) {
        const block = await op.get(this.sb.inodeStart + i);
        const v = new DataView(block.buffer, block.byteOffset, block.byteLength);
        for (let slot = 0; slot < L.INODES_PER_BLOCK; slot++) {
          const at = slot * L.INODE_SIZE;
          if (v.getUint16(at, true) !== L.T_FREE && v.getUint32(at + 4, true) === 0) out.push(i * L.INODES_PER_BLOCK + slot);
        }
      }
      return out;
    });
    for (const ino of candidates) {
      await this.change(async (op) => {
        const inode = await readInode(op, ino);
        if (inode.type !== L.T_FREE && inode.nlink === 0 && !this.opens.has(ino)) await this.release(op, inode);
      });
    }
    return candidates.length;
  }

  // Commits, releases files unlinked while open, and leaves the log empty.
  umount() {
    return this.exclusive(async () => {
      await this.ready();
      for (const ino of [...this.opens.keys()]) {
        this.opens.delete(ino);
        await this.operation(this.metaReserve, async (op) => {
          const inode = await readInode(op, ino);
          if (inode.type !== L.T_FREE && inode.nlink === 0) await this.release(op, inode);
        });
      }
      await this.commit();
      await this.log.close();
      this.disarm();
      this.mounted = false;
    });
  }
}

function describe(inode) {
  return { ino: inode.ino, type: L.TYPE_NAMES[inode.type], mode: inode.mode, nlink: inode.nlink, size: inode.size, blocks: inode.blocks, mtime: inode.mtime, ctime: inode.ctime };
}

// Checks the superblock and the device, recovers the log, frees orphans.
// Refuses a disk it cannot trust with an error that names the problem and
// says to run fsck.
async function mount(device, options = {}) {
  let sb;
  try {
    sb = L.decodeSuperblock(await readBlock(device, 0));
  } catch (e) {
    if (e instanceof KernelError) throw e;
    throw new KernelError('EINVAL', null, `disk: ${e.message}; run fsck`);
  }
  const deviceBlocks = Math.floor(device.capacity / L.SECTORS_PER_BLOCK);
  if (sb.blocks > deviceBlocks) throw new KernelError('EINVAL', null, `disk: the superblock says ${sb.blocks} blocks but the device holds only ${deviceBlocks} (a truncated image?); run fsck`);
  const log = new Log(device, sb);
  await log.recover();
  const fs = new DiskFileSystem(device, sb, log, options);
  fs.free = await fs.countFreeBlocks();
  const root = await fs.look((op) => readInode(op, L.ROOT_INO));
  if (root.type !== L.T_DIR) throw new KernelError('EIO', null, 'disk: the root inode is not a directory; run fsck');
  fs.orphansFreed = await fs.freeOrphans();
  if (fs.orphansFreed) await fs.sync();
  return fs;
}

module.exports = { mount, DiskFileSystem, COMMIT_INTERVAL };
