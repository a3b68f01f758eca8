// Unit tests for kernel/fs/disk/file-system.js: the operations and the
// POSIX rules users rely on (rename atomic and replacing, a returned write
// visible to reads, link counts, append, an unlinked open file readable
// until close, ENOSPC that loses nothing, EIO that leaves it consistent),
// and group commit on the injected clock.
const { freshFs, text, str, dumpTree } = require('/tests/lib/disk-fixtures');
const { mount } = require('/kernel/fs/disk/file-system');
const { fsck } = require('/kernel/fs/disk/fsck');
const { MemoryDevice } = require('/kernel/fs/disk/memory-device');
const { ManualClock } = require('/tests/lib/manual-clock');

const code = async (promise) => (await assert.rejects(promise)).code;

test('create, write, read back; a write that returned is visible at once', async () => {
  const { fs } = await freshFs();
  const ino = await fs.create('/a', { mode: 0o600 });
  assert.equal(await fs.write('/a', 0, text('hello, disk')), 11);
  assert.equal(str(await fs.read('/a', 0, 100)), 'hello, disk');
  assert.equal(str(await fs.read(ino, 7, 4)), 'disk');
  const st = await fs.stat('/a');
  assert.deepEqual([st.type, st.size, st.mode, st.nlink, st.ino], ['file', 11, 0o600, 1, ino]);
  assert.equal(await code(fs.create('/a')), 'EEXIST');
  assert.equal(await fs.create('/a', { exclusive: false }), ino);
});

test('large and sparse files: indirect and double-indirect blocks, holes read as zeros', async () => {
  const { fs } = await freshFs({ blocks: 2048 });
  await fs.create('/big');
  const data = Uint8Array.from({ length: 5 * 1024 * 1024 + 100 }, (_, i) => (i * 13) & 0xff);
  await fs.write('/big', 0, data);
  assert.deepEqual(await fs.read('/big', 0, data.length), data);
  await fs.truncate('/big', 50000);
  assert.deepEqual(await fs.read('/big', 0, 60000), data.subarray(0, 50000));
  await fs.truncate('/big', 60000);
  assert.ok((await fs.read('/big', 50000, 10000)).every((b) => b === 0), 'bytes that come back after a truncate are zeros');
  await fs.create('/sparse');
  await fs.write('/sparse', 4096 * 20, text('x'));
  assert.equal((await fs.stat('/sparse')).blocks, 2, 'one data block and one indirect block');
  assert.ok((await fs.read('/sparse', 0, 4096 * 20)).every((b) => b === 0));
  await fs.umount();
});

test('append lands at the end, each time', async () => {
  const { fs } = await freshFs();
  await fs.create('/log');
  assert.equal(await fs.append('/log', text('one\n')), 0);
  assert.equal(await fs.append('/log', text('two\n')), 4);
  assert.equal(str(await fs.read('/log', 0, 100)), 'one\ntwo\n');
});

test('rename replaces its target atomically; directories move with their ..', async () => {
  const { fs, device } = await freshFs();
  await fs.create('/new');
  await fs.write('/new', 0, text('new'));
  await fs.create('/old');
  await fs.write('/old', 0, text('old'));
  await fs.rename('/new', '/old');
  assert.equal(str(await fs.read('/old', 0, 10)), 'new');
  assert.equal(await code(fs.stat('/new')), 'ENOENT');
  await fs.mkdir('/d');
  await fs.mkdir('/e');
  await fs.mkdir('/d/sub');
  await fs.rename('/d/sub', '/e/sub');
  assert.deepEqual([(await fs.stat('/d')).nlink, (await fs.stat('/e')).nlink], [2, 3]);
  assert.equal(await code(fs.rename('/e', '/e/sub/x')), 'EINVAL', 'not into itself');
  assert.equal(await code(fs.rename('/old', '/e')), 'EISDIR');
  assert.equal(await code(fs.rename('/e', '/old')), 'ENOTDIR');
  assert.equal(await code(fs.rename('/d', '/e')), 'ENOTEMPTY');
  await fs.rename('/e/sub', '/d'); // an empty directory is replaced
  assert.deepEqual((await fs.readdir('/')).map((e) => e.name).sort(), ['d', 'e', 'lost+found', 'old']);
  await fs.umount();
  assert.ok((await fsck(device)).clean);
});

