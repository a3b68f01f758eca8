"""virtio-rng (jsksh/machine/virtio/rng.py): device-writable buffers come back full of entropy."""

import pytest

from jsksh.machine.memory import Memory
from jsksh.machine.virtio import mmio, rng
from jsksh.machine.virtio.rng import RngDevice
from tests.machine.driverside import DriverQueue, bring_up

IRQ = 6
BUF = 0x1000


@pytest.fixture
def rig():
    mem = bytearray(0x30000)
    dev = RngDevice()
    irqs = []
    t = mmio.MmioTransport(dev, slot=1, irq=IRQ, raise_irq=irqs.append)
    t.memory = Memory(mem)
    return mem, t, irqs, DriverQueue(mem, 8, 0)


def test_identity(rig):
    _, t, _, _ = rig
    assert t.read32(mmio.DEVICE_ID) == 4
    assert t.read32(mmio.DEVICE_FEATURES) == 0  # no device features; VERSION_1 is in the high word


def test_fills_every_posted_buffer_with_one_interrupt(rig):
    mem, t, irqs, q = rig
    bring_up(t, 0, {0: q})
    q.post((BUF, 32, True))
    q.post((BUF + 0x100, 60, True), (BUF + 0x200, 40, True))  # one request in two pieces
    t.write32(mmio.QUEUE_NOTIFY, 0)
    assert q.take_used() == [(0, 32), (1, 100)]
    assert irqs == [IRQ]
    # 32 zero bytes from urandom would be a 2**-256 event
    assert any(mem[BUF : BUF + 32]) and any(mem[BUF + 0x200 : BUF + 0x228])
    assert mem[BUF + 0x228] == 0  # nothing past the buffer
    assert mem[BUF + 0x100 : BUF + 0x13C] != mem[BUF : BUF + 60]


def test_a_huge_buffer_gets_64_kib(rig):
    _, t, _, q = rig
    bring_up(t, 0, {0: q})
    q.post((BUF, 0x20000, True))
    t.write32(mmio.QUEUE_NOTIFY, 0)
    assert q.take_used() == [(0, rng.MAX_PER_CHAIN)]


def test_readable_only_buffer_comes_back_empty(rig):
    mem, t, _, q = rig
    bring_up(t, 0, {0: q})
    q.post((BUF, 16, False))
    t.write32(mmio.QUEUE_NOTIFY, 0)
    assert q.take_used() == [(0, 0)]
    assert not any(mem[BUF : BUF + 16])  # §2.7.5.1: never write a device-readable buffer


def test_requests_before_driver_ok_are_served_at_driver_ok(rig):
    _, t, irqs, q = rig
    q.post((BUF, 8, True))
    bring_up(t, 0, {0: q})  # the kick came before DRIVER_OK; activate() looks again
    assert q.take_used() == [(0, 8)]
    assert irqs == [IRQ]


def test_describe(rig):
    _, t, _, q = rig
    bring_up(t, 0, {0: q})
    q.post((BUF, 8, True))
    info = t.device.describe()
    assert info["queues"] == [
        {"index": 0, "name": "requestq", "ready": True, "size": 8, "avail_idx": 1, "used_idx": 0}
    ]
    t.write32(mmio.QUEUE_NOTIFY, 0)
    assert t.device.describe()["queues"][0]["used_idx"] == 1
    assert t.device.describe()["interrupts"] == 1
