"""virtio-console with MULTIPORT (jsksh/machine/virtio/console.py) against a hand-written driver.

Checks the control handshake byte for byte (QEMU's order), host input before
and after the guest posts rx buffers, guest output to the backends, and that a
broken driver cannot make host-side calls raise.
"""

import json
import struct
import threading
import time

import pytest

from jsksh.machine.memory import Memory
from jsksh.machine.virtio import console, mmio
from jsksh.machine.virtio.console import ConsoleDevice, Port
from jsksh.machine.virtio.device import DEVICE_NEEDS_RESET
from tests.machine.driverside import DriverQueue, bring_up

IRQ = 5
MULTIPORT = 1 << console.VIRTIO_CONSOLE_F_MULTIPORT
SHELL = "org.jsksh.shell.0"


class Backend:
    def __init__(self, connected):
        self.connected = connected
        self.out = bytearray()

    def write(self, data):
        self.out += data


class Rig:
    """A console with two ports, six queues of 8 at 0x1000 * i, buffers from 0x8000."""

    def __init__(self):
        self.mem = bytearray(0x20000)
        self.backends = [Backend(True), Backend(False)]
        self.dev = ConsoleDevice([Port(None, self.backends[0]), Port(SHELL, self.backends[1])])
        self.irqs = []
        self.t = mmio.MmioTransport(self.dev, slot=0, irq=IRQ, raise_irq=self.irqs.append)
        self.t.memory = Memory(self.mem)
        self.q = {i: DriverQueue(self.mem, 8, 0x1000 * i) for i in range(6)}
        self.next_buf = 0x8000

    def up(self, features=MULTIPORT):
        queues = self.q if features & MULTIPORT else {0: self.q[0], 1: self.q[1]}
        bring_up(self.t, features, queues)

    def buf(self, size):
        addr, self.next_buf = self.next_buf, self.next_buf + size
        return addr

    def post_rx(self, index, size=64):
        addr = self.buf(size)
        self.q[index].post((addr, size, True))
        return addr

    def send(self, index, data):
        """Driver output: one readable buffer on a tx queue, then the kick."""
        addr = self.buf(len(data))
        self.mem[addr : addr + len(data)] = data
        self.q[index].post((addr, len(data), False))
        self.t.write32(mmio.QUEUE_NOTIFY, index)

    def control(self, port_id, event, value):
        self.send(console.CONTROL_TX, struct.pack("<IHH", port_id, event, value))

    def received(self, index, addrs):
        """Bytes the device put in the used rx buffers (addresses in posting order).

        The device returns rx buffers in the order it took them, so the k-th
        used element is the k-th posted buffer; fewer used than posted is fine.
        """
        used = self.q[index].take_used()
        return [bytes(self.mem[addr : addr + n]) for addr, (_, n) in zip(addrs, used, strict=False)]


@pytest.fixture
def rig():
    return Rig()


def test_config_space_and_features(rig):
    t = rig.t
    raw = b"".join(t.read32(0x100 + 4 * i).to_bytes(4, "little") for i in range(3))
    # cols 80, rows 24, max_nr_ports 2, emerg_wr 0
    assert raw == bytes.fromhex("5000 1800 02000000 00000000")
    t.write32(mmio.DEVICE_FEATURES_SEL, 0)
    assert t.read32(mmio.DEVICE_FEATURES) == 0b11  # SIZE, MULTIPORT
    assert t.read32(mmio.DEVICE_ID) == 3
    assert rig.dev.num_queues == 6


