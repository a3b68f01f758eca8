// Unit tests for kernel/fs/disk/reservation.js (the blocks a write may
// take, counted before it is made) and for its use: the file system's
// reservations (file-system.js: reserve, unreserve, available; other
// operations leave reserved blocks alone) and the disk's sink, which
// refuses with ENOSPC at write() what does not fit (disk-mount.js).
// Block 12 is a file's first under the indirect block, block 1036 its
// first under the double-indirect block (docs/disk-format.md, "Inode").
const { metaBlocks, blocksFor, StreamReservation } = require('/kernel/fs/disk/reservation');
const { countFree } = require('/kernel/fs/disk/allocator');
const { fsck } = require('/kernel/fs/disk/fsck');
const { DiskMount } = require('/kernel/fs/disk-mount');
const { freshFs, text, str } = require('/tests/lib/disk-fixtures');

const KIB4 = 4096;
const code = async (promise) => (await assert.rejects(promise)).code;
const bitmapFree = (fs) => fs.look(async (op) => (await countFree(op)).blocks);

test('metaBlocks: the indirect blocks that map file blocks [first, end)', () => {
  assert.equal(metaBlocks(0, 12), 0, 'direct blocks only');
  assert.equal(metaBlocks(5, 5), 0);
  assert.equal(metaBlocks(0, 13), 1, 'block 12 needs the indirect block');
  assert.equal(metaBlocks(12, 1036), 1);
  assert.equal(metaBlocks(1035, 1036), 1);
  assert.equal(metaBlocks(1036, 1037), 2, 'the double-indirect block and one indirect block below it');
  assert.equal(metaBlocks(0, 1037), 3);
  assert.equal(metaBlocks(1036, 2060), 2, '1,024 blocks under one indirect block');
  assert.equal(metaBlocks(1036, 2061), 3);
  assert.equal(metaBlocks(2059, 2061), 3, 'two indirect blocks below the double one');
  assert.equal(metaBlocks(2060, 2061), 2);
});

test('blocksFor: data and indirect blocks of bytes [start, end)', () => {
  assert.equal(blocksFor(100, 100), 0);
  assert.equal(blocksFor(0, 1), 1);
  assert.equal(blocksFor(0, 4096), 1);
  assert.equal(blocksFor(4095, 4097), 2, 'two bytes across a block boundary');
  assert.equal(blocksFor(0, 12 * KIB4), 12);
  assert.equal(blocksFor(0, 12 * KIB4 + 1), 14, '13 data blocks and the indirect one');
  assert.equal(blocksFor(0, 1036 * KIB4), 1037);
  assert.equal(blocksFor(0, 1037 * KIB4), 1040, '1,037 data, the indirect, the double and one below it');
  assert.equal(blocksFor(0, 4788895), 1173, 'seq 1 700000: 4,788,895 bytes, 1,170 data blocks, the indirect, the double and one below it');
});

test('StreamReservation: a block two pieces share is reserved once', () => {
  const r = new StreamReservation(0);
  assert.equal(r.need(100), 1);
  r.accept(100);
  assert.equal(r.need(100), 0, 'the rest of block 0 is reserved already');
  assert.equal(r.need(3996), 0);
  assert.equal(r.need(3997), 1);
  r.accept(12 * KIB4 - 100);
  assert.equal(r.end, 12 * KIB4);
  assert.equal(r.need(1), 2, 'block 12 and the indirect block');
  r.accept(1);
  assert.equal(r.need(KIB4 - 1), 0);
  assert.equal(r.need(KIB4), 1);
});

test('StreamReservation.fit: the most bytes whose blocks fit', () => {
  const r = new StreamReservation(0);
  assert.equal(r.fit(10 * KIB4, 3), 3 * KIB4);
  assert.equal(r.fit(10 * KIB4, 10), 10 * KIB4);
  assert.equal(r.fit(100, 0), 0);
  r.accept(11 * KIB4);
  assert.equal(r.fit(3 * KIB4, 2), KIB4, 'block 11 fits; block 12 would take the indirect block too');
  assert.equal(r.fit(3 * KIB4, 3), 2 * KIB4);
  r.accept(100);
  assert.equal(r.fit(KIB4, 0), KIB4 - 100, 'the rest of a reserved block needs nothing');
  const appending = new StreamReservation(4000); // a file of 4,000 bytes opened to append
  assert.equal(appending.need(96), 1);
  assert.equal(appending.need(97), 2);
});

