"""The virtio-mmio version 2 register file (virtio 1.2 §4.2.2), the device side.

The kernel reaches it through MMIO_READ/MMIO_WRITE traps (docs/abi.md §1): one
MmioTransport per slot, wrapping one VirtioDevice.  It runs the §3.1 status
handshake, negotiates features, builds Virtqueues from the queue registers and
raises the slot's IRQ line.  All registers are 32 bits wide, little-endian.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from jsksh.machine.memory import Memory, MemoryFault
from jsksh.machine.record import Record
from jsksh.machine.virtio.device import (
    CONFIG_CHANGE,
    DEVICE_NEEDS_RESET,
    DRIVER_OK,
    FAILED,
    FEATURES_OK,
    USED_BUFFER,
    VIRTIO_F_VERSION_1,
    VirtioDevice,
)
from jsksh.machine.virtio.queue import QueueError, Virtqueue

MAGIC = 0x74726976  # "virt"
VENDOR_QEMU = 0x554D4551  # "QEMU": what Linux's and our drivers expect to see

# Register offsets (§4.2.2, table "MMIO Device Register Layout").
MAGIC_VALUE = 0x000
VERSION = 0x004
DEVICE_ID = 0x008
VENDOR_ID = 0x00C
DEVICE_FEATURES = 0x010
DEVICE_FEATURES_SEL = 0x014
DRIVER_FEATURES = 0x020
DRIVER_FEATURES_SEL = 0x024
QUEUE_SEL = 0x030
QUEUE_NUM_MAX = 0x034
QUEUE_NUM = 0x038
QUEUE_READY = 0x044
QUEUE_NOTIFY = 0x050
INTERRUPT_STATUS = 0x060
INTERRUPT_ACK = 0x064
STATUS = 0x070
QUEUE_DESC_LOW = 0x080
QUEUE_DESC_HIGH = 0x084
QUEUE_DRIVER_LOW = 0x090
QUEUE_DRIVER_HIGH = 0x094
QUEUE_DEVICE_LOW = 0x0A0
QUEUE_DEVICE_HIGH = 0x0A4
SHM_LEN_LOW = 0x0B0
SHM_LEN_HIGH = 0x0B4
CONFIG_GENERATION = 0x0FC
CONFIG = 0x100

_ADDR_REGS = {  # offset -> (field, shift) of the 64-bit queue addresses
    QUEUE_DESC_LOW: ("desc", 0),
    QUEUE_DESC_HIGH: ("desc", 32),
    QUEUE_DRIVER_LOW: ("driver", 0),
    QUEUE_DRIVER_HIGH: ("driver", 32),
    QUEUE_DEVICE_LOW: ("device", 0),
    QUEUE_DEVICE_HIGH: ("device", 32),
}


# Register names, for the tracer's lines (tracer.py): what a student reads
# in the spec's table (§4.2.2) instead of an offset.
_REGISTER_NAMES = {
    MAGIC_VALUE: "MagicValue", VERSION: "Version", DEVICE_ID: "DeviceID", VENDOR_ID: "VendorID",
    DEVICE_FEATURES: "DeviceFeatures", DEVICE_FEATURES_SEL: "DeviceFeaturesSel",
    DRIVER_FEATURES: "DriverFeatures", DRIVER_FEATURES_SEL: "DriverFeaturesSel",
    QUEUE_SEL: "QueueSel", QUEUE_NUM_MAX: "QueueNumMax", QUEUE_NUM: "QueueNum", QUEUE_READY: "QueueReady",
    QUEUE_NOTIFY: "QueueNotify", INTERRUPT_STATUS: "InterruptStatus", INTERRUPT_ACK: "InterruptACK",
    STATUS: "Status", QUEUE_DESC_LOW: "QueueDescLow", QUEUE_DESC_HIGH: "QueueDescHigh",
    QUEUE_DRIVER_LOW: "QueueDriverLow", QUEUE_DRIVER_HIGH: "QueueDriverHigh",
    QUEUE_DEVICE_LOW: "QueueDeviceLow", QUEUE_DEVICE_HIGH: "QueueDeviceHigh",
    SHM_LEN_LOW: "SHMLenLow", SHM_LEN_HIGH: "SHMLenHigh", CONFIG_GENERATION: "ConfigGeneration",
}  # fmt: skip


def register_name(offset: int) -> str:
    """QueueNotify for 0x050; Config+4 for a device's config space."""
    if offset >= CONFIG:
        return f"Config+{offset - CONFIG}"
    return _REGISTER_NAMES.get(offset, f"{offset:#05x}")


class QueueRegs(Record):
    """What the driver wrote for one queue before setting QueueReady."""

    _fields = ("num", "desc", "driver", "device", "ready")

    def __init__(
        self, num: int = 0, desc: int = 0, driver: int = 0, device: int = 0, ready: bool = False
    ) -> None:
        self.num = num
        self.desc = desc
        self.driver = driver  # the available ring
        self.device = device  # the used ring
        self.ready = ready


