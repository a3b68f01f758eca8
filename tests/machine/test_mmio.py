"""The virtio-mmio v2 register file (jsksh/machine/virtio/mmio.py), driven like a driver does.

A tiny recording device stands in for a real one; each test walks part of the
§3.1 initialisation through read32/write32 and checks what the device saw.
"""

import json

import pytest

from jsksh.machine.memory import Memory
from jsksh.machine.virtio import mmio
from jsksh.machine.virtio.device import (
    ACKNOWLEDGE,
    DEVICE_NEEDS_RESET,
    DRIVER,
    DRIVER_OK,
    FEATURES_OK,
    VirtioDevice,
)
from jsksh.machine.virtio.queue import QueueError, Virtqueue
from tests.machine.driverside import DriverQueue, bring_up, set_queue

IRQ = 7


class Recorder(VirtioDevice):
    device_id = 42
    name = "recorder"
    feature_names = {0: "ZERO", 5: "FIVE"}
    queue_max = 16

    def __init__(self):
        super().__init__(num_queues=2, features=1 << 0 | 1 << 5)
        self.calls = []
        self.explode = False

    @property
    def config(self):
        return bytes([1, 2, 3, 4, 5, 6])

    def reset(self):
        super().reset()
        self.calls.append("reset")

    def activate(self):
        self.calls.append("activate")
        super().activate()

    def notify(self, index):
        self.calls.append(("notify", index))
        if self.explode:
            raise QueueError("driver did something silly")


@pytest.fixture
def rig():
    mem = bytearray(0x4000)
    dev = Recorder()
    irqs = []
    t = mmio.MmioTransport(dev, slot=2, irq=IRQ, raise_irq=irqs.append)
    t.memory = Memory(mem)
    dev.calls.clear()  # assigning memory resets the device
    queues = {0: DriverQueue(mem, 8, 0x0), 1: DriverQueue(mem, 16, 0x1000)}
    return t, dev, irqs, queues


def test_identification_registers(rig):
    t, *_ = rig
    assert t.read32(mmio.MAGIC_VALUE) == 0x74726976
    assert t.read32(mmio.MAGIC_VALUE).to_bytes(4, "little") == b"virt"
    assert t.read32(mmio.VERSION) == 2
    assert t.read32(mmio.DEVICE_ID) == 42
    assert t.read32(mmio.VENDOR_ID).to_bytes(4, "little") == b"QEMU"


def test_device_features_are_read_32_bits_at_a_time(rig):
    t, *_ = rig
    t.write32(mmio.DEVICE_FEATURES_SEL, 0)
    assert t.read32(mmio.DEVICE_FEATURES) == 0b100001
    t.write32(mmio.DEVICE_FEATURES_SEL, 1)
    assert t.read32(mmio.DEVICE_FEATURES) == 1  # VERSION_1 is bit 32
    t.write32(mmio.DEVICE_FEATURES_SEL, 2)
    assert t.read32(mmio.DEVICE_FEATURES) == 0


def test_the_init_sequence_step_by_step(rig):
    t, dev, irqs, queues = rig
    # 1. reset
    t.write32(mmio.STATUS, 0)
    assert t.read32(mmio.STATUS) == 0
    assert dev.calls == ["reset"]
    # 2-3. ACKNOWLEDGE, DRIVER
    t.write32(mmio.STATUS, ACKNOWLEDGE)
    t.write32(mmio.STATUS, ACKNOWLEDGE | DRIVER)
    assert t.read32(mmio.STATUS) == 3
    # 4. read the offer, write the subset we understand (bit 5 and VERSION_1)
    t.write32(mmio.DRIVER_FEATURES_SEL, 0)
    t.write32(mmio.DRIVER_FEATURES, 1 << 5)
    t.write32(mmio.DRIVER_FEATURES_SEL, 1)
    t.write32(mmio.DRIVER_FEATURES, 1)
    # 5-6. FEATURES_OK, then re-read: still set means accepted
    t.write32(mmio.STATUS, ACKNOWLEDGE | DRIVER | FEATURES_OK)
    assert t.read32(mmio.STATUS) == ACKNOWLEDGE | DRIVER | FEATURES_OK
    assert dev.negotiated == 1 << 32 | 1 << 5
    # 7. queues
    t.write32(mmio.QUEUE_SEL, 0)
    assert t.read32(mmio.QUEUE_NUM_MAX) == 16
    set_queue(t, 0, queues[0])
    set_queue(t, 1, queues[1])
    t.write32(mmio.QUEUE_SEL, 2)
    assert t.read32(mmio.QUEUE_NUM_MAX) == 0  # no such queue
    assert isinstance(dev.queues[0], Virtqueue)
    q = dev.queues[1]
    assert (q.size, q.desc_addr, q.avail_addr, q.used_addr) == (16, 0x1000, queues[1].avail, queues[1].used)
    t.write32(mmio.QUEUE_SEL, 1)
    assert t.read32(mmio.QUEUE_READY) == 1
    # 8. DRIVER_OK: the device goes live and looks at its queues once
    t.write32(mmio.STATUS, ACKNOWLEDGE | DRIVER | FEATURES_OK | DRIVER_OK)
    assert t.read32(mmio.STATUS) == 15
    assert t.live
    assert dev.calls == ["reset", "activate", ("notify", 0), ("notify", 1)]
    assert irqs == []


