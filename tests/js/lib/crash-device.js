// tests/js/lib/crash-device.js: a block device with a volatile write cache
// that a test can "power off" at any point of its history, in the manner
// of dm-log-writes and CrashMonkey.
//
// CrashDevice records every completed request: writes (sector, bytes) and
// FLUSHes, in order. A write is durable once a FLUSH after it completed
// (virtio 1.2 §5.2.6.4, VIRTIO_BLK_F_FLUSH); before that a power cut may
// lose it, or keep it, or (for a 4 KiB write) keep only some of its
// 512-byte sectors.
//
// The crash states of a recording, and why a subset of writes names one.
// The FLUSHes split the recording into epochs: the writes completed after
// one FLUSH and before the next. A power cut at any point of an epoch
// leaves everything of the epochs before it (a FLUSH that completed made
// them durable), and of the epoch's writes completed before the cut, any
// combination the cache happened to have written back: each one kept or
// lost, independently, since a volatile cache writes back in any order.
// A write is whole sectors, so the disk is then fully determined by the
// set of writes that survived: every sector holds the bytes of the latest
// surviving write to it, or else its durable bytes. ("Latest": a cache
// does not write an older copy of a sector back after a newer one; it
// replaced it. dm-log-writes replays in order on the same assumption.)
// Writes still in flight at the cut (issued, not completed) are the
// writes this recording shows completing later, before the FLUSH that
// follows (the file system issues a FLUSH only after its writes
// completed), so a state that kept some of them is a subset at a later cut
// of the same epoch: enumerating subsets of each whole epoch covers them.
// So an epoch of n writes has exactly 2^n states without tearing, and the
// cuts inside it only narrow which of them are possible (a cut after
// write k can only have kept writes up to k). `subsets` lists them all
// when n <= a bound, and otherwise every one within 2 writes of
// all-kept or none-kept plus random ones. On top, a torn write: a write
// that reached the platter in sector order and stopped at a sector
// boundary keeps its first b sectors (`tears`: each boundary that gives a
// disk different from keeping it whole and from losing it).
//
// Each state is an OverlayDevice: the durable image shared underneath,
// the state's own sectors on top, so a state costs only what differs.
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

  // The recording split at its FLUSHes, oldest first: {start, last,
  // durable, writes}. `start` is the cut (events kept) at which the epoch
  // begins (just after a FLUSH, or 0), `last` the last cut inside it (just
  // before the next FLUSH, or the end of the recording), `durable` the
  // image every cut in it keeps (do not change it; it is reused once the
  // next epoch is asked for), `writes` its writes, each with `cut`, the
  // events kept once it completed.
  *epochs() {
    const durable = this.base.slice();
    let writes = [];
    let start = 0;
    for (let i = 0; i < this.events.length; i++) {
      const e = this.events[i];
      if (!e.flush) {
        writes.push({ sector: e.sector, bytes: e.bytes, cut: i + 1 });
        continue;
      }
      yield { start, last: i, durable, writes };
      for (const w of writes) durable.set(w.bytes, w.sector * SECTOR);
      writes = [];
      start = i + 1;
    }
    yield { start, last: this.events.length, durable, writes };
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

// The sets of an epoch's writes a power cut may have kept, each a list
// of indexes into `writes`, ascending, none kept first. Every one of the
// 2^n when n <= `bound`; else the ones within NEAR writes of none kept or
// all kept, and `extra` more drawn with `rnd`, all distinct.
const NEAR = 2;

function subsets(n, { bound = 12, extra = 0, rnd = null } = {}) {
  const out = [];
  if (n <= bound) {
    for (let m = 0; m < 2 ** n; m++) out.push([...Array(n).keys()].filter((i) => (m >> i) & 1));
    return out;
  }
  const seen = new Set();
  const add = (mask) => {
    const key = mask.map(Number).join('');
    if (seen.has(key)) return;
    seen.add(key);
    out.push([...Array(n).keys()].filter((i) => mask[i]));
  };
  for (const base of [false, true]) {
    const flip = (...is) => add([...Array(n).keys()].map((i) => (is.includes(i) ? !base : base)));
    flip();
    for (let i = 0; i < n; i++) flip(i);
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) flip(i, j);
  }
  const wanted = out.length + extra;
  for (let tries = 0; out.length < wanted && tries < extra * 10; tries++) add([...Array(n)].map(() => rnd() < 0.5));
  return out;
}

// How many `subsets` lists, computed from n alone (a test compares it
// with what it checked): 2^n, or the two balls of radius NEAR, which do
// not meet past the bound, and `extra`.
function subsetCount(n, { bound = 12, extra = 0 } = {}) {
  if (n <= bound) return 2 ** n;
  let ball = 0;
  let choose = 1; // C(n, k)
  for (let k = 0; k <= NEAR; k++) {
    ball += choose;
    choose = (choose * (n - k)) / (k + 1);
  }
  return 2 * ball + extra;
}

// The disk an epoch leaves when the writes `kept` survived and, if `torn`
// is {index, sectors}, kept[index] only reached its first `sectors`.
function crashState(epoch, kept, torn = null) {
  const dev = new OverlayDevice(epoch.durable);
  kept.forEach((w, i) => {
    const write = epoch.writes[w];
    if (torn && torn.index === i) dev.apply(write, (s) => s < torn.sectors);
    else dev.apply(write);
  });
  return dev;
}

// The sector boundaries b at which tearing kept[index] (keeping its first
// b sectors) gives a disk unlike both keeping it whole and losing it: b
// past the first sector the write changes and not past the last one. A
// sector "changes" if the write's bytes differ from those it covers (the
// latest kept write before it, or the durable image) and no later kept
// write covers it again. So a write that changes one sector cannot tear.
function tears(epoch, kept, index) {
  const w = epoch.writes[kept[index]];
  const count = w.bytes.length / SECTOR;
  const changed = [];
  for (let s = 0; s < count; s++) {
    const sector = w.sector + s;
    const covers = (x) => x.sector <= sector && sector < x.sector + x.bytes.length / SECTOR;
    if (kept.slice(index + 1).some((k) => covers(epoch.writes[k]))) continue;
    let under = epoch.durable.subarray(sector * SECTOR, (sector + 1) * SECTOR);
    for (let j = index - 1; j >= 0; j--) {
      const x = epoch.writes[kept[j]];
      if (covers(x)) {
        under = x.bytes.subarray((sector - x.sector) * SECTOR, (sector - x.sector + 1) * SECTOR);
        break;
      }
    }
    const mine = w.bytes.subarray(s * SECTOR, (s + 1) * SECTOR);
    if (mine.some((b, i) => b !== under[i])) changed.push(s);
  }
  const out = [];
  if (changed.length < 2) return out;
  for (let b = changed[0] + 1; b <= changed[changed.length - 1]; b++) out.push(b);
  return out;
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

module.exports = { CrashDevice, OverlayDevice, random, subsets, subsetCount, crashState, tears };
