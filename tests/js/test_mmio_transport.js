// Unit tests for kernel/drivers/virtio/mmio-transport.js against a fake
// machine: a JS register file that records every access, so the tests can
// check the order of virtio 1.2 §3.1.1 and the registers of §4.2.2.
const { DmaArena } = require('/kernel/arch/dma');
const { MmioTransport, REG, STATUS } = require('/kernel/drivers/virtio/mmio-transport');

const NAMES = Object.fromEntries(Object.entries(REG).map(([k, v]) => [v, k]));
const regName = (off) => NAMES[off] || `CONFIG+${off - REG.CONFIG}`;

// A scripted virtio-mmio device: `features` offered (BigInt), queue sizes,
// config bytes; acceptFeatures(driverFeatures) decides FEATURES_OK.
function fakeMachine(opts = {}) {
  const m = {
    log: [], // ['r'|'w', REGISTER_NAME, value]
    magic: opts.magic ?? 0x74726976,
    version: opts.version ?? 2,
    deviceId: opts.deviceId ?? 3,
    offered: opts.features ?? ((1n << 32n) | 3n),
    queueMax: opts.queueMax ?? [256, 256],
    config: opts.config ?? new Uint8Array(16),
    acceptFeatures: opts.acceptFeatures ?? (() => true),
    status: 0,
    devSel: 0,
    drvSel: 0,
    driverFeatures: 0n,
    queueSel: 0,
    queues: {},
    generation: 0,
    isr: 0,
  };
  const q = () => (m.queues[m.queueSel] ||= { num: 0, ready: 0, desc: 0, driver: 0, device: 0 });
  m.mmioRead = (slot, off) => {
    let v;
    if (off >= REG.CONFIG) {
      const c = m.config;
      const i = off - REG.CONFIG;
      v = (c[i] | (c[i + 1] << 8) | (c[i + 2] << 16) | (c[i + 3] << 24)) >>> 0;
    } else {
      switch (off) {
        case REG.MAGIC_VALUE: v = m.magic; break;
        case REG.VERSION: v = m.version; break;
        case REG.DEVICE_ID: v = m.deviceId; break;
        case REG.VENDOR_ID: v = 0x554d4551; break;
        case REG.DEVICE_FEATURES: v = Number((m.offered >> BigInt(32 * m.devSel)) & 0xffffffffn); break;
        case REG.QUEUE_NUM_MAX: v = m.queueMax[m.queueSel] || 0; break;
        case REG.QUEUE_READY: v = q().ready; break;
        case REG.INTERRUPT_STATUS: v = m.isr; break;
        case REG.STATUS: v = m.status; break;
        case REG.CONFIG_GENERATION: v = m.generation; break;
        default: throw new Error(`read of ${regName(off)}`);
      }
    }
    m.log.push(['r', regName(off), v]);
    return v;
  };
  m.mmioWrite = (slot, off, v) => {
    m.log.push(['w', regName(off), v]);
    switch (off) {
      case REG.STATUS:
        // A device that cannot live with the driver's features does not set FEATURES_OK.
        if (v & STATUS.FEATURES_OK && !(m.status & STATUS.FEATURES_OK) && !m.acceptFeatures(m.driverFeatures)) v &= ~STATUS.FEATURES_OK;
        m.status = v;
        break;
      case REG.DEVICE_FEATURES_SEL: m.devSel = v; break;
      case REG.DRIVER_FEATURES_SEL: m.drvSel = v; break;
      case REG.DRIVER_FEATURES: {
        const shift = BigInt(32 * m.drvSel);
        m.driverFeatures = (m.driverFeatures & ~(0xffffffffn << shift)) | (BigInt(v) << shift);
        break;
      }
      case REG.QUEUE_SEL: m.queueSel = v; break;
      case REG.QUEUE_NUM: q().num = v; break;
      case REG.QUEUE_READY: q().ready = v; break;
      case REG.QUEUE_DESC_LOW: q().desc = v; break;
      case REG.QUEUE_DRIVER_LOW: q().driver = v; break;
      case REG.QUEUE_DEVICE_LOW: q().device = v; break;
      case REG.QUEUE_DESC_HIGH: case REG.QUEUE_DRIVER_HIGH: case REG.QUEUE_DEVICE_HIGH:
        if (v !== 0) throw new Error('high address bits set');
        break;
      case REG.INTERRUPT_ACK: m.isr &= ~v; break;
      case REG.QUEUE_NOTIFY: break;
      default: throw new Error(`write of ${regName(off)}`);
    }
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
  assert.deepEqual(m.queues[1], { num: 16, ready: 1, desc: vq.descAddr, driver: vq.availAddr, device: vq.usedAddr });
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
