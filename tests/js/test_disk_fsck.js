// Unit tests for recovery (log.js) and fsck (fsck.js): a committed log is
// replayed at mount, and hand-corrupted images (a zeroed superblock, random
// bytes in the inode table and the bitmap, a log with a wrong checksum, a
// truncated image, lost names, wrong link counts) are refused by mount with
// a message naming the problem and the hint to run fsck, and repaired by
// fsck where they can be.
const { freshFs, text, str, dumpTree } = require('/tests/lib/disk-fixtures');
const { mount } = require('/kernel/fs/disk/file-system');
const { fsck } = require('/kernel/fs/disk/fsck');
const { MemoryDevice } = require('/kernel/fs/disk/memory-device');
const { random } = require('/tests/lib/crash-device');
const L = require('/kernel/fs/disk/layout');

const BLOCK = 4096;

// A small populated disk, unmounted; returns its device and superblock.
async function populated() {
  const { fs, device } = await freshFs();
  await fs.mkdir('/d');
  for (let i = 0; i < 6; i++) {
    await fs.create(`/d/f${i}`);
    await fs.write(`/d/f${i}`, 0, new Uint8Array(5000 + i).fill(i + 1));
  }
  await fs.create('/top');
  await fs.write('/top', 0, text('top'));
  const dump = await dumpTree(fs);
  await fs.umount();
  const sb = L.decodeSuperblock(device.bytes.subarray(0, BLOCK));
  return { device, sb, dump };
}

const refused = async (device, re) => {
  const e = await assert.rejects(mount(device, {}), re);
  assert.match(e.message, /; run fsck$/);
  return e;
};

test('a fresh file system is clean', async () => {
  const { device } = await populated();
  const report = await fsck(device);
  assert.deepEqual(report, { clean: true, problems: [], repaired: [], unrepaired: [], notes: [] });
});

test('recovery: a committed transaction whose installs never happened is replayed at mount', async () => {
  const { fs, device } = await freshFs();
  await fs.create('/before');
  await fs.sync();
  const image = device.bytes.slice();
  await fs.create('/after');
  await fs.write('/after', 0, text('in the log'));
  // Commit, but keep the homes as they were: the log and header reached
  // the disk, the installs did not.
  const homes = [...fs.cache.dirty.keys()];
  await fs.sync();
  for (const h of homes) device.bytes.set(image.subarray(h * BLOCK, (h + 1) * BLOCK), h * BLOCK);
  const check = await fsck(device);
  assert.ok(check.clean, check.problems.join('; '));
  assert.match(check.notes[0], /log: transaction \d+ \(\d+ blocks\) is committed and will be replayed at mount/);
  const again = await mount(device, {});
  assert.equal(again.log.replayed.blocks, homes.length);
  assert.equal(str(await again.read('/after', 0, 100)), 'in the log');
  await again.umount();
  const twice = await mount(device, {});
  assert.equal(twice.log.replayed, null, 'a clean umount leaves nothing to replay');
});

test('a zeroed superblock: mount refuses; fsck restores it from the backup', async () => {
  const { device, dump } = await populated();
  device.bytes.fill(0, 0, BLOCK);
  await refused(device, /disk: no superblock \(block 0 is zeroed\); run fsck/);
  const check = await fsck(device);
  assert.deepEqual(check.problems, ['superblock: no superblock (block 0 is zeroed)']);
  const fixed = await fsck(device, { repair: true });
  assert.match(fixed.repaired[0], /restored from the backup in block 511/);
  assert.ok((await fsck(device)).clean);
  assert.equal(await dumpTree(await mount(device, {})), dump);
});

test('wrong magic and a newer version are refused by name', async () => {
  const { device, sb } = await populated();
  const other = new MemoryDevice(device.bytes.slice());
  other.bytes.set([0x45, 0x58, 0x54], 0);
  await refused(other, /not a jsksh file system \(wrong magic number in block 0\)/);
  device.bytes.set(L.encodeSuperblock({ ...sb, version: 2 }), 0);
  await refused(device, /unsupported format version 2 \(this kernel reads version 1\)/);
});

test('a truncated image: refused, and fsck says it cannot repair it', async () => {
  const { device } = await populated();
  const short = new MemoryDevice(device.bytes.slice(0, 300 * BLOCK));
  await refused(short, /the superblock says 512 blocks but the device holds only 300 \(a truncated image\?\)/);
  const report = await fsck(short, { repair: true });
  assert.equal(report.clean, false);
  assert.match(report.unrepaired[0], /size: the superblock says 512 blocks but the device holds only 300/);
});