test('reserve and unreserve: free less reserved; other operations leave reserved blocks alone', async () => {
  const { fs, device } = await freshFs({ blocks: 256 });
  const free = await bitmapFree(fs);
  assert.equal(fs.free, free, 'mount counts the free blocks');
  assert.equal(fs.available(), free);
  const r = fs.reserve(free - 1);
  assert.deepEqual(r, { blocks: free - 1 });
  assert.equal(fs.available(), 1);
  assert.equal(fs.reserve(2), null, 'more than is left is refused');
  assert.equal((await fs.statfs()).freeBlocks, 1, 'df counts reserved blocks as taken, as ext4 counts delayed allocations');
  await fs.create('/other');
  assert.equal(await code(fs.write('/other', 0, new Uint8Array(2 * KIB4).fill(1))), 'ENOSPC', 'an unreserved write takes only blocks nobody reserved');
  assert.equal(await fs.write('/other', 0, new Uint8Array(KIB4).fill(1)), KIB4, 'the one block nobody reserved');
  assert.equal(await code(fs.mkdir('/d')), 'ENOSPC', 'a directory needs a block too');
  await fs.create('/mine');
  const data = new Uint8Array(10 * KIB4).fill(2);
  assert.equal(await fs.write('/mine', 0, data, { reservation: r }), data.length);
  assert.equal(r.blocks, 0, 'spent, and the rest given back when the write ended');
  assert.equal(fs.reserved, 0);
  assert.equal(fs.free, free - 11);
  assert.equal(fs.available(), free - 11);
  assert.equal(await bitmapFree(fs), fs.free, 'the count agrees with the bitmap');
  await fs.unlink('/mine');
  assert.equal(fs.free, free - 1, 'unlink gives the blocks back');
  assert.equal(await bitmapFree(fs), fs.free);
  await fs.umount();
  assert.ok((await fsck(device)).clean);
});

test('a reservation spent over several chunks never takes blocks reserved by another', async () => {
  const { fs } = await freshFs({ blocks: 512 });
  const free = fs.available();
  const bytes = 100 * KIB4; // more than one chunk (64 blocks)
  const a = fs.reserve(blocksFor(0, bytes));
  const b = fs.reserve(free - a.blocks);
  assert.equal(fs.available(), 0);
  await fs.create('/a');
  assert.equal(await fs.write('/a', 0, new Uint8Array(bytes).fill(3), { reservation: a }), bytes);
  assert.deepEqual([a.blocks, fs.reserved, fs.available()], [0, b.blocks, 0]);
  await fs.create('/b');
  const n = new StreamReservation(0).fit(b.blocks * KIB4, b.blocks); // its data and indirect blocks fill the reservation
  assert.equal(await fs.write('/b', 0, new Uint8Array(n).fill(4), { reservation: b }), n);
  assert.deepEqual([fs.reserved, fs.free, await bitmapFree(fs)], [0, 0, 0]);
});

test('the sink refuses at write() what does not fit, writes what did, and the disk is full', async () => {
  const { fs, device } = await freshFs({ blocks: 256 });
  const disk = new DiskMount(fs, { point: '/home', source: '/dev/vda', name: 'vda' });
  const empty = fs.available();
  const sink = await disk.openWrite('/big', '/home/big', false);
  let heard = null;
  sink.onError = (e) => (heard = e);
  const piece = new Uint8Array(64 * 1024).fill(5);
  let pieces = 0;
  while (!sink.error) {
    sink.write(piece);
    pieces++;
  }
  assert.equal(sink.error.code, 'ENOSPC', 'refused in write() itself, before the disk wrote anything');
  assert.equal(sink.error.errno, 28);
  assert.equal(heard, sink.error, 'the pipe is told at once (kernel/proc/streams.js closes it with ENOSPC)');
  assert.equal(fs.available(), 0);
  sink.write(piece); // after the refusal: not made
  sink.end();
  assert.equal(await code(sink.finish()), 'ENOSPC');
  const st = await fs.stat('/big');
  assert.ok(st.size > (pieces - 1) * piece.length && st.size < pieces * piece.length, `every piece before the refused one, and what fit of it (${st.size})`);
  assert.deepEqual(await fs.read('/big', 0, st.size), new Uint8Array(st.size).fill(5));
  assert.deepEqual([fs.reserved, fs.free, await bitmapFree(fs), (await fs.statfs()).freeBlocks], [0, 0, 0, 0], 'full, and nothing left reserved');
  await fs.unlink('/big');
  assert.equal(fs.available(), empty, 'rm gives the space back');
  const again = await disk.openWrite('/again', '/home/again', false);
  again.write(text('room again\n'));
  again.end();
  await again.finish();
  assert.equal(str(await fs.read('/again', 0, 100)), 'room again\n');
  await fs.umount();
  assert.ok((await fsck(device)).clean);
});

test('a sink refused its first byte closes the file all the same', async () => {
  const { fs } = await freshFs({ blocks: 256 });
  const disk = new DiskMount(fs, { point: '/home', source: '/dev/vda', name: 'vda' });
  const filler = fs.reserve(fs.available());
  const sink = await disk.openWrite('/f', '/home/f', false);
  sink.write(text('x'));
  assert.equal(sink.error.code, 'ENOSPC');
  assert.equal(await code(sink.finish()), 'ENOSPC', 'closed, though no write was made (the pump never sees end of file)');
  assert.deepEqual([disk.openFiles, fs.opens.size, (await fs.stat('/f')).size], [0, 0, 0]);
  fs.unreserve(filler);
});

test('an append sink counts from the end of the file', async () => {
  const { fs } = await freshFs({ blocks: 256 });
  await fs.create('/log');
  await fs.write('/log', 0, text('x'.repeat(4000)));
  const disk = new DiskMount(fs, { point: '/home', source: '/dev/vda', name: 'vda' });
  const sink = await disk.openWrite('/log', '/home/log', true);
  const before = fs.available();
  sink.write(text('y'.repeat(96)));
  assert.equal(fs.reserved, 1, 'the block holding byte 4,000 (counted as if it were a hole)');
  sink.end();
  await sink.finish();
  assert.deepEqual([fs.reserved, fs.available()], [0, before]);
  assert.equal((await fs.stat('/log')).size, 4096);
});
