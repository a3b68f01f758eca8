// kernel/fs/vfs.js: the file tree: the boot image read-only, /tmp writable.
//
// The root is built from the image's ustar index (kernel/boot.js): directory
// nodes hold children by name, file nodes point into the image bytes and are
// decoded only when read as text. /tmp is a tmpfs: files whose bytes live in
// kernel memory, bounded in total size (`tmpfs.size=` on the kernel command
// line; a write past it fails with ENOSPC and keeps what was already there).
// /dev/null, /dev/zero, /dev/urandom, /dev/kmsg and /proc/sysrq-trigger are
// device nodes with their own read and write; /dev/vda, with a disk, is a
// node whose bytes come and go through its driver (kernel/fs/block-device.js).
//
// Files are bytes. Text (readFile, writeFile) is UTF-8 at this edge; byte
// streams (openRead, openWrite) are what the kernel's pumps use
// (kernel/proc/pipes.js) when an app opens a file or redirects to one.
//
// Two file systems, as `df` shows them: the image mounted on / (read-only)
// and the tmpfs on /tmp. rename, rmdir and utimes follow POSIX rename(2),
// rmdir(2) and utimensat(2), with Linux's order of checks: a rename between
// the two is EXDEV, anything that would change the image EROFS. chmod
// follows chmod(2): the permission bits, links followed.
//
// Mounts: a file system mounted on a directory (a disk's, on /home at boot:
// kernel/fs/disks.js) takes every call whose path leads under it. The walk
// stops at the mount point, the disk resolves the rest (kernel/fs/disk-mount.js;
// a link whose target leaves the disk comes back here: an absolute target
// from this root), and the call returns the disk's promise. Paths that meet
// no mount run the code below as they always did, synchronously.
//
// Links live in the tmpfs (and on a disk). A symbolic link is a node that holds a path
// (symlink(7)): every path is walked one name at a time (_walk), and a link
// met on the way is replaced by its target, relative to the link's own
// directory, up to 40 times a walk (Linux's MAXSYMLINKS, then ELOOP). The
// calls that act on a name itself (lstat, readlink, unlink, rename, rmdir,
// mkdir, symlink, link) do not follow a link in the last name; the rest do.
// A hard link is one more name for the same node: a tmpfs file's bytes and
// times belong to the node, so two names see one file, and its bytes are
// given back when the last name goes (nlink, as stat(2) counts them).
'use strict';

const { KernelError } = require('../lib/errors');
const { utf8Decode, utf8Bytes: encode } = require('../lib/utf8');

const TMPFS_SIZE = 64 * 1024 * 1024; // bytes kept in /tmp in all, unless the command line says

const EMPTY = new Uint8Array(0);

// Links followed in one walk before it gives up: Linux's MAXSYMLINKS.
const MAX_LINKS_FOLLOWED = 40;
// The longest target a symbolic link may hold, in bytes (PATH_MAX - 1).
const MAX_TARGET_BYTES = 4095;