test('a log with a wrong checksum: refused by mount; fsck empties the log', async () => {
  const { fs, device } = await freshFs();
  await fs.create('/x');
  const homes = [...fs.cache.dirty.keys()];
  const image = device.bytes.slice();
  await fs.sync();
  for (const h of homes) device.bytes.set(image.subarray(h * BLOCK, (h + 1) * BLOCK), h * BLOCK); // not installed
  const header = L.decodeLogHeader(device.bytes.subarray(BLOCK, 2 * BLOCK));
  device.bytes[header.area * BLOCK + 100] ^= 0xff; // one logged byte flipped
  await refused(device, /disk: log checksum mismatch \(transaction \d+, \d+ blocks\); run fsck/);
  const report = await fsck(device, { repair: true });
  assert.match(report.repaired[0], /^log: log checksum mismatch .*: the log was emptied/);
  assert.ok((await fsck(device)).clean);
  const again = await mount(device, {});
  assert.equal((await again.readdir('/')).length, 1, 'the corrupt transaction is dropped: only lost+found');
});

test('random bytes in the inode table: named per inode, the inodes cleared, names removed, bitmap rebuilt', async () => {
  const { device, sb } = await populated();
  const rnd = random(3);
  // Inodes 3..9 (the /d files) sit in the first inode block at 128-byte slots.
  const at = sb.inodeStart * BLOCK + 4 * 128;
  for (let i = 0; i < 256; i++) device.bytes[at + i] = rnd.int(256);
  const e = await assert.rejects(mount(device, {}).then((fs) => fs.stat('/d/f0')).then(async () => { throw new Error('no error'); }), /./);
  assert.ok(/corrupt|not in use|No such/.test(e.message), e.message);
  const check = await fsck(device);
  assert.ok(check.problems.some((p) => /^inode 4: (checksum mismatch|unknown type)/.test(p)), check.problems.join('\n'));
  const repair = await fsck(device, { repair: true });
  assert.ok(repair.repaired.length >= 3, repair.repaired.join('\n'));
  assert.deepEqual(repair.unrepaired, []);
  const after = await fsck(device);
  assert.ok(after.clean, after.problems.join('\n'));
  const fs = await mount(device, {});
  assert.equal(str(await fs.read('/top', 0, 10)), 'top', 'what was not hit is still there');
});

test('random bytes in the bitmap: counted, and rebuilt from the inodes', async () => {
  const { device, sb, dump } = await populated();
  const rnd = random(4);
  for (let i = 0; i < 64; i++) device.bytes[sb.bitmapStart * BLOCK + 8 + i] = rnd.int(256);
  const check = await fsck(device);
  assert.equal(check.problems.length, 1);
  assert.match(check.problems[0], /^bitmap: (\d+ blocks in use are marked free, )?\d+ blocks marked in use belong to nothing \(the first is block \d+\)$/);
  const repair = await fsck(device, { repair: true });
  assert.match(repair.repaired[0], /rebuilt from the inodes$/);
  assert.ok((await fsck(device)).clean);
  assert.equal(await dumpTree(await mount(device, {})), dump);
});

test('a lost name and a wrong link count: to lost+found, counts set', async () => {
  const { device, sb } = await populated();
  const fs = await mount(device, {});
  const ino = (await fs.stat('/top')).ino;
  const rootData = (await fs.stat('/')).ino;
  await fs.umount();
  // Take /top's entry out of the root directory by hand.
  const rootBlock = sb.dataStart;
  const block = device.bytes.subarray(rootBlock * BLOCK, (rootBlock + 1) * BLOCK);
  const entry = L.dirEntries(block).find((e) => e.name === 'top');
  L.dirRemove(block, entry.offset);
  // And give /d a wrong link count.
  const d = L.dirEntries(block).find((e) => e.name === 'd').ino;
  const place = L.inodePlace(sb, d);
  const raw = device.bytes.subarray(place.block * BLOCK + place.offset, place.block * BLOCK + place.offset + 128);
  raw.set(L.encodeInode({ ...L.decodeInode(raw), nlink: 7 }));
  const check = await fsck(device);
  assert.deepEqual(check.problems.sort(), [`inode ${d} (dir) has link count 7 but 2 names`, `inode ${ino} (file) has 1 links but no name`].sort());
  const repair = await fsck(device, { repair: true });
  assert.ok(repair.repaired.some((r) => r.endsWith(`moved to /lost+found/#${ino}`)));
  assert.ok((await fsck(device)).clean);
  const again = await mount(device, {});
  assert.equal(str(await again.read(`/lost+found/#${ino}`, 0, 10)), 'top');
  assert.equal((await again.stat('/d')).nlink, 2);
  assert.equal(rootData, 1);
});

test('a directory entry pointing at a free inode, and two names for one directory', async () => {
  const { device, sb } = await populated();
  const block = device.bytes.subarray(sb.dataStart * BLOCK, (sb.dataStart + 1) * BLOCK);
  L.dirInsert(block, 'ghost', 200, L.T_FILE);
  const d = L.dirEntries(block).find((e) => e.name === 'd').ino;
  L.dirInsert(block, 'd-again', d, L.T_DIR);
  const check = await fsck(device);
  assert.ok(check.problems.includes("directory 1: 'ghost' names inode 200, which is not in use"), check.problems.join('\n'));
  assert.ok(check.problems.some((p) => p.startsWith(`directory ${d} has a second name 'd-again' in directory 1`)), check.problems.join('\n'));
  await fsck(device, { repair: true });
  assert.ok((await fsck(device)).clean);
});
