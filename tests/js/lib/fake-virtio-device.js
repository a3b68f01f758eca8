// tests/js/lib/fake-virtio-device.js: a virtio device written in JS, for the driver tests.
//
// It is the device half of what the kernel's drivers talk to: the virtio-mmio
// register file (virtio 1.2 §4.2.2: ids, feature negotiation, queue set-up,
// notifications, interrupts, config space) and the device side of split
// virtqueues (§2.7: take chains from the available ring, return them through
// the used ring), reading and writing the same arena bytes as the driver.
// The Python machine implements the same for real in jsksh/machine/virtio/
// (mmio.py and queue.py); this one is small, synchronous and throws on what
// a driver must not do, so a test sees the mistake where it happens.
//
// It knows nothing about any particular device: a test gives it a device id,
// the features offered, the config bytes and an onNotify(queue) callback, and
// builds its device (a console's ports, a NIC's frames) on pop() and push().
'use strict';

// Register offsets (§4.2.2), written out here rather than taken from the
// driver's table, so a wrong offset in the driver makes its tests fail.
const R = {
  MAGIC_VALUE: 0x000,
  VERSION: 0x004,
  DEVICE_ID: 0x008,
  VENDOR_ID: 0x00c,
  DEVICE_FEATURES: 0x010,
  DEVICE_FEATURES_SEL: 0x014,
  DRIVER_FEATURES: 0x020,
  DRIVER_FEATURES_SEL: 0x024,
  QUEUE_SEL: 0x030,
  QUEUE_NUM_MAX: 0x034,
  QUEUE_NUM: 0x038,
  QUEUE_READY: 0x044,
  QUEUE_NOTIFY: 0x050,
  INTERRUPT_STATUS: 0x060,
  INTERRUPT_ACK: 0x064,
  STATUS: 0x070,
  QUEUE_DESC_LOW: 0x080,
  QUEUE_DESC_HIGH: 0x084,
  QUEUE_DRIVER_LOW: 0x090,
  QUEUE_DRIVER_HIGH: 0x094,
  QUEUE_DEVICE_LOW: 0x0a0,
  QUEUE_DEVICE_HIGH: 0x0a4,
  CONFIG_GENERATION: 0x0fc,
  CONFIG: 0x100,
};

const MAGIC = 0x74726976; // "virt"
const VENDOR_QEMU = 0x554d4551; // "QEMU", as the machine reports
const FEATURES_OK = 8; // status bits (§2.1)
const DRIVER_OK = 4;
const USED_BUFFER = 1; // InterruptStatus bits (§4.2.2)
const CONFIG_CHANGE = 2;
const DESC_F_NEXT = 1; // descriptor flags (§2.7.5)
const DESC_F_WRITE = 2;

// The device half of one split virtqueue (§2.7), over an ArrayBuffer. Layouts,
// little-endian:
//   descriptor table  16 x num  {le64 addr; le32 len; le16 flags; le16 next}
//   available ring    le16 flags; le16 idx; le16 ring[num]
//   used ring         le16 flags; le16 idx; {le32 id; le32 len}[num]
// The MMIO registers fill in num, desc, avail (QueueDriver) and used
// (QueueDevice); test_virtqueue.js builds one straight over a driver's queue.
class DeviceQueue {
  constructor(arena, { num = 0, desc = 0, avail = 0, used = 0 } = {}) {
    this.view = new DataView(arena);
    this.num = num;
    this.desc = desc;
    this.avail = avail;
    this.used = used;
    this.ready = 0;
    this.lastAvail = 0; // next available-ring slot to read (a free-running u16)
    this.nextUsed = 0; // next used-ring slot to write
  }

  // How many chains the driver has made available that we have not taken.
  availableCount() {
    return (this.view.getUint16(this.avail + 2, true) - this.lastAvail) & 0xffff;
  }

