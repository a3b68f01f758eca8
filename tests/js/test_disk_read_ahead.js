// Unit tests for the disk file system's read path: the read-ahead window
// (kernel/fs/disk/read-ahead.js) on literal sequences of reads, and the
// block cache's reads in flight (kernel/fs/disk/block-cache.js): runs of
// contiguous blocks in one request, never old bytes over new ones (a block
// written or committed while a read-ahead of it is out), a bounded cache,
// and a failed read-ahead that costs only a retry.
const { freshFs } = require('/tests/lib/disk-fixtures');
const { mount } = require('/kernel/fs/disk/file-system');
const { fsck } = require('/kernel/fs/disk/fsck');
const { ReadAhead, initialWindow, nextWindow } = require('/kernel/fs/disk/read-ahead');

const BLOCK = 4096;

// Each read of `reads` ([first, count] in file blocks) and the window it opened (null: none).
const windows = (ra, reads) => reads.map(([first, count]) => ra.access(first, count));

test('window sizes: the first 2-4 times the read (at least 16 KiB), then x4 while small, x2, up to the largest', () => {
  assert.deepEqual([1, 2, 4, 5, 8, 16, 32, 33, 64, 200].map((n) => initialWindow(n, 128)), [16, 16, 16, 16, 16, 32, 64, 128, 128, 128]);
  assert.deepEqual([4, 7, 8, 16, 32, 64, 65, 128].map((n) => nextWindow(n, 128)), [16, 28, 16, 32, 64, 128, 128, 128]);
  assert.deepEqual([1, 4, 16].map((n) => initialWindow(n, 32)), [8, 8, 32]);
});

test('sequential 64 KiB reads: each window opens when the reader enters the one before, growing to 512 KiB', () => {
  const ra = new ReadAhead();
  const reads = [];
  for (let b = 0; b < 256; b += 16) reads.push([b, 16]);
  assert.deepEqual(windows(ra, reads), [
    { start: 16, count: 32 }, // [0,16): a first window of twice the read, just past it
    { start: 48, count: 64 }, // [16,32) enters it: the next, twice as large
    null,
    { start: 112, count: 128 }, // [48,64)
    null,
    null,
    null,
    { start: 240, count: 128 }, // [112,128): 128 blocks (512 KiB) is the largest
    null,
    null,
    null,
    null,
    null,
    null,
    null,
    { start: 368, count: 128 }, // [240,256)
  ]);
});

test('sequential reads of one block, and re-reading the last block, count as sequential', () => {
  const ra = new ReadAhead();
  const reads = [[0, 1], [1, 1], [1, 1]];
  for (let b = 2; b < 50; b++) reads.push([b, 1]);
  const opened = {};
  windows(ra, reads).forEach((w, i) => w && (opened[i] = w));
  assert.deepEqual(opened, {
    0: { start: 1, count: 16 },
    1: { start: 17, count: 32 }, // block 1 is the window's first: the next starts now
    // 2: block 1 again, nothing new
    18: { start: 49, count: 64 }, // block 17
    50: { start: 113, count: 128 }, // block 49
  });
});

test('random reads read only what they ask; two in a row that touch start a window again', () => {
  const ra = new ReadAhead();
  assert.deepEqual(windows(ra, [[0, 16], [500, 4], [90, 2], [7, 1], [8, 4], [12, 4], [3000, 16]]), [
    { start: 16, count: 32 },
    null, // a jump: the window is gone
    null,
    null,
    { start: 12, count: 16 }, // [8,12) follows [7,8): sequential again, a first window
    { start: 28, count: 32 },
    null,
  ]);
});

test('mixed: a sequential reader that seeks back to the start or skips ahead', () => {
  const ra = new ReadAhead();
  assert.deepEqual(windows(ra, [[0, 16], [16, 16], [0, 16], [16, 16], [32, 16], [100, 16], [116, 16], [132, 16]]), [
    { start: 16, count: 32 },
    { start: 48, count: 64 },
    { start: 16, count: 32 }, // a read from block 0 opens a new window, as Linux's does
    { start: 48, count: 64 },
    null,
    null, // a skip: random
    { start: 132, count: 32 },
    { start: 164, count: 64 },
  ]);
});