def test_handshake_bytes_in_qemus_order(rig):
    rig.up()
    rx = [rig.post_rx(console.CONTROL_RX) for _ in range(8)]
    rig.control(0, console.DEVICE_READY, 1)
    assert rig.q[console.CONTROL_TX].take_used() == [(0, 0)]
    assert rig.received(console.CONTROL_RX, rx[:2]) == [
        bytes.fromhex("00000000 0100 0100"),  # DEVICE_ADD port 0
        bytes.fromhex("01000000 0100 0100"),  # DEVICE_ADD port 1
    ]
    rig.control(0, console.PORT_READY, 1)
    assert rig.received(console.CONTROL_RX, rx[2:4]) == [
        bytes.fromhex("00000000 0400 0100"),  # CONSOLE_PORT 0
        bytes.fromhex("00000000 0600 0100"),  # PORT_OPEN 0: its host side is connected
    ]
    rig.control(1, console.PORT_READY, 1)
    assert rig.received(console.CONTROL_RX, rx[4:6]) == [
        bytes.fromhex("01000000 0700 0100") + SHELL.encode(),  # PORT_NAME, no NUL
        bytes.fromhex("01000000 0600 0000"),  # PORT_OPEN 1 = 0: no client yet
    ]
    assert [p.ready for p in rig.dev.ports] == [True, True]
    assert IRQ in rig.irqs

    # The guest opens port 1; later a host client attaches and detaches.
    rig.control(1, console.PORT_OPEN, 1)
    assert rig.dev.ports[1].guest_open
    rig.dev.host_connected(1, True)
    rig.dev.host_connected(1, False)
    assert rig.received(console.CONTROL_RX, rx[6:8]) == [
        bytes.fromhex("01000000 0600 0100"),
        bytes.fromhex("01000000 0600 0000"),
    ]


def test_control_messages_wait_for_a_control_rx_buffer(rig):
    rig.up()
    rig.control(0, console.DEVICE_READY, 1)  # no control rx buffer posted yet
    assert rig.q[console.CONTROL_RX].used_idx() == 0
    rx = [rig.post_rx(console.CONTROL_RX, 8)]
    rig.t.write32(mmio.QUEUE_NOTIFY, console.CONTROL_RX)
    assert rig.received(console.CONTROL_RX, rx) == [bytes.fromhex("00000000 0100 0100")]
    rx = [rig.post_rx(console.CONTROL_RX, 8)]
    rig.t.write32(mmio.QUEUE_NOTIFY, console.CONTROL_RX)
    assert rig.received(console.CONTROL_RX, rx) == [bytes.fromhex("01000000 0100 0100")]


def test_host_connected_before_port_ready_sends_nothing(rig):
    rig.up()
    rx = rig.post_rx(console.CONTROL_RX)
    rig.dev.host_connected(1, True)
    assert rig.received(console.CONTROL_RX, [rx]) == []


def test_bad_control_messages_are_ignored(rig):
    rig.up()
    rig.post_rx(console.CONTROL_RX)
    rig.control(9, console.PORT_READY, 1)  # no port 9
    rig.control(1, console.PORT_READY, 0)  # the guest failed to add it
    rig.send(console.CONTROL_TX, b"\x01\x02")  # too short
    assert rig.q[console.CONTROL_RX].used_idx() == 0
    assert not rig.t.read32(mmio.STATUS) & DEVICE_NEEDS_RESET


def test_port0_output_works_before_the_handshake(rig):
    rig.up()
    rig.send(1, b"[0.001] booting\n")
    assert bytes(rig.backends[0].out) == b"[0.001] booting\n"
    assert rig.q[1].take_used() == [(0, 0)]  # tx buffers come back with len 0
    assert rig.irqs == [IRQ]


def test_port0_works_without_multiport(rig):
    rig.up(features=0)
    rig.send(1, b"hi")
    assert bytes(rig.backends[0].out) == b"hi"
    addr = rig.post_rx(0)
    rig.dev.port_input(0, b"x")
    assert rig.received(0, [addr]) == [b"x"]


def test_port1_output_goes_to_its_backend(rig):
    rig.up()
    rig.send(5, b'{"t":"ready"}\n')
    assert bytes(rig.backends[1].out) == b'{"t":"ready"}\n'
    assert rig.backends[0].out == b""


def test_input_after_buffers_are_posted(rig):
    rig.up()
    addrs = [rig.post_rx(0, 16), rig.post_rx(4, 16)]
    rig.dev.port_input(0, b"ls\n")
    rig.dev.port_input(1, b'{"t":"run"}')
    assert rig.received(0, addrs[:1]) == [b"ls\n"]
    assert rig.received(4, addrs[1:]) == [b'{"t":"run"}']
    assert rig.irqs == [IRQ, IRQ]


def test_input_before_buffers_is_buffered_then_split_over_buffers(rig):
    rig.up()
    rig.dev.port_input(0, b"abc")
    rig.dev.port_input(0, b"def")
    assert rig.irqs == [] and rig.dev.ports[0].pending_len == 6
    addrs = [rig.post_rx(0, 4), rig.post_rx(0, 4)]
    rig.t.write32(mmio.QUEUE_NOTIFY, 0)
    assert rig.received(0, addrs) == [b"abcd", b"ef"]
    assert rig.dev.ports[0].pending_len == 0


