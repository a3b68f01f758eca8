"""What every virtio device has in common (virtio 1.2 §2), whatever its transport.

A device (console.py, rng.py, ...) subclasses VirtioDevice; an MmioTransport
(mmio.py) wraps it, builds its Virtqueues when the driver enables them and
calls reset/activate/notify.  describe() feeds the kernel's `devices` command.
"""

from __future__ import annotations

from contextlib import contextmanager

from jsksh.machine.memory import MemoryFault
from jsksh.machine.virtio.queue import QueueError, Virtqueue

# Device status bits (§2.1).
ACKNOWLEDGE = 1
DRIVER = 2
DRIVER_OK = 4
FEATURES_OK = 8
DEVICE_NEEDS_RESET = 64
FAILED = 128
STATUS_NAMES = {
    ACKNOWLEDGE: "ACKNOWLEDGE",
    DRIVER: "DRIVER",
    DRIVER_OK: "DRIVER_OK",
    FEATURES_OK: "FEATURES_OK",
    DEVICE_NEEDS_RESET: "DEVICE_NEEDS_RESET",
    FAILED: "FAILED",
}

# Reserved feature bits (§6) that the transport or the ring code understands.
VIRTIO_F_INDIRECT_DESC = 28
VIRTIO_F_EVENT_IDX = 29
VIRTIO_F_VERSION_1 = 32
COMMON_FEATURE_NAMES = {
    VIRTIO_F_INDIRECT_DESC: "INDIRECT_DESC",
    VIRTIO_F_EVENT_IDX: "EVENT_IDX",
    VIRTIO_F_VERSION_1: "VERSION_1",
}

# Interrupt reasons: bits of the mmio InterruptStatus register (§4.2.2).
USED_BUFFER = 1
CONFIG_CHANGE = 2


def name_features(bits: int, names: dict[int, str]) -> list[str]:
    """['VERSION_1', 'MULTIPORT', ...] for a feature word, lowest bit first."""
    return [names.get(b, COMMON_FEATURE_NAMES.get(b, f"bit{b}")) for b in range(64) if bits >> b & 1]


class VirtioDevice:
    device_id = 0
    name = "virtio"
    feature_names: dict[int, str] = {}  # device-specific bits, per device type
    queue_max = 256

    def __init__(self, num_queues: int, features: int = 0):
        self.features = features  # device-specific bits offered; VERSION_1 is added by the transport
        self.negotiated = 0  # what the driver accepted at FEATURES_OK
        self.num_queues = num_queues
        self.queues: list[Virtqueue | None] = [None] * num_queues
        self.transport = None  # set by the transport that wraps us

    # -- overridden by devices ---------------------------------------------

    @property
    def config(self) -> bytes:
        """The device-specific configuration space (read at mmio 0x100+)."""
        return b""

    def config_write(self, offset: int, data: bytes) -> None:
        """A driver write to configuration space; read-only unless a device says so."""

    def queue_name(self, index: int) -> str:
        return f"q{index}"

    def reset(self) -> None:
        """Forget everything the driver set up (status 0 was written)."""
        self.negotiated = 0
        self.queues = [None] * self.num_queues

    def activate(self) -> None:
        """DRIVER_OK: the device may now use its queues.

        Drivers post buffers and kick before DRIVER_OK (Linux fills rx queues
        first), but §2.1.2 forbids us to consume them until now, so look at
        every queue once as if it had been notified.
        """
        for index, queue in enumerate(self.queues):
            if queue is not None:
                self.notify(index)

    def notify(self, index: int) -> None:
        """The driver kicked queue `index` (QueueNotify)."""

    # -- helpers for devices -----------------------------------------------

    def has(self, bit: int) -> bool:
        return bool(self.negotiated >> bit & 1)

    def queue(self, index: int) -> Virtqueue | None:
        """The queue if the device may use it now (enabled, DRIVER_OK), else None."""
        if self.transport is None or not self.transport.live:
            return None
        return self.queues[index]

    def signal(self, queue: Virtqueue) -> None:
        """Used buffers were returned on `queue`: interrupt unless the driver opted out."""
        if queue.needs_interrupt():
            self.transport.interrupt(USED_BUFFER)

    @contextmanager
    def guarded(self):
        """Hold the transport lock; a driver error marks the device broken instead of escaping.

        Used around work started outside a register trap (host data arriving on
        an I/O thread), where there is no caller to report an error to.
        """
        with self.transport.lock:
            try:
                yield
            except (QueueError, MemoryFault) as err:
                self.transport.fail(err)

    def describe(self) -> dict:
        """A JSON-able snapshot for the `devices` command."""
        t = self.transport
        with t.lock:
            queues = []
            for i in range(self.num_queues):
                q = self.queues[i]
                queues.append(
                    {
                        "index": i,
                        "name": self.queue_name(i),
                        "ready": q is not None,
                        "size": q.size if q else 0,
                        "avail_idx": q.avail_idx if q else 0,
                        "used_idx": q.used_idx if q else 0,
                    }
                )
            return {
                "name": self.name,
                "device_id": self.device_id,
                "slot": t.slot,
                "irq": t.irq,
                "features": {
                    "offered": name_features(t.device_features, self.feature_names),
                    "negotiated": name_features(self.negotiated, self.feature_names),
                },
                "queues": queues,
                "interrupts": t.interrupts,
                "status": [n for bit, n in STATUS_NAMES.items() if t.status & bit],
                "error": t.error,
            }