// A file of `blocks` blocks whose block i is filled with i & 0xff, on a
// freshly mounted file system (a cold cache).
async function coldFile(blocks, fsBlocks = 512) {
  const { fs, device } = await freshFs({ blocks: fsBlocks });
  await fs.create('/f');
  const data = new Uint8Array(blocks * BLOCK);
  for (let i = 0; i < blocks; i++) data.fill(i & 0xff, i * BLOCK, (i + 1) * BLOCK);
  await fs.write('/f', 0, data);
  await fs.umount();
  const again = await mount(device, {});
  return { fs: again, device, data, ino: await again.open('/f') };
}

test('a file read in 64 KiB pieces: contiguous blocks come in runs of one request each, read ahead of the reader', async () => {
  const { fs, device, data, ino } = await coldFile(64);
  const before = device.counts.read;
  const got = [];
  for (let at = 0; at < data.length; at += 65536) got.push(await fs.read(ino, at, 65536));
  // Blocks 0-11 are direct, then the indirect block, then blocks 12..63:
  // [0,12) and [12,16) for the first read, [16,48) read ahead with it, and [48,64) when it reaches 16.
  assert.deepEqual([fs.cache.stats.runs, fs.cache.stats.runBlocks], [4, 64]);
  assert.equal(device.counts.read - before, 5, 'the four runs and the indirect block');
  assert.equal(fs.cache.stats.waits, 0, 'this device answers at once');
  got.forEach((bytes, i) => assert.deepEqual(bytes, data.subarray(i * 65536, (i + 1) * 65536)));
  // Read into the caller's buffer: a view of it, and holes read as zeros.
  const into = new Uint8Array(65536).fill(0xee);
  const view = await fs.read(ino, 4096 * 63 + 100, 65536, into);
  assert.equal(view.buffer, into.buffer);
  assert.deepEqual(view, data.subarray(4096 * 63 + 100));
});

// A device whose reads of more than one block wait until the test lets them
// go, answering with the bytes the disk held when they were asked: a
// read-ahead the device served before a later write reached the disk.
// release() lets them go, and the device answers at once from then on.
function holdRuns(device) {
  const held = [];
  const read = device.read;
  device.read = (sector, count, take) => {
    if (count <= 8) return read.call(device, sector, count, take);
    const bytes = device.bytes.slice(sector * 512, (sector + count) * 512);
    return new Promise((resolve) => held.push(() => resolve(take ? take(bytes, 0) : bytes)));
  };
  const release = () => {
    device.read = read;
    held.splice(0).forEach((go) => go());
  };
  return { release, held };
}

test('coherence: a block written, then committed, while its read-ahead is out is never read back old', async () => {
  const { fs, device, data, ino } = await coldFile(40);
  const hold = holdRuns(device);
  assert.deepEqual(await fs.read(ino, 0, 4096), data.subarray(0, 4096)); // block 0, and [1,17) read ahead
  assert.equal(hold.held.length, 2, 'the read-ahead is out: blocks 1-11, and 12-16 past the indirect block');
  const fresh = new Uint8Array(4096).fill(0xaa);
  const later = new Uint8Array(4096).fill(0xbb);
  await fs.write(ino, 5 * 4096, fresh); // block 5: in the running transaction
  await fs.write(ino, 6 * 4096, later);
  await fs.sync(); // both installed at home
  await fs.write(ino, 7 * 4096, fresh); // block 7: written, not committed
  hold.release(); // the read-ahead comes back with the old 5, 6 and 7
  await fs.tail;
  await null;
  assert.deepEqual(await fs.read(ino, 5 * 4096, 3 * 4096), Uint8Array.from([...fresh, ...later, ...fresh]));
  assert.deepEqual(await fs.read(ino, 4 * 4096, 4096), data.subarray(4 * 4096, 5 * 4096), 'its other blocks are good');
  await fs.sync();
  assert.deepEqual(await fs.read(ino, 7 * 4096, 4096), fresh);
  await fs.umount();
  const again = await mount(device, {});
  assert.deepEqual(await again.read('/f', 5 * 4096, 3 * 4096), Uint8Array.from([...fresh, ...later, ...fresh]));
  assert.ok((await fsck(device)).clean);
});

