// Unit tests for kernel/arch/dma.js and kernel/drivers/virtio/virtqueue.js.
// The device side is the shared fake's DeviceQueue (tests/js/lib/fake-virtio-device.js),
// except where a test spells out the used-ring bytes itself (an out-of-order
// completion, an id not in flight) with a DataView, at the offsets of virtio 1.2 §2.7.
const { DmaArena } = require('/kernel/arch/dma');
const { Virtqueue, VIRTQ_USED_F_NO_NOTIFY } = require('/kernel/drivers/virtio/virtqueue');
const { DeviceQueue } = require('/tests/lib/fake-virtio-device');

function freshQueue(size = 4, notify) {
  const dma = new DmaArena(new ArrayBuffer(64 * 1024));
  return { dma, vq: new Virtqueue(dma, 0, size, notify) };
}

const bytesAt = (dma, addr, n) => Array.from(dma.bytes.subarray(addr, addr + n));

// The device's half of vq, over the same arena.
const deviceFor = (vq, dma) => new DeviceQueue(dma.buffer, { num: vq.size, desc: vq.descAddr, avail: vq.availAddr, used: vq.usedAddr });

// The device takes the next available chain, then reports it used.
function deviceUse(dev, len) {
  const chain = dev.pop();
  if (!chain) throw new Error('nothing available');
  dev.push(chain.head, len);
  return chain.head;
}

// --- DmaArena --------------------------------------------------------------

test('dma: alloc respects the reserve and alignment', () => {
  const dma = new DmaArena(new ArrayBuffer(16384), 4096);
  const a = dma.alloc(10, 16);
  assert.equal(a, 4096);
  const b = dma.alloc(8, 64);
  assert.equal(b % 64, 0);
  assert.ok(b >= a + 10);
  assert.deepEqual(dma.stats().used, 18);
});

test('dma: freed blocks coalesce back into one hole', () => {
  const dma = new DmaArena(new ArrayBuffer(16384), 4096);
  const blocks = [dma.alloc(100), dma.alloc(200, 4), dma.alloc(300, 8), dma.alloc(5, 1)];
  for (const i of [1, 3, 0, 2]) dma.free(blocks[i]);
  assert.deepEqual(dma.stats(), { size: 16384, used: 0, reserved: 4096, blocks: 0, holes: 1 });
  // The whole arena above the reserve is one block again.
  assert.equal(dma.alloc(16384 - 4096, 16), 4096);
});

test('dma: first fit reuses a hole and zeroes it', () => {
  const dma = new DmaArena(new ArrayBuffer(16384), 4096);
  const a = dma.alloc(64);
  dma.alloc(64);
  dma.bytes.fill(0xaa, a, a + 64);
  dma.free(a);
  const c = dma.alloc(32);
  assert.equal(c, a);
  assert.deepEqual(bytesAt(dma, c, 4), [0, 0, 0, 0]);
});

test('dma: exhaustion and double free are clear errors', () => {
  const dma = new DmaArena(new ArrayBuffer(8192), 4096);
  const a = dma.alloc(4096);
  assert.throws(() => dma.alloc(1), /DMA arena exhausted/);
  dma.free(a);
  assert.throws(() => dma.free(a), /not an allocated block/);
});

// --- Virtqueue -------------------------------------------------------------

test('virtqueue: areas are aligned, sized per §2.7 and zeroed', () => {
  const dma = new DmaArena(new ArrayBuffer(64 * 1024));
  dma.bytes.fill(0xff);
  const vq = new Virtqueue(dma, 3, 8, null);
  assert.equal(vq.descAddr % 16, 0);
  assert.equal(vq.availAddr % 2, 0);
  assert.equal(vq.usedAddr % 4, 0);
  assert.ok(vq.availAddr >= vq.descAddr + 16 * 8, 'avail after the 128-byte table');
  assert.ok(vq.usedAddr >= vq.availAddr + 6 + 2 * 8, 'used after the 22-byte avail ring');
  assert.ok(bytesAt(dma, vq.descAddr, 128).every((b) => b === 0));
  assert.ok(bytesAt(dma, vq.availAddr, 22).every((b) => b === 0));
  assert.ok(bytesAt(dma, vq.usedAddr, 70).every((b) => b === 0));
  assert.equal(vq.numFree, 8);
  assert.throws(() => new Virtqueue(dma, 0, 6, null), /power of two/);
});

test('virtqueue: add writes descriptor bytes and the avail ring', () => {
  const { dma, vq } = freshQueue(4);
  assert.equal(vq.add([{ addr: 0x12345, len: 0x100, write: false }, { addr: 0x2000, len: 1, write: true }], 'tok'), true);
  // desc[0]: le64 addr 0x12345, le32 len 0x100, le16 flags NEXT, le16 next 1
  assert.deepEqual(bytesAt(dma, vq.descAddr, 16), [0x45, 0x23, 0x01, 0, 0, 0, 0, 0, 0x00, 0x01, 0, 0, 1, 0, 1, 0]);
  // desc[1]: addr 0x2000, len 1, flags WRITE, next 0
  assert.deepEqual(bytesAt(dma, vq.descAddr + 16, 16), [0x00, 0x20, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0]);
  // avail: flags 0, idx 1, ring[0] = head 0
  assert.deepEqual(bytesAt(dma, vq.availAddr, 6), [0, 0, 1, 0, 0, 0]);
  assert.equal(vq.numFree, 2);
  assert.equal(vq.availIdx, 1);

  assert.equal(vq.add([{ addr: 0x3000, len: 7, write: true }], 'two'), true);
  // Second chain: head is descriptor 2 in ring slot 1; idx 2.
  assert.deepEqual(bytesAt(dma, vq.availAddr, 8), [0, 0, 2, 0, 0, 0, 2, 0]);
});

