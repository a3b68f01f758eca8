// tests/js/lib/disk-workload.js: drives the disk file system and a plain
// model of the tree side by side, and checks crash states against the
// model.
//
// The model is what a correct file system holds after each operation: a
// map of paths to nodes (a hard link is one node under two paths). Its
// dump has the exact form of disk-fixtures.js dumpTree, so the state a
// crash leaves can be compared with the model after every operation: it
// must equal the model after some operation j, where j is no earlier than
// the last fsync/sync that returned before the crash (durability) and no
// later than the operation running when the power went (nothing from the
// future); matching one operation boundary exactly is "nothing half-done".
'use strict';

const { mount } = require('/kernel/fs/disk/file-system');
const { fsck } = require('/kernel/fs/disk/fsck');
const { dumpTree, digest } = require('/tests/lib/disk-fixtures');

class Model {
  constructor() {
    this.nodes = new Map(); // path -> {type, data | target, mode}
  }

  clone() {
    const m = new Model();
    const copies = new Map();
    for (const [p, n] of this.nodes) {
      if (!copies.has(n)) copies.set(n, { ...n });
      m.nodes.set(p, copies.get(n));
    }
    return m;
  }

  paths(type) {
    return [...this.nodes].filter(([, n]) => !type || n.type === type).map(([p]) => p);
  }

  dirs() {
    return ['', ...this.paths('dir')];
  }

  children(dir) {
    return [...this.nodes.keys()].filter((p) => p.startsWith(dir + '/') && !p.slice(dir.length + 1).includes('/'));
  }

  // Moves `from` (and everything below it) to `to`, replacing what is there.
  rename(from, to) {
    const target = this.nodes.get(to);
    if (target && target.type === 'dir') this.nodes.delete(to);
    for (const p of [...this.nodes.keys()]) {
      if (p === from || p.startsWith(from + '/')) {
        const n = this.nodes.get(p);
        this.nodes.delete(p);
        this.nodes.set(to + p.slice(from.length), n);
      }
    }
  }

  dump() {
    const lines = [];
    for (const [p, n] of this.nodes) {
      if (n.type === 'dir') lines.push(`${p} dir ${2 + this.children(p).filter((c) => this.nodes.get(c).type === 'dir').length} ${n.mode.toString(8)}`);
      else if (n.type === 'symlink') lines.push(`${p} -> ${n.target}`);
      else {
        const links = [...this.nodes.values()].filter((x) => x === n).length;
        lines.push(`${p} file ${n.data.length} ${digest(n.data)} ${links} ${n.mode.toString(8)}`);
      }
    }
    return lines.sort().join('\n');
  }
}

// Bytes that say which write made them.
const pattern = (length, seed) => Uint8Array.from({ length }, (_, i) => (seed * 31 + i * 7 + (i >> 8)) & 0xff);

// Applies a write at `offset` to model bytes.
function written(data, offset, bytes) {
  const out = new Uint8Array(Math.max(data.length, offset + bytes.length));
  out.set(data);
  out.set(bytes, offset);
  return out;
}

function truncated(data, size) {
  const out = new Uint8Array(size);
  out.set(data.subarray(0, Math.min(size, data.length)));
  return out;
}

// Mounts a crash state, dumps it, unmounts, and runs fsck. Returns
// {dump, report}; a mount that fails throws.
async function examine(device) {
  const fs = await mount(device, {});
  const dump = await dumpTree(fs);
  await fs.umount();
  const report = await fsck(device);
  return { dump, report };
}

module.exports = { Model, pattern, written, truncated, examine };

