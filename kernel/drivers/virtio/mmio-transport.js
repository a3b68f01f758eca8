// kernel/drivers/virtio/mmio-transport.js: the virtio-mmio transport, version 2 (virtio 1.2 §4.2).
//
// A virtio device in slot N is a page of 32-bit registers. Every register
// access here is one mmioRead/mmioWrite on `machine` (kernel/arch/machine.js in
// the kernel, a fake in the tests), which costs one trap into the machine, so
// the drivers read registers only when they must. Device drivers (console.js,
// rng.js, ...) talk to their device through this class and a Virtqueue.
'use strict';

const { Virtqueue } = require('./virtqueue');

// Register offsets, §4.2.2 (all registers are 32 bits wide, little-endian).
const REG = {
  MAGIC_VALUE: 0x000, // "virt" = 0x74726976
  VERSION: 0x004, // 2 for virtio 1.x ("modern") devices
  DEVICE_ID: 0x008, // 1 net, 2 block, 3 console, 4 rng, ... (§5); 0 = empty slot
  VENDOR_ID: 0x00c,
  DEVICE_FEATURES: 0x010, // 32 feature bits, chosen by DEVICE_FEATURES_SEL
  DEVICE_FEATURES_SEL: 0x014,
  DRIVER_FEATURES: 0x020, // the same, driver -> device
  DRIVER_FEATURES_SEL: 0x024,
  QUEUE_SEL: 0x030, // the queue the QUEUE_* registers below refer to
  QUEUE_NUM_MAX: 0x034, // largest size the device supports; 0 = no such queue
  QUEUE_NUM: 0x038, // the size the driver chose
  QUEUE_READY: 0x044,
  QUEUE_NOTIFY: 0x050, // write a queue index: "there are new buffers" (the kick)
  INTERRUPT_STATUS: 0x060, // why the device interrupted: bits below
  INTERRUPT_ACK: 0x064,
  STATUS: 0x070, // device status, §2.1
  QUEUE_DESC_LOW: 0x080,
  QUEUE_DESC_HIGH: 0x084,
  QUEUE_DRIVER_LOW: 0x090, // the available ring
  QUEUE_DRIVER_HIGH: 0x094,
  QUEUE_DEVICE_LOW: 0x0a0, // the used ring
  QUEUE_DEVICE_HIGH: 0x0a4,
  CONFIG_GENERATION: 0x0fc,
  CONFIG: 0x100, // device-specific configuration space starts here
};

const MAGIC = 0x74726976; // "virt", little-endian
const VERSION = 2;

// Device status bits, §2.1.
const STATUS = {
  ACKNOWLEDGE: 1, // we noticed the device
  DRIVER: 2, // we know how to drive it
  DRIVER_OK: 4, // the driver is set up: the device may start
  FEATURES_OK: 8, // we have finished feature negotiation
  DEVICE_NEEDS_RESET: 64, // the device hit an error it cannot recover from
  FAILED: 128, // we gave up on the device
};

// InterruptStatus bits, §4.2.2.
const INT_USED_BUFFER = 1; // some queue has new used buffers
const INT_CONFIG_CHANGE = 2; // the configuration space changed

const VIRTIO_F_VERSION_1 = 1n << 32n; // §6: a modern (non-legacy) device; required

const RESET_POLLS = 1000;
const CONFIG_RETRIES = 100;

class MmioTransport {
  constructor(machine, slot) {
    this.machine = machine;
    this.slot = slot;
    this.deviceId = 0;
    this.features = 0n; // negotiated
    this.deviceFeatures = 0n; // offered
    this.queues = [];
    this.statusBits = 0; // what we last wrote to STATUS
  }

  read(off) {
    return this.machine.mmioRead(this.slot, off) >>> 0;
  }

  write(off, value) {
    this.machine.mmioWrite(this.slot, off, value >>> 0);
  }