test('virtqueue: add refuses a chain that does not fit, changing nothing', () => {
  const { dma, vq } = freshQueue(4);
  assert.equal(vq.add([{ addr: 0x1000, len: 1 }, { addr: 0x1000, len: 1 }, { addr: 0x1000, len: 1 }], 1), true);
  const before = bytesAt(dma, vq.availAddr, 12);
  assert.equal(vq.add([{ addr: 0x1000, len: 1 }, { addr: 0x1000, len: 1 }], 2), false);
  assert.deepEqual(bytesAt(dma, vq.availAddr, 12), before);
  assert.equal(vq.numFree, 1);
});

test('virtqueue: device-readable after device-writable is rejected (§2.7.4.2)', () => {
  const { vq } = freshQueue(4);
  assert.throws(() => vq.add([{ addr: 0x1000, len: 4, write: true }, { addr: 0x1000, len: 4, write: false }], 0), /device-readable/);
  assert.equal(vq.numFree, 4);
});

test('virtqueue: takeUsed returns tokens and lengths and frees chains', () => {
  const { dma, vq } = freshQueue(4);
  vq.add([{ addr: 0x1000, len: 16 }, { addr: 0x2000, len: 64, write: true }], { name: 'a' });
  vq.add([{ addr: 0x3000, len: 64, write: true }], { name: 'b' });
  assert.equal(vq.numFree, 1);
  assert.deepEqual(vq.takeUsed(), []);
  // The device completes b first (out of order is allowed), then a.
  const v = dma.view;
  v.setUint32(vq.usedAddr + 4, 2, true); // id = head of b
  v.setUint32(vq.usedAddr + 8, 10, true); // len
  v.setUint32(vq.usedAddr + 12, 0, true); // id = head of a
  v.setUint32(vq.usedAddr + 16, 64, true);
  v.setUint16(vq.usedAddr + 2, 2, true); // used idx
  assert.deepEqual(vq.takeUsed(), [
    { token: { name: 'b' }, len: 10 },
    { token: { name: 'a' }, len: 64 },
  ]);
  assert.equal(vq.numFree, 4);
  assert.equal(vq.lastUsedIdx, 2);
  // Freed descriptors are zeroed.
  assert.ok(bytesAt(dma, vq.descAddr, 48).every((b) => b === 0));
  assert.deepEqual(vq.takeUsed(), []);
});

test('virtqueue: a used id that is not in flight is an error', () => {
  const { dma, vq } = freshQueue(4);
  dma.view.setUint32(vq.usedAddr + 4, 3, true);
  dma.view.setUint16(vq.usedAddr + 2, 1, true);
  assert.throws(() => vq.takeUsed(), /not in flight/);
});

test('virtqueue: u16 indices wrap at 65536, not at the queue size', () => {
  const { dma, vq } = freshQueue(4);
  const dev = deviceFor(vq, dma);
  for (let i = 0; i < 65536 + 3; i++) {
    assert.equal(vq.add([{ addr: 0x1000, len: 4, write: true }], i), true);
    deviceUse(dev, i & 0xff);
    const got = vq.takeUsed();
    if (got.length !== 1 || got[0].token !== i) throw new Error(`round ${i}: ${JSON.stringify(got)}`);
  }
  assert.equal(vq.availIdx, 3);
  assert.equal(vq.usedIdx, 3);
  assert.deepEqual(bytesAt(dma, vq.availAddr + 2, 2), [3, 0]);
  assert.equal(vq.numFree, 4);
});

test('virtqueue: takeUsed drains entries published across the wrap', () => {
  const { dma, vq } = freshQueue(8);
  const dev = deviceFor(vq, dma);
  // Bring both indices to 65534 one buffer at a time.
  for (let i = 0; i < 65534; i++) {
    vq.add([{ addr: 0x1000, len: 1, write: true }], i);
    deviceUse(dev, 1);
    vq.takeUsed();
  }
  for (let i = 0; i < 4; i++) vq.add([{ addr: 0x1000, len: 1, write: true }], `w${i}`);
  assert.equal(vq.availIdx, 2); // 65534 + 4 wrapped
  for (let i = 0; i < 4; i++) deviceUse(dev, i);
  assert.equal(vq.usedIdx, 2);
  assert.deepEqual(vq.takeUsed().map((u) => u.token), ['w0', 'w1', 'w2', 'w3']);
});

test('virtqueue: kick notifies unless the device set NO_NOTIFY', () => {
  let kicks = 0;
  const { dma, vq } = freshQueue(4, () => kicks++);
  vq.add([{ addr: 0x1000, len: 1 }], 0);
  assert.equal(vq.kick(), true);
  assert.equal(kicks, 1);
  dma.view.setUint16(vq.usedAddr, VIRTQ_USED_F_NO_NOTIFY, true);
  assert.equal(vq.kick(), false);
  assert.equal(kicks, 1);
});

test('virtqueue: suppressInterrupts sets the avail flags word', () => {
  const { dma, vq } = freshQueue(4);
  vq.suppressInterrupts(true);
  assert.deepEqual(bytesAt(dma, vq.availAddr, 2), [1, 0]);
  vq.suppressInterrupts(false);
  assert.deepEqual(bytesAt(dma, vq.availAddr, 2), [0, 0]);
});
