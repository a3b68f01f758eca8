// kernel/drivers/virtio/virtqueue.js: the driver half of a split virtqueue (virtio 1.2 §2.7).
//
// Three areas in DMA memory, shared byte for byte with the device half (which
// the machine runs in Python): the descriptor table, the available ring (we
// write, the device reads) and the used ring (the device writes, we read).
// Every device driver uses this one implementation; it knows nothing about
// consoles or networks, only buffers and tokens.
'use strict';

// Descriptor flags (§2.7.5).
const VIRTQ_DESC_F_NEXT = 1; // the chain continues at `next`
const VIRTQ_DESC_F_WRITE = 2; // the device writes this buffer (otherwise it only reads it)
const VIRTQ_DESC_F_INDIRECT = 4; // not used: we don't negotiate INDIRECT_DESC

// Ring flags.
const VIRTQ_AVAIL_F_NO_INTERRUPT = 1; // driver -> device: "don't interrupt me" (§2.7.7)
const VIRTQ_USED_F_NO_NOTIFY = 1; // device -> driver: "don't kick me" (§2.7.10)

// Layout (§2.7): struct virtq_desc { le64 addr; le32 len; le16 flags; le16 next; }
const DESC_SIZE = 16;
// struct virtq_avail { le16 flags; le16 idx; le16 ring[Q]; le16 used_event; }
const AVAIL_FLAGS = 0;
const AVAIL_IDX = 2;
const AVAIL_RING = 4;
// struct virtq_used { le16 flags; le16 idx; struct { le32 id; le32 len; } ring[Q]; le16 avail_event; }
const USED_FLAGS = 0;
const USED_IDX = 2;
const USED_RING = 4;
const USED_ELEM_SIZE = 8;

const MAX_QUEUE_SIZE = 32768;

class Virtqueue {
  // `dma` is a DmaArena; `notify()` is the transport's kick for this queue
  // (a QueueNotify register write for virtio-mmio).
  constructor(dma, index, size, notify) {
    if (!(size >= 1 && size <= MAX_QUEUE_SIZE && (size & (size - 1)) === 0)) {
      // §2.7: "Queue Size value is always a power of 2. The maximum Queue Size value is 32768."
      throw new RangeError(`virtqueue ${index}: size ${size} is not a power of two <= ${MAX_QUEUE_SIZE}`);
    }
    this.dma = dma;
    this.view = dma.view;
    this.index = index;
    this.size = size;
    this.notify = notify || (() => {});

    // Sizes and alignments are the table in §2.7. alloc() hands back zeroed
    // memory, so both rings start with flags = 0 and idx = 0, as the device expects.
    this.descAddr = dma.alloc(DESC_SIZE * size, 16);
    this.availAddr = dma.alloc(6 + 2 * size, 2);
    this.usedAddr = dma.alloc(6 + USED_ELEM_SIZE * size, 4);
    this.zero(this.descAddr, DESC_SIZE * size);
    this.zero(this.availAddr, 6 + 2 * size);
    this.zero(this.usedAddr, 6 + USED_ELEM_SIZE * size);

    // Free descriptors, as a stack; the top is the lowest index, so a fresh
    // queue hands out 0, 1, 2, ... (easy to follow in a hex dump).
    this.freeList = [];
    for (let i = size - 1; i >= 0; i--) this.freeList.push(i);
    // What we know about each chain in flight, by head index: the caller's
    // token and the descriptor indices. We keep our own copy of the chain
    // instead of following `next` in shared memory, so a confused device
    // cannot make us free the wrong descriptors.
    this.inFlight = new Array(size).fill(null);

    this.nextAvail = 0; // our copy of avail->idx (free-running u16)
    this.lastUsed = 0; // the used->idx up to which we have taken entries
  }

  get numFree() {
    return this.freeList.length;
  }

  get availIdx() {
    return this.nextAvail;
  }

  // The device's used->idx as it is in memory now; lastUsedIdx is how far we have read.
  get usedIdx() {
    return this.view.getUint16(this.usedAddr + USED_IDX, true);
  }

  get lastUsedIdx() {
    return this.lastUsed;
  }

  // Offers one buffer (a chain of descriptors) to the device (§2.7.13).
  // `buffers` is [{addr, len, write}], device-readable ones first; `token`
  // comes back from takeUsed() when the device is done with the chain.
  // Returns false, and changes nothing, if there are not enough free descriptors.
  add(buffers, token) {
    if (!Array.isArray(buffers) || buffers.length === 0) throw new Error('virtqueue add: no buffers');
    checkFraming(buffers);
    if (buffers.length > this.freeList.length) return false;

    // §2.7.13.1: place the buffers in the descriptor table, chained with NEXT.
    const chain = buffers.map(() => this.allocDesc());
    for (let i = 0; i < chain.length; i++) {
      const last = i === chain.length - 1;
      const b = buffers[i];
      const flags = (last ? 0 : VIRTQ_DESC_F_NEXT) | (b.write ? VIRTQ_DESC_F_WRITE : 0);
      this.writeDesc(chain[i], b.addr, b.len, flags, last ? 0 : chain[i + 1]);
    }
    const head = chain[0];
    this.inFlight[head] = { token, chain };

    // §2.7.13.2: put the head in the next free slot of the available ring...
    const slot = this.nextAvail & (this.size - 1);
    this.view.setUint16(this.availAddr + AVAIL_RING + 2 * slot, head, true);
    // §2.7.13.3: ...and only then advance idx. The device reads idx first and
    // trusts every slot below it; if idx moved first, a device running
    // alongside us (another CPU, a host thread) could fetch the slot before
    // it holds our head. On real hardware a write barrier goes between the
    // two stores; here the device only runs when we trap, but keep the order.
    this.nextAvail = (this.nextAvail + 1) & 0xffff;
    this.view.setUint16(this.availAddr + AVAIL_IDX, this.nextAvail, true);
    return true;
  }