  // Is there a virtio-mmio v2 device in this slot, and which? (§4.2.3.1, first step)
  probe() {
    const magic = this.read(REG.MAGIC_VALUE);
    if (magic !== MAGIC) throw new Error(`virtio-mmio slot ${this.slot}: bad magic 0x${hex(magic)}`);
    const version = this.read(REG.VERSION);
    // Version 1 is the legacy interface (guest page numbers, QueuePFN): not supported.
    if (version !== VERSION) throw new Error(`virtio-mmio slot ${this.slot}: version ${version}, need ${VERSION}`);
    this.deviceId = this.read(REG.DEVICE_ID);
    const vendorId = this.read(REG.VENDOR_ID);
    return { magic: true, version, deviceId: this.deviceId, vendorId };
  }

  // Device initialisation, §3.1.1 steps 1-6 (steps 7 and 8 are setupQueue()
  // and driverOk(), which the device driver calls when it is ready).
  // `wanted` is a BigInt mask of the features the driver can use; returns
  // the negotiated mask (always including VERSION_1).
  // `wanted`: the feature mask the driver understands, or a function from
  // the offered mask to it (for features that depend on others, §2.2).
  init(wanted) {
    // 1. Reset the device: write 0 to status, then read until it reads 0 (§2.4).
    this.reset();
    // 2. ACKNOWLEDGE: the guest OS has noticed the device.
    this.setStatus(STATUS.ACKNOWLEDGE);
    // 3. DRIVER: the guest OS knows how to drive it.
    this.setStatus(STATUS.DRIVER);
    // 4. Read the device's feature bits (two 32-bit halves through the selector)...
    const offered = this.readDeviceFeatures();
    this.deviceFeatures = offered;
    // ...VERSION_1 is not optional for us: without it the device speaks legacy virtio.
    if ((offered & VIRTIO_F_VERSION_1) === 0n) {
      this.fail();
      throw new Error(`virtio-mmio slot ${this.slot}: device does not offer VERSION_1`);
    }
    // ...and write the subset we understand.
    if (typeof wanted === 'function') wanted = wanted(offered);
    const negotiated = (BigInt(wanted) & offered) | VIRTIO_F_VERSION_1;
    this.writeDriverFeatures(negotiated);
    // 5. FEATURES_OK: we will not change the features any more.
    this.setStatus(STATUS.FEATURES_OK);
    // 6. Re-read status: the device clears FEATURES_OK if it cannot work with our subset.
    if ((this.status() & STATUS.FEATURES_OK) === 0) {
      this.fail();
      throw new Error(`virtio-mmio slot ${this.slot}: device refused features 0x${negotiated.toString(16)}`);
    }
    this.features = negotiated;
    return negotiated;
  }

  // §3.1.1 step 7, for one queue (§4.2.3.2). Returns the Virtqueue.
  setupQueue(index, dma, size) {
    // Select the queue: the QUEUE_* registers now refer to it.
    this.write(REG.QUEUE_SEL, index);
    // It must not be live already.
    if (this.read(REG.QUEUE_READY) !== 0) throw new Error(`virtio-mmio slot ${this.slot}: queue ${index} already in use`);
    // How large may it be? 0 means the device has no such queue.
    const max = this.read(REG.QUEUE_NUM_MAX);
    if (max === 0) throw new Error(`virtio-mmio slot ${this.slot}: queue ${index} does not exist`);
    // Split queues have a power-of-two size (§2.7): the largest that fits both wishes.
    const n = floorPow2(Math.min(size, max));
    // Allocate and zero the three areas in DMA memory.
    const vq = new Virtqueue(dma, index, n, () => this.notify(index));
    // Tell the device the size and where the three areas are (64-bit physical addresses).
    this.write(REG.QUEUE_NUM, n);
    this.write64(REG.QUEUE_DESC_LOW, vq.descAddr);
    this.write64(REG.QUEUE_DRIVER_LOW, vq.availAddr);
    this.write64(REG.QUEUE_DEVICE_LOW, vq.usedAddr);
    // Go: from now on the device may read the rings.
    this.write(REG.QUEUE_READY, 1);
    this.queues[index] = vq;
    return vq;
  }

  // §3.1.1 step 8: the driver is ready; the device is "live" from here on.
  driverOk() {
    this.setStatus(STATUS.DRIVER_OK);
  }

  // Device configuration space (§4.2.2: offset 0x100 on). Our trap only does
  // 32-bit accesses, so read the aligned words and pick the bytes out
  // (little-endian). The generation counter is read before and after: if the
  // device changed the config in between, read again (§2.5.1).
  readConfig8(off) {
    return this.readConfigBytes(off, 1);
  }

