"""The device half of a split virtqueue (jsksh/machine/virtio/queue.py) against hand-laid rings.

The driver side comes from driverside.py, which writes the §2.7 layout byte by
byte; the assertions are on literal bytes of the descriptor table and rings.
"""

import random

import pytest

from jsksh.machine.memory import Memory, MemoryFault
from jsksh.machine.virtio.queue import QueueError, Virtqueue
from tests.machine.driverside import INDIRECT, NEXT, WRITE, DriverQueue

Q = 8
BUF = 0x800  # buffers live above the rings


def setup(size=Q, mem_size=0x1000):
    mem = bytearray(mem_size)
    drv = DriverQueue(mem, size, 0)
    vq = Virtqueue(Memory(mem), size, drv.desc, drv.avail, drv.used)
    return mem, drv, vq


# -- memory ------------------------------------------------------------------


def test_memory_is_little_endian_and_bounds_checked():
    raw = bytearray(16)
    m = Memory(raw)
    m.set_u16(0, 0x1234)
    m.set_u32(2, 0xDEADBEEF)
    m.set_u64(8, 0x0102030405060708)
    assert bytes(raw) == bytes.fromhex("3412 efbeadde 0000 0807060504030201")
    assert (m.u16(0), m.u32(2), m.u64(8), m.u8(15)) == (0x1234, 0xDEADBEEF, 0x0102030405060708, 1)
    m.write(14, b"xy")
    assert m.read(14, 2) == b"xy"
    for addr, n in [(15, 2), (16, 1), (-1, 1), (0, 17), (2**64, 1), (0, -1)]:
        with pytest.raises(MemoryFault):
            m.read(addr, n)
    with pytest.raises(MemoryFault):
        m.u64(9)
    with pytest.raises(MemoryFault):
        m.set_u32(13, 0)
    with pytest.raises(MemoryFault):
        m.write(15, b"ab")
    assert raw[15] == ord("y")  # a refused write changes nothing


def test_memory_over_a_memoryview_writes_through():
    raw = bytearray(8)
    Memory(memoryview(raw)).set_u32(4, 7)
    assert raw[4] == 7
    with pytest.raises(ValueError):
        Memory(bytes(8))


# -- taking and returning chains ----------------------------------------------


def test_layout_of_a_two_descriptor_chain_and_its_used_element():
    mem, drv, vq = setup()
    mem[BUF : BUF + 2] = b"hi"
    head = drv.post((BUF, 2, False), (BUF + 0x100, 4, True))
    # Descriptor 0: addr 0x800, len 2, flags NEXT, next 1; descriptor 1: WRITE, end.
    assert bytes(mem[0:32]) == bytes.fromhex(
        "0008000000000000 02000000 0100 0100  0009000000000000 04000000 0200 0000"
    )
    # avail: flags 0, idx 1, ring[0] = 0
    assert bytes(mem[drv.avail : drv.avail + 6]) == bytes.fromhex("0000 0100 0000")
    assert vq.avail_idx == 1 and vq.used_idx == 0

    chain = vq.pop()
    assert chain.head == head == 0
    assert chain.readable == [(BUF, 2)] and chain.writable == [(BUF + 0x100, 4)]
    assert chain.read_all() == b"hi"
    assert chain.write(b"okay!") == 4  # only 4 writable bytes
    assert bytes(mem[BUF + 0x100 : BUF + 0x105]) == b"okay\0"
    assert vq.pop() is None

    vq.push(chain.head, 4)
    # used: flags 0, idx 1, elem {id 0, len 4}
    assert bytes(mem[drv.used : drv.used + 12]) == bytes.fromhex("0000 0100 00000000 04000000")
    assert drv.take_used() == [(0, 4)]
    assert vq.used_idx == 1


def test_empty_queue_pops_none():
    _, _, vq = setup()
    assert vq.pop() is None
    assert vq.last_avail == 0


def test_write_only_chain_scatters_over_its_buffers():
    mem, drv, vq = setup()
    drv.post((BUF, 3, True), (BUF + 0x10, 5, True))
    chain = vq.pop()
    assert chain.readable == [] and chain.read_all() == b""
    assert chain.writable_len == 8
    assert chain.write(b"abcdef") == 6
    assert bytes(mem[BUF : BUF + 3]) == b"abc"
    assert bytes(mem[BUF + 0x10 : BUF + 0x15]) == b"def\0\0"


def test_several_chains_come_out_in_order():
    _, drv, vq = setup()
    heads = [drv.post((BUF + 16 * i, 16, True)) for i in range(3)]
    assert [vq.pop().head for _ in range(3)] == heads == [0, 1, 2]
    assert vq.pop() is None


