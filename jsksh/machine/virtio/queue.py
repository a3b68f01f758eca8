"""The device half of a split virtqueue (virtio 1.2 §2.7), written once for every device.

The JS driver owns the driver side (kernel/drivers/virtio/virtqueue.js); this
class reads the same bytes in the DMA arena: it takes chains the driver made
available and returns them through the used ring.  It knows nothing about any
particular device.  Layouts (§2.7.5, §2.7.6, §2.7.8), little-endian:

    descriptor table  16 x Q   {le64 addr; le32 len; le16 flags; le16 next}
    available ring    le16 flags; le16 idx; le16 ring[Q]; (le16 used_event)
    used ring         le16 flags; le16 idx; {le32 id; le32 len}[Q]; (le16 avail_event)
"""

from __future__ import annotations

import struct

from jsksh.machine.memory import Memory
from jsksh.machine.record import Record

# Descriptor flags (§2.7.5).
VIRTQ_DESC_F_NEXT = 1  # the chain continues at `next`
VIRTQ_DESC_F_WRITE = 2  # device-writable (otherwise device-readable)
VIRTQ_DESC_F_INDIRECT = 4  # buffer holds a table of descriptors (§2.7.5.3)

# Available ring flags (§2.7.7): the driver asks us not to interrupt.
VIRTQ_AVAIL_F_NO_INTERRUPT = 1

_DESC = struct.Struct("<QIHH")


class QueueError(Exception):
    """The driver broke the virtqueue rules; the device must be reset."""


class Chain(Record):
    """One descriptor chain popped from the available ring: a request."""

    _fields = ("memory", "head", "readable", "writable")

    def __init__(
        self,
        memory: Memory,
        head: int,
        readable: list[tuple[int, int]] | None = None,
        writable: list[tuple[int, int]] | None = None,
    ) -> None:
        self.memory = memory
        self.head = head
        self.readable = list() if readable is None else readable
        self.writable = list() if writable is None else writable

    @property
    def readable_len(self) -> int:
        return sum(n for _, n in self.readable)

    @property
    def writable_len(self) -> int:
        return sum(n for _, n in self.writable)

    def read_all(self) -> bytes:
        """The driver's data: every device-readable buffer, concatenated."""
        return b"".join(self.memory.read(addr, n) for addr, n in self.readable)

    def write(self, data) -> int:
        """Scatter data over the device-writable buffers; return bytes written."""
        done = 0
        for addr, n in self.writable:
            if done == len(data):
                break
            part = data[done : done + n]
            self.memory.write(addr, part)
            done += len(part)
        return done

    def write_at(self, offset: int, data) -> int:
        """Write data into the device-writable buffers from byte `offset` of
        their concatenation (a status byte at the end of a request); return
        bytes written."""
        done = 0
        for addr, n in self.writable:
            if done == len(data):
                break
            if offset >= n:
                offset -= n
                continue
            part = data[done : done + n - offset]
            self.memory.write(addr + offset, part)
            done += len(part)
            offset = 0
        return done


