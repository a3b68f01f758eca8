// kernel/fs/vfs.js: the file tree: the boot image read-only, /tmp writable.
//
// The root is built from the image's ustar index (kernel/boot.js): directory
// nodes hold children by name, file nodes point into the image bytes and are
// decoded only when read. /tmp is a tmpfs: files whose text lives in kernel
// memory, bounded in total size. /dev/null, /dev/kmsg and
// /proc/sysrq-trigger are device nodes with their own read and write.
'use strict';

const { KernelError } = require('./errors');
const { utf8Decode } = require('../arch/machine');

const TMPFS_LIMIT = 16 * 1024 * 1024; // characters kept in /tmp in all

function dirNode(mode, mtime, writable) {
  return { type: 'dir', mode, mtime, children: new Map(), writable };
}

class Vfs {
  constructor(image, { now = () => Date.now() / 1000, devices = {} } = {}) {
    this.now = now;
    this.tmpUsed = 0;
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
          // Image files never change: decode once, on first read.
          read() {
            if (this.text === undefined) this.text = utf8Decode(image.bytes, e.offset, e.offset + e.size);
            return this.text;
          },
        });
      }
    }
    this.root.children.set('tmp', dirNode(0o1777, this.now(), true));
    const dev = this._mkdirs(['dev'], this.now());
    dev.children.set('null', { type: 'file', mode: 0o666, mtime: 0, size: 0, read: () => '', write: () => {} });
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
      size: node.type === 'dir' ? node.children.size : node.data !== undefined ? node.data.length : node.size,
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

  readFile(path) {
    const node = this.lookup(path);
    if (node.type === 'dir') throw new KernelError('EISDIR', path);
    return node.data !== undefined ? node.data : node.read();
  }

  writeFile(path, data, append = false) {
    data = String(data);
    let node;
    try {
      node = this.lookup(path);
    } catch (e) {
      if (e.code !== 'ENOENT') throw e;
    }
    if (node && node.type === 'dir') throw new KernelError('EISDIR', path);
    if (node && node.write) return node.write(data); // a device node
    const { parent, name } = this._parentOf(path);
    if (!parent.writable) throw new KernelError('EROFS', path);
    const old = node ? node.data.length : 0;
    const next = append && node ? node.data + data : data;
    if (this.tmpUsed - old + next.length > TMPFS_LIMIT) throw new KernelError('EFBIG', path);
    this.tmpUsed += next.length - old;
    if (!node) {
      node = { type: 'file', mode: 0o644, mtime: 0, data: '' };
      parent.children.set(name, node);
    }
    node.data = next;
    node.mtime = this.now();
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
    if (node.data) this.tmpUsed -= node.data.length;
    parent.children.delete(name);
  }
}

module.exports = { Vfs };
