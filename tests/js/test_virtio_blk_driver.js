// Unit tests for kernel/drivers/virtio/blk.js, the driver half of virtio-blk
// (virtio 1.2 §5.2), against a virtio-blk built here on the shared fake
// device (tests/js/lib/fake-virtio-device.js). The fake's disk is a
// Uint8Array; its config space is §5.2.4's (le64 capacity, le32 seg_max at
// 12, le32 blk_size at 20, u8 writeback at 32), and it completes requests
// when the test says, in the order the test says, so out-of-order
// completion (§2.7) and several requests in flight are checked for real.
const { DmaArena } = require('/kernel/arch/dma');
const { MmioTransport } = require('/kernel/drivers/virtio/mmio-transport');
const { VirtioBlk, MAX_REQUEST_SECTORS, formatBytes } = require('/kernel/drivers/virtio/blk');
const { fakeVirtioDevice, settle } = require('/tests/lib/fake-virtio-device');

// Feature bits (§5.2.3, §6).
const F = {
  SEG_MAX: 1n << 2n,
  RO: 1n << 5n,
  BLK_SIZE: 1n << 6n,
  FLUSH: 1n << 9n,
  CONFIG_WCE: 1n << 11n,
  DISCARD: 1n << 13n,
  VERSION_1: 1n << 32n,
};
const ALL = F.VERSION_1 | F.SEG_MAX | F.BLK_SIZE | F.FLUSH | F.CONFIG_WCE;

// A virtio-blk on the fake device. Requests are taken off the ring as the
// driver kicks and kept in dev.pending until dev.complete(order) serves them.
function fakeBlk(arena, { sectors = 64, features = ALL, writeback = 1, failSectors = [] } = {}) {
  const bytes = new Uint8Array(arena);
  const view = new DataView(arena);
  const config = new Uint8Array(36);
  const cv = new DataView(config.buffer);
  cv.setUint32(0, sectors, true); // le64 capacity, low half
  cv.setUint32(12, 126, true); // seg_max
  cv.setUint32(20, 512, true); // blk_size
  config[32] = writeback;
  const dev = fakeVirtioDevice(arena, { deviceId: 2, features, config, queues: 1, queueMax: 256, onNotify: () => dev.take() });
  dev.disk = new Uint8Array(sectors * 512);
  dev.pending = [];
  dev.served = []; // [type, sector, bytes] in the order served
  dev.flushes = 0;
  dev.take = () => {
    for (let chain; (chain = dev.pop(0)); ) dev.pending.push(chain);
  };
  // Serves pending requests: `order` is a list of indices into dev.pending (default: all, in order).
  dev.complete = (order = dev.pending.map((_, i) => i)) => {
    const chains = order.map((i) => dev.pending[i]);
    dev.pending = dev.pending.filter((c) => !chains.includes(c));
    for (const chain of chains) {
      const [hdr, ...rest] = chain.bufs;
      if (hdr.write || hdr.len !== 16) throw new Error('the header is not one device-readable 16-byte buffer');
      const type = view.getUint32(hdr.addr, true);
      const sector = view.getUint32(hdr.addr + 8, true);
      const status = rest[rest.length - 1];
      if (!status.write || status.len !== 1) throw new Error('the status is not one device-writable byte');
      const data = rest.length === 2 ? rest[0] : null;
      let s = 0;
      let written = 1;
      if (failSectors.includes(sector)) s = 1; // IOERR
      else if (type === 0) {
        if (!data.write) throw new Error('a read whose data buffer the device may not write');
        bytes.set(dev.disk.subarray(sector * 512, sector * 512 + data.len), data.addr);
        written += data.len;
      } else if (type === 1) {
        if (data.write) throw new Error('a write whose data buffer is device-writable');
        dev.disk.set(bytes.subarray(data.addr, data.addr + data.len), sector * 512);
      } else if (type === 4) dev.flushes++;
      else if (type === 8) {
        bytes.set(Array.from('fake-serial', (c) => c.charCodeAt(0)), data.addr);
        written += 20;
      } else s = 2; // UNSUPP
      dev.served.push([type, sector, data ? data.len : 0]);
      bytes[status.addr] = s;
      dev.push(0, chain.head, written);
    }
  };
  return dev;
}