def test_buffers_posted_before_driver_ok_are_used_at_driver_ok(rig):
    rig.t.write32(mmio.STATUS, 0)
    rig.dev.port_input(0, b"early")  # typed before the kernel probed the device
    rig.t.write32(mmio.STATUS, 0)  # the driver's reset keeps it
    addr = rig.buf(16)
    rig.q[0].post((addr, 16, True))
    rig.up()
    assert rig.received(0, [addr]) == [b"early"]


def test_pending_input_is_bounded_dropping_the_oldest(rig):
    rig.up()
    chunk = bytes(range(256)) * 64  # 16 KiB
    for _ in range(64):
        rig.dev.port_input(1, chunk)
    rig.dev.port_input(1, b"0123456789")
    port = rig.dev.ports[1]
    assert port.pending_len == console.MAX_PENDING and port.dropped == 10
    addr = rig.post_rx(4, 16)
    rig.t.write32(mmio.QUEUE_NOTIFY, 4)
    assert rig.received(4, [addr]) == [chunk[10:26]]


def test_no_interrupt_flag_is_honoured(rig):
    rig.up()
    rig.q[0].set_avail_flags(1)
    addr = rig.post_rx(0)
    rig.dev.port_input(0, b"quiet")
    assert rig.received(0, [addr]) == [b"quiet"] and rig.irqs == []


def test_a_bad_rx_buffer_breaks_the_device_not_the_host(rig):
    rig.up()
    rig.q[0].post((0xFFFFFF00, 64, True))  # far outside the arena
    rig.dev.port_input(0, b"boom")  # must not raise on the I/O thread
    assert rig.t.read32(mmio.STATUS) & DEVICE_NEEDS_RESET
    assert "memory fault" in rig.t.error
    rig.dev.port_input(0, b"more")  # a broken device touches no queue
    assert rig.dev.ports[0].pending_len == 8  # nothing was lost: the pop failed before the copy


def test_resize_changes_config_and_interrupts(rig):
    rig.up()
    rig.dev.resize(132, 43)
    assert rig.t.read32(0x100) == 43 << 16 | 132
    assert rig.t.read32(mmio.CONFIG_GENERATION) == 1
    assert rig.t.read32(mmio.INTERRUPT_STATUS) == 2


def test_reset_forgets_the_handshake(rig):
    rig.up()
    rig.post_rx(console.CONTROL_RX)
    rig.control(1, console.PORT_READY, 1)
    rig.control(1, console.PORT_OPEN, 1)
    rig.t.write32(mmio.STATUS, 0)
    assert not rig.dev.ports[1].ready and not rig.dev.ports[1].guest_open


def test_describe(rig):
    rig.up()
    rig.dev.port_input(1, b"xyz")
    info = json.loads(json.dumps(rig.dev.describe()))
    assert info["name"] == "virtio-console"
    assert info["features"]["negotiated"] == ["MULTIPORT", "VERSION_1"]
    assert [q["name"] for q in info["queues"]] == [
        "port0.rx",
        "port0.tx",
        "control.rx",
        "control.tx",
        "port1.rx",
        "port1.tx",
    ]
    assert info["ports"][1] == {
        "index": 1,
        "name": SHELL,
        "ready": False,
        "guest_open": False,
        "host_connected": False,
        "pending": 3,
        "dropped": 0,
    }


def test_input_from_another_thread_arrives_whole_and_in_order(rig):
    # Host input comes from an I/O thread while the driver recycles buffers
    # through register traps: the transport lock keeps the two apart.
    rig.up()
    sent = b"".join(b"%04d," % i for i in range(500))

    def feed():
        for i in range(0, len(sent), 7):
            rig.dev.port_input(0, sent[i : i + 7])

    feeder = threading.Thread(target=feed)
    feeder.start()
    got, outstanding = bytearray(), {}
    deadline = time.monotonic() + 10
    while len(got) < len(sent) and time.monotonic() < deadline:
        while len(outstanding) < 8:
            addr = rig.buf(32)
            outstanding[rig.q[0].post((addr, 32, True))] = addr
        rig.t.write32(mmio.QUEUE_NOTIFY, 0)
        for head, n in rig.q[0].take_used():
            addr = outstanding.pop(head)
            got += rig.mem[addr : addr + n]
    feeder.join()
    assert bytes(got) == sent
