// kernel/drivers/virtio/blk.js: driver for the virtio block device (device id 2, virtio 1.2 §5.2).
//
// The machine serves a raw image file as this device (jsksh --disk FILE;
// jsksh/machine/virtio/blk.py). One queue, requestq. Every request is a
// chain of three descriptors (§5.2.6): a 16-byte header the device reads
// (le32 type, le32 reserved, le64 sector), the data (the device reads it for
// a write, writes it for a read), and one status byte the device writes.
// Many requests are in flight at once, each with its own chain and buffers;
// the device may complete them in any order (§2.7), so a completion finds
// its request by the token the virtqueue hands back, never by position.
//
// The API is promises: read(sector, count[, take]) -> Uint8Array (or, with
// `take`, the bytes handed over straight from DMA memory), write(sector,
// bytes), flush(), id() -> string; capacity (in 512-byte sectors) and
// blockSize. A request the device answers IOERR rejects with an Error whose
// code is 'EIO'. Writes complete into the device's volatile cache (§5.2.5,
// `writeback`): only a flush() issued after a write completed makes it durable.
'use strict';

const { featureNames, mask } = require('./features');
const { KernelError } = require('../../lib/errors');
const { concat } = require('../../lib/frame');

const DEVICE_ID = 2;
const REQUEST_QUEUE = 0;
const QUEUE_SIZE = 128; // descriptors: 42 requests of three at once
const SECTOR = 512; // virtio-blk addresses 512-byte sectors whatever blk_size is (§5.2.4)
const MAX_REQUEST_SECTORS = 512; // 256 KiB per request: a longer read or write is several
const MAX_REQUEST_BYTES = MAX_REQUEST_SECTORS * SECTOR;
const MAX_IN_FLIGHT_BYTES = 2 << 20; // data on the ring at once: a quarter of the DMA arena, the NIC needs the rest
const ID_BYTES = 20; // GET_ID's answer (§5.2.6)
const DESCRIPTORS_PER_REQUEST = 3;

// Request types and status values (§5.2.6).
const T_IN = 0;
const T_OUT = 1;
const T_FLUSH = 4;
const T_GET_ID = 8;
const S_OK = 0;
const S_IOERR = 1;
const S_UNSUPP = 2;
const TYPE_NAMES = { [T_IN]: 'read', [T_OUT]: 'write', [T_FLUSH]: 'flush', [T_GET_ID]: 'get-id' };

// Configuration space offsets (§5.2.4).
const CONFIG_CAPACITY = 0; // le64, in 512-byte sectors
const CONFIG_SEG_MAX = 12; // le32, with SEG_MAX
const CONFIG_BLK_SIZE = 20; // le32, with BLK_SIZE
const CONFIG_WRITEBACK = 32; // u8, with CONFIG_WCE: 1 write-back, 0 write-through

const INT_CONFIG_CHANGE = 2;

// What we can use: the block size, the cache's flush and its mode, the segment limit.
const WANTED = ['SEG_MAX', 'BLK_SIZE', 'FLUSH', 'CONFIG_WCE'];

class VirtioBlk {
  constructor(transport, dma, log) {
    this.transport = transport;
    this.dma = dma;
    this.log = typeof log === 'function' ? log : () => {};
    this.features = 0n;
    this.vq = null;
    this.capacity = 0; // sectors of 512 bytes
    this.blockSize = SECTOR;
    this.writeback = false; // does the device hold writes in a volatile cache?
    this.canFlush = false;
    this.waiting = []; // requests not on the ring yet (no descriptors or DMA memory free)
    this.inFlight = 0;
    this.inFlightBytes = 0; // data bytes of the requests on the ring
    this.kickPending = false; // a kick is due at the end of this turn (pump)
    this.stats = { requests: 0, completed: 0, errors: 0, max_in_flight: 0, sectors_read: 0, sectors_written: 0, flushes: 0 };
  }