def test_features_ok_is_refused_for_a_feature_not_offered(rig):
    t, dev, _, queues = rig
    t.write32(mmio.STATUS, ACKNOWLEDGE | DRIVER)
    t.write32(mmio.DRIVER_FEATURES_SEL, 0)
    t.write32(mmio.DRIVER_FEATURES, 1 << 3)  # never offered
    t.write32(mmio.DRIVER_FEATURES_SEL, 1)
    t.write32(mmio.DRIVER_FEATURES, 1)
    t.write32(mmio.STATUS, ACKNOWLEDGE | DRIVER | FEATURES_OK)
    assert t.read32(mmio.STATUS) == ACKNOWLEDGE | DRIVER  # not latched: the driver sees the refusal
    assert dev.negotiated == 0
    t.write32(mmio.STATUS, ACKNOWLEDGE | DRIVER | FEATURES_OK | DRIVER_OK)
    assert not t.read32(mmio.STATUS) & (FEATURES_OK | DRIVER_OK)
    assert "activate" not in dev.calls


def test_features_ok_is_refused_without_version_1(rig):
    t, dev, *_ = rig
    t.write32(mmio.STATUS, ACKNOWLEDGE | DRIVER)
    t.write32(mmio.DRIVER_FEATURES, 1 << 5)
    t.write32(mmio.STATUS, ACKNOWLEDGE | DRIVER | FEATURES_OK)
    assert not t.read32(mmio.STATUS) & FEATURES_OK


def test_features_are_frozen_after_features_ok(rig):
    t, dev, _, queues = rig
    bring_up(t, 1 << 5, {})
    t.write32(mmio.DRIVER_FEATURES_SEL, 0)
    t.write32(mmio.DRIVER_FEATURES, 1)
    assert t.driver_features == 1 << 32 | 1 << 5


def test_notify_reaches_the_device_only_when_live(rig):
    t, dev, _, queues = rig
    t.write32(mmio.QUEUE_NOTIFY, 0)  # not even set up
    bring_up(t, 0, queues)
    dev.calls.clear()
    t.write32(mmio.QUEUE_NOTIFY, 1)
    t.write32(mmio.QUEUE_NOTIFY, 9)  # no such queue: ignored
    assert dev.calls == [("notify", 1)]


def test_interrupt_status_and_ack(rig):
    t, dev, irqs, queues = rig
    t.interrupt()  # before DRIVER_OK: §2.1.2 forbids it
    assert irqs == [] and t.read32(mmio.INTERRUPT_STATUS) == 0
    bring_up(t, 0, queues)
    t.interrupt()
    assert irqs == [IRQ] and t.interrupts == 1
    assert t.read32(mmio.INTERRUPT_STATUS) == 1
    t.config_changed()
    assert t.read32(mmio.INTERRUPT_STATUS) == 3
    assert t.read32(mmio.CONFIG_GENERATION) == 1
    t.write32(mmio.INTERRUPT_ACK, 1)
    assert t.read32(mmio.INTERRUPT_STATUS) == 2
    t.write32(mmio.INTERRUPT_ACK, 2)
    assert t.read32(mmio.INTERRUPT_STATUS) == 0
    assert irqs == [IRQ, IRQ] and t.interrupts == 2


def test_config_space_reads_little_endian_zero_padded(rig):
    t, *_ = rig
    assert t.read32(0x100) == 0x04030201
    assert t.read32(0x104) == 0x00000605
    assert t.read32(0x108) == 0
    t.write32(0x100, 0xFFFFFFFF)  # read-only for this device
    assert t.read32(0x100) == 0x04030201


def test_unknown_and_write_only_registers_read_zero(rig):
    t, *_ = rig
    legacy_and_unknown = (0x028, 0x03C, 0x040, 0x0C0, 0x0F0)
    for offset in legacy_and_unknown:
        t.write32(offset, 0x12345678)  # ignored
    for offset in (*legacy_and_unknown, mmio.QUEUE_NOTIFY, mmio.INTERRUPT_ACK, mmio.QUEUE_DESC_LOW):
        assert t.read32(offset) == 0
    assert t.read32(mmio.SHM_LEN_LOW) == 0xFFFFFFFF  # no shared memory regions


