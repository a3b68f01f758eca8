// kernel/fs/vfs.js: the file tree: the boot image read-only, /tmp writable.
//
// The root is built from the image's ustar index (kernel/boot.js): directory
// nodes hold children by name, file nodes point into the image bytes and are
// decoded only when read as text. /tmp is a tmpfs: files whose bytes live in
// kernel memory, bounded in total size (`tmpfs.size=` on the kernel command
// line; a write past it fails with ENOSPC and keeps what was already there).
// /dev/null, /dev/zero, /dev/urandom, /dev/kmsg and /proc/sysrq-trigger are
// device nodes with their own read and write.
//
// Files are bytes. Text (readFile, writeFile) is UTF-8 at this edge; byte
// streams (openRead, openWrite) are what the kernel's pumps use
// (kernel/proc/pipes.js) when an app opens a file or redirects to one.
//
// Two file systems, as `df` shows them: the image mounted on / (read-only)
// and the tmpfs on /tmp. rename, rmdir and utimes follow POSIX rename(2),
// rmdir(2) and utimensat(2), with Linux's order of checks: a rename between
// the two is EXDEV, anything that would change the image EROFS.
'use strict';

const { KernelError } = require('../lib/errors');
const { utf8Decode, utf8Bytes: encode } = require('../lib/utf8');

const TMPFS_SIZE = 64 * 1024 * 1024; // bytes kept in /tmp in all, unless the command line says

const EMPTY = new Uint8Array(0);

// The file system a path is on: its mount point. Paths are absolute and
// normalized (Vfs.resolve), and there are no links, so the first name says.
const mountOf = (path) => (path.split('/').filter(Boolean)[0] === 'tmp' ? '/tmp' : '/');


function dirNode(mode, mtime, writable) {
  return { type: 'dir', mode, mtime, children: new Map(), writable };
}

class Vfs {
  constructor(image, { now = () => Date.now() / 1000, devices = {}, tmpSize = TMPFS_SIZE } = {}) {
    this.now = now;
    this.tmpUsed = 0;
    this.tmpSize = tmpSize;
    this.imageSize = image.bytes.length;
    this.root = dirNode(0o755, 0, false);
    for (const [path, e] of image.entries) {
      const parts = path.split('/').filter(Boolean);
      const name = parts.pop();
      const parent = this._mkdirs(parts, e.mtime);
      if (e.type === 'dir') {
        if (!parent.children.has(name)) parent.children.set(name, dirNode(e.mode || 0o755, e.mtime, false));
      } else {
        parent.children.set(name, {
          type: 'file',
          mode: e.mode || 0o644,
          mtime: e.mtime,
          size: e.size,
          // Image files never change: decode once, on first read as text.
          read() {
            if (this.text === undefined) this.text = utf8Decode(image.bytes, e.offset, e.offset + e.size);
            return this.text;
          },
          bytes: () => image.bytes.subarray(e.offset, e.offset + e.size),
        });
      }
    }
    this.root.children.set('tmp', dirNode(0o1777, this.now(), true));
    const dev = this._mkdirs(['dev'], this.now());
    // discard: bytes written here are dropped as they are, never decoded.
    dev.children.set('null', { type: 'file', mode: 0o666, mtime: 0, size: 0, read: () => '', write: () => {}, stream: () => null, discard: true });
    const proc = this._mkdirs(['proc'], this.now());
    // Device nodes the kernel adds: a bare name goes in /proc, a path ('/dev/kmsg') where it says.
    for (const [name, node] of Object.entries(devices)) {
      const parts = name.split('/').filter(Boolean);
      const dir = parts.length > 1 ? this._mkdirs(parts.slice(0, -1), this.now()) : proc;
      dir.children.set(parts[parts.length - 1], { type: 'file', mode: 0o200, mtime: 0, size: 0, ...node });
    }
  }

  _mkdirs(parts, mtime) {
    let node = this.root;
    for (const p of parts) {
      if (!node.children.has(p)) node.children.set(p, dirNode(0o755, mtime, false));
      node = node.children.get(p);
    }
    return node;
  }

  // Absolute, normalized path: resolve `path` against `cwd`.
  static resolve(cwd, path) {
    const parts = [];
    for (const p of (String(path).startsWith('/') ? path : `${cwd}/${path}`).split('/')) {
      if (p === '' || p === '.') continue;
      if (p === '..') parts.pop();
      else parts.push(p);
    }
    return '/' + parts.join('/');
  }

  lookup(path) {
    let node = this.root;
    for (const p of path.split('/').filter(Boolean)) {
      if (node.type !== 'dir') throw new KernelError('ENOTDIR', path);
      node = node.children.get(p);
      if (!node) throw new KernelError('ENOENT', path);
    }
    return node;
  }

  _parentOf(path) {
    const parts = path.split('/').filter(Boolean);
    const name = parts.pop();
    if (!name) throw new KernelError('EISDIR', path);
    const parent = this.lookup('/' + parts.join('/'));
    if (parent.type !== 'dir') throw new KernelError('ENOTDIR', path);
    return { parent, name };
  }