// Runs one operation on the file system and, if it succeeds, on the model
// (a failed operation must change nothing, so the model stays). `handles`
// holds inode numbers of files open after their unlink. Returns the error
// code of a failure, or null.
async function perform(fs, model, op, handles = []) {
  const m = model.nodes;
  try {
    switch (op.kind) {
      case 'create':
        await fs.create(op.path);
        m.set(op.path, { type: 'file', data: new Uint8Array(0), mode: 0o644 });
        break;
      case 'write': {
        const bytes = pattern(op.length, op.seed);
        await fs.write(op.path, op.offset, bytes);
        const n = m.get(op.path);
        n.data = written(n.data, op.offset, bytes);
        break;
      }
      case 'append': {
        const bytes = pattern(op.length, op.seed);
        await fs.append(op.path, bytes);
        const n = m.get(op.path);
        n.data = written(n.data, n.data.length, bytes);
        break;
      }
      case 'truncate':
        await fs.truncate(op.path, op.size);
        m.get(op.path).data = truncated(m.get(op.path).data, op.size);
        break;
      case 'rename':
        await fs.rename(op.from, op.to);
        if (m.get(op.from) !== m.get(op.to)) model.rename(op.from, op.to);
        break;
      case 'unlink':
        await fs.unlink(op.path);
        m.delete(op.path);
        break;
      case 'mkdir':
        await fs.mkdir(op.path);
        m.set(op.path, { type: 'dir', mode: 0o755 });
        break;
      case 'rmdir':
        await fs.rmdir(op.path);
        m.delete(op.path);
        break;
      case 'link':
        await fs.link(op.from, op.to);
        m.set(op.to, m.get(op.from));
        break;
      case 'symlink':
        await fs.symlink(op.target, op.path);
        m.set(op.path, { type: 'symlink', target: op.target });
        break;
      case 'chmod':
        await fs.chmod(op.path, op.mode);
        m.get(op.path).mode = op.mode;
        break;
      case 'fsync':
        await fs.fsync(op.path);
        break;
      case 'sync':
        await fs.sync();
        break;
      case 'openUnlink':
        handles.push(await fs.open(op.path));
        await fs.unlink(op.path);
        m.delete(op.path);
        break;
      case 'close':
        if (handles.length) await fs.close(handles.shift());
        break;
      default:
        throw new Error(`unknown operation ${op.kind}`);
    }
    return null;
  } catch (e) {
    if (!e.code || e.code === 'EIO') throw e;
    return e.code;
  }
}

// A valid random operation for the model's current tree.
function randomOp(model, rnd, serial) {
  const files = model.paths('file');
  const dirs = model.dirs();
  const fresh = () => `${rnd.pick(dirs)}/n${serial}`;
  const roll = rnd.int(100);
  const file = files.length ? rnd.pick(files) : null;
  const size = file ? model.nodes.get(file).data.length : 0;
  if (roll < 12 || !file) return { kind: 'create', path: fresh() };
  if (roll < 30) return size > 60000 ? { kind: 'truncate', path: file, size: rnd.int(20000) } : { kind: 'write', path: file, offset: rnd.int(size + 3000), length: 1 + rnd.int(12000), seed: serial };
  if (roll < 40) return { kind: 'append', path: file, length: 1 + rnd.int(6000), seed: serial };
  if (roll < 46) return { kind: 'truncate', path: file, size: rnd.int(Math.floor(size * 1.5) + 100) };
  if (roll < 54) {
    const movable = [...files, ...model.paths('dir')];
    const from = rnd.pick(movable);
    const isDir = model.nodes.get(from).type === 'dir';
    const targets = dirs.filter((d) => d !== from && !d.startsWith(from + '/'));
    if (!isDir && files.length > 1 && rnd.int(3) === 0) return { kind: 'rename', from, to: rnd.pick(files) };
    return { kind: 'rename', from, to: `${rnd.pick(targets)}/r${serial}` };
  }
  if (roll < 62) return { kind: 'unlink', path: rnd.pick([...files, ...model.paths('symlink')]) };
  if (roll < 68) return dirs.length < 12 ? { kind: 'mkdir', path: fresh() } : { kind: 'sync' };
  if (roll < 72) {
    const empty = model.paths('dir').filter((d) => model.children(d).length === 0);
    return empty.length ? { kind: 'rmdir', path: rnd.pick(empty) } : { kind: 'create', path: fresh() };
  }
  if (roll < 76) return { kind: 'link', from: file, to: fresh() };
  if (roll < 78) return { kind: 'symlink', target: file.slice(1), path: `/s${serial}` };
  if (roll < 80) return { kind: 'chmod', path: file, mode: 0o600 + rnd.int(0o100) };
  if (roll < 83) return { kind: 'openUnlink', path: file };
  if (roll < 86) return { kind: 'close' };
  if (roll < 93) return { kind: 'fsync', path: file };
  return { kind: 'sync' };
}

module.exports.perform = perform;
module.exports.randomOp = randomOp;
