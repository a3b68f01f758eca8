// kernel/arch/dma.js: the allocator for DMA memory, the arena the devices can see.
//
// The kernel owns one ArrayBuffer (globalThis.__arena) for the machine's whole
// life and shares it with the machine; a "physical address" is a byte offset in
// it. Virtqueue rings and I/O buffers are carved out of it here: a first-fit
// free list, sorted by address, that merges neighbours when blocks come back.
'use strict';

class DmaArena {
  // Nothing is handed out below `reserve`, so physical address 0 is never a
  // valid buffer (a zeroed descriptor then points at nothing useful, not at a ring).
  constructor(arrayBuffer, reserve = 4096) {
    if (!(arrayBuffer instanceof ArrayBuffer)) throw new TypeError('DmaArena needs an ArrayBuffer');
    if (reserve < 0 || reserve > arrayBuffer.byteLength) throw new RangeError(`bad reserve ${reserve}`);
    this.buffer = arrayBuffer;
    this.bytes = new Uint8Array(arrayBuffer);
    this.view = new DataView(arrayBuffer);
    this.size = arrayBuffer.byteLength;
    this.reserve = reserve;
    this.holes = reserve < this.size ? [{ start: reserve, end: this.size }] : []; // free, sorted, disjoint
    this.blocks = new Map(); // addr -> size of every live allocation
    this.used = 0;
  }

  // Returns the address of `size` fresh, zeroed bytes aligned to `align`.
  alloc(size, align = 16) {
    if (!(size > 0)) size = 1; // a zero-length block still needs a unique address
    if (align < 1 || (align & (align - 1)) !== 0) throw new RangeError(`alignment ${align} is not a power of two`);
    for (let i = 0; i < this.holes.length; i++) {
      const hole = this.holes[i];
      const addr = alignUp(hole.start, align);
      if (addr + size > hole.end) continue;
      this.carve(i, addr, addr + size);
      this.blocks.set(addr, size);
      this.used += size;
      // Zero it: the previous owner's bytes must not leak to the device (or to us).
      this.bytes.fill(0, addr, addr + size);
      return addr;
    }
    const { used } = this;
    throw new Error(`DMA arena exhausted: no ${size} bytes aligned to ${align} (${used} of ${this.size} in use)`);
  }

  free(addr) {
    const size = this.blocks.get(addr);
    if (size === undefined) throw new Error(`dma free of ${addr}: not an allocated block (double free?)`);
    this.blocks.delete(addr);
    this.used -= size;
    this.insertHole(addr, addr + size);
  }

  stats() {
    return { size: this.size, used: this.used, reserved: this.reserve, blocks: this.blocks.size, holes: this.holes.length };
  }

  // Removes [start, end) from hole i, keeping whatever is left on either side
  // (the alignment gap before, the tail after) as holes.
  carve(i, start, end) {
    const hole = this.holes[i];
    const pieces = [];
    if (hole.start < start) pieces.push({ start: hole.start, end: start });
    if (end < hole.end) pieces.push({ start: end, end: hole.end });
    this.holes.splice(i, 1, ...pieces);
  }

  // Puts [start, end) back and merges it with the holes it touches, so that
  // freeing everything gives back one hole as large as the arena.
  insertHole(start, end) {
    let i = 0;
    while (i < this.holes.length && this.holes[i].start < start) i++;
    const before = this.holes[i - 1];
    const after = this.holes[i];
    if (before && before.end === start && after && after.start === end) {
      before.end = after.end;
      this.holes.splice(i, 1);
    } else if (before && before.end === start) {
      before.end = end;
    } else if (after && after.start === end) {
      after.start = start;
    } else {
      this.holes.splice(i, 0, { start, end });
    }
  }
}

function alignUp(n, align) {
  return Math.ceil(n / align) * align;
}

module.exports = { DmaArena, alignUp };