test('link counts: files count names, directories count . and their children\'s ..', async () => {
  const { fs } = await freshFs();
  await fs.create('/f');
  await fs.link('/f', '/g');
  assert.equal((await fs.stat('/f')).nlink, 2);
  await fs.unlink('/f');
  assert.equal((await fs.stat('/g')).nlink, 1);
  await fs.mkdir('/d');
  await fs.mkdir('/d/x');
  assert.equal((await fs.stat('/d')).nlink, 3);
  assert.equal(await code(fs.rmdir('/d')), 'ENOTEMPTY');
  await fs.rmdir('/d/x');
  assert.equal((await fs.stat('/d')).nlink, 2);
  assert.equal(await code(fs.link('/d', '/d2')), 'EPERM');
  assert.equal(await code(fs.unlink('/d')), 'EISDIR');
  assert.equal(await code(fs.rmdir('/g')), 'ENOTDIR');
});

test('symlinks: followed on the way and at the end, not by lstat and readlink', async () => {
  const { fs } = await freshFs();
  await fs.mkdir('/d');
  await fs.create('/d/f');
  await fs.write('/d/f', 0, text('via link'));
  await fs.symlink('d', '/l');
  await fs.symlink('/l/f', '/abs');
  assert.equal(str(await fs.read('/l/f', 0, 20)), 'via link');
  assert.equal(str(await fs.read('/abs', 0, 20)), 'via link');
  assert.equal((await fs.lstat('/abs')).type, 'symlink');
  assert.equal(await fs.readlink('/abs'), '/l/f');
  await fs.symlink('loop', '/loop');
  assert.equal(await code(fs.stat('/loop')), 'ELOOP');
});

test('an unlinked file stays readable while open, and its blocks come back at close', async () => {
  const { fs } = await freshFs();
  await fs.create('/tmpfile');
  await fs.write('/tmpfile', 0, new Uint8Array(40000).fill(7));
  const before = (await fs.statfs()).freeBlocks;
  const ino = await fs.open('/tmpfile');
  await fs.unlink('/tmpfile');
  assert.equal(await code(fs.stat('/tmpfile')), 'ENOENT');
  assert.equal((await fs.read(ino, 39999, 1))[0], 7);
  assert.equal((await fs.stat(ino)).nlink, 0);
  assert.equal((await fs.statfs()).freeBlocks, before);
  await fs.close(ino);
  assert.equal((await fs.statfs()).freeBlocks, before + 10);
});

test('an unlinked open file left by a power cut is freed at mount', async () => {
  const { fs, device } = await freshFs();
  await fs.create('/f');
  await fs.write('/f', 0, new Uint8Array(9000));
  const free = (await fs.statfs()).freeBlocks;
  const ino = await fs.open('/f');
  await fs.unlink('/f');
  await fs.sync(); // durable: an inode with nlink 0, still holding blocks
  const report = await fsck(device);
  assert.ok(report.clean);
  assert.match(report.notes.join('\n'), new RegExp(`inode ${ino} \\(file\\) was unlinked while open: mount frees it`));
  const again = await mount(device, {}); // the "crash": fs is never closed
  assert.equal(again.orphansFreed, 1);
  assert.equal((await again.statfs()).freeBlocks, free + 3);
});

test('names: 255 bytes fit, 256 are ENAMETOOLONG; errors name the path', async () => {
  const { fs } = await freshFs();
  await fs.create('/' + 'n'.repeat(255));
  assert.equal(await code(fs.create('/' + 'n'.repeat(256))), 'ENAMETOOLONG');
  const e = await assert.rejects(fs.stat('/no/such'), /\/no\/such: No such file or directory/);
  assert.equal(e.code, 'ENOENT');
  assert.equal(await code(fs.create('/' + 'n'.repeat(255) + '/x')), 'ENOTDIR');
  for (let i = 0; i < 100; i++) await fs.create(`/many-${'m'.repeat(100)}-${i}`); // the root grows past a block
  assert.equal((await fs.readdir('/')).length, 102);
});