  // §3.1.1, with the block device's features (§5.2.3) and config (§5.2.4).
  start() {
    this.features = this.transport.init(mask(DEVICE_ID, WANTED));
    const has = (name) => (this.features & mask(DEVICE_ID, [name])) !== 0n;
    this.canFlush = has('FLUSH');
    this.readConfig();
    if (has('SEG_MAX') && this.transport.readConfig32(CONFIG_SEG_MAX) < 1) {
      // One data segment per request is all we ever use; a device that takes none is broken.
      this.transport.fail();
      throw new Error('virtio-blk: seg_max is 0');
    }
    this.vq = this.transport.setupQueue(REQUEST_QUEUE, this.dma, QUEUE_SIZE);
    this.transport.driverOk();
  }

  // Capacity, block size and cache mode. §5.2.5: with FLUSH but no
  // CONFIG_WCE the cache is write-back; with neither there is nothing to flush.
  readConfig() {
    const has = (name) => (this.features & mask(DEVICE_ID, [name])) !== 0n;
    this.capacity = this.transport.readConfigBytes(CONFIG_CAPACITY, 8);
    this.blockSize = has('BLK_SIZE') ? this.transport.readConfig32(CONFIG_BLK_SIZE) || SECTOR : SECTOR;
    if (has('CONFIG_WCE')) this.writeback = this.transport.readConfig8(CONFIG_WRITEBACK) !== 0;
    else this.writeback = this.canFlush;
  }

  // "131072 sectors (64 MiB), write cache: write-back, flush": the boot log's words.
  summary() {
    const cache = this.writeback ? 'write-back' : 'write-through';
    return `${this.capacity} sectors (${formatBytes(this.capacity * SECTOR)}), write cache: ${cache}${this.canFlush ? ', flush' : ''}`;
  }

  // ---- the API ---------------------------------------------------------------

  // `count` sectors from `sector`, as a new Uint8Array of count * 512 bytes.
  // With `take`, there is no new array: as each request of the read
  // completes, take(view, at) gets its bytes, `view` the DMA memory itself
  // (valid only during the call) and `at` their offset in the read, and the
  // promise resolves with nothing. A file system copies them into buffers
  // it reuses: a fresh array costs V8 a page fault for each 4 KiB it fills,
  // several times the copy.
  read(sector, count, take = null) {
    const bad = this.checkRange(sector, count);
    if (bad) return Promise.reject(bad);
    const parts = [];
    for (let done = 0; done < count; done += MAX_REQUEST_SECTORS) {
      const n = Math.min(MAX_REQUEST_SECTORS, count - done);
      const into = take && ((view) => take(view, done * SECTOR));
      parts.push(this.submit(T_IN, sector + done, n * SECTOR, null, into));
    }
    if (parts.length === 1) return parts[0];
    return Promise.all(parts).then((all) => (take ? undefined : concat(all)));
  }

  // Writes `bytes` (a whole number of sectors) from `sector`. Resolves once
  // the device has them in its cache: durable only after a later flush().
  write(sector, bytes) {
    if (!(bytes instanceof Uint8Array) || bytes.length % SECTOR !== 0) {
      return Promise.reject(new KernelError('EINVAL', 'virtio-blk', `virtio-blk: a write is whole ${SECTOR}-byte sectors`));
    }
    const count = bytes.length / SECTOR;
    const bad = this.checkRange(sector, count);
    if (bad) return Promise.reject(bad);
    const parts = [];
    for (let done = 0; done < count; done += MAX_REQUEST_SECTORS) {
      const n = Math.min(MAX_REQUEST_SECTORS, count - done);
      parts.push(this.submit(T_OUT, sector + done, n * SECTOR, bytes.subarray(done * SECTOR, (done + n) * SECTOR)));
    }
    return Promise.all(parts).then(() => undefined);
  }