def test_free_running_indices_wrap_at_65536():
    mem, drv, vq = setup()
    drv.start_at(65534)
    vq.last_avail = vq.next_used = 65534
    heads = [drv.post((BUF + 16 * i, 16, True)) for i in range(3)]
    # avail idx wrapped 65534 -> 1; the heads sit in ring slots 6, 7 and 0.
    assert bytes(mem[drv.avail : drv.avail + 4]) == bytes.fromhex("0000 0100")
    ring = drv.avail + 4
    assert bytes(mem[ring + 12 : ring + 16]) == bytes.fromhex("0000 0100")
    assert bytes(mem[ring : ring + 2]) == bytes.fromhex("0200")
    for head in heads:
        chain = vq.pop()
        assert chain.head == head
        vq.push(chain.head, 16)
    assert vq.pop() is None
    assert vq.last_avail == 1 and vq.used_idx == 1
    # used elements in slots 6, 7, 0
    elem = drv.used + 4
    assert bytes(mem[elem + 48 : elem + 64]) == bytes.fromhex("00000000 10000000 01000000 10000000")
    assert bytes(mem[elem : elem + 8]) == bytes.fromhex("02000000 10000000")
    assert drv.take_used() == [(0, 16), (1, 16), (2, 16)]


def test_needs_interrupt_honours_no_interrupt():
    _, drv, vq = setup()
    assert vq.needs_interrupt()
    drv.set_avail_flags(1)  # VIRTQ_AVAIL_F_NO_INTERRUPT
    assert not vq.needs_interrupt()


# -- a driver that breaks the rules ---------------------------------------------


def test_descriptor_loop_is_rejected():
    _, drv, vq = setup()
    drv.set_desc(0, BUF, 4, NEXT, 1)
    drv.set_desc(1, BUF, 4, NEXT, 0)
    drv.publish(0)
    with pytest.raises(QueueError, match="loops"):
        vq.pop()


def test_self_loop_is_rejected():
    _, drv, vq = setup()
    drv.set_desc(3, BUF, 4, NEXT | WRITE, 3)
    drv.publish(3)
    with pytest.raises(QueueError):
        vq.pop()


def test_chain_of_exactly_queue_size_is_fine():
    _, drv, vq = setup()
    for i in range(Q):
        drv.set_desc(i, BUF + i, 1, NEXT if i < Q - 1 else 0, i + 1)
    drv.publish(0)
    assert len(vq.pop().readable) == Q


def test_out_of_range_indices_are_rejected():
    _, drv, vq = setup()
    drv.set_desc(0, BUF, 4, NEXT, Q)  # next past the table
    drv.publish(0)
    with pytest.raises(QueueError):
        vq.pop()
    drv.publish(Q + 3)  # head past the table
    with pytest.raises(QueueError):
        vq.pop()


def test_indirect_is_rejected_because_not_negotiated():
    _, drv, vq = setup()
    drv.set_desc(0, BUF, 32, INDIRECT)
    drv.publish(0)
    with pytest.raises(QueueError, match="indirect"):
        vq.pop()


def test_readable_after_writable_is_rejected():
    _, drv, vq = setup()
    drv.post((BUF, 4, True), (BUF + 4, 4, False))
    with pytest.raises(QueueError):
        vq.pop()


def test_avail_idx_too_far_ahead_is_rejected():
    mem, drv, vq = setup()
    mem[drv.avail + 2 : drv.avail + 4] = (Q + 1).to_bytes(2, "little")
    with pytest.raises(QueueError):
        vq.pop()


@pytest.mark.parametrize("addr,length", [(0x1000, 1), (0xFFF, 2), (2**64 - 1, 1), (0, 0xFFFFFFFF)])
def test_out_of_bounds_buffers_fault(addr, length):
    _, drv, vq = setup()
    drv.post((BUF, 4, False), (addr, length, True))
    with pytest.raises(MemoryFault):
        vq.pop()


def test_rings_outside_memory_or_misaligned_are_refused():
    m = Memory(bytearray(0x1000))
    with pytest.raises(MemoryFault):
        Virtqueue(m, 256, 0, 0x1000, 0x1100)  # 16 * 256 bytes of descriptors do not fit
    with pytest.raises(MemoryFault):
        Virtqueue(m, 8, 0, 0x80, 0xFF8)
    with pytest.raises(QueueError):
        Virtqueue(m, 8, 8, 0x80, 0x100)  # descriptor table not 16-aligned
    for size in (0, 3, 65536):
        with pytest.raises(QueueError):
            Virtqueue(m, size, 0, 0x80, 0x100)


def test_garbage_rings_only_ever_raise_queue_error_or_memory_fault():
    # A hostile driver writes random bytes; the device must never crash with
    # anything but the two errors the transport turns into DEVICE_NEEDS_RESET.
    rnd = random.Random(1234)
    for _ in range(300):
        mem = bytearray(rnd.randbytes(0x400))
        vq = Virtqueue(Memory(mem), 16, 0, 0x100, 0x200)
        vq.last_avail = rnd.randrange(65536)
        for _ in range(4):
            try:
                chain = vq.pop()
            except (QueueError, MemoryFault):
                continue
            if chain is not None:
                chain.read_all()
                chain.write(b"x" * 64)
                vq.push(chain.head, 0)