  _info(name, node) {
    return {
      name,
      type: node.type,
      size: node.type === 'dir' ? node.children.size : node.data !== undefined ? node.size : node.size,
      mode: node.mode,
      mtime: node.mtime,
    };
  }

  stat(path) {
    return this._info(path.split('/').filter(Boolean).pop() || '/', this.lookup(path));
  }

  readdir(path) {
    const node = this.lookup(path);
    if (node.type !== 'dir') throw new KernelError('ENOTDIR', path);
    return [...node.children.entries()].map(([n, c]) => this._info(n, c)).sort((a, b) => (a.name < b.name ? -1 : 1));
  }

  _file(path) {
    const node = this.lookup(path);
    if (node.type === 'dir') throw new KernelError('EISDIR', path);
    return node;
  }

  // The whole file as text (UTF-8).
  readFile(path) {
    const node = this._file(path);
    if (node.data !== undefined) return utf8Decode(node.data, 0, node.size);
    return node.read();
  }

  // The whole file as text, written (or appended): the kernel's and the old
  // app API's way; byte streams use openWrite.
  writeFile(path, data, append = false) {
    data = String(data);
    const node = this._lookupForWrite(path);
    if (node.write) return node.write(data); // a device node
    this._store(path, node, encode(data), append);
  }

  // A byte source for the kernel's fill pump: {next(max) -> Uint8Array | null}.
  // A file is read as it is when opened (later writes are not seen, as if
  // the reader had mapped it); a device makes its bytes as they are asked for.
  openRead(path) {
    const node = this._file(path);
    if (node.stream) {
      const make = node.stream();
      return { next: (max) => (make ? make(max) : null) };
    }
    // A /tmp file is copied: a later write replaces its bytes in place.
    const all = node.data !== undefined ? node.data.slice(0, node.size) : node.bytes ? node.bytes() : encode(node.read());
    let at = 0;
    return {
      next(max) {
        if (at >= all.length) return null;
        const piece = all.subarray(at, Math.min(all.length, at + max));
        at += piece.length;
        return piece;
      },
    };
  }

  // A byte sink for the kernel's drain pump, opened now (O_CREAT, and O_TRUNC
  // unless appending), so a bad path fails before anything runs:
  // {room(), write(bytes), error}. A write that fills /tmp keeps what fit
  // and sets error to ENOSPC; the pump then stops taking bytes.
  openWrite(path, append = false) {
    const node = this._lookupForWrite(path);
    if (node.discard) return { room: () => Infinity, write() {}, error: null };
    if (node.write) {
      return { room: () => Infinity, write: (bytes) => node.write(utf8Decode(bytes, 0, bytes.length)), error: null };
    }
    if (!append || node.data === undefined) this._store(path, node, EMPTY, false);
    const vfs = this;
    return {
      error: null,
      room: () => Infinity,
      write(bytes) {
        if (this.error) return;
        try {
          vfs._store(path, node, bytes, true);
        } catch (e) {
          this.error = e;
        }
      },
    };
  }

  // The node at `path`, made (empty) if it does not exist; a device node as it is.
  _lookupForWrite(path) {
    let node;
    try {
      node = this.lookup(path);
    } catch (e) {
      if (e.code !== 'ENOENT') throw e;
    }
    if (node && node.type === 'dir') throw new KernelError('EISDIR', path);
    if (node && (node.write || node.data !== undefined)) return node;
    const { parent, name } = this._parentOf(path);
    if (!parent.writable || node) throw new KernelError('EROFS', path);
    node = { type: 'file', mode: 0o644, mtime: this.now(), data: EMPTY, size: 0 };
    parent.children.set(name, node);
    return node;
  }

  // Writes `bytes` into a tmpfs file, replacing or appending. Past the tmpfs
  // size, what fits is written and ENOSPC thrown (as Linux's tmpfs does).
  _store(path, node, bytes, append) {
    const start = append ? node.size : 0;
    const free = this.tmpSize - (this.tmpUsed - node.size + start);
    const n = Math.max(0, Math.min(bytes.length, free));
    const size = start + n;
    if (size > node.data.length) {
      const grown = new Uint8Array(Math.max(size, Math.min(node.data.length * 2, size + (64 << 20))));
      grown.set(node.data.subarray(0, start));
      node.data = grown;
    }
    node.data.set(n === bytes.length ? bytes : bytes.subarray(0, n), start);
    this.tmpUsed += size - node.size;
    node.size = size;
    if (!append && node.data.length > 4 * size + 4096) node.data = node.data.slice(0, size); // truncated: give memory back
    node.mtime = this.now();
    if (n < bytes.length) throw new KernelError('ENOSPC', path);
  }

  mkdir(path) {
    const { parent, name } = this._parentOf(path);
    if (!parent.writable) throw new KernelError('EROFS', path);
    if (parent.children.has(name)) throw new KernelError('EEXIST', path);
    parent.children.set(name, dirNode(0o755, this.now(), true));
  }