test('coherence: read-ahead, then a write, then a read sees the write; reads in an uncommitted transaction see it too', async () => {
  const { fs, data, ino } = await coldFile(48);
  await fs.read(ino, 0, 65536); // blocks [16,48) are read ahead, and clean now
  const patch = Uint8Array.from({ length: 10 }, (_, i) => 200 + i);
  await fs.write(ino, 20 * 4096 + 7, patch); // a partial block: the cached copy is modified
  const want = data.slice(16 * 4096, 48 * 4096);
  want.set(patch, 4 * 4096 + 7);
  assert.deepEqual(await fs.read(ino, 16 * 4096, 32 * 4096), want, 'before any commit');
  assert.equal(fs.log.commits, 0);
  await fs.sync();
  assert.deepEqual(await fs.read(ino, 16 * 4096, 32 * 4096), want, 'after it');
});

test('the cache stays bounded while a file four times its size streams through it', async () => {
  const { fs: big, device } = await freshFs({ blocks: 1400 });
  await big.create('/f');
  const blocks = 1024 + 100;
  const data = new Uint8Array(blocks * BLOCK);
  for (let i = 0; i < blocks; i++) data.fill(i & 0xff, i * BLOCK, (i + 1) * BLOCK);
  await big.write('/f', 0, data);
  await big.umount();
  const fs = await mount(device, { cacheBlocks: 256 }); // 1 MiB: windows of 8 blocks at most
  const ino = await fs.open('/f');
  const cache = fs.cache;
  let maxPending = 0;
  for (let at = 0; at < blocks * BLOCK; at += 16384) {
    assert.deepEqual(await fs.read(ino, at, 16384), data.subarray(at, at + 16384));
    maxPending = Math.max(maxPending, cache.pending.size);
    assert.ok(cache.clean.size <= 256, `${cache.clean.size} clean blocks`);
  }
  assert.ok(maxPending <= 16, `${maxPending} blocks in flight at most`);
  assert.ok(cache.spare.length <= 16 && cache.released.length <= 16);
  assert.equal(cache.stats.runBlocks, blocks, 'every block read once');
  assert.ok(cache.stats.runs < blocks / 4, `${cache.stats.runs} requests for ${blocks} blocks`);
});

test('a read-ahead the device fails costs a retry: the blocks asked for are read one by one, and only a bad one is EIO', async () => {
  const { fs, device, data, ino } = await coldFile(40);
  let failAt = null; // the first sector of the first read-ahead run, which keeps failing
  device.failing = (kind, sector) => kind === 'read' && sector === failAt;
  const fetch = fs.cache.fetch.bind(fs.cache);
  fs.cache.fetch = (blocks, ahead) => {
    if (ahead && failAt === null) failAt = blocks[0] * 8;
    return fetch(blocks, ahead);
  };
  assert.deepEqual(await fs.read(ino, 0, 4096), data.subarray(0, 4096), 'the read asked for is not failed by its read-ahead');
  await null;
  assert.equal(fs.cache.stats.runsFailed, 1);
  assert.equal(fs.cache.pending.size, 0);
  const e = await assert.rejects(fs.read(ino, 4096, 4096)); // block 1, the failed run's first
  assert.equal(e.code, 'EIO');
  assert.deepEqual(await fs.read(ino, 2 * 4096, 4096), data.subarray(2 * 4096, 3 * 4096), 'block 2 is read alone');
  assert.deepEqual(await fs.read(ino, 12 * 4096, 4096), data.subarray(12 * 4096, 13 * 4096), 'the other run came');
});
