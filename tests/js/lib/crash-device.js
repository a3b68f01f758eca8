// tests/js/lib/crash-device.js: a block device with a volatile write cache
// that a test can "power off" at any point of its history, in the manner
// of dm-log-writes and CrashMonkey.
//
// CrashDevice records every completed request: writes (sector, bytes) and
// FLUSHes, in order. A write is durable once a FLUSH after it completed
// (virtio 1.2 §5.2.6.4, VIRTIO_BLK_F_FLUSH); before that a power cut may
// lose it, or keep it, or (for a 4 KiB write) keep only some of its
// 512-byte sectors. `crashStates` walks the recording and, for a cut after
// each write request, builds disks as a power cut could leave them:
//   everything made durable by a completed FLUSH,
//   plus any subset of the writes since (the test picks subsets), and
//   plus, optionally, one of them torn at sector granularity.
// Each state is an OverlayDevice: the durable image shared underneath,
// the state's own sectors on top, so a state costs only what differs.
// Order among unflushed writes does not matter for the file system under
// test: it never writes one sector twice between two FLUSHes (log.js), so
// a subset applied in any order gives the same bytes.
'use strict';

const SECTOR = 512;

class CrashDevice {
  constructor(image) {
    this.base = image.slice(); // durable when the recording starts
    this.current = image.slice(); // what reads see (the cache included)
    this.sectorSize = SECTOR;
    this.capacity = image.length / SECTOR;
    this.events = []; // {write: sector, bytes} | {flush: true}
    this.onEvent = null; // called after each event is recorded
  }

  async read(sector, count) {
    return this.current.slice(sector * SECTOR, (sector + count) * SECTOR);
  }

  async write(sector, bytes) {
    this.current.set(bytes, sector * SECTOR);
    this.events.push({ sector, bytes: bytes.slice() });
    if (this.onEvent) this.onEvent(this.events.length);
  }

  async flush() {
    this.events.push({ flush: true });
    if (this.onEvent) this.onEvent(this.events.length);
  }

  // Calls visit(cut, durable, pending) for each cut after a write request
  // (cut = events kept); `durable` is the image made durable so far (do not
  // change it), `pending` the writes since the last FLUSH, oldest first.
  // Only cuts for which wanted(cut) is true are visited (all others are
  // still walked, to keep `durable` right).
  async eachCut(visit, wanted = () => true) {
    const durable = this.base.slice();
    let pending = [];
    for (let i = 0; i < this.events.length; i++) {
      const e = this.events[i];
      if (e.flush) {
        for (const w of pending) durable.set(w.bytes, w.sector * SECTOR);
        pending = [];
        continue;
      }
      pending.push(e);
      if (wanted(i + 1)) await visit(i + 1, durable, pending.slice());
    }
  }
}

// A disk as a power cut left it: `base` underneath (shared, never
// changed), whole sectors on top. Writes after the crash (recovery, fsck's
// repairs) land on top too.
class OverlayDevice {
  constructor(base) {
    this.base = base;
    this.sectors = new Map();
    this.sectorSize = SECTOR;
    this.capacity = base.length / SECTOR;
  }

  // Applies a write, or only the sectors of it that `keep(i)` chooses.
  apply(w, keep = () => true) {
    for (let i = 0; i < w.bytes.length / SECTOR; i++) if (keep(i)) this.sectors.set(w.sector + i, w.bytes.slice(i * SECTOR, (i + 1) * SECTOR));
  }

  // A view of `base` where no sector of the state covers the range (the
  // file system never changes what a read gives it; the crash tests make
  // thousands of states, and copies are most of their cost), else a copy.
  async read(sector, count) {
    let out = this.base.subarray(sector * SECTOR, (sector + count) * SECTOR);
    for (let i = 0; i < count; i++) {
      const s = this.sectors.get(sector + i);
      if (!s) continue;
      if (out.buffer === this.base.buffer) out = out.slice();
      out.set(s, i * SECTOR);
    }
    return out;
  }

  async write(sector, bytes) {
    this.apply({ sector, bytes });
  }

  async flush() {}

  // The whole image, for a test that wants to keep it.
  image() {
    const out = this.base.slice();
    for (const [s, bytes] of this.sectors) out.set(bytes, s * SECTOR);
    return out;
  }
}

// A small seeded generator (mulberry32), so every run tests the same states.
function random(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  next.int = (n) => Math.floor(next() * n);
  next.pick = (list) => list[Math.floor(next() * list.length)];
  return next;
}

module.exports = { CrashDevice, OverlayDevice, random };