test('utimes and chmod', async () => {
  const { fs } = await freshFs({ clock: () => 1700000500 });
  await fs.create('/f');
  await fs.utimes('/f', 1000.25);
  await fs.chmod('/f', 0o4751);
  const st = await fs.stat('/f');
  assert.deepEqual([st.mtime, st.ctime, st.mode], [1000.25, 1700000500, 0o4751]);
  await fs.utimes('/f');
  assert.equal((await fs.stat('/f')).mtime, 1700000500);
});

test('a full disk: ENOSPC, and nothing written before is lost', async () => {
  const { fs, device } = await freshFs({ blocks: 256 });
  await fs.create('/keep');
  await fs.write('/keep', 0, text('precious'));
  await fs.create('/fill');
  const chunk = new Uint8Array(64 * 1024).fill(1);
  let written = 0;
  for (;;) {
    try {
      const n = await fs.write('/fill', written, chunk);
      written += n;
      if (n < chunk.length) break;
    } catch (e) {
      assert.equal(e.code, 'ENOSPC');
      assert.match(e.message, /No space left on device/);
      break;
    }
  }
  assert.equal(await code(fs.write('/fill', written, chunk)), 'ENOSPC');
  assert.equal((await fs.stat('/fill')).size, written, 'the size says what the blocks hold');
  assert.equal(str(await fs.read('/keep', 0, 100)), 'precious');
  await fs.unlink('/fill');
  await fs.umount();
  assert.ok((await fsck(device)).clean);
  const again = await mount(device, {});
  assert.equal(str(await again.read('/keep', 0, 100)), 'precious');
});

test('group commit: nothing is written until fsync, sync or the 5 s interval; then one commit for many operations', async () => {
  const clock = new ManualClock(1700000000);
  const { fs, device } = await freshFs({ clock: clock.clock, setTimer: clock.timers.after, clearTimer: clock.timers.cancel });
  const writes = () => device.counts.write;
  const start = writes();
  for (let i = 0; i < 20; i++) await fs.create(`/f${i}`);
  assert.equal(writes(), start, 'operations wait in the running transaction');
  assert.deepEqual(clock.delays(), [5]);
  clock.advance(5);
  await fs.tail;
  assert.equal(fs.log.commits, 1);
  const after = writes();
  assert.ok(after > start);
  await fs.create('/g');
  await fs.fsync('/g');
  assert.equal(fs.log.commits, 2);
  assert.equal(device.counts.flush >= 4, true);
});

test('a device error: EIO to the caller, the transaction abandoned, the disk consistent', async () => {
  const { fs, device } = await freshFs();
  await fs.create('/kept');
  await fs.sync();
  await fs.create('/lost');
  device.failing = (kind) => kind === 'write';
  const e = await assert.rejects(fs.sync(), /disk: write of block \d+ failed: I\/O error/);
  assert.equal(e.code, 'EIO');
  device.failing = null;
  assert.equal(await code(fs.stat('/lost')), 'ENOENT', 'the abandoned transaction is gone');
  assert.equal((await fs.stat('/kept')).type, 'file');
  await fs.create('/after');
  await fs.umount();
  assert.ok((await fsck(device)).clean);
  const again = await mount(device, {});
  assert.deepEqual((await again.readdir('/')).map((x) => x.name).sort(), ['after', 'kept', 'lost+found']);
  device.failing = (kind) => kind === 'read';
  const fresh = await assert.rejects(mount(device, {}), /disk: read of block 0 failed/);
  assert.equal(fresh.code, 'EIO');
});

test('everything survives umount and a new mount', async () => {
  const { fs, device } = await freshFs();
  await fs.mkdir('/home');
  await fs.create('/home/notes');
  await fs.write('/home/notes', 0, text('remember'));
  await fs.symlink('home/notes', '/n');
  await fs.link('/home/notes', '/home/again');
  const before = await dumpTree(fs);
  await fs.umount();
  assert.equal(await code(fs.stat('/n')), 'EINVAL');
  const again = await mount(new MemoryDevice(device.bytes.slice()), {});
  assert.equal(await dumpTree(again), before);
});