  readConfig16(off) {
    return this.readConfigBytes(off, 2);
  }

  readConfig32(off) {
    return this.readConfigBytes(off, 4);
  }

  readConfigBytes(off, n) {
    for (let attempt = 0; attempt < CONFIG_RETRIES; attempt++) {
      const before = this.read(REG.CONFIG_GENERATION);
      const value = this.readConfigWords(off, n);
      if (this.read(REG.CONFIG_GENERATION) === before) return value;
    }
    throw new Error(`virtio-mmio slot ${this.slot}: configuration keeps changing`);
  }

  // Reads each 32-bit word that [off, off + n) touches once, then assembles
  // the n bytes little-endian (the lowest address is the least significant byte).
  readConfigWords(off, n) {
    const words = new Map();
    let value = 0;
    for (let i = n - 1; i >= 0; i--) {
      const at = off + i;
      const aligned = at & ~3;
      if (!words.has(aligned)) words.set(aligned, this.read(REG.CONFIG + aligned));
      value = value * 256 + ((words.get(aligned) >>> (8 * (at & 3))) & 0xff);
    }
    return value;
  }

  // Why did the device interrupt? INT_USED_BUFFER | INT_CONFIG_CHANGE.
  interruptStatus() {
    return this.read(REG.INTERRUPT_STATUS);
  }

  // Acknowledge exactly the bits we read: the device keeps the line raised
  // until they are acknowledged, and a bit set after our read stays set.
  ackInterrupt(bits) {
    if (bits) this.write(REG.INTERRUPT_ACK, bits);
  }

  notify(queueIndex) {
    this.write(REG.QUEUE_NOTIFY, queueIndex);
  }

  status() {
    return this.read(REG.STATUS);
  }

  // Something went wrong on our side: tell the device we gave up (§2.1).
  // Start from the status the device reports, not from what we wrote: after a
  // refused negotiation it has cleared FEATURES_OK, and we must not set it again.
  fail() {
    this.statusBits = this.status() | STATUS.FAILED;
    this.write(REG.STATUS, this.statusBits);
  }

  // Writing 0 resets the device; it is done when status reads back 0 (§2.4, §4.2.3.1).
  reset() {
    this.statusBits = 0;
    this.write(REG.STATUS, 0);
    for (let i = 0; i < RESET_POLLS; i++) if (this.status() === 0) return;
    throw new Error(`virtio-mmio slot ${this.slot}: device did not reset`);
  }

  // --- small helpers ---------------------------------------------------

  // Status bits accumulate: each step writes everything set so far plus one more.
  setStatus(bit) {
    this.statusBits |= bit;
    this.write(REG.STATUS, this.statusBits);
  }

  readDeviceFeatures() {
    this.write(REG.DEVICE_FEATURES_SEL, 0);
    const low = this.read(REG.DEVICE_FEATURES);
    this.write(REG.DEVICE_FEATURES_SEL, 1);
    const high = this.read(REG.DEVICE_FEATURES);
    return (BigInt(high) << 32n) | BigInt(low);
  }

  writeDriverFeatures(features) {
    this.write(REG.DRIVER_FEATURES_SEL, 0);
    this.write(REG.DRIVER_FEATURES, Number(features & 0xffffffffn));
    this.write(REG.DRIVER_FEATURES_SEL, 1);
    this.write(REG.DRIVER_FEATURES, Number(features >> 32n));
  }

  // A 64-bit address goes into a LOW register and the HIGH one 4 bytes after it.
  write64(lowOff, addr) {
    this.write(lowOff, addr % 0x100000000);
    this.write(lowOff + 4, Math.floor(addr / 0x100000000));
  }
}

function floorPow2(n) {
  let p = 1;
  while (p * 2 <= n) p *= 2;
  return p;
}

function hex(n) {
  return (n >>> 0).toString(16).padStart(8, '0');
}

module.exports = {
  MmioTransport,
  REG,
  STATUS,
  MAGIC,
  VERSION,
  INT_USED_BUFFER,
  INT_CONFIG_CHANGE,
  VIRTIO_F_VERSION_1,
};
