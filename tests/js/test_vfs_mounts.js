// Unit tests for the VFS's mount layer (kernel/fs/vfs.js, kernel/fs/disk-mount.js):
// a disk file system on a memory device mounted at /home, every call under it
// delegated (and asynchronous), the image and /tmp as synchronous as before,
// EXDEV between file systems, links that leave the disk resolved by the VFS,
// byte streams for the pumps, and open files that outlive their unlink.
const { Vfs } = require('/kernel/fs/vfs');
const { DiskMount } = require('/kernel/fs/disk-mount');
const { freshFs, text, str } = require('/tests/lib/disk-fixtures');
const { utf8Bytes } = require('/kernel/lib/utf8');

function image() {
  const data = utf8Bytes('hello from the image\n').slice();
  const bytes = new Uint8Array(512 + 512);
  bytes.set(data, 512);
  const entries = new Map([
    ['/etc', { type: 'dir', mode: 0o755, mtime: 1, size: 0, offset: 0 }],
    ['/etc/motd', { type: 'file', mode: 0o644, mtime: 1, size: data.length, offset: 512 }],
  ]);
  return { bytes, entries };
}

async function mounted() {
  const vfs = new Vfs(image(), { now: () => 5000 });
  const { fs, device } = await freshFs({ blocks: 1024 });
  const disk = new DiskMount(fs, { point: '/home', source: '/dev/vda', name: 'vda' });
  vfs.mount('/home', disk);
  return { vfs, fs, device, disk };
}

const codeOf = async (fn) => {
  try {
    await fn();
  } catch (e) {
    return e.code;
  }
  return 'no error';
};

// Reads a source (a promise of one, from openRead) to its end.
async function drain(source) {
  const src = await source;
  const pieces = [];
  for (let p; (p = await src.next(65536)) !== null; ) pieces.push(p.slice());
  src.release();
  const out = new Uint8Array(pieces.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of pieces) out.set(p, (o += p.length) - p.length);
  return str(out);
}

// Writes through a sink (a promise of one, from openWrite) and waits for its close.
async function pour(sink, ...pieces) {
  const s = await sink;
  for (const p of pieces) s.write(text(p));
  s.end();
  await s.finish();
}

test('without a mount nothing changes: the calls answer at once', () => {
  const vfs = new Vfs(image(), { now: () => 5000 });
  assert.equal(vfs.readFile('/etc/motd'), 'hello from the image\n');
  vfs.writeFile('/tmp/a', 'x');
  assert.equal(vfs.stat('/tmp/a').size, 1);
  assert.deepEqual(vfs.filesystems().map((f) => f.mount), ['/', '/tmp']);
});

test('under the mount point every call goes to the disk, as a promise; elsewhere at once', async () => {
  const { vfs } = await mounted();
  const made = vfs.writeFile('/home/a', 'on the disk\n');
  assert.equal(typeof made.then, 'function');
  await made;
  assert.equal(await vfs.readFile('/home/a'), 'on the disk\n');
  const st = await vfs.stat('/home/a');
  assert.deepEqual([st.name, st.type, st.size, st.mode, st.nlink], ['a', 'file', 12, 0o644, 1]);
  assert.equal(vfs.readFile('/etc/motd'), 'hello from the image\n', 'the image stays synchronous');
  vfs.writeFile('/tmp/t', 'tmp');
  assert.equal(vfs.stat('/tmp/t').size, 3);
  await vfs.mkdir('/home/d');
  await vfs.writeFile('/home/d/x', '1');
  assert.deepEqual((await vfs.readdir('/home')).map((e) => `${e.name}:${e.type}`), ['a:file', 'd:dir', 'lost+found:dir']);
  assert.equal((await vfs.stat('/home')).type, 'dir', 'the mount point is the disk\'s root');
  assert.equal(await codeOf(() => vfs.rmdir('/home')), 'EBUSY');
  assert.equal(await codeOf(() => vfs.mkdir('/home')), 'EEXIST');
  assert.equal(await codeOf(() => vfs.readFile('/home/nope')), 'ENOENT');
  const e = await vfs.readFile('/home/nope').catch((x) => x);
  assert.equal(e.message, '/home/nope: No such file or directory', 'errors name the VFS path');
});

test('rename and link: within the disk they are its own; across file systems EXDEV', async () => {
  const { vfs } = await mounted();
  await vfs.writeFile('/home/new', 'new');
  await vfs.writeFile('/home/old', 'old');
  await vfs.rename('/home/new', '/home/old');
  assert.equal(await vfs.readFile('/home/old'), 'new');
  assert.equal(await codeOf(() => vfs.stat('/home/new')), 'ENOENT');
  vfs.writeFile('/tmp/t', 't');
  assert.equal(await codeOf(() => vfs.rename('/tmp/t', '/home/t')), 'EXDEV');
  assert.equal(await codeOf(() => vfs.rename('/home/old', '/tmp/old')), 'EXDEV');
  assert.equal(await codeOf(() => vfs.link('/home/old', '/tmp/l')), 'EXDEV');
  await vfs.link('/home/old', '/home/hard');
  assert.equal((await vfs.stat('/home/old')).nlink, 2);
  assert.equal(await codeOf(() => vfs.rename('/home', '/home2')), 'EBUSY');
});