class Virtqueue:
    def __init__(self, memory: Memory, size: int, desc_addr: int, avail_addr: int, used_addr: int):
        # §2.7: Queue Size is a power of 2, at most 32768.  Alignment is
        # §2.7's table: descriptors 16, available ring 2, used ring 4.
        if size <= 0 or size > 32768 or size & (size - 1):
            raise QueueError(f"queue size {size} is not a power of 2 <= 32768")
        if desc_addr % 16 or avail_addr % 2 or used_addr % 4:
            raise QueueError("misaligned virtqueue")
        # Check the whole rings once, so a bad ring address fails at set-up
        # (QueueReady) rather than at the first request.
        memory.check(desc_addr, 16 * size)
        memory.check(avail_addr, 6 + 2 * size)
        memory.check(used_addr, 6 + 8 * size)
        self.memory = memory
        self.size = size
        self.desc_addr = desc_addr
        self.avail_addr = avail_addr
        self.used_addr = used_addr
        # Free-running u16 counters (§2.7.6, §2.7.8): the next available-ring
        # slot we will read and the next used-ring slot we will write.  Both
        # start at 0 after reset; tests set them near 65535 to check wrap.
        self.last_avail = 0
        self.next_used = 0
        # The machine's tracer (tracer.py) and this queue's name in it
        # ("virtio-net.rx"), set by the transport; None: not traced.
        self.tracer = None
        self.track = ""

    # -- what the driver published ---------------------------------------

    @property
    def avail_idx(self) -> int:
        return self.memory.u16(self.avail_addr + 2)

    @property
    def used_idx(self) -> int:
        return self.memory.u16(self.used_addr + 2)

    def needs_interrupt(self) -> bool:
        """§2.7.7: honour VIRTQ_AVAIL_F_NO_INTERRUPT (EVENT_IDX is not offered)."""
        return not self.memory.u16(self.avail_addr) & VIRTQ_AVAIL_F_NO_INTERRUPT

    # -- taking requests ---------------------------------------------------

    def pop(self) -> Chain | None:
        """Take the next available chain, or None if the driver has posted none."""
        avail_idx = self.avail_idx
        if avail_idx == self.last_avail:
            return None
        # The driver can be at most Q entries ahead of us; more means it
        # overwrote ring slots we had not read yet.
        if (avail_idx - self.last_avail) & 0xFFFF > self.size:
            raise QueueError(f"available idx {avail_idx} is too far ahead of {self.last_avail}")
        slot = self.last_avail % self.size
        head = self.memory.u16(self.avail_addr + 4 + 2 * slot)
        self.last_avail = (self.last_avail + 1) & 0xFFFF
        chain = self._walk(head)
        tracer = self.tracer
        if tracer is not None and tracer.on:
            parts = len(chain.readable) + len(chain.writable)
            tracer.emit(
                "avail",
                self.track,
                f"head {head}",
                tracer.now(),
                0.0,
                chain.readable_len,
                f"{parts} descriptors, {chain.readable_len} B out, {chain.writable_len} B room",
            )
        return chain

    def _walk(self, head: int) -> Chain:
        """Follow a chain from its head descriptor (§2.7.5, §2.7.4.2)."""
        chain = Chain(self.memory, head)
        index = head
        for _ in range(self.size):  # a chain longer than the table is a loop
            if index >= self.size:
                raise QueueError(f"descriptor index {index} out of range")
            addr, length, flags, nxt = _DESC.unpack(self.memory.read(self.desc_addr + 16 * index, 16))
            if flags & VIRTQ_DESC_F_INDIRECT:
                # VIRTIO_F_INDIRECT_DESC is not offered (§2.7.5.3.1).
                raise QueueError("indirect descriptor without VIRTIO_F_INDIRECT_DESC")
            self.memory.check(addr, length)
            if flags & VIRTQ_DESC_F_WRITE:
                chain.writable.append((addr, length))
            elif chain.writable:
                # §2.7.4.2: readable descriptors come before writable ones.
                raise QueueError("device-readable descriptor after a writable one")
            else:
                chain.readable.append((addr, length))
            if not flags & VIRTQ_DESC_F_NEXT:
                return chain
            index = nxt
        raise QueueError(f"descriptor chain from {head} loops")

    # -- returning them ------------------------------------------------------

    def push(self, head: int, written_len: int) -> None:
        """Return a chain: write the used element, then (last) the used idx (§2.7.8.2)."""
        slot = self.next_used % self.size
        elem = self.used_addr + 4 + 8 * slot
        self.memory.set_u32(elem, head)
        self.memory.set_u32(elem + 4, written_len)
        # The idx store is what publishes the element, so it comes after it.
        self.next_used = (self.next_used + 1) & 0xFFFF
        self.memory.set_u16(self.used_addr + 2, self.next_used)
        tracer = self.tracer
        if tracer is not None and tracer.on:
            tracer.emit(
                "used", self.track, f"head {head}", tracer.now(), 0.0, written_len, f"{written_len} B written"
            )