class MmioTransport:
    def __init__(
        self, device: VirtioDevice, slot: int, irq: int, raise_irq: Callable[[int], None], tracer=None
    ):
        self.device = device
        self.tracer = tracer  # the machine's (tracer.py), or None
        self.slot = slot
        self.irq = irq
        self.raise_irq = raise_irq
        self._memory: Memory | None = None
        # Register traps run on the kernel thread, host input on I/O threads:
        # both touch device state, so both hold this lock (re-entrant, since a
        # device called from a trap may inject data itself).
        self.lock = threading.RLock()
        self.interrupts = 0  # how many times we raised the IRQ line
        self.config_generation = 0
        self.error: str | None = None  # why DEVICE_NEEDS_RESET was set
        device.transport = self
        self._clear()

    def _clear(self) -> None:
        self.status = 0
        self.interrupt_status = 0
        self.device_features_sel = 0
        self.driver_features = 0
        self.driver_features_sel = 0
        self.queue_sel = 0
        self.qregs = [QueueRegs() for _ in range(self.device.num_queues)]

    # -- state other modules look at ---------------------------------------

    @property
    def memory(self) -> Memory | None:
        """The arena the rings live in, assigned by the machine before the driver boots."""
        return self._memory

    @memory.setter
    def memory(self, memory: Memory | None) -> None:
        # Queues built over the old arena must go with it: its memoryview
        # dangles once the kernel that owned it is gone.  Set None before
        # closing a kernel, so host input cannot land in freed memory.
        with self.lock:
            self.reset()
            self._memory = memory

    def reset(self) -> None:
        """What writing 0 to Status does (§2.4): forget features, queues, interrupts."""
        with self.lock:
            self._clear()
            self.error = None
            self.device.reset()

    @property
    def device_features(self) -> int:
        """The device's offer: VERSION_1 always (§6: we are not a legacy device)."""
        return self.device.features | 1 << VIRTIO_F_VERSION_1

    @property
    def live(self) -> bool:
        """May the device use its queues (DRIVER_OK, not broken)?"""
        return self.status & (DRIVER_OK | DEVICE_NEEDS_RESET | FAILED) == DRIVER_OK

    def interrupt(self, reason: int = USED_BUFFER) -> None:
        """Set an InterruptStatus bit and raise our IRQ line (§4.2.3.4)."""
        with self.lock:
            # §2.1.2: no notifications to the driver before DRIVER_OK.
            if not self.status & DRIVER_OK:
                return
            self.interrupt_status |= reason
            self.interrupts += 1
            tracer = self.tracer
            if tracer is not None and tracer.on:
                why = "used buffer" if reason == USED_BUFFER else "config change"
                tracer.emit("intr", self.device.name, f"line {self.irq}", tracer.now(), detail=why)
            self.raise_irq(self.irq)

    def config_changed(self) -> None:
        """The device changed its config space: bump the generation (§2.5), tell the driver."""
        with self.lock:
            self.config_generation = (self.config_generation + 1) & 0xFFFFFFFF
            self.interrupt(CONFIG_CHANGE)

    def fail(self, err: Exception) -> None:
        """The driver broke a rule: stop and ask for a reset (§2.1.2 DEVICE_NEEDS_RESET)."""
        with self.lock:
            self.error = str(err)
            self.status |= DEVICE_NEEDS_RESET
            self.interrupt(CONFIG_CHANGE)  # §2.1.2: announced as a config change

    # -- the register file -------------------------------------------------

    def read32(self, offset: int) -> int:
        with self.lock:
            return self._read(offset) & 0xFFFFFFFF

    def write32(self, offset: int, value: int) -> None:
        with self.lock:
            self._write(offset, value & 0xFFFFFFFF)

    def _read(self, offset: int) -> int:
        dev = self.device
        if offset >= CONFIG:
            # Config space: little-endian bytes, zero past the end.
            return int.from_bytes(dev.config[offset - CONFIG : offset - CONFIG + 4].ljust(4, b"\0"), "little")
        if offset == MAGIC_VALUE:
            return MAGIC
        if offset == VERSION:
            return 2
        if offset == DEVICE_ID:
            return dev.device_id
        if offset == VENDOR_ID:
            return VENDOR_QEMU
        if offset == DEVICE_FEATURES:
            # 64 feature bits, 32 at a time, chosen by DeviceFeaturesSel.
            if self.device_features_sel > 1:
                return 0
            return self.device_features >> 32 * self.device_features_sel
        if offset == QUEUE_NUM_MAX:
            # 0 means "this queue does not exist" (§4.2.3.2).
            return dev.queue_max if self.queue_sel < dev.num_queues else 0
        if offset == QUEUE_READY:
            return int(self.queue_sel < dev.num_queues and self.qregs[self.queue_sel].ready)
        if offset == INTERRUPT_STATUS:
            return self.interrupt_status
        if offset == STATUS:
            return self.status
        if offset in (SHM_LEN_LOW, SHM_LEN_HIGH):
            return 0xFFFFFFFF  # §4.2.2: no shared memory regions: length -1
        if offset == CONFIG_GENERATION:
            return self.config_generation
        return 0  # unknown or write-only

    def _write(self, offset: int, value: int) -> None:
        dev = self.device
        if offset >= CONFIG:
            dev.config_write(offset - CONFIG, value.to_bytes(4, "little"))
        elif offset == DEVICE_FEATURES_SEL:
            self.device_features_sel = value
        elif offset == DRIVER_FEATURES_SEL:
            self.driver_features_sel = value
        elif offset == DRIVER_FEATURES:
            # Features are fixed once FEATURES_OK is set (§3.1.1 step 5).
            if self.driver_features_sel < 2 and not self.status & FEATURES_OK:
                shift = 32 * self.driver_features_sel
                self.driver_features = self.driver_features & ~(0xFFFFFFFF << shift) | value << shift
        elif offset == QUEUE_SEL:
            self.queue_sel = value
        elif offset == QUEUE_NOTIFY:
            self._notify(value)
        elif offset == INTERRUPT_ACK:
            # The driver has seen these reasons; it gets a new IRQ for new ones.
            self.interrupt_status &= ~value
        elif offset == STATUS:
            self._set_status(value)
        elif self.queue_sel < dev.num_queues:
            self._write_queue_reg(self.qregs[self.queue_sel], offset, value)

    def _write_queue_reg(self, q: QueueRegs, offset: int, value: int) -> None:
        if offset == QUEUE_READY:
            if value & 1 and not q.ready:
                self._enable_queue(q)
            elif not value & 1:
                q.ready = False
                self.device.queues[self.queue_sel] = None
        elif q.ready:
            return  # set before enabling (§4.2.3.2); a live queue's rings do not move
        elif offset == QUEUE_NUM:
            q.num = value
        elif offset in _ADDR_REGS:
            name, shift = _ADDR_REGS[offset]
            old = getattr(q, name)
            setattr(q, name, old & ~(0xFFFFFFFF << shift) | value << shift)

    def _enable_queue(self, q: QueueRegs) -> None:
        """QueueReady=1: the rings the driver described become a Virtqueue."""
        try:
            if self.memory is None:
                raise QueueError("no guest memory registered")
            if q.num > self.device.queue_max:
                raise QueueError(f"queue size {q.num} exceeds QueueNumMax {self.device.queue_max}")
            vq = Virtqueue(self.memory, q.num, q.desc, q.driver, q.device)
            vq.tracer = self.tracer
            vq.track = f"{self.device.name}.{self.device.queue_name(self.queue_sel)}"
        except (QueueError, MemoryFault) as err:
            self.fail(err)
            return
        q.ready = True
        self.device.queues[self.queue_sel] = vq

    def _notify(self, index: int) -> None:
        dev = self.device
        if not self.live or index >= dev.num_queues or dev.queues[index] is None:
            return  # a kick before DRIVER_OK is seen again at activate()
        tracer = self.tracer
        if tracer is not None and tracer.on:
            vq = dev.queues[index]
            waiting = (vq.avail_idx - vq.last_avail) & 0xFFFF
            tracer.emit("kick", vq.track, "QueueNotify", tracer.now(), detail=f"{waiting} available")
        try:
            dev.notify(index)
        except (QueueError, MemoryFault) as err:
            self.fail(err)

    def _set_status(self, value: int) -> None:
        """The §3.1 handshake, one status bit at a time."""
        if value == 0:
            self.reset()
            return
        new = value & ~self.status  # bits being set by this write
        # DEVICE_NEEDS_RESET is the device's to set, never the driver's.
        value = value & ~DEVICE_NEEDS_RESET | self.status & DEVICE_NEEDS_RESET
        if new & FEATURES_OK and not self._features_acceptable():
            # §3.1.1 step 6: refusing = not latching; the driver re-reads Status.
            value &= ~FEATURES_OK
        if new & DRIVER_OK and not value & FEATURES_OK:
            value &= ~DRIVER_OK  # DRIVER_OK without negotiated features is meaningless
        self.status = value
        if new & FEATURES_OK and value & FEATURES_OK:
            self.device.negotiated = self.driver_features
        if new & DRIVER_OK and value & DRIVER_OK:
            try:
                self.device.activate()
            except (QueueError, MemoryFault) as err:
                self.fail(err)

    def _features_acceptable(self) -> bool:
        drv = self.driver_features
        return drv & ~self.device_features == 0 and bool(drv >> VIRTIO_F_VERSION_1 & 1)
