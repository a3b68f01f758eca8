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
'use strict';

const { KernelError } = require('../lib/errors');
const { utf8Decode, utf8Bytes: encode } = require('../lib/utf8');

const TMPFS_SIZE = 64 * 1024 * 1024; // bytes kept in /tmp in all, unless the command line says

const EMPTY = new Uint8Array(0);


function dirNode(mode, mtime, writable) {
  return { type: 'dir', mode, mtime, children: new Map(), writable };
}

class Vfs {
  constructor(image, { now = () => Date.now() / 1000, devices = {}, tmpSize = TMPFS_SIZE } = {}) {
    this.now = now;
    this.tmpUsed = 0;
    this.tmpSize = tmpSize;
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
}

module.exports = { Vfs };