  // §2.7.13.4: tell the device there is something new, unless it asked us not
  // to (it is already busy polling the ring). Returns whether it notified.
  kick() {
    const flags = this.view.getUint16(this.usedAddr + USED_FLAGS, true);
    if (flags & VIRTQ_USED_F_NO_NOTIFY) return false;
    this.notify();
    return true;
  }

  // §2.7.14: takes every used entry the device published since the last call,
  // frees its descriptors and returns [{token, len}] in the device's order.
  // `len` is the number of bytes the device wrote into the device-writable part.
  takeUsed() {
    const done = [];
    const deviceIdx = this.usedIdx;
    // Both indices are free-running u16: they wrap at 65536, not at the queue
    // size, so "entries waiting" is their difference mod 2^16.
    while (this.lastUsed !== deviceIdx) {
      const slot = this.lastUsed & (this.size - 1);
      const elem = this.usedAddr + USED_RING + USED_ELEM_SIZE * slot;
      const id = this.view.getUint32(elem, true);
      const len = this.view.getUint32(elem + 4, true);
      const entry = id < this.size ? this.inFlight[id] : null;
      if (!entry) throw new Error(`virtqueue ${this.index}: device used descriptor ${id}, which is not in flight`);
      this.freeChain(id);
      done.push({ token: entry.token, len });
      this.lastUsed = (this.lastUsed + 1) & 0xffff;
    }
    return done;
  }

  // True when the device has published used entries we have not taken yet.
  hasUsed() {
    return this.usedIdx !== this.lastUsed;
  }

  // Asks the device not to interrupt for this queue (§2.7.7). Only advice:
  // the device may interrupt anyway, so a driver must cope with both.
  suppressInterrupts(on) {
    this.view.setUint16(this.availAddr + AVAIL_FLAGS, on ? VIRTQ_AVAIL_F_NO_INTERRUPT : 0, true);
  }

  // Tokens of every chain the device still holds (for shutdown and debugging).
  pendingTokens() {
    return this.inFlight.filter((e) => e !== null).map((e) => e.token);
  }

  describe() {
    return { index: this.index, size: this.size, free: this.numFree, avail_idx: this.availIdx, used_idx: this.usedIdx };
  }

  // --- small helpers ---------------------------------------------------

  allocDesc() {
    return this.freeList.pop();
  }

  freeChain(head) {
    const { chain } = this.inFlight[head];
    this.inFlight[head] = null;
    for (let i = chain.length - 1; i >= 0; i--) {
      // Zero the descriptor: a stale address in a free slot helps nobody.
      this.writeDesc(chain[i], 0, 0, 0, 0);
      this.freeList.push(chain[i]);
    }
  }

  writeDesc(i, addr, len, flags, next) {
    const at = this.descAddr + DESC_SIZE * i;
    // le64 addr, written as two le32 halves (a DataView has no u64 setter for Numbers).
    this.view.setUint32(at, addr % 0x100000000, true);
    this.view.setUint32(at + 4, Math.floor(addr / 0x100000000), true);
    this.view.setUint32(at + 8, len, true);
    this.view.setUint16(at + 12, flags, true);
    this.view.setUint16(at + 14, next, true);
  }

  zero(addr, n) {
    this.dma.bytes.fill(0, addr, addr + n);
  }
}

// §2.7.4.2: "The driver MUST place any device-writable descriptor elements
// after any device-readable descriptor elements."
function checkFraming(buffers) {
  let seenWritable = false;
  for (const b of buffers) {
    if (!(b.len >= 0) || b.len > 0xffffffff) throw new RangeError(`virtqueue add: bad length ${b.len}`);
    if (b.write) seenWritable = true;
    else if (seenWritable) throw new Error('virtqueue add: a device-readable buffer after a device-writable one');
  }
}

module.exports = {
  Virtqueue,
  VIRTQ_DESC_F_NEXT,
  VIRTQ_DESC_F_WRITE,
  VIRTQ_DESC_F_INDIRECT,
  VIRTQ_AVAIL_F_NO_INTERRUPT,
  VIRTQ_USED_F_NO_NOTIFY,
  MAX_QUEUE_SIZE,
};
