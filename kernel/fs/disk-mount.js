// kernel/fs/disk-mount.js: a disk file system as the VFS sees it once mounted.
//
// The VFS (kernel/fs/vfs.js) walks a path to the mount point, asks
// resolve() where the rest leads (links inside the disk are followed here;
// one whose target leaves the disk goes back to the VFS), and then calls one
// of the methods below with a path inside the disk that holds no link. They
// are the VFS's own methods, asynchronous: the same records (stat's
// {name, type, size, mode, mtime, nlink, ino}), the same errors, now with
// the path the app gave instead of the disk's own, and the byte sources and
// sinks the kernel's pumps use (kernel/proc/pipes.js) for fs.open and
// redirections. The file system itself is kernel/fs/disk/file-system.js.
//
// Open files: a sink holds the file open (fs.open / fs.close of the
// library) until its pipe ends (every writer let go); a source until its
// owner releases it (the app's fs.close, or its exit), so a file unlinked
// while a program has it open stays readable until that program lets go,
// and umount is EBUSY meanwhile.
'use strict';

const { KernelError } = require('../lib/errors');
const { utf8Bytes, utf8Decode } = require('../lib/utf8');
const { StreamReservation } = require('./disk/reservation');

const CHUNK = 256 * 1024; // bytes a read request asks the file system for at most (a pipe trap's worth)
const BLOCK = 4096; // the file system's block: a read ends on a block's end when it can
const WRITE_AHEAD = 4 * 1024 * 1024; // bytes of writes queued before the sink says it is full
// Linux's numbers for the errors a pump may end a pipe with (docs/abi.md §3).
const ERRNO = { ENOENT: 2, EIO: 5, EBADF: 9, EACCES: 13, EBUSY: 16, EEXIST: 17, ENOTDIR: 20, EISDIR: 21, EINVAL: 22, EFBIG: 27, ENOSPC: 28, EROFS: 30, ELOOP: 40 };
// st_dev of the disk's files: 254:0, as Linux numbers the first virtio disk.
const DEV = (254 << 8) | 0;

class DiskMount {
  // fs: a mounted DiskFileSystem; point: where it is ('/home'); source: '/dev/vda'.
  constructor(fs, { point, source, name }) {
    this.fs = fs;
    this.point = point;
    this.source = source;
    this.name = name; // 'vda', for the log
    this.openFiles = 0; // sources and sinks alive: umount is EBUSY while any is
  }

  // The VFS path of `inner` (a path inside the disk), for messages.
  outer(inner) {
    return inner === '/' || inner === '' ? this.point : this.point + inner;
  }

  // Runs a library call, with its errors about the disk's paths made errors
  // about the VFS path `vfsPath` (the one the app named).
  async call(vfsPath, fn) {
    try {
      return await fn();
    } catch (e) {
      throw renamed(e, vfsPath);
    }
  }

  resolve(rest, follow, links) {
    return this.fs.resolve(rest, follow, links);
  }

  // ---- reading the tree ----

  async _record(name, st) {
    const info = { name, type: st.type, size: st.size, mode: st.mode, mtime: st.mtime, nlink: st.nlink, ino: st.ino, dev: DEV, blocks: st.blocks };
    if (st.type === 'symlink') info.target = await this.fs.readlink(st.ino);
    return info;
  }

  stat(inner, vfsPath) {
    return this.call(vfsPath, async () => this._record(baseName(vfsPath), await this.fs.stat(inner)));
  }

  lstat(inner, vfsPath) {
    return this.call(vfsPath, async () => this._record(baseName(vfsPath), await this.fs.lstat(inner)));
  }

  readdir(inner, vfsPath) {
    return this.call(vfsPath, async () => {
      const out = [];
      for (const e of await this.fs.readdir(inner)) out.push(await this._record(e.name, await this.fs.stat(e.ino)));
      return out.sort((a, b) => (a.name < b.name ? -1 : 1));
    });
  }

  readlink(inner, vfsPath) {
    return this.call(vfsPath, () => this.fs.readlink(inner));
  }

  // The whole file as bytes (a program's code at spawn, fs.read).
  readBytes(inner, vfsPath) {
    return this.call(vfsPath, async () => {
      const ino = await this.fs.open(inner);
      try {
        const st = await this.fs.stat(ino);
        if (st.type === 'dir') throw new KernelError('EISDIR', inner);
        return await this.fs.read(ino, 0, st.size);
      } finally {
        await this.fs.close(ino);
      }
    });
  }

  async readFile(inner, vfsPath) {
    const bytes = await this.readBytes(inner, vfsPath);
    return utf8Decode(bytes, 0, bytes.length);
  }

  // ---- changing the tree ----