  // Takes the next available chain: { head, bufs: [{ addr, len, write }] }, or null.
  pop() {
    const ahead = this.availableCount();
    if (ahead === 0) return null;
    // The driver can be at most num entries ahead; more means it overwrote slots we had not read.
    if (ahead > this.num) throw new Error(`available idx is ${ahead} ahead of a queue of ${this.num}`);
    const head = this.view.getUint16(this.avail + 4 + 2 * (this.lastAvail % this.num), true);
    this.lastAvail = (this.lastAvail + 1) & 0xffff;
    return { head, bufs: this.walk(head) };
  }

  // Follows a chain from its head descriptor (§2.7.5, §2.7.4.2).
  walk(head) {
    const bufs = [];
    for (let i = head, n = 0; n < this.num; n++) {
      if (i >= this.num) throw new Error(`descriptor index ${i} out of range`);
      const d = this.desc + 16 * i;
      const flags = this.view.getUint16(d + 12, true);
      const write = (flags & DESC_F_WRITE) !== 0;
      if (!write && bufs.some((b) => b.write)) throw new Error('a device-readable descriptor after a writable one');
      bufs.push({ addr: this.view.getUint32(d, true), len: this.view.getUint32(d + 8, true), write });
      if (!(flags & DESC_F_NEXT)) return bufs;
      i = this.view.getUint16(d + 14, true);
    }
    throw new Error(`descriptor chain from ${head} loops`);
  }

  // Gives a chain back: the used element first, then the idx that publishes it (§2.7.8.2).
  push(head, len) {
    const elem = this.used + 4 + 8 * (this.nextUsed % this.num);
    this.view.setUint32(elem, head, true);
    this.view.setUint32(elem + 4, len, true);
    this.nextUsed = (this.nextUsed + 1) & 0xffff;
    this.view.setUint16(this.used + 2, this.nextUsed, true);
  }
}