function boot(opts = {}) {
  const arena = new ArrayBuffer(opts.arenaSize || 1024 * 1024);
  const dma = new DmaArena(arena);
  const dev = fakeBlk(arena, opts);
  const logs = [];
  const drv = new VirtioBlk(new MmioTransport(dev, 3), dma, (m) => logs.push(m));
  drv.start();
  return { arena, dma, dev, drv, logs };
}

const sectorOf = (value) => new Uint8Array(512).fill(value);

test('start negotiates SEG_MAX, BLK_SIZE, FLUSH, CONFIG_WCE and VERSION_1 only, and reads the config', () => {
  const { dev, drv } = boot({ features: ALL | F.RO | F.DISCARD });
  assert.equal(dev.driverFeatures, ALL);
  assert.deepEqual(dev.statusWrites, [0, 1, 3, 11, 15]); // §3.1.1, DRIVER_OK last
  assert.equal(drv.capacity, 64);
  assert.equal(drv.blockSize, 512);
  assert.equal(drv.writeback, true);
  assert.equal(drv.summary(), '64 sectors (32 KiB), write cache: write-back, flush');
});

test('CONFIG_WCE with writeback 0 is write-through; no FLUSH and no WCE: nothing to flush', async () => {
  assert.equal(boot({ writeback: 0 }).drv.summary(), '64 sectors (32 KiB), write cache: write-through, flush');
  const { dev, drv } = boot({ features: F.VERSION_1 });
  assert.equal(drv.summary(), '64 sectors (32 KiB), write cache: write-through');
  await drv.flush(); // resolves at once: no request
  assert.equal(dev.pending.length, 0);
});

test('a write then a read: header, data, status chains with the right directions (§5.2.6)', async () => {
  const { dev, drv } = boot();
  const data = new Uint8Array(1024).map((_, i) => i & 0xff);
  const w = drv.write(3, data);
  assert.equal(dev.pending.length, 0); // the kick waits for the end of the turn
  await null;
  assert.equal(dev.pending.length, 1);
  assert.deepEqual(dev.pending[0].bufs.map((b) => [b.len, b.write]), [[16, false], [1024, false], [1, true]]);
  dev.complete();
  settle(drv, dev);
  await w;
  const r = drv.read(3, 2);
  await null;
  assert.deepEqual(dev.pending[0].bufs.map((b) => [b.len, b.write]), [[16, false], [1024, true], [1, true]]);
  dev.complete();
  settle(drv, dev);
  assert.deepEqual(await r, data);
  assert.deepEqual(dev.served, [[1, 3, 1024], [0, 3, 1024]]);
});

test('several requests in flight complete out of order, each settling its own promise', async () => {
  const { dev, drv } = boot();
  for (let s = 0; s < 4; s++) dev.disk.set(sectorOf(s + 10), s * 512);
  const reads = [0, 1, 2, 3].map((s) => drv.read(s, 1));
  await null;
  assert.equal(dev.pending.length, 4); // all on the ring at once
  assert.deepEqual(dev.notifies, [0]); // with one kick
  assert.equal(drv.describe().in_flight, 4);
  dev.complete([3, 1, 0, 2]);
  settle(drv, dev);
  const got = await Promise.all(reads);
  assert.deepEqual(got.map((b) => b[0]), [10, 11, 12, 13]);
  assert.equal(drv.describe().max_in_flight, 4);
  assert.equal(drv.describe().in_flight, 0);
});

test('a long read is cut into requests of at most 256 KiB, and their bytes join in order', async () => {
  const count = 2 * MAX_REQUEST_SECTORS + 44;
  assert.equal(MAX_REQUEST_SECTORS * 512, 256 * 1024);
  const { dev, drv } = boot({ sectors: count + 100 });
  for (let s = 0; s < count; s++) dev.disk[s * 512] = s & 0xff;
  const r = drv.read(0, count);
  await null;
  assert.deepEqual(dev.pending.map((c) => c.bufs[1].len), [MAX_REQUEST_SECTORS * 512, MAX_REQUEST_SECTORS * 512, 44 * 512]);
  dev.complete([2, 0, 1]);
  settle(drv, dev);
  const bytes = await r;
  assert.equal(bytes.length, count * 512);
  for (let s = 0; s < count; s++) assert.equal(bytes[s * 512], s & 0xff);
});

