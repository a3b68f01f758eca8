// Unit tests for kernel/drivers/virtio/mmio-transport.js against a fake
// machine: the shared fake device's register file, recording every access,
// so the tests can check the order of virtio 1.2 §3.1.1 and the registers of §4.2.2.
const { DmaArena } = require('/kernel/arch/dma');
const { MmioTransport, REG, STATUS } = require('/kernel/drivers/virtio/mmio-transport');
const { fakeVirtioDevice } = require('/tests/lib/fake-virtio-device');

const NAMES = Object.fromEntries(Object.entries(REG).map(([k, v]) => [v, k]));
const regName = (off) => NAMES[off] || `CONFIG+${off - REG.CONFIG}`;

// The shared fake device (registers only: these tests never touch the rings),
// defaulting to a console that offers VERSION_1 and two features and has two
// queues of 256. Every register access is logged, so the tests can check the
// order; a transport may notify before DRIVER_OK here, where no driver runs.
function fakeMachine(opts = {}) {
  const m = fakeVirtioDevice(new ArrayBuffer(0), {
    deviceId: 3,
    features: (1n << 32n) | 3n,
    queueMax: [256, 256],
    earlyNotify: 'ignore',
    ...opts,
  });
  m.log = []; // ['r'|'w', REGISTER_NAME, value]
  const read = m.mmioRead;
  const write = m.mmioWrite;
  m.mmioRead = (slot, off) => {
    const v = read(slot, off);
    m.log.push(['r', regName(off), v]);
    return v;
  };
  m.mmioWrite = (slot, off, v) => {
    m.log.push(['w', regName(off), v]);
    write(slot, off, v);
  };
  return m;
}

const statusWrites = (m) => m.log.filter(([rw, reg]) => rw === 'w' && reg === 'STATUS').map(([, , v]) => v);

test('probe reads magic, version, device and vendor ids', () => {
  const m = fakeMachine({ deviceId: 4 });
  const t = new MmioTransport(m, 2);
  assert.deepEqual(t.probe(), { magic: true, version: 2, deviceId: 4, vendorId: 0x554d4551 });
  assert.deepEqual(m.log.map(([rw, reg]) => reg), ['MAGIC_VALUE', 'VERSION', 'DEVICE_ID', 'VENDOR_ID']);
});

test('probe rejects a bad magic and a legacy (version 1) device', () => {
  assert.throws(() => new MmioTransport(fakeMachine({ magic: 0x12345678 }), 0).probe(), /bad magic 0x12345678/);
  assert.throws(() => new MmioTransport(fakeMachine({ version: 1 }), 0).probe(), /version 1, need 2/);
});

test('init follows §3.1.1 register by register', () => {
  const m = fakeMachine({ features: (1n << 32n) | (1n << 33n) | 0b111n });
  const t = new MmioTransport(m, 0);
  const got = t.init(0b011n | (1n << 40n));
  assert.equal(got, (1n << 32n) | 0b011n); // wanted & offered | VERSION_1
  assert.deepEqual(m.log, [
    ['w', 'STATUS', 0], // 1. reset
    ['r', 'STATUS', 0], //    ... and it reads back 0
    ['w', 'STATUS', 1], // 2. ACKNOWLEDGE
    ['w', 'STATUS', 3], // 3. DRIVER
    ['w', 'DEVICE_FEATURES_SEL', 0], // 4. device features, low word
    ['r', 'DEVICE_FEATURES', 0b111],
    ['w', 'DEVICE_FEATURES_SEL', 1], //    high word
    ['r', 'DEVICE_FEATURES', 0b11],
    ['w', 'DRIVER_FEATURES_SEL', 0], //    driver features, low word
    ['w', 'DRIVER_FEATURES', 0b011],
    ['w', 'DRIVER_FEATURES_SEL', 1], //    high word: VERSION_1
    ['w', 'DRIVER_FEATURES', 1],
    ['w', 'STATUS', 11], // 5. FEATURES_OK
    ['r', 'STATUS', 11], // 6. re-read: still set
  ]);
  assert.equal(m.driverFeatures, (1n << 32n) | 0b011n);
  t.driverOk();
  assert.equal(m.status, STATUS.ACKNOWLEDGE | STATUS.DRIVER | STATUS.FEATURES_OK | STATUS.DRIVER_OK);
});

test('init: a device that clears FEATURES_OK gets FAILED and an exception', () => {
  const m = fakeMachine({ acceptFeatures: () => false });
  const t = new MmioTransport(m, 0);
  assert.throws(() => t.init(3n), /refused features/);
  assert.deepEqual(statusWrites(m), [0, 1, 3, 11, 3 | STATUS.FAILED]);
  assert.equal(m.status & STATUS.FAILED, STATUS.FAILED);
  assert.equal(m.status & STATUS.DRIVER_OK, 0);
});

test('init: a device without VERSION_1 is failed before any driver features', () => {
  const m = fakeMachine({ features: 3n });
  const t = new MmioTransport(m, 0);
  assert.throws(() => t.init(3n), /VERSION_1/);
  assert.deepEqual(statusWrites(m), [0, 1, 3, 3 | STATUS.FAILED]);
  assert.ok(!m.log.some(([, reg]) => reg === 'DRIVER_FEATURES'));
});

