"""A test-only driver half for the Python virtio devices: rings laid out by hand.

It writes the split-virtqueue structures (virtio 1.2 §2.7) byte by byte into a
bytearray, the way kernel/drivers/virtio/virtqueue.js does in the arena, so the
device tests exercise the real byte layout and can assert on literal bytes.
It is deliberately naive (descriptors handed out in order, no free list).
"""

from __future__ import annotations

import struct

from jsksh.machine.virtio import mmio
from jsksh.machine.virtio.device import ACKNOWLEDGE, DRIVER, DRIVER_OK, FEATURES_OK, VIRTIO_F_VERSION_1

NEXT, WRITE, INDIRECT = 1, 2, 4


class DriverQueue:
    """Descriptor table, available ring and used ring of Q entries from `base`."""

    def __init__(self, mem: bytearray, size: int, base: int):
        self.mem = mem
        self.size = size
        self.desc = base  # 16 * Q, align 16
        self.avail = base + 16 * size  # le16 flags, le16 idx, le16 ring[Q], le16 used_event
        self.used = (self.avail + 6 + 2 * size + 3) & ~3  # le16 flags, le16 idx, {le32 id, le32 len}[Q]
        self.end = self.used + 6 + 8 * size
        self.next_desc = 0
        self.avail_idx = 0  # free-running, our copy of avail->idx
        self.last_used = 0  # free-running, how far we have read the used ring

    # -- raw layout ----------------------------------------------------------

    def set_desc(self, i: int, addr: int, length: int, flags: int = 0, nxt: int = 0) -> None:
        struct.pack_into("<QIHH", self.mem, self.desc + 16 * i, addr, length, flags, nxt)

    def set_avail_flags(self, flags: int) -> None:
        struct.pack_into("<H", self.mem, self.avail, flags)

    def start_at(self, idx: int) -> None:
        """Pretend both rings have already wrapped to `idx` (for u16 wrap-around tests)."""
        self.avail_idx = self.last_used = idx
        struct.pack_into("<H", self.mem, self.avail + 2, idx)
        struct.pack_into("<H", self.mem, self.used + 2, idx)

    def publish(self, head: int) -> None:
        """Put a head in the available ring, then (last, §2.7.13.3) bump avail->idx."""
        struct.pack_into("<H", self.mem, self.avail + 4 + 2 * (self.avail_idx % self.size), head)
        self.avail_idx = (self.avail_idx + 1) & 0xFFFF
        struct.pack_into("<H", self.mem, self.avail + 2, self.avail_idx)

    # -- convenience -----------------------------------------------------------

    def post(self, *bufs: tuple[int, int, bool]) -> int:
        """Chain (addr, len, device_writable) buffers, publish the chain, return its head."""
        first = self.next_desc
        for n, (addr, length, writable) in enumerate(bufs):
            i = (first + n) % self.size
            last = n == len(bufs) - 1
            flags = (WRITE if writable else 0) | (0 if last else NEXT)
            self.set_desc(i, addr, length, flags, 0 if last else (i + 1) % self.size)
        self.next_desc = (first + len(bufs)) % self.size
        self.publish(first)
        return first

    def used_idx(self) -> int:
        return struct.unpack_from("<H", self.mem, self.used + 2)[0]

    def take_used(self) -> list[tuple[int, int]]:
        """New used elements as (id, len), in order."""
        out = []
        while self.last_used != self.used_idx():
            slot = self.used + 4 + 8 * (self.last_used % self.size)
            out.append(struct.unpack_from("<II", self.mem, slot))
            self.last_used = (self.last_used + 1) & 0xFFFF
        return out


def set_queue(t: mmio.MmioTransport, index: int, q: DriverQueue) -> None:
    """§4.2.3.2 virtqueue configuration: select, size, ring addresses, ready."""
    t.write32(mmio.QUEUE_SEL, index)
    assert t.read32(mmio.QUEUE_READY) == 0
    assert q.size <= t.read32(mmio.QUEUE_NUM_MAX)
    t.write32(mmio.QUEUE_NUM, q.size)
    t.write32(mmio.QUEUE_DESC_LOW, q.desc)
    t.write32(mmio.QUEUE_DESC_HIGH, 0)
    t.write32(mmio.QUEUE_DRIVER_LOW, q.avail)
    t.write32(mmio.QUEUE_DRIVER_HIGH, 0)
    t.write32(mmio.QUEUE_DEVICE_LOW, q.used)
    t.write32(mmio.QUEUE_DEVICE_HIGH, 0)
    t.write32(mmio.QUEUE_READY, 1)


def bring_up(t: mmio.MmioTransport, features: int, queues: dict[int, DriverQueue]) -> None:
    """The whole §3.1.1 sequence, as a driver does it; asserts each step took."""
    t.write32(mmio.STATUS, 0)
    t.write32(mmio.STATUS, ACKNOWLEDGE)
    t.write32(mmio.STATUS, ACKNOWLEDGE | DRIVER)
    features |= 1 << VIRTIO_F_VERSION_1
    for sel in (0, 1):
        t.write32(mmio.DRIVER_FEATURES_SEL, sel)
        t.write32(mmio.DRIVER_FEATURES, features >> 32 * sel & 0xFFFFFFFF)
    t.write32(mmio.STATUS, ACKNOWLEDGE | DRIVER | FEATURES_OK)
    assert t.read32(mmio.STATUS) & FEATURES_OK
    for index, q in queues.items():
        set_queue(t, index, q)
    t.write32(mmio.STATUS, ACKNOWLEDGE | DRIVER | FEATURES_OK | DRIVER_OK)
