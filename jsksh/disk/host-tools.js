// jsksh/disk/host-tools.js: the `jsksh disk` tools' JavaScript half, run in
// a V8 isolate on the host by jsksh/disk/host_fs.py, over the very files the
// kernel loads (kernel/fs/disk/, kernel/lib/) and an image file.
//
// The device is the image: read, write and flush are one trap each,
// `__diskHost()`, into Python (os.pread, os.pwrite, os.fdatasync), through a
// shared page:
//
//   0   u32 op       1 READ, 2 WRITE, 3 FLUSH (the image); 4 INPUT, 5 OUTPUT (a local file)
//   4   i32 result   set by Python: bytes moved (INPUT), 0, or -errno
//   8   f64 a        READ/WRITE: first sector; INPUT/OUTPUT: unused
//   16  f64 b        READ/WRITE: sectors; INPUT: bytes wanted; OUTPUT: bytes given
//   64  data         up to the page's size less 64 bytes
//
// A trap runs Python while JavaScript waits, so a device call is done when
// the trap returns; it still answers with a promise, as the virtio driver's
// does. Python starts a tool with `__diskTool(name, argsJSON)` and reads
// `__diskResult()` (JSON: {ok, value} or {ok: false, code, message}) once
// the isolate's microtasks have run (host_fs.py says how it knows).
'use strict';
(function () {
  const { mount } = require('/kernel/fs/disk/file-system');
  const { mkfs } = require('/kernel/fs/disk/mkfs');
  const { fsck } = require('/kernel/fs/disk/fsck');

  const READ = 1, WRITE = 2, FLUSH = 3, INPUT = 4, OUTPUT = 5;
  const HEADER = 64;
  const SECTOR = 512;
  const page = new Uint8Array(globalThis.__diskPage);
  const view = new DataView(globalThis.__diskPage);
  const room = page.length - HEADER; // bytes one trap moves
  const CHUNK = 256 << 10; // a file's bytes per write operation (the library splits larger ones itself)

  // One trap: returns Python's result, or throws the errno it reported.
  function host(op, a, b) {
    view.setUint32(0, op, true);
    view.setInt32(4, 0, true);
    view.setFloat64(8, a, true);
    view.setFloat64(16, b, true);
    globalThis.__diskHost();
    const result = view.getInt32(4, true);
    if (result < 0) {
      const e = new Error(`host I/O error (errno ${-result})`);
      e.code = 'EIO';
      throw e;
    }
    return result;
  }

  // The image as a block device, in kernel/drivers/virtio/blk.js's shape.
  class ImageDevice {
    constructor(sectors) {
      this.sectorSize = SECTOR;
      this.capacity = sectors;
    }

    async read(sector, count) {
      const out = new Uint8Array(count * SECTOR);
      for (let done = 0; done < count; ) {
        const n = Math.min(count - done, room / SECTOR);
        host(READ, sector + done, n);
        out.set(page.subarray(HEADER, HEADER + n * SECTOR), done * SECTOR);
        done += n;
      }
      return out;
    }

    async write(sector, bytes) {
      const count = bytes.length / SECTOR;
      for (let done = 0; done < count; ) {
        const n = Math.min(count - done, room / SECTOR);
        page.set(bytes.subarray(done * SECTOR, (done + n) * SECTOR), HEADER);
        host(WRITE, sector + done, n);
        done += n;
      }
    }

    async flush() {
      host(FLUSH, 0, 0);
    }
  }

  // A local file's bytes, a piece at a time (`put`): an empty result is its end.
  function input(max) {
    const n = host(INPUT, 0, Math.min(max, room));
    return page.slice(HEADER, HEADER + n);
  }

  // Bytes for a local file or stdout (`cat`, `get`).
  function output(bytes) {
    for (let done = 0; done < bytes.length; ) {
      const n = Math.min(bytes.length - done, room);
      page.set(bytes.subarray(done, done + n), HEADER);
      host(OUTPUT, 0, n);
      done += n;
    }
  }

  const clock = () => Date.now() / 1000;
  const parentOf = (path) => path.replace(/\/+$/, '').replace(/\/[^/]*$/, '') || '/';
  const baseOf = (path) => path.replace(/\/+$/, '').replace(/^.*\//, '');

  // Mounts, runs fn(fs), and unmounts if anything was written: a tool that
  // only looks leaves the image as it found it, unless mount had to replay
  // the log or free orphans (then umount leaves the log empty).
  async function withFs(device, writes, fn) {
    const fs = await mount(device, { clock });
    let result;
    try {
      result = await fn(fs);
    } catch (e) {
      if (writes || fs.log.replayed || fs.orphansFreed) await fs.umount().catch(() => {});
      throw e;
    }
    if (writes || fs.log.replayed || fs.orphansFreed) await fs.umount();
    return result;
  }

  const tools = {
    // [{name, type, mode, nlink, size, mtime}] for a directory's entries
    // (sorted), or the one entry a file's path names; `directory` says which.
    ls: (device, { path }) =>
      withFs(device, false, async (fs) => {
        const st = await fs.stat(path);
        if (st.type !== 'dir') return { directory: false, entries: [{ name: path, ...(await fs.lstat(path)) }] };
        const names = (await fs.readdir(path)).map((e) => e.name).sort();
        const entries = [];
        for (const name of names) {
          const entry = { name, ...(await fs.lstat(`${path}/${name}`)) };
          if (entry.type === 'symlink') entry.target = await fs.readlink(`${path}/${name}`);
          entries.push(entry);
        }
        return { directory: true, entries };
      }),

    // The file's bytes go out through OUTPUT; returns their count.
    cat: (device, { path }) =>
      withFs(device, false, async (fs) => {
        const st = await fs.stat(path);
        if (st.type === 'dir') throw Object.assign(new Error(`${path}: Is a directory`), { code: 'EISDIR' });
        let offset = 0;
        for (;;) {
          const bytes = await fs.read(path, offset, CHUNK);
          if (bytes.length === 0) break;
          output(bytes);
          offset += bytes.length;
        }
        return { size: offset };
      }),

    // Creates or replaces `path` with the bytes INPUT gives. The bytes go to
    // a new file beside it, which is renamed over `path` once it is whole:
    // after a crash `path` is the old file or the new one, never a part.
    // fsync, then umount (which commits and leaves the log empty).
    // A directory as `path` receives the file under `name` (the local file's), as cp does.
    put: (device, { path, name, mode }) =>
      withFs(device, true, async (fs) => {
        let target = path;
        const existing = await fs.stat(path).catch(() => null);
        if (existing && existing.type === 'dir') {
          if (!name) throw Object.assign(new Error(`${path}: Is a directory`), { code: 'EISDIR' });
          target = `${path.replace(/\/+$/, '')}/${name}`;
        }
        const temp = `${parentOf(target)}/.${baseOf(target)}.jsksh-put`;
        let size = 0;
        try {
          await fs.unlink(temp).catch(() => {});
          const ino = await fs.create(temp, { mode, exclusive: true });
          for (;;) {
            const bytes = input(CHUNK);
            if (bytes.length === 0) break;
            const n = await fs.write(ino, size, bytes);
            size += n;
            if (n < bytes.length) throw Object.assign(new Error(`${path}: No space left on device`), { code: 'ENOSPC' });
          }
          await fs.rename(temp, target);
        } catch (e) {
          await fs.unlink(temp).catch(() => {});
          // The user named `target`; the temporary name is ours.
          if (e && typeof e.message === 'string') e.message = e.message.split(temp).join(target);
          throw e;
        }
        await fs.fsync(target);
        return { size, path: target };
      }),

    mkdir: (device, { path, mode }) => withFs(device, true, (fs) => fs.mkdir(path, mode)),

    // A file or symbolic link is unlinked, a directory removed if it is empty.
    rm: (device, { path }) =>
      withFs(device, true, async (fs) => {
        const st = await fs.lstat(path);
        if (st.type === 'dir') await fs.rmdir(path);
        else await fs.unlink(path);
      }),

    fsck: (device, { repair }) => fsck(device, { repair }),

    mkfs: async (device) => {
      const sb = await mkfs(device, { now: clock() });
      return { blocks: sb.blocks, inodes: sb.inodes, logBlocks: sb.logBlocks, dataStart: sb.dataStart };
    },

    statfs: (device) => withFs(device, false, (fs) => fs.statfs()),
  };

  let result = '';
  globalThis.__diskTool = (name, argsJSON) => {
    result = '';
    const { sectors, ...args } = JSON.parse(argsJSON);
    Promise.resolve()
      .then(() => tools[name](new ImageDevice(sectors), args))
      .then(
        (value) => {
          result = JSON.stringify({ ok: true, value: value === undefined ? null : value });
        },
        (e) => {
          result = JSON.stringify({ ok: false, code: (e && e.code) || 'EIO', message: String((e && e.message) || e), stack: String((e && e.stack) || '') });
        },
      );
  };
  globalThis.__diskResult = () => result;
})();