  // §5.2.6.1: every write that completed before this was issued is durable
  // once it resolves. Without FLUSH there is no cache to flush.
  flush() {
    if (!this.canFlush) return Promise.resolve();
    return this.submit(T_FLUSH, 0, 0, null).then(() => undefined);
  }

  // The device's serial number (GET_ID): up to 20 bytes, NUL-padded.
  id() {
    return this.submit(T_GET_ID, 0, ID_BYTES, null).then((bytes) => {
      const end = bytes.indexOf(0);
      return String.fromCharCode(...bytes.subarray(0, end < 0 ? bytes.length : end));
    });
  }

  checkRange(sector, count) {
    if (!Number.isSafeInteger(sector) || !Number.isSafeInteger(count) || sector < 0 || count < 1) {
      return new KernelError('EINVAL', 'virtio-blk', `virtio-blk: bad request: sector ${sector}, count ${count}`);
    }
    if (sector + count > this.capacity) {
      return new KernelError('ENOSPC', 'virtio-blk', `virtio-blk: sectors ${sector}+${count} are past the end (${this.capacity})`);
    }
    return null;
  }

  // ---- requests on the ring ---------------------------------------------------

  // One request of at most MAX_REQUEST_BYTES: queued, then put on the ring by pump().
  submit(type, sector, length, data, take = null) {
    return new Promise((resolve, reject) => {
      this.waiting.push({ type, sector, length, data, take, resolve, reject, addr: 0, dataAddr: 0 });
      this.stats.requests++;
      this.pump();
    });
  }

  // Puts waiting requests on the ring, oldest first, while descriptors and
  // DMA memory last, and at most MAX_IN_FLIGHT_BYTES of data (one request
  // always may). What does not fit waits for a completion to free room.
  // The kick waits for the end of this turn (a promise job), so every
  // request made in one turn (the pieces of a long read, a file system's
  // writes) reaches the device in one notify, as Linux's block layer plugs
  // its queue: one trap instead of one each, and a batch the device may
  // complete in any order.
  pump() {
    let added = false;
    while (this.waiting.length && this.vq.numFree >= DESCRIPTORS_PER_REQUEST) {
      const req = this.waiting[0];
      if (this.inFlight > 0 && this.inFlightBytes + req.length > MAX_IN_FLIGHT_BYTES) break;
      if (!this.allocate(req)) break;
      this.waiting.shift();
      this.vq.add(this.chainOf(req), req);
      this.inFlight++;
      this.inFlightBytes += req.length;
      this.stats.max_in_flight = Math.max(this.stats.max_in_flight, this.inFlight);
      added = true;
    }
    if (added && !this.kickPending) {
      this.kickPending = true;
      Promise.resolve().then(() => {
        this.kickPending = false;
        this.vq.kick();
      });
    }
  }

  // DMA memory for one request: header and status in one small block, the data in its own.
  allocate(req) {
    try {
      req.addr = this.dma.alloc(32, 16);
    } catch (e) {
      return false; // the arena is full: wait for completions
    }
    if (req.length > 0) {
      try {
        req.dataAddr = this.dma.alloc(req.length, 16);
      } catch (e) {
        this.dma.free(req.addr);
        return false;
      }
      if (req.data) this.dma.bytes.set(req.data, req.dataAddr);
    }
    // struct virtio_blk_req (§5.2.6): le32 type, le32 reserved, le64 sector; status at +16 (0xff: not written yet).
    const view = this.dma.view;
    view.setUint32(req.addr, req.type, true);
    view.setUint32(req.addr + 4, 0, true);
    view.setUint32(req.addr + 8, req.sector % 0x100000000, true);
    view.setUint32(req.addr + 12, Math.floor(req.sector / 0x100000000), true);
    this.dma.bytes[req.addr + 16] = 0xff;
    return true;
  }