// The file system a path is on: its mount point. The path must be a real
// one (the walk's `real`, no link in it), so the first name says.
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
    this.nextInode = 1;
    this.mounts = new Map(); // mount point -> a mounted disk (kernel/fs/disk-mount.js)
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

  // Walks `path` from the root, a name at a time, and returns what it names:
  // {node, parent, name, real}. `node` is undefined when the last name is
  // not there (its parent is: the calls that create a name need it); a
  // missing or non-directory name before the last is ENOENT or ENOTDIR.
  // `real` is the path walked with every link replaced: its first name says
  // which file system the node is on. A symbolic link on the way is
  // replaced by its target (an absolute one walks again from the root, a
  // relative one from the link's directory), and so is one in the last
  // name unless `follow` is false (lstat and the calls that change a name).
  // `..` in a target goes up from where the walk is, as the kernel's does;
  // `path` itself comes already normalized by Vfs.resolve.
  //
  // A directory with a file system mounted on it (kernel/fs/disk-mount.js)
  // ends the walk: {mount, rest, real, links} says which, the names still
  // to walk inside it, the mount point's path and the links followed so
  // far; _find goes on from there.
  _walk(path, follow = true, links = 0) {
    const names = path.split('/').filter(Boolean);
    let dirs = [this.root]; // the directories walked so far, the root first
    let real = []; // their names
    let linksFollowed = links;
    while (names.length > 0) {
      const name = names.shift();
      if (name === '.') continue;
      if (name === '..') {
        if (dirs.length > 1) {
          dirs.pop();
          real.pop();
        }
        continue;
      }
      const parent = dirs[dirs.length - 1];
      const node = parent.children.get(name);
      const last = names.length === 0;
      if (node && node.type === 'symlink' && (!last || follow)) {
        if (++linksFollowed > MAX_LINKS_FOLLOWED) throw new KernelError('ELOOP', path);
        if (node.target.startsWith('/')) [dirs, real] = [[this.root], []];
        names.unshift(...node.target.split('/').filter(Boolean));
        continue;
      }
      if (node && node.mounted) return { mount: node.mounted, rest: names, real: '/' + [...real, name].join('/'), links: linksFollowed };
      if (last) return { node, parent, name, real: '/' + [...real, name].join('/') };
      if (!node) throw new KernelError('ENOENT', path);
      if (node.type !== 'dir') throw new KernelError('ENOTDIR', path);
      dirs.push(node);
      real.push(name);
    }
    // The path ended on a directory already walked: the root, or a '..' or a link's target.
    const node = dirs[dirs.length - 1];
    return { node, parent: dirs[dirs.length - 2] || null, name: real[real.length - 1] || '', real: '/' + real.join('/') };
  }

  // The in-memory walk of a path that leads to no mount (the routing below
  // made sure): what the image's and the tmpfs's own calls use.
  _walkLocal(path, follow = true) {
    const w = this._walk(path, follow);
    if (w.mount) throw new KernelError('EXDEV', path);
    return w;
  }

  // Where `path` leads: the in-memory walk's {node, parent, name, real} at
  // once, or, when it enters a mounted file system, a promise of
  // {mount, inner, real}: the mount and the path inside it, with every
  // link replaced, or of an in-memory walk's result when a link on the disk
  // leads back out (an absolute target walks again from the VFS root, as
  // POSIX users expect; '..' above the disk's root goes to the mount
  // point's parent). The 40-link limit counts links on both sides.
  _find(path, follow) {
    const w = this._walk(path, follow);
    return w.mount ? this._findOnDisk(w, follow) : w;
  }

  async _findOnDisk(w, follow) {
    for (;;) {
      const r = await w.mount.resolve(w.rest.join('/'), follow, w.links);
      if (r.path !== undefined) return { mount: w.mount, inner: r.path, real: r.path === '/' ? w.real : w.real + r.path };
      const from = r.escape === 'root' ? '' : w.real.slice(0, w.real.lastIndexOf('/'));
      const next = this._walk(`${from}/${r.rest.join('/')}`, follow, r.links);
      if (!next.mount) return next;
      w = next;
    }
  }

  // Runs an operation on `path`: `local(path)` for the image and the tmpfs,
  // synchronously, exactly as before any mount existed; `disk(mount, inner,
  // where)` when the path leads onto a mounted disk (a promise).
  _route(path, follow, local, disk) {
    if (this.mounts.size === 0) return local(path);
    const w = this._find(path, follow);
    if (typeof w.then !== 'function') return local(path);
    return w.then((r) => (r.mount ? disk(r.mount, r.inner, r) : local(r.real)));
  }

  // The node `path` names, links followed (ENOENT if there is none).
  lookup(path) {
    const { node } = this._walkLocal(path);
    if (!node) throw new KernelError('ENOENT', path);
    return node;
  }

  _info(name, node) {
    const info = { name, type: node.type, size: this._size(node), mode: node.mode, mtime: node.mtime, nlink: this._links(node), ino: this._inode(node) };
    if (node.type === 'symlink') info.target = node.target;
    return info;
  }

  // A directory's size is its number of entries; a link's, its target's bytes.
  _size(node) {
    return node.type === 'dir' ? node.children.size : node.size;
  }

  // The names a node has, as stat(2)'s st_nlink counts them: a directory is
  // named by its parent and by its own '.', and by each subdirectory's '..'.
  _links(node) {
    if (node.type !== 'dir') return node.nlink || 1;
    let subdirs = 0;
    for (const child of node.children.values()) if (child.type === 'dir') subdirs++;
    return 2 + subdirs;
  }

  // The node's number, given on first ask: two names with one number are one
  // file (how cp knows it would copy a file onto itself through a link).
  _inode(node) {
    if (node.ino === undefined) node.ino = this.nextInode++;
    return node.ino;
  }

  // stat(2): what `path` names, links followed.
  _localStat(path) {
    return this._info(path.split('/').filter(Boolean).pop() || '/', this.lookup(path));
  }

  // lstat(2): the same, except that a link in the last name is described
  // itself (type 'symlink', its target, size the target's bytes).
  _localLstat(path) {
    const { node } = this._walkLocal(path, false);
    if (!node) throw new KernelError('ENOENT', path);
    return this._info(path.split('/').filter(Boolean).pop() || '/', node);
  }

  _localReaddir(path) {
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
  _localReadFile(path) {
    const node = this._file(path);
    if (node.data !== undefined) return utf8Decode(node.data, 0, node.size);
    return node.read();
  }

  // The whole file as bytes, without decoding: a view of what the file
  // holds now (do not write to it; a later write to the file may change it).
  // What the kernel sends on unread, as a program's code at spawn.
  _localReadBytes(path) {
    const node = this._file(path);
    if (node.data !== undefined) return node.data.subarray(0, node.size);
    if (node.bytes) return node.bytes(); // a file of the image: a view of its bytes
    return encode(String(node.read()));
  }

  // The whole file as text, written (or appended): the kernel's and the old
  // app API's way; byte streams use openWrite.
  _localWriteFile(path, data, append = false) {
    data = String(data);
    const node = this._lookupForWrite(path);
    if (node.write) return node.write(data); // a device node
    this._store(path, node, encode(data), append);
  }

  // A byte source for the kernel's fill pump: {next(max) -> Uint8Array | null}.
  // A file is read as it is when opened (later writes are not seen, as if
  // the reader had mapped it); a device makes its bytes as they are asked for.
  _localOpenRead(path) {
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
  _localOpenWrite(path, append = false) {
    const node = this._lookupForWrite(path);
    if (node.discard) return { room: () => Infinity, write() {}, error: null };
    if (node.sink) return node.sink(); // a device that takes bytes itself (a disk: kernel/fs/block-device.js)
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

  // The node at `path`, made (empty) if it does not exist; a device node as
  // it is. A link is followed, also a dangling one: its target is made.
  _lookupForWrite(path) {
    const { node, parent, name } = this._walkLocal(path);
    if (node && node.type === 'dir') throw new KernelError('EISDIR', path);
    if (node && (node.write || node.data !== undefined)) return node;
    if (!parent.writable || node) throw new KernelError('EROFS', path);
    const file = { type: 'file', mode: 0o644, mtime: this.now(), data: EMPTY, size: 0 };
    parent.children.set(name, file);
    return file;
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

  _localMkdir(path) {
    const { parent, name, node } = this._entry(path, 'EEXIST');
    if (!parent.writable) throw new KernelError('EROFS', path);
    if (node) throw new KernelError('EEXIST', path);
    parent.children.set(name, dirNode(0o755, this.now(), true));
  }

  // unlink(2): the name goes; a link goes, not what it points to. The
  // node's bytes are given back to the tmpfs when its last name goes.
  _localUnlink(path) {
    const { parent, name, node } = this._entry(path, 'EISDIR');
    if (!node) throw new KernelError('ENOENT', path);
    if (!parent.writable) throw new KernelError('EROFS', path);
    if (node.type === 'dir' && node.children.size) throw new KernelError('ENOTEMPTY', path);
    parent.children.delete(name);
    this._dropName(node);
  }

  // One name of `node` is gone: a tmpfs file with no name left frees its bytes.
  _dropName(node) {
    node.nlink = (node.nlink || 1) - 1;
    if (node.nlink === 0 && node.data) this.tmpUsed -= node.size;
  }

  // The directory entry a path names, for the calls that change one: its
  // parent (which must exist: ENOENT, ENOTDIR), its name and the node it
  // holds, if any (a link in the last name is the entry, never followed).
  // The root is no entry: `rootError`, EBUSY for rename and rmdir, as Linux
  // says for a mount point. `mount` is the file system of the parent (the
  // entry /tmp itself is in the image's root directory).
  _entry(path, rootError = 'EBUSY') {
    const { parent, name, node, real } = this._walkLocal(path, false);
    if (!name || !parent) throw new KernelError(rootError, path);
    return { parent, name, node, path, real, mount: mountOf(real.slice(0, real.lastIndexOf('/'))) };
  }

  // rename(2): the entry `from` becomes `to`, replacing what `to` named if
  // POSIX allows it: a file replaces a file, a directory an empty
  // directory. The node itself moves (no bytes are copied; its mtime
  // stays). Linux's checks, in its order: both parents (ENOENT, ENOTDIR);
  // one file system (EXDEV); a writable one (EROFS); the source (ENOENT);
  // a directory into itself (EINVAL) or over its own ancestor (ENOTEMPTY);
  // the same file: nothing to do; then the kinds of the two (ENOTDIR,
  // EISDIR) and an occupied directory (ENOTEMPTY).
  _localRename(from, to) {
    const src = this._entry(from);
    const dst = this._entry(to);
    if (src.mount !== dst.mount) throw new KernelError('EXDEV', from);
    if (!src.parent.writable) throw new KernelError('EROFS', from);
    if (!dst.parent.writable) throw new KernelError('EROFS', to);
    const node = src.node;
    if (!node) throw new KernelError('ENOENT', from);
    if (dst.real.startsWith(src.real + '/')) throw new KernelError('EINVAL', to);
    if (src.real.startsWith(dst.real + '/')) throw new KernelError('ENOTEMPTY', to);
    const old = dst.node;
    if (old === node) return; // one name onto itself, or two names of one file (POSIX: nothing)
    if (old) {
      if (node.type === 'dir' && old.type !== 'dir') throw new KernelError('ENOTDIR', to);
      if (node.type !== 'dir' && old.type === 'dir') throw new KernelError('EISDIR', to);
      if (old.type === 'dir' && old.children.size) throw new KernelError('ENOTEMPTY', to);
      this._dropName(old); // the replaced file's bytes are free, if that was its last name
    }
    src.parent.children.delete(src.name);
    dst.parent.children.set(dst.name, node);
  }

  // rmdir(2): an empty directory goes (EROFS on the image; ENOTDIR for a
  // file; ENOTEMPTY while it holds anything).
  _localRmdir(path) {
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
  _localUtimes(path, mtime) {
    const node = this.lookup(path);
    if (mtime !== undefined && !Number.isFinite(mtime)) throw new KernelError('EINVAL', path);
    const writable = node.type === 'dir' ? node.writable : node.data !== undefined;
    if (!writable) throw new KernelError('EROFS', path);
    node.mtime = mtime === undefined ? this.now() : mtime;
  }

  // chmod(2): the permission bits (07777) of what `path` names, links
  // followed. A /tmp file or directory; the image's are EROFS.
  _localChmod(path, mode) {
    const node = this.lookup(path);
    const writable = node.type === 'dir' ? node.writable : node.data !== undefined;
    if (!writable) throw new KernelError('EROFS', path);
    node.mode = mode & 0o7777;
  }

  // symlink(2): a new name `path` holding `target`, a path that is not
  // looked at now (it may name nothing: a dangling link). Only in the tmpfs.
  // Linux's order: an existing name is EEXIST even on the read-only image.
  _localSymlink(target, path) {
    target = String(target);
    if (target === '') throw new KernelError('ENOENT', path);
    if (encode(target).length > MAX_TARGET_BYTES) throw new KernelError('ENAMETOOLONG', path);
    const { parent, name, node } = this._entry(path, 'EEXIST');
    if (node) throw new KernelError('EEXIST', path);
    if (!parent.writable) throw new KernelError('EROFS', path);
    parent.children.set(name, { type: 'symlink', mode: 0o777, mtime: this.now(), target, size: encode(target).length });
  }

  // readlink(2): the target a link holds, as it was written. EINVAL for a
  // name that is not a link.
  _localReadlink(path) {
    const { node } = this._walkLocal(path, false);
    if (!node) throw new KernelError('ENOENT', path);
    if (node.type !== 'symlink') throw new KernelError('EINVAL', path);
    return node.target;
  }

  // link(2): `path` becomes one more name of the node `existing` names (a
  // link in its last name is not followed: the link itself gets the name,
  // as Linux's link does). Only within the tmpfs: from elsewhere EXDEV,
  // on the image EROFS; a directory EPERM, as everywhere in Linux.
  _localLink(existing, path) {
    const src = this._entry(existing, 'EPERM');
    if (!src.node) throw new KernelError('ENOENT', existing);
    const dst = this._entry(path, 'EEXIST');
    if (dst.node) throw new KernelError('EEXIST', path);
    if (src.mount !== dst.mount) throw new KernelError('EXDEV', existing);
    if (!dst.parent.writable) throw new KernelError('EROFS', path);
    if (src.node.type === 'dir') throw new KernelError('EPERM', existing);
    src.node.nlink = (src.node.nlink || 1) + 1;
    dst.parent.children.set(dst.name, src.node);
  }

  // statfs(2), for df: the file system `path` is on (ENOENT if it is not
  // there), in bytes. The image is full by nature (its size is all used);
  // the tmpfs counts the bytes of its files against tmpfs.size.
  _localStatfs(path) {
    const { node, real } = this._walkLocal(path);
    if (!node) throw new KernelError('ENOENT', path);
    return this._fsInfo(mountOf(real));
  }

  // Every file system, in mount order: what df lists with no arguments
  // (a promise once a disk is mounted: its counts come from its bitmap).
  filesystems() {
    const memory = ['/', '/tmp'].map((mount) => this._fsInfo(mount));
    if (this.mounts.size === 0) return memory;
    return Promise.all([...this.mounts.values()].map((m) => m.statfs())).then((disks) => [...memory, ...disks]);
  }

  // ---- mounts ----

  // Mounts `disk` (a DiskMount) on the directory `point`, made if it is not
  // there (only a directory of the image or the tmpfs can be a mount point).
  mount(point, disk) {
    if (this.mounts.has(point)) throw new KernelError('EBUSY', point, `${point}: a file system is already mounted there`);
    let w = this._walk(point);
    if (w.mount) throw new KernelError('EBUSY', point, `${point}: is on a mounted file system`);
    if (!w.node) {
      if (!w.parent) throw new KernelError('ENOENT', point);
      w.parent.children.set(w.name, dirNode(0o755, this.now(), false));
      w = this._walk(point);
    }
    if (w.node.type !== 'dir') throw new KernelError('ENOTDIR', point);
    disk.point = w.real;
    w.node.mounted = disk;
    this.mounts.set(w.real, disk);
  }

  // Takes the mount off `point` (the caller has unmounted the file system).
  unmount(point) {
    const disk = this.mounts.get(point);
    if (!disk) throw new KernelError('EINVAL', point, `${point}: not mounted`);
    this.mounts.delete(point);
    this._nodeAt(point).mounted = undefined;
    return disk;
  }

  _nodeAt(point) {
    const parts = point.split('/').filter(Boolean);
    let node = this.root;
    for (const p of parts) node = node.children.get(p);
    return node;
  }

  // The mount table, as /proc/mounts lists it: one {source, mount, type, options} each.
  mountTable() {
    return [
      { source: 'image', mount: '/', type: 'ustar', options: 'ro' },
      { source: 'tmpfs', mount: '/tmp', type: 'tmpfs', options: `rw,size=${Math.round(this.tmpSize / 1024)}k` },
      ...[...this.mounts.values()].map((m) => ({ source: m.source, mount: m.point, type: 'jsksh-fs', options: 'rw' })),
    ];
  }

  // ---- the calls, routed: the image and the tmpfs at once, a disk as a promise ----

  stat(path) {
    return this._route(path, true, (p) => this._localStat(p), (m, inner) => m.stat(inner, path));
  }

  lstat(path) {
    return this._route(path, false, (p) => this._localLstat(p), (m, inner) => m.lstat(inner, path));
  }

  readdir(path) {
    return this._route(path, true, (p) => this._localReaddir(p), (m, inner) => m.readdir(inner, path));
  }

  readFile(path) {
    return this._route(path, true, (p) => this._localReadFile(p), (m, inner) => m.readFile(inner, path));
  }

  readBytes(path) {
    return this._route(path, true, (p) => this._localReadBytes(p), (m, inner) => m.readBytes(inner, path));
  }

  writeFile(path, data, append = false) {
    return this._route(path, true, (p) => this._localWriteFile(p, data, append), (m, inner) => m.writeFile(inner, path, data, append));
  }

  // A promise of the source or sink when the file is on a disk.
  openRead(path) {
    return this._route(path, true, (p) => this._localOpenRead(p), (m, inner) => m.openRead(inner, path));
  }

  openWrite(path, append = false) {
    return this._route(path, true, (p) => this._localOpenWrite(p, append), (m, inner) => m.openWrite(inner, path, append));
  }

  mkdir(path) {
    return this._route(path, false, (p) => this._localMkdir(p), (m, inner) => (inner === '/' ? fail('EEXIST', path) : m.mkdir(inner, path)));
  }

  unlink(path) {
    return this._route(path, false, (p) => this._localUnlink(p), (m, inner) => (inner === '/' ? fail('EBUSY', path) : m.unlink(inner, path)));
  }

  rmdir(path) {
    return this._route(path, false, (p) => this._localRmdir(p), (m, inner) => (inner === '/' ? fail('EBUSY', path) : m.rmdir(inner, path)));
  }

  utimes(path, mtime) {
    return this._route(path, true, (p) => this._localUtimes(p, mtime), (m, inner) => m.utimes(inner, path, mtime));
  }

  chmod(path, mode) {
    return this._route(path, true, (p) => this._localChmod(p, mode), (m, inner) => m.chmod(inner, path, mode));
  }

  symlink(target, path) {
    return this._route(path, false, (p) => this._localSymlink(target, p), (m, inner) => (inner === '/' ? fail('EEXIST', path) : m.symlink(String(target), inner, path)));
  }

  readlink(path) {
    return this._route(path, false, (p) => this._localReadlink(p), (m, inner) => m.readlink(inner, path));
  }

  statfs(path) {
    return this._route(path, true, (p) => this._localStatfs(p), (m) => m.statfs());
  }

  // fsync(2) of a path, sync(2): only a disk has anything to make durable;
  // the image and the tmpfs answer at once.
  fsync(path) {
    return this._route(path, true, (p) => void this._localStat(p), (m, inner) => m.fsync(inner, path));
  }

  sync() {
    if (this.mounts.size === 0) return undefined;
    return Promise.all([...this.mounts.values()].map((m) => m.sync())).then(() => undefined);
  }

  // rename(2) and link(2) name two paths: on one disk, its call; between a
  // disk and anything else, EXDEV; in memory, the tmpfs's as before.
  rename(from, to) {
    return this._pair(from, to, 'EBUSY', (a, b) => this._localRename(a, b), (m, a, b) => m.rename(a, b, from));
  }

  link(existing, path) {
    return this._pair(existing, path, 'EEXIST', (a, b) => this._localLink(a, b), (m, a, b) => m.link(a, b, path));
  }

  _pair(a, b, rootError, local, disk) {
    if (this.mounts.size === 0) return local(a, b);
    const wa = this._find(a, false);
    const wb = this._find(b, false);
    if (typeof wa.then !== 'function' && typeof wb.then !== 'function') return local(a, b);
    return Promise.all([wa, wb]).then(([ra, rb]) => {
      if (!ra.mount && !rb.mount) return local(ra.real, rb.real);
      if (ra.inner === '/' || rb.inner === '/') throw new KernelError(rootError, ra.inner === '/' ? a : b); // a mount point
      if (ra.mount !== rb.mount) throw new KernelError('EXDEV', a);
      return disk(ra.mount, ra.inner, rb.inner);
    });
  }

  _fsInfo(mount) {
    if (mount === '/') {
      return { source: 'image', type: 'ustar', mount, readonly: true, size: this.imageSize, used: this.imageSize, free: 0 };
    }
    const free = Math.max(0, this.tmpSize - this.tmpUsed);
    return { source: 'tmpfs', type: 'tmpfs', mount, readonly: false, size: this.tmpSize, used: this.tmpUsed, free };
  }
}

const fail = (code, path) => Promise.reject(new KernelError(code, path));

module.exports = { Vfs };
