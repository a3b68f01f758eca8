// Unit tests for fs/lib/http/file-cache.js over a fake file system and an
// injected clock: what is served, and which calls reach the "kernel"
// (stat, open), as a file changes under it.
const { FileCache } = require('/lib/http/file-cache');
const { latin1Bytes, latin1Text } = require('/lib/http/bytes');

// Files by path; every stat and open is counted. write() changes a file as
// an editor would: new bytes, a later mtime (seconds, as the VFS gives it).
function fakeFs() {
  const files = new Map();
  const fs = { files, calls: [], clock: 1000, nextIno: 1 };
  fs.write = (path, text, { sameInode = true } = {}) => {
    const old = files.get(path);
    fs.clock += 0.001;
    files.set(path, { bytes: latin1Bytes(text), mtime: fs.clock, ino: old && sameInode ? old.ino : fs.nextIno++ });
  };
  fs.stat = async (path) => {
    fs.calls.push(`stat ${path}`);
    const f = files.get(path);
    if (!f) throw Object.assign(new Error(`${path}: No such file or directory`), { code: 'ENOENT' });
    return { type: 'file', size: f.bytes.length, mtime: f.mtime, ino: f.ino };
  };
  fs.open = async (path) => {
    fs.calls.push(`open ${path}`);
    const f = files.get(path);
    if (!f) throw Object.assign(new Error(`${path}: No such file or directory`), { code: 'ENOENT' });
    let at = 0;
    return {
      read: async (max) => {
        if (at >= f.bytes.length) return null;
        const piece = f.bytes.slice(at, at + Math.min(max, 3)); // small pieces, as a pipe may give
        at += piece.length;
        return piece;
      },
      close: async () => {},
    };
  };
  return fs;
}

function setup(options = {}) {
  const fs = fakeFs();
  const clock = { ms: 0 };
  const cache = new FileCache({ fs, now: () => clock.ms, ...options });
  const text = async (path) => latin1Text((await cache.get(path)).bytes);
  return { fs, clock, cache, text };
}

test('a file is read once and then served from memory without a kernel call while it is trusted', async () => {
  const { fs, clock, cache, text } = setup({ valid: 1000 });
  fs.write('/www/a.txt', 'Hello World!\n');
  assert.equal(await text('/www/a.txt'), 'Hello World!\n');
  assert.deepEqual(fs.calls, ['stat /www/a.txt', 'open /www/a.txt']);
  clock.ms = 999;
  assert.equal(await text('/www/a.txt'), 'Hello World!\n');
  assert.equal((await cache.get('/www/a.txt')).st.size, 13);
  assert.equal(fs.calls.length, 2, 'no stat, no open');
  assert.equal(cache.counts.hits, 2);
});

test('a changed file is served new once its entry is checked again: size, mtime or inode', async () => {
  const { fs, clock, text } = setup({ valid: 1000 });
  fs.write('/a', 'one');
  assert.equal(await text('/a'), 'one');
  fs.write('/a', 'three'); // another size
  clock.ms = 500;
  assert.equal(await text('/a'), 'one', 'trusted for 1000 ms, as nginx trusts open_file_cache_valid');
  clock.ms = 1000;
  assert.equal(await text('/a'), 'three');
  fs.write('/a', 'THREE'); // the same size, a later mtime
  clock.ms = 2000;
  assert.equal(await text('/a'), 'THREE');
  fs.write('/a', 'tHREE', { sameInode: false });
  fs.files.get('/a').mtime = fs.files.get('/a').mtime - 0.001; // even with the old mtime: another inode
  clock.ms = 3000;
  assert.equal(await text('/a'), 'tHREE');
});

test('an unchanged file checked again is stat\'ed, not read again', async () => {
  const { fs, clock, text } = setup({ valid: 1000 });
  fs.write('/a', 'same');
  await text('/a');
  clock.ms = 5000;
  assert.equal(await text('/a'), 'same');
  assert.deepEqual(fs.calls, ['stat /a', 'open /a', 'stat /a']);
});

test('valid 0: every request stats the file, so a change is served at once', async () => {
  const { fs, text } = setup({ valid: 0 });
  fs.write('/a', 'before');
  assert.equal(await text('/a'), 'before');
  assert.equal(await text('/a'), 'before');
  fs.write('/a', 'after!');
  assert.equal(await text('/a'), 'after!');
  assert.deepEqual(fs.calls, ['stat /a', 'open /a', 'stat /a', 'stat /a', 'open /a']);
});

test('a removed file is ENOENT at its next check, and forgotten', async () => {
  const { fs, clock, cache, text } = setup({ valid: 1000 });
  fs.write('/a', 'x');
  await text('/a');
  fs.files.delete('/a');
  clock.ms = 1000;
  const error = await cache.get('/a').then(() => null, (e) => e);
  assert.equal(error && error.code, 'ENOENT');
  assert.equal(cache.entries.size, 0);
  assert.equal(cache.bytes, 0);
});

test('a file over maxFileSize is described, not kept; the least recently used go past maxBytes', async () => {
  const { fs, cache } = setup({ valid: 1000, maxFileSize: 10, maxBytes: 20 });
  fs.write('/big', 'x'.repeat(11));
  const big = await cache.get('/big');
  assert.equal(big.bytes, null);
  assert.equal(big.st.size, 11);
  for (const name of ['/a', '/b', '/c']) fs.write(name, '0123456789');
  await cache.get('/a');
  await cache.get('/b');
  await cache.get('/a'); // /a is now the most recently used
  await cache.get('/c');
  assert.deepEqual([...cache.entries.keys()].filter((p) => cache.entries.get(p).bytes), ['/a', '/c']);
  assert.equal(cache.bytes, 20);
});