  // The text API's write (fs.write): the whole file replaced, or appended
  // to. Its blocks are reserved as a sink's are (below): what fits is
  // written, to the last free block, and the rest refused with ENOSPC.
  writeFile(inner, vfsPath, text, append) {
    return this.call(vfsPath, async () => {
      const fs = this.fs;
      const ino = await fs.create(inner, { exclusive: false });
      const bytes = utf8Bytes(String(text));
      if (!append) await fs.truncate(ino, 0);
      const reservation = new StreamReservation(append ? (await fs.stat(ino)).size : 0);
      const fits = reservation.fit(bytes.length, fs.available());
      const blocks = fs.reserve(reservation.need(fits));
      const part = bytes.subarray(0, fits);
      const r = !fits ? 0 : append ? (await fs.write(ino, 0, part, { append: true, reservation: blocks })).written : await fs.write(ino, 0, part, { reservation: blocks });
      fs.unreserve(blocks);
      if (r < bytes.length) throw new KernelError('ENOSPC', inner);
    });
  }

  mkdir(inner, vfsPath) {
    return this.call(vfsPath, () => this.fs.mkdir(inner));
  }

  unlink(inner, vfsPath) {
    return this.call(vfsPath, () => this.fs.unlink(inner));
  }

  rmdir(inner, vfsPath) {
    return this.call(vfsPath, () => this.fs.rmdir(inner));
  }

  rename(from, to, vfsFrom) {
    return this.call(vfsFrom, () => this.fs.rename(from, to));
  }

  link(existing, path, vfsPath) {
    return this.call(vfsPath, () => this.fs.link(existing, path));
  }

  symlink(target, inner, vfsPath) {
    return this.call(vfsPath, () => this.fs.symlink(target, inner));
  }

  utimes(inner, vfsPath, mtime) {
    return this.call(vfsPath, () => this.fs.utimes(inner, mtime));
  }

  chmod(inner, vfsPath, mode) {
    return this.call(vfsPath, () => this.fs.chmod(inner, mode));
  }

  fsync(inner, vfsPath) {
    return this.call(vfsPath, () => this.fs.fsync(inner));
  }

  sync() {
    return this.call(this.point, () => this.fs.sync());
  }

  // df's record: sizes in bytes, counted from the bitmap.
  async statfs() {
    const s = await this.call(this.point, () => this.fs.statfs());
    return {
      source: this.source,
      type: 'jsksh-fs',
      mount: this.point,
      readonly: false,
      size: s.blocks * s.blockSize,
      used: (s.blocks - s.freeBlocks) * s.blockSize,
      free: s.freeBlocks * s.blockSize,
      inodes: s.inodes,
      freeInodes: s.freeInodes,
    };
  }

  // ---- byte streams for the pumps ----

  // A source for the fill pump: the file held open until the pipe ends;
  // each next() a promise of up to 256 KiB, read when the pipe has room, so
  // a reader sees what was written before each read (not a snapshot). The
  // bytes are read into one buffer, the same each time: the pump copies
  // them into the pipe before it asks for more (kernel/proc/pipes.js fill),
  // and a fresh buffer a read cost more than the read (file-system.js read).
  // A read ends on a block's end, so the next one starts on a block.
  async openRead(inner, vfsPath) {
    const ino = await this.call(vfsPath, () => this.fs.open(inner));
    try {
      const st = await this.call(vfsPath, () => this.fs.stat(ino));
      if (st.type === 'dir') throw new KernelError('EISDIR', vfsPath);
    } catch (e) {
      await this.fs.close(ino).catch(() => {});
      throw e;
    }
    this.openFiles++;
    let at = 0;
    let closed = false;
    let buffer = null;
    return {
      next: (max) =>
        this.call(vfsPath, () => this.fs.read(ino, at, blockEnd(at, Math.min(max, CHUNK)), (buffer ||= new Uint8Array(CHUNK)))).then((bytes) => {
          if (!bytes.length) return null;
          at += bytes.length;
          return bytes;
        }),
      // The pump is done (end of file, or no reader left): the file stays
      // open until release(), which the stream's owner calls when the app
      // closes it or exits, as a descriptor outlives what was read ahead.
      end() {},
      release: () => {
        if (closed) return;
        closed = true;
        this.openFiles--;
        this.fs.close(ino).catch(() => {});
      },
    };
  }

  // A sink for the drain pump (vfs.openWrite's shape, with whenRoom, end and
  // finish, as kernel/fs/block-device.js's): the file is made if missing and
  // truncated unless appending, now; writes are queued to the file system in
  // the order they come (its lock keeps that order), at most WRITE_AHEAD
  // bytes at a time. O_APPEND writes land at the end each time.
  //
  // Each write reserves the blocks its bytes will take before it returns
  // (reservation.js), as ext4 does at write(2): what does not fit is
  // refused there and then, as /tmp refuses it, with ENOSPC in `error`,
  // and the pump's pipe is closed with it, so the app's next write fails.
  // What fits of that write is still written; nothing after it is. A write
  // the file system refused later all the same (EIO) sets `error` too.
  // finish() resolves once every write is done and the file closed.
  async openWrite(inner, vfsPath, append) {
    let start = 0; // where the stream's bytes begin: the end of a file opened to append
    const ino = await this.call(vfsPath, async () => {
      const n = await this.fs.create(inner, { exclusive: false });
      await this.fs.open(n);
      if (!append) {
        try {
          await this.fs.truncate(n, 0);
        } catch (e) {
          await this.fs.close(n).catch(() => {});
          throw e;
        }
      } else {
        start = (await this.fs.stat(n)).size;
      }
      return n;
    });
    this.openFiles++;
    return diskSink(this, ino, vfsPath, append, start);
  }
}

