// kernel/drivers/virtio/rng.js: driver for the virtio entropy device (device id 4, virtio 1.2 §5.4).
//
// One queue (requestq). The driver offers empty device-writable buffers; the
// device fills them with random bytes, possibly fewer than offered (§5.4.6).
// read(n) returns a Promise that resolves, on a later interrupt, with exactly n bytes.
'use strict';

const { featureNames } = require('./features');

const DEVICE_ID = 4;
const REQUEST_QUEUE = 0;
const QUEUE_SIZE = 16;
const CHUNK = 4096; // the largest buffer offered at once

class VirtioRng {
  constructor(transport, dma, log) {
    this.transport = transport;
    this.dma = dma;
    this.log = typeof log === 'function' ? log : () => {};
    this.features = 0n;
    this.vq = null;
    this.requests = []; // FIFO of read() calls not yet satisfied
    this.bytesRead = 0;
  }

  start() {
    // §5.4.3: the entropy device has no feature bits of its own.
    this.features = this.transport.init(0n);
    this.vq = this.transport.setupQueue(REQUEST_QUEUE, this.dma, QUEUE_SIZE);
    this.transport.driverOk();
  }

  // Resolves with a Uint8Array of n random bytes from the device.
  read(n) {
    return new Promise((resolve, reject) => {
      const req = { n, out: new Uint8Array(n), filled: 0, requested: 0, resolve, reject };
      if (n === 0) return resolve(req.out);
      this.requests.push(req);
      this.pump();
    });
  }

  handleInterrupt() {
    const isr = this.transport.interruptStatus();
    this.transport.ackInterrupt(isr); // before draining: see console.js
    this.poll();
  }

  poll() {
    const finished = [];
    for (const { token, len } of this.vq.takeUsed()) {
      const { req, addr, size } = token;
      const got = Math.min(len, size); // never trust a length larger than the buffer
      req.out.set(this.dma.bytes.subarray(addr, addr + got), req.filled);
      this.dma.free(addr);
      req.filled += got;
      // The device may fill fewer bytes than offered: the rest is asked for again.
      req.requested -= size - got;
      this.bytesRead += got;
      if (req.filled === req.n) finished.push(req);
    }
    this.requests = this.requests.filter((r) => r.filled < r.n);
    this.pump();
    // Resolve last: the callbacks run later (promise jobs), but keep the queue consistent first.
    for (const req of finished) req.resolve(req.out);
  }

  describe() {
    return {
      name: 'virtio-rng',
      features: featureNames(DEVICE_ID, this.features),
      queues: this.vq
        ? [{ index: this.vq.index, name: 'requestq', size: this.vq.size, avail_idx: this.vq.availIdx, used_idx: this.vq.usedIdx }]
        : [],
      waiting: this.requests.length,
      bytes_read: this.bytesRead,
    };
  }

  // Offers buffers for outstanding requests, oldest first, while there are
  // free descriptors; one kick for the lot.
  pump() {
    const before = this.vq.availIdx;
    for (const req of this.requests) {
      while (req.requested < req.n && this.vq.numFree > 0) {
        const size = Math.min(CHUNK, req.n - req.requested);
        let addr;
        try {
          addr = this.dma.alloc(size, 1);
        } catch (e) {
          break; // arena full: try again when buffers come back
        }
        this.vq.add([{ addr, len: size, write: true }], { req, addr, size });
        req.requested += size;
      }
    }
    if (this.vq.availIdx !== before) this.vq.kick();
  }
}

module.exports = { VirtioRng, DEVICE_ID };