// A virtio-mmio device (§4.2.2) with `queues` split virtqueues in `arena`.
//   features        BigInt, what the device offers (include VERSION_1, 1n << 32n)
//   config          the device-specific config bytes; the test may change them
//   queueMax        QueueNumMax: one number for every queue, or one per queue
//   onNotify(qi)    the driver wrote QueueNotify (after DRIVER_OK)
//   acceptFeatures  decides FEATURES_OK (§3.1.1 step 6); by default any subset of the offer
//   earlyNotify     'throw' (the default: §3.1.1, a driver does not notify before
//                   DRIVER_OK) or 'ignore', as the machine does, for transport tests
// The returned object keeps the register state in plain fields (status, isr,
// driverFeatures, generation, q[i]) that tests read and set.
function fakeVirtioDevice(arena, {
  deviceId,
  features,
  config = new Uint8Array(16),
  queueMax = 256,
  queues = Array.isArray(queueMax) ? queueMax.length : 1,
  onNotify = () => {},
  acceptFeatures = (f) => (f & ~features) === 0n,
  earlyNotify = 'throw',
  magic = MAGIC,
  version = 2,
  vendorId = VENDOR_QEMU,
}) {
  const dev = {
    status: 0, isr: 0, queueSel: 0, devSel: 0, drvSel: 0, driverFeatures: 0n, generation: 0,
    q: Array.from({ length: queues }, () => new DeviceQueue(arena)),
    config,
    notifies: [], // queue indices, in the order the driver notified them
    statusWrites: [], // every value the driver wrote to Status
    configReads: 0,
  };
  const fail = (msg) => {
    throw new Error(`fake virtio device: ${msg}`);
  };
  const maxOf = (qi) => (Array.isArray(queueMax) ? queueMax[qi] || 0 : queueMax);
  const selected = () => dev.q[dev.queueSel];
  const queue = () => selected() || fail(`write to the registers of queue ${dev.queueSel}, which does not exist`);

  dev.mmioRead = (slot, off) => {
    if (off >= R.CONFIG) {
      dev.configReads++;
      const i = off - R.CONFIG;
      return (config[i] | (config[i + 1] << 8) | (config[i + 2] << 16) | (config[i + 3] << 24)) >>> 0;
    }
    switch (off) {
      case R.MAGIC_VALUE: return magic;
      case R.VERSION: return version;
      case R.DEVICE_ID: return deviceId;
      case R.VENDOR_ID: return vendorId;
      case R.DEVICE_FEATURES: return Number((features >> BigInt(32 * dev.devSel)) & 0xffffffffn);
      case R.QUEUE_NUM_MAX: return selected() ? maxOf(dev.queueSel) : 0; // 0: no such queue
      case R.QUEUE_READY: return selected() ? selected().ready : 0;
      case R.INTERRUPT_STATUS: return dev.isr;
      case R.STATUS: return dev.status;
      case R.CONFIG_GENERATION: return dev.generation;
    }
    return fail(`read of register 0x${off.toString(16)}`);
  };

  dev.mmioWrite = (slot, off, v) => {
    switch (off) {
      case R.STATUS:
        dev.statusWrites.push(v);
        // §3.1.1 step 6: a device that cannot work with the driver's features does not latch FEATURES_OK.
        if (v & FEATURES_OK && !(dev.status & FEATURES_OK) && !acceptFeatures(dev.driverFeatures)) v &= ~FEATURES_OK;
        dev.status = v;
        return;
      case R.DEVICE_FEATURES_SEL: dev.devSel = v; return;
      case R.DRIVER_FEATURES_SEL: dev.drvSel = v; return;
      case R.DRIVER_FEATURES: {
        // 64 feature bits, 32 at a time: each write sets the selected word.
        const shift = BigInt(32 * dev.drvSel);
        dev.driverFeatures = (dev.driverFeatures & ~(0xffffffffn << shift)) | (BigInt(v) << shift);
        return;
      }
      case R.QUEUE_SEL: dev.queueSel = v; return;
      case R.QUEUE_NUM:
        if (v > maxOf(dev.queueSel)) fail(`queue size ${v} is above QueueNumMax ${maxOf(dev.queueSel)}`);
        queue().num = v;
        return;
      case R.QUEUE_READY: queue().ready = v; return;
      case R.QUEUE_DESC_LOW: queue().desc = v; return;
      case R.QUEUE_DRIVER_LOW: queue().avail = v; return;
      case R.QUEUE_DEVICE_LOW: queue().used = v; return;
      case R.QUEUE_DESC_HIGH: case R.QUEUE_DRIVER_HIGH: case R.QUEUE_DEVICE_HIGH:
        if (v !== 0) fail('a ring address above 4 GiB, outside any arena');
        return;
      case R.INTERRUPT_ACK: dev.isr &= ~v; return;
      case R.QUEUE_NOTIFY:
        dev.notifies.push(v);
        if (!(dev.status & DRIVER_OK)) {
          if (earlyNotify === 'ignore') return;
          fail(`notify of queue ${v} before DRIVER_OK`);
        }
        onNotify(v);
        return;
    }
    fail(`write of register 0x${off.toString(16)}`);
  };

  // The device side of queue qi: the next available chain, or null...
  dev.pop = (qi) => {
    const q = dev.q[qi];
    if (!q || !q.ready) fail(`queue ${qi} is not ready`);
    return q.pop();
  };
  // ...given back through the used ring, with a used-buffer interrupt.
  dev.push = (qi, head, len) => {
    dev.q[qi].push(head, len);
    dev.isr |= USED_BUFFER;
  };
  dev.availableCount = (qi) => dev.q[qi].availableCount();
  // The device changed its config bytes: new generation (§2.5), configuration-change interrupt.
  dev.configChanged = () => {
    dev.generation++;
    dev.isr |= CONFIG_CHANGE;
  };
  return dev;
}

// Runs the driver's interrupt handler while the device has one pending.
function settle(drv, dev) {
  for (let i = 0; dev.isr && i < 100; i++) drv.handleInterrupt();
  if (dev.isr) throw new Error('interrupt storm');
}

module.exports = { fakeVirtioDevice, DeviceQueue, settle };