function diskSink(mount, ino, vfsPath, append, start) {
  const fs = mount.fs;
  const reservation = new StreamReservation(start);
  let offset = 0; // where the next write goes (not appending)
  let inFlight = 0;
  let ended = false;
  let closed = false;
  let roomWaiter = null;
  let stopped = false; // a write the file system refused: the ones queued after it are not made
  let chain = Promise.resolve(); // the writes, one after another
  const idle = []; // fns waiting for nothing in flight (fsync)
  let settle = null;
  const finished = new Promise((resolve, reject) => (settle = { resolve, reject }));
  finished.catch(() => {}); // a redirection's sink is never asked

  const sink = {
    error: null,
    onError: null, // set by kernel/proc/streams.js: a write failed after write() returned
    room: () => (sink.error ? 0 : Math.max(0, WRITE_AHEAD - inFlight)),
    whenRoom(fn) {
      roomWaiter = fn;
    },
    write(bytes) {
      if (sink.error || closed || !bytes.length) return;
      // The blocks first: what does not fit is refused now, not later.
      const fits = reservation.fit(bytes.length, fs.available());
      const blocks = fs.reserve(reservation.need(fits));
      reservation.accept(fits);
      if (fits < bytes.length) fail(new KernelError('ENOSPC', vfsPath));
      if (fits === 0) return settled(); // nothing of it fits: the file closes once the writes before it are done
      const copy = bytes.slice(0, fits); // the pump's bytes are a view of the trap page
      const at = offset;
      offset += copy.length;
      inFlight += copy.length;
      // Each write waits for the one before: after a refusal (EIO) none
      // that follows is made, so the file never gets a hole past what was
      // written. The write that met ENOSPC above is the last one made.
      const write = () => {
        if (stopped) {
          fs.unreserve(blocks);
          return copy.length;
        }
        return append ? fs.write(ino, 0, copy, { append: true, reservation: blocks }).then((r) => r.written) : fs.write(ino, at, copy, { reservation: blocks });
      };
      const done = (chain = chain.then(write, write));
      done.then(
        (n) => {
          inFlight -= copy.length;
          if (n < copy.length) {
            stopped = true;
            fail(new KernelError('ENOSPC', vfsPath));
          }
          settled();
        },
        (e) => {
          inFlight -= copy.length;
          stopped = true;
          fail(e);
          settled();
        },
      );
    },
    end() {
      ended = true;
      settled();
    },
    finish: () => finished,
    // Resolves once the writes taken so far are done (made, or refused).
    idle: () => new Promise((resolve) => (inFlight ? idle.push(resolve) : resolve())),
    // fsync(2) of this open file: its writes so far done, then the file system synced.
    fsync: () => sink.idle().then(() => {
      if (sink.error) throw sink.error;
      return mount.call(vfsPath, () => fs.fsync(ino));
    }),
  };

  function fail(e) {
    if (sink.error) return;
    const err = renamed(e, vfsPath);
    sink.error = Object.assign(err, { errno: ERRNO[err.code] || 5 });
    if (sink.onError) sink.onError(sink.error);
  }

  // After each write and at the end: wake whoever waits for room or for
  // nothing in flight; once the input ended (or failed) and nothing is in
  // flight, the file is closed.
  function settled() {
    const fn = roomWaiter;
    roomWaiter = null;
    if (fn) fn();
    if (inFlight > 0) return;
    for (const w of idle.splice(0)) w();
    if (closed || !(ended || sink.error)) return;
    closed = true;
    mount.openFiles--;
    fs.close(ino).then(
      () => (sink.error ? settle.reject(sink.error) : settle.resolve()),
      (e) => settle.reject(sink.error || renamed(e, vfsPath)),
    );
  }
  return sink;
}

// A library error made about the VFS path: its standard message names the
// path the app gave; a message of its own (a corrupt disk's "run fsck") stays,
// except a full disk's ('no free blocks left'), said as ENOSPC always is.
function renamed(e, vfsPath) {
  if (!(e instanceof KernelError)) return new KernelError('EIO', vfsPath, `${vfsPath}: ${(e && e.message) || e}`);
  if (e.path === undefined && e.code !== 'ENOSPC') return e;
  const out = new KernelError(e.code, vfsPath);
  if (e.errno) out.errno = e.errno;
  return out;
}

// `length` from `at`, cut back to end on a block's end if that leaves any.
const blockEnd = (at, length) => (length > (at + length) % BLOCK ? length - ((at + length) % BLOCK) : length);

const baseName = (path) => String(path).split('/').filter(Boolean).pop() || '/';

module.exports = { DiskMount, ERRNO, DEV };