test('a read with `take` hands over each request\'s bytes from DMA memory, with their offset, in any order; no array is made', async () => {
  const count = MAX_REQUEST_SECTORS + 16; // two requests
  const { dev, drv } = boot({ sectors: count });
  for (let s = 0; s < count; s++) dev.disk[s * 512] = s & 0xff;
  const got = [];
  const r = drv.read(0, count, (view, at) => got.push([at, view.length, view[0], view[512], view.buffer === drv.dma.buffer]));
  await null;
  dev.complete([1, 0]);
  settle(drv, dev);
  assert.equal(await r, undefined);
  assert.deepEqual(got, [
    [MAX_REQUEST_SECTORS * 512, 16 * 512, MAX_REQUEST_SECTORS & 0xff, (MAX_REQUEST_SECTORS + 1) & 0xff, true],
    [0, MAX_REQUEST_SECTORS * 512, 0, 1, true],
  ]);
  const thrown = drv.read(0, 8, () => {
    throw new Error('the taker failed');
  });
  await null;
  dev.complete();
  settle(drv, dev);
  assert.equal((await assert.rejects(thrown)).message, 'the taker failed');
  assert.equal(drv.describe().in_flight, 0);
});

test('at most 2 MiB of data is on the ring at once; the rest waits for completions', async () => {
  const each = MAX_REQUEST_SECTORS; // 256 KiB
  const { dev, drv } = boot({ sectors: 10 * each, arenaSize: 8 << 20 });
  const reads = [];
  for (let i = 0; i < 9; i++) reads.push(drv.read(i * each, each));
  await null;
  assert.equal(dev.pending.length, 8);
  assert.equal(drv.describe().waiting, 1);
  dev.complete([0]);
  settle(drv, dev);
  await null;
  assert.equal(dev.pending.length, 8, 'a completion let the ninth on');
  dev.complete();
  settle(drv, dev);
  await null;
  dev.complete();
  settle(drv, dev);
  for (const r of reads) assert.equal((await r).length, each * 512);
});

test('IOERR rejects with code EIO; the other requests of the batch succeed', async () => {
  const { dev, drv } = boot({ failSectors: [5] });
  const bad = drv.write(5, sectorOf(1));
  const good = drv.write(6, sectorOf(2));
  await null;
  dev.complete();
  settle(drv, dev);
  const e = await assert.rejects(bad);
  assert.equal(e.code, 'EIO');
  assert.ok(/write of 1 sectors at 5/.test(e.message), e.message);
  await good;
  assert.equal(drv.describe().errors, 1);
});

test('flush is a FLUSH request with no data; id() reads GET_ID', async () => {
  const { dev, drv } = boot();
  const f = drv.flush();
  await null;
  assert.deepEqual(dev.pending[0].bufs.map((b) => [b.len, b.write]), [[16, false], [1, true]]);
  const i = drv.id();
  await null;
  dev.complete();
  settle(drv, dev);
  await f;
  assert.equal(await i, 'fake-serial');
  assert.equal(dev.flushes, 1);
});

test('requests past the end or of partial sectors are refused before they reach the device', async () => {
  const { dev, drv } = boot();
  assert.equal((await assert.rejects(drv.read(63, 2))).code, 'ENOSPC');
  assert.equal((await assert.rejects(drv.write(0, new Uint8Array(100)))).code, 'EINVAL');
  assert.equal((await assert.rejects(drv.read(-1, 1))).code, 'EINVAL');
  assert.equal(dev.pending.length, 0);
});

test('more requests than the ring holds wait, and go on as completions free descriptors', async () => {
  const { dev, drv } = boot({ sectors: 256 });
  const writes = [];
  for (let s = 0; s < 50; s++) writes.push(drv.write(s, sectorOf(s)));
  await null;
  assert.equal(dev.pending.length, 42); // 128 descriptors, three a request
  assert.equal(drv.describe().waiting, 8);
  dev.complete();
  settle(drv, dev); // completions put the rest on the ring
  await null;
  assert.equal(dev.pending.length, 8);
  dev.complete();
  settle(drv, dev);
  await Promise.all(writes);
  for (let s = 0; s < 50; s++) assert.equal(dev.disk[s * 512], s);
  assert.equal(drv.dma.stats().blocks, 3); // only the ring's three areas are left allocated
});

test('formatBytes says sizes as the boot log does', () => {
  assert.equal(formatBytes(64 * 1024 * 1024), '64 MiB');
  assert.equal(formatBytes(1536), '1.5 KiB');
  assert.equal(formatBytes(512), '512 bytes');
});