  unlink(path) {
    const { parent, name } = this._parentOf(path);
    const node = parent.children.get(name);
    if (!node) throw new KernelError('ENOENT', path);
    if (!parent.writable) throw new KernelError('EROFS', path);
    if (node.type === 'dir' && node.children.size) throw new KernelError('ENOTEMPTY', path);
    if (node.data) this.tmpUsed -= node.size;
    parent.children.delete(name);
  }

  // The directory entry a path names, for the calls that change one: its
  // parent (which must exist: ENOENT, ENOTDIR) and its name. The root is
  // no entry: EBUSY, as Linux says for a mount point.
  _entry(path) {
    const parts = path.split('/').filter(Boolean);
    const name = parts.pop();
    if (!name) throw new KernelError('EBUSY', path);
    const dirPath = '/' + parts.join('/');
    const parent = this.lookup(dirPath);
    if (parent.type !== 'dir') throw new KernelError('ENOTDIR', path);
    return { parent, name, path, mount: mountOf(dirPath), node: parent.children.get(name) };
  }

  // rename(2): the entry `from` becomes `to`, replacing what `to` named if
  // POSIX allows it: a file replaces a file, a directory an empty
  // directory. The node itself moves (no bytes are copied; its mtime
  // stays). Linux's checks, in its order: both parents (ENOENT, ENOTDIR);
  // one file system (EXDEV); a writable one (EROFS); the source (ENOENT);
  // a directory into itself (EINVAL) or over its own ancestor (ENOTEMPTY);
  // the same file: nothing to do; then the kinds of the two (ENOTDIR,
  // EISDIR) and an occupied directory (ENOTEMPTY).
  rename(from, to) {
    const src = this._entry(from);
    const dst = this._entry(to);
    if (src.mount !== dst.mount) throw new KernelError('EXDEV', from);
    if (!src.parent.writable) throw new KernelError('EROFS', from);
    if (!dst.parent.writable) throw new KernelError('EROFS', to);
    const node = src.node;
    if (!node) throw new KernelError('ENOENT', from);
    if (to.startsWith(from + '/')) throw new KernelError('EINVAL', to);
    if (from.startsWith(to + '/')) throw new KernelError('ENOTEMPTY', to);
    const old = dst.node;
    if (old === node) return;
    if (old) {
      if (node.type === 'dir' && old.type !== 'dir') throw new KernelError('ENOTDIR', to);
      if (node.type !== 'dir' && old.type === 'dir') throw new KernelError('EISDIR', to);
      if (old.type === 'dir' && old.children.size) throw new KernelError('ENOTEMPTY', to);
      if (old.data) this.tmpUsed -= old.size; // the replaced file's bytes are free
    }
    src.parent.children.delete(src.name);
    dst.parent.children.set(dst.name, node);
  }

  // rmdir(2): an empty directory goes (EROFS on the image; ENOTDIR for a
  // file; ENOTEMPTY while it holds anything).
  rmdir(path) {
    const { parent, name, node } = this._entry(path);
    if (!parent.writable) throw new KernelError('EROFS', path);
    if (!node) throw new KernelError('ENOENT', path);
    if (node.type !== 'dir') throw new KernelError('ENOTDIR', path);
    if (node.children.size) throw new KernelError('ENOTEMPTY', path);
    parent.children.delete(name);
  }

  // utimensat(2), for touch: sets the modification time (seconds since
  // 1970; `mtime` undefined: now, from the injected clock). Only a /tmp
  // file or directory has a time to change: the image's are EROFS.
  utimes(path, mtime) {
    const node = this.lookup(path);
    if (mtime !== undefined && !Number.isFinite(mtime)) throw new KernelError('EINVAL', path);
    const writable = node.type === 'dir' ? node.writable : node.data !== undefined;
    if (!writable) throw new KernelError('EROFS', path);
    node.mtime = mtime === undefined ? this.now() : mtime;
  }

  // statfs(2), for df: the file system `path` is on (ENOENT if it is not
  // there), in bytes. The image is full by nature (its size is all used);
  // the tmpfs counts the bytes of its files against tmpfs.size.
  statfs(path) {
    this.lookup(path);
    return this._fsInfo(mountOf(path));
  }

  // Every file system, in mount order: what df lists with no arguments.
  filesystems() {
    return ['/', '/tmp'].map((mount) => this._fsInfo(mount));
  }

  _fsInfo(mount) {
    if (mount === '/') {
      return { source: 'image', type: 'ustar', mount, readonly: true, size: this.imageSize, used: this.imageSize, free: 0 };
    }
    const free = Math.max(0, this.tmpSize - this.tmpUsed);
    return { source: 'tmpfs', type: 'tmpfs', mount, readonly: false, size: this.tmpSize, used: this.tmpUsed, free };
  }
}

module.exports = { Vfs };