test('links: relative ones stay on the disk; absolute ones and .. above its root leave it', async () => {
  const { vfs } = await mounted();
  await vfs.mkdir('/home/d');
  await vfs.writeFile('/home/d/f', 'inside');
  await vfs.symlink('d/f', '/home/rel');
  await vfs.symlink('/etc/motd', '/home/abs');
  await vfs.symlink('../etc/motd', '/home/up');
  await vfs.symlink('/home/d', '/home/absd');
  assert.equal(await vfs.readFile('/home/rel'), 'inside');
  assert.equal(await vfs.readFile('/home/abs'), 'hello from the image\n', 'an absolute target is the VFS root\'s');
  assert.equal(await vfs.readFile('/home/up'), 'hello from the image\n', '.. at the disk\'s root is the mount point\'s parent');
  assert.equal(await vfs.readFile('/home/absd/f'), 'inside', 'out to the root and back onto the disk');
  assert.equal(await vfs.readlink('/home/abs'), '/etc/motd');
  const l = await vfs.lstat('/home/abs');
  assert.deepEqual([l.type, l.target], ['symlink', '/etc/motd']);
  vfs.symlink('/home/d/f', '/tmp/todisk');
  assert.equal(await vfs.readFile('/tmp/todisk'), 'inside', 'a tmpfs link onto the disk');
  await vfs.symlink('/tmp/loop', '/home/loop');
  vfs.symlink('/home/loop', '/tmp/loop');
  assert.equal(await codeOf(() => vfs.readFile('/tmp/loop')), 'ELOOP', 'the 40 links count on both sides');
  await vfs.writeFile('/home/abs2', 'x'); // writing through nothing odd still works
  assert.equal(await codeOf(() => vfs.rename('/home/abs', '/tmp/x')), 'EXDEV', 'rename acts on the link itself');
});

test('byte streams: a sink writes (O_TRUNC, O_APPEND), a source reads; both hold the file open', async () => {
  const { vfs, fs, disk } = await mounted();
  await pour(vfs.openWrite('/home/f'), 'one\n', 'two\n');
  assert.equal(await drain(vfs.openRead('/home/f')), 'one\ntwo\n');
  await pour(vfs.openWrite('/home/f', true), 'three\n');
  assert.equal(await vfs.readFile('/home/f'), 'one\ntwo\nthree\n');
  await pour(vfs.openWrite('/home/f'), 'new\n');
  assert.equal(await vfs.readFile('/home/f'), 'new\n', 'opening to write truncates');
  const src = await vfs.openRead('/home/f');
  assert.equal(disk.openFiles, 1);
  await vfs.unlink('/home/f');
  assert.equal(await codeOf(() => vfs.stat('/home/f')), 'ENOENT');
  assert.equal(str(await src.next(100)), 'new\n', 'an unlinked open file stays readable');
  assert.equal(await src.next(100), null);
  src.end();
  assert.equal(disk.openFiles, 1, 'the pump is done, the file still open');
  src.release();
  assert.equal(disk.openFiles, 0);
  await fs.sync(); // after the close, which the end queued
  assert.equal(fs.opens.size, 0, 'closed: the inode is freed');
  assert.equal(await codeOf(() => vfs.openRead('/home')), 'EISDIR');
});

test('a full disk: the sink keeps what fit and reports ENOSPC', async () => {
  const { vfs } = await mounted();
  const sink = await vfs.openWrite('/home/big');
  const mib = new Uint8Array(1 << 20).fill(7);
  let error = null;
  sink.onError = (e) => (error = e);
  for (let i = 0; i < 6 && !sink.error; i++) sink.write(mib);
  sink.end();
  await assert.rejects(sink.finish());
  assert.equal(error.code, 'ENOSPC');
  assert.equal(error.errno, 28);
  const st = await vfs.stat('/home/big');
  assert.ok(st.size > 0 && st.size < 6 * mib.length, `kept what fit (${st.size})`);
  const df = await vfs.statfs('/home/big');
  assert.deepEqual([df.source, df.type, df.mount], ['/dev/vda', 'jsksh-fs', '/home']);
});

test('df and the mount table list the disk; umount takes it off', async () => {
  const { vfs, disk } = await mounted();
  const all = await vfs.filesystems();
  assert.deepEqual(all.map((f) => f.mount), ['/', '/tmp', '/home']);
  assert.ok(all[2].size === 1024 * 4096 && all[2].free > 0 && all[2].used > 0);
  assert.deepEqual(vfs.mountTable().map((m) => `${m.source} ${m.mount} ${m.type}`), ['image / ustar', 'tmpfs /tmp tmpfs', '/dev/vda /home jsksh-fs']);
  assert.equal(vfs.unmount('/home'), disk);
  assert.equal(vfs.stat('/home').type, 'dir', 'the empty mount point stays');
  assert.deepEqual(vfs.readdir('/home'), []);
  assert.equal(codeOf(() => vfs.mount('/etc/motd', disk)) instanceof Promise, true);
});