  // §5.2.6: header (device-readable), data (readable for OUT, writable for
  // IN and GET_ID), status (writable), in that order (§2.7.4.2).
  chainOf(req) {
    const chain = [{ addr: req.addr, len: 16, write: false }];
    if (req.length > 0) chain.push({ addr: req.dataAddr, len: req.length, write: req.type !== T_OUT });
    chain.push({ addr: req.addr + 16, len: 1, write: true });
    return chain;
  }

  handleInterrupt() {
    const isr = this.transport.interruptStatus();
    this.transport.ackInterrupt(isr); // before draining: see console.js
    if (isr & INT_CONFIG_CHANGE) {
      const old = this.capacity;
      this.readConfig();
      if (this.capacity !== old) this.log(`virtio-blk: capacity changed: ${this.summary()}`);
    }
    this.poll();
  }

  // Takes every completed request, in whatever order the device finished
  // them, settles each, then refills the ring from what waits.
  poll() {
    const settled = [];
    for (const { token: req, len } of this.vq.takeUsed()) {
      this.inFlight--;
      this.inFlightBytes -= req.length;
      this.stats.completed++;
      const status = this.dma.bytes[req.addr + 16];
      let value;
      let failure = null;
      if (status === S_OK && req.type !== T_OUT && req.length > 0) {
        // The device wrote len bytes, the status among them: never trust more than we gave.
        const got = Math.min(Math.max(len - 1, 0), req.length);
        if (got < req.length && req.type === T_IN) this.dma.bytes.fill(0, req.dataAddr + got, req.dataAddr + req.length);
        if (!req.take) value = this.dma.bytes.slice(req.dataAddr, req.dataAddr + req.length);
        else {
          try {
            req.take(this.dma.bytes.subarray(req.dataAddr, req.dataAddr + req.length)); // before the memory is freed
          } catch (e) {
            failure = e; // the caller's own error, not the device's
          }
        }
      }
      this.dma.free(req.addr);
      if (req.dataAddr) this.dma.free(req.dataAddr);
      if (status === S_OK) {
        if (req.type === T_IN) this.stats.sectors_read += req.length / SECTOR;
        else if (req.type === T_OUT) this.stats.sectors_written += req.length / SECTOR;
        else if (req.type === T_FLUSH) this.stats.flushes++;
        settled.push(failure ? () => req.reject(failure) : () => req.resolve(value));
      } else {
        this.stats.errors++;
        settled.push(() => req.reject(this.errorFor(req, status)));
      }
    }
    this.pump();
    // Settle last: the callbacks run later (promise jobs), but keep the queue consistent first.
    for (const settle of settled) settle();
  }

  errorFor(req, status) {
    const what = `virtio-blk: ${TYPE_NAMES[req.type]} of ${req.length / SECTOR} sectors at ${req.sector}`;
    if (status === S_UNSUPP) return Object.assign(new KernelError('ENOSYS', null, `${what}: not supported by the device`), { errno: 38 });
    return Object.assign(new KernelError('EIO', null, `${what}: Input/output error`), { errno: 5 });
  }

  describe() {
    return {
      name: 'virtio-blk',
      features: featureNames(DEVICE_ID, this.features),
      queues: this.vq
        ? [{ index: this.vq.index, name: 'requestq', size: this.vq.size, avail_idx: this.vq.availIdx, used_idx: this.vq.usedIdx }]
        : [],
      capacity: this.capacity,
      block_size: this.blockSize,
      cache: this.writeback ? 'write-back' : 'write-through',
      in_flight: this.inFlight,
      waiting: this.waiting.length,
      ...this.stats,
    };
  }
}

// 67108864 -> "64 MiB", 1536 -> "1.5 KiB".
function formatBytes(n) {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${Number.isInteger(n) ? n : n.toFixed(1)} ${units[i]}`;
}

module.exports = { VirtioBlk, DEVICE_ID, SECTOR, MAX_REQUEST_SECTORS, MAX_REQUEST_BYTES, T_IN, T_OUT, T_FLUSH, T_GET_ID, S_OK, S_IOERR, S_UNSUPP, formatBytes };