def test_reset_forgets_everything(rig):
    t, dev, _, queues = rig
    bring_up(t, 1 << 5, queues)
    t.interrupt()
    t.write32(mmio.STATUS, 0)
    assert t.read32(mmio.STATUS) == 0
    assert t.read32(mmio.INTERRUPT_STATUS) == 0
    assert dev.queues == [None, None] and dev.negotiated == 0
    t.write32(mmio.QUEUE_SEL, 0)
    assert t.read32(mmio.QUEUE_READY) == 0
    assert dev.calls.count("reset") == 2  # bring_up's and ours


def test_a_bad_queue_sets_device_needs_reset(rig):
    t, dev, irqs, queues = rig
    bring_up(t, 0, {})
    t.write32(mmio.QUEUE_SEL, 0)
    t.write32(mmio.QUEUE_NUM, 6)  # not a power of 2
    t.write32(mmio.QUEUE_READY, 1)
    assert t.read32(mmio.QUEUE_READY) == 0
    assert t.read32(mmio.STATUS) & DEVICE_NEEDS_RESET
    assert "power of 2" in t.error
    assert t.read32(mmio.INTERRUPT_STATUS) == 2  # §2.1.2: a config change tells the driver
    assert not t.live
    # The driver cannot clear NEEDS_RESET by writing status; only a reset can.
    t.write32(mmio.STATUS, 15)
    assert t.read32(mmio.STATUS) & DEVICE_NEEDS_RESET
    t.write32(mmio.STATUS, 0)
    assert t.read32(mmio.STATUS) == 0 and t.error is None


def test_rings_above_4gib_or_outside_memory_are_refused(rig):
    t, dev, _, queues = rig
    bring_up(t, 0, {})
    t.write32(mmio.QUEUE_SEL, 0)
    t.write32(mmio.QUEUE_NUM, 8)
    t.write32(mmio.QUEUE_DESC_HIGH, 1)
    t.write32(mmio.QUEUE_READY, 1)
    assert t.read32(mmio.STATUS) & DEVICE_NEEDS_RESET
    assert dev.queues[0] is None


def test_queue_ready_without_memory_fails_cleanly(rig):
    t, dev, _, queues = rig
    t.memory = None
    bring_up(t, 0, {})
    t.write32(mmio.QUEUE_SEL, 0)
    t.write32(mmio.QUEUE_NUM, 8)
    t.write32(mmio.QUEUE_READY, 1)
    assert t.read32(mmio.STATUS) & DEVICE_NEEDS_RESET


def test_a_device_error_on_notify_does_not_escape(rig):
    t, dev, irqs, queues = rig
    bring_up(t, 0, queues)
    dev.explode = True
    t.write32(mmio.QUEUE_NOTIFY, 0)  # must not raise
    assert t.read32(mmio.STATUS) & DEVICE_NEEDS_RESET
    assert irqs == [IRQ]
    dev.calls.clear()
    t.write32(mmio.QUEUE_NOTIFY, 0)
    assert dev.calls == []  # a broken device does nothing until reset


def test_queue_disable_and_registers_frozen_while_ready(rig):
    t, dev, _, queues = rig
    bring_up(t, 0, queues)
    t.write32(mmio.QUEUE_SEL, 0)
    t.write32(mmio.QUEUE_NUM, 4)  # ignored: the queue is live
    assert dev.queues[0].size == 8
    t.write32(mmio.QUEUE_READY, 0)
    assert t.read32(mmio.QUEUE_READY) == 0 and dev.queues[0] is None


def test_describe_is_json(rig):
    t, dev, _, queues = rig
    bring_up(t, 1 << 5, queues)
    info = json.loads(json.dumps(dev.describe()))
    assert info["name"] == "recorder" and info["device_id"] == 42
    assert info["slot"] == 2 and info["irq"] == IRQ
    assert info["features"] == {"offered": ["ZERO", "FIVE", "VERSION_1"], "negotiated": ["FIVE", "VERSION_1"]}
    assert info["status"] == ["ACKNOWLEDGE", "DRIVER", "DRIVER_OK", "FEATURES_OK"]
    assert info["queues"][1] == {
        "index": 1,
        "name": "q1",
        "ready": True,
        "size": 16,
        "avail_idx": 0,
        "used_idx": 0,
    }


def test_lock_is_reentrant(rig):
    t, *_ = rig
    with t.lock:
        assert t.read32(mmio.VERSION) == 2


def test_taking_memory_away_drops_the_queues(rig):
    # A reboot frees the old arena: no queue may still point into it.
    t, dev, _, queues = rig
    bring_up(t, 0, queues)
    t.memory = None
    assert dev.queues == [None, None] and t.read32(mmio.STATUS) == 0
