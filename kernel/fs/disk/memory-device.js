// kernel/fs/disk/memory-device.js: a block device held in memory, with the
// shape of kernel/drivers/virtio/blk.js, for tests, mkfs of an image in
// memory, and the host's `jsksh disk` tools (which hand it the image).
//
// Writes land at once and FLUSH does nothing: this device has no volatile
// cache (tests/js/lib/crash-device.js is the one that forgets). `failing`
// injects device errors: a function (kind, sector) -> true makes that
// request reject with an EIO error, as a real driver reports a bad request.
'use strict';

const SECTOR_SIZE = 512;

class MemoryDevice {
  constructor(bytesOrSectors) {
    this.bytes = typeof bytesOrSectors === 'number' ? new Uint8Array(bytesOrSectors * SECTOR_SIZE) : bytesOrSectors;
    this.sectorSize = SECTOR_SIZE;
    this.capacity = Math.floor(this.bytes.length / SECTOR_SIZE);
    this.failing = null;
    this.counts = { read: 0, write: 0, flush: 0 };
  }

  check(kind, sector, count) {
    this.counts[kind]++;
    if (this.failing && this.failing(kind, sector)) {
      const e = new Error(`I/O error (${kind} at sector ${sector})`);
      e.code = 'EIO';
      throw e;
    }
    if (kind !== 'flush' && !(sector >= 0 && sector + count <= this.capacity)) {
      const e = new Error(`${kind} of sectors ${sector}+${count} is past the end of the device (${this.capacity})`);
      e.code = 'EIO';
      throw e;
    }
  }

  // As the driver's: with `take`, the bytes are handed to take(view, 0), a
  // view of the device's own memory, and nothing is returned.
  async read(sector, count, take = null) {
    this.check('read', sector, count);
    const from = sector * SECTOR_SIZE;
    const to = (sector + count) * SECTOR_SIZE;
    if (!take) return this.bytes.slice(from, to);
    take(this.bytes.subarray(from, to), 0);
  }

  async write(sector, bytes) {
    this.check('write', sector, bytes.length / SECTOR_SIZE);
    this.bytes.set(bytes, sector * SECTOR_SIZE);
  }

  async flush() {
    this.check('flush', 0, 0);
  }
}

module.exports = { MemoryDevice };