test('init: reset waits for status to read 0', () => {
  const m = fakeMachine();
  let busyReads = 0;
  const read = m.mmioRead;
  // The device needs three polls before the reset is complete.
  m.mmioRead = (slot, off) => (off === REG.STATUS && busyReads < 3 ? (busyReads++, 0x40) : read(slot, off));
  new MmioTransport(m, 0).init(0n);
  assert.equal(busyReads, 3);
  // After the busy reads (not logged): the read of 0, then step 6's re-read.
  assert.deepEqual(m.log.filter(([rw, reg]) => reg === 'STATUS').map(([rw, , v]) => rw + v), ['w0', 'r0', 'w1', 'w3', 'w11', 'r11']);
});

test('setupQueue programs size and the three addresses, then QueueReady', () => {
  const m = fakeMachine({ queueMax: [256, 16] });
  const t = new MmioTransport(m, 0);
  const dma = new DmaArena(new ArrayBuffer(65536));
  t.init(0n);
  m.log.length = 0;
  const vq = t.setupQueue(1, dma, 64);
  assert.equal(vq.size, 16); // min(wanted, QueueNumMax)
  assert.deepEqual(m.log, [
    ['w', 'QUEUE_SEL', 1],
    ['r', 'QUEUE_READY', 0],
    ['r', 'QUEUE_NUM_MAX', 16],
    ['w', 'QUEUE_NUM', 16],
    ['w', 'QUEUE_DESC_LOW', vq.descAddr],
    ['w', 'QUEUE_DESC_HIGH', 0],
    ['w', 'QUEUE_DRIVER_LOW', vq.availAddr],
    ['w', 'QUEUE_DRIVER_HIGH', 0],
    ['w', 'QUEUE_DEVICE_LOW', vq.usedAddr],
    ['w', 'QUEUE_DEVICE_HIGH', 0],
    ['w', 'QUEUE_READY', 1],
  ]);
  const { num, ready, desc, avail, used } = m.q[1];
  assert.deepEqual({ num, ready, desc, avail, used }, { num: 16, ready: 1, desc: vq.descAddr, avail: vq.availAddr, used: vq.usedAddr });
  // The queue's kick is a QueueNotify write of its index.
  m.log.length = 0;
  vq.kick();
  assert.deepEqual(m.log, [['w', 'QUEUE_NOTIFY', 1]]);
});

test('setupQueue rounds an odd QueueNumMax down to a power of two', () => {
  const m = fakeMachine({ queueMax: [100] });
  const t = new MmioTransport(m, 0);
  assert.equal(t.setupQueue(0, new DmaArena(new ArrayBuffer(65536)), 256).size, 64);
});

test('setupQueue throws for a queue the device does not have', () => {
  const m = fakeMachine({ queueMax: [256] });
  const t = new MmioTransport(m, 0);
  assert.throws(() => t.setupQueue(5, new DmaArena(new ArrayBuffer(65536)), 64), /queue 5 does not exist/);
});

test('readConfig8/16/32 extract little-endian fields from 32-bit reads', () => {
  const config = new Uint8Array([0x50, 0x00, 0x18, 0x00, 0x02, 0x00, 0x00, 0x00, 0xaa, 0xbb, 0xcc, 0xdd]);
  const m = fakeMachine({ config });
  const t = new MmioTransport(m, 0);
  assert.equal(t.readConfig16(0), 80); // cols
  assert.equal(t.readConfig16(2), 24); // rows
  assert.equal(t.readConfig32(4), 2); // max_nr_ports
  assert.equal(t.readConfig8(9), 0xbb);
  assert.equal(t.readConfig32(8), 0xddccbbaa);
  assert.equal(t.readConfig16(3), 0x0200); // straddles two words
  // Each read is bracketed by ConfigGeneration and touches the word once.
  m.log.length = 0;
  t.readConfig16(2);
  assert.deepEqual(m.log.map(([, reg]) => reg), ['CONFIG_GENERATION', 'CONFIG', 'CONFIG_GENERATION']);
});

test('readConfig retries when the generation changes under it', () => {
  const config = new Uint8Array(8);
  const m = fakeMachine({ config });
  const read = m.mmioRead;
  let first = true;
  m.mmioRead = (slot, off) => {
    const v = read(slot, off);
    if (off === REG.CONFIG && first) {
      // The device updates the config between the driver's two generation reads.
      first = false;
      config[0] = 7;
      m.generation++;
    }
    return v;
  };
  assert.equal(new MmioTransport(m, 0).readConfig8(0), 7);
});

test('interrupt status, ack, notify and fail', () => {
  const m = fakeMachine();
  const t = new MmioTransport(m, 0);
  m.isr = 3;
  assert.equal(t.interruptStatus(), 3);
  t.ackInterrupt(1);
  assert.equal(m.isr, 2);
  t.notify(4);
  t.fail();
  assert.deepEqual(m.log.slice(-4), [['w', 'INTERRUPT_ACK', 1], ['w', 'QUEUE_NOTIFY', 4], ['r', 'STATUS', 0], ['w', 'STATUS', STATUS.FAILED]]);
  assert.equal(t.status(), STATUS.FAILED);
});
