"""virtio-net (jsksh/machine/virtio/net.py) against rings laid out by hand.

Transmit: the 12-byte header is stripped, one interrupt per batch.  Receive:
header + frame in the posted buffer, too-small buffers, frames held until
buffers are posted, NO_INTERRUPT, and a backend that answers synchronously.
"""

import struct
import threading

import pytest

from jsksh.machine.memory import Memory
from jsksh.machine.netdev.base import NetBackend
from jsksh.machine.virtio import mmio, net
from jsksh.machine.virtio.device import CONFIG_CHANGE, DEVICE_NEEDS_RESET, USED_BUFFER, VIRTIO_F_VERSION_1
from jsksh.machine.virtio.net import NetDevice
from tests.machine.driverside import DriverQueue, bring_up

IRQ = 7
MAC = bytes.fromhex("525400123456")
FEATURES = 1 << net.VIRTIO_NET_F_MAC | 1 << net.VIRTIO_NET_F_STATUS
RX_BUF = 1526  # what §5.1.6.3.1 asks of a driver without MRG_RXBUF
# The header the device writes in front of every frame: all zero, num_buffers = 1.
RX_HEADER = bytes.fromhex("00 00 0000 0000 0000 0000 0100")
TX_HEADER = bytes(12)

# An ARP request from 52:54:00:12:34:56 for 10.0.2.2: 42 bytes of Ethernet + ARP.
ARP = bytes.fromhex(
    "ffffffffffff 525400123456 0806"  # Ethernet: broadcast, from the guest, type ARP
    "0001 0800 06 04 0001 525400123456 0a00020f 000000000000 0a000202"  # who has 10.0.2.2?
)


class RecordingBackend(NetBackend):
    name = "recording"
    link_up = True

    def __init__(self):
        super().__init__()
        self.sent = []

    def send(self, frame):
        self.sent.append(frame)


class EchoBackend(NetBackend):
    """Answers every frame at once, on the caller's thread (like a NAT replying to ARP)."""

    name = "echo"

    def send(self, frame):
        self.deliver(b"echo:" + frame)


class Rig:
    """receiveq at 0x0, transmitq at 0x1000 (8 entries each), buffers from 0x4000."""

    def __init__(self, backend=None):
        self.mem = bytearray(0x80000)
        self.backend = backend or RecordingBackend()
        self.dev = NetDevice(self.backend, MAC)
        self.irqs = []
        self.t = mmio.MmioTransport(self.dev, slot=2, irq=IRQ, raise_irq=self.irqs.append)
        self.t.memory = Memory(self.mem)
        self.rx = DriverQueue(self.mem, 8, 0x0)
        self.tx = DriverQueue(self.mem, 8, 0x1000)
        self.next_buf = 0x4000

    def up(self):
        bring_up(self.t, FEATURES, {net.RECEIVEQ: self.rx, net.TRANSMITQ: self.tx})

    def buf(self, size):
        addr, self.next_buf = self.next_buf, self.next_buf + (size + 15 & ~15)
        return addr

    def post_rx(self, size=RX_BUF, kick=True):
        addr = self.buf(size)
        self.rx.post((addr, size, True))
        if kick:
            self.t.write32(mmio.QUEUE_NOTIFY, net.RECEIVEQ)
        return addr

    def put(self, data):
        addr = self.buf(len(data))
        self.mem[addr : addr + len(data)] = data
        return addr

    def transmit(self, *packets, kick=True):
        """Each packet is one chain of one readable buffer (header + frame)."""
        for p in packets:
            self.tx.post((self.put(p), len(p), False))
        if kick:
            self.t.write32(mmio.QUEUE_NOTIFY, net.TRANSMITQ)

    def received(self, addrs):
        """(bytes, used len) for each used rx element, matched to the buffers in posting order."""
        used = self.rx.take_used()
        return [bytes(self.mem[a : a + n]) for a, (_, n) in zip(addrs, used, strict=False)]


@pytest.fixture
def rig():
    return Rig()


# -- identity and configuration --------------------------------------------------


def test_identity_features_and_config(rig):
    t = rig.t
    assert t.read32(mmio.DEVICE_ID) == 1
    t.write32(mmio.DEVICE_FEATURES_SEL, 0)
    # CSUM (0), MAC (5), HOST_TSO4 (11), STATUS (16); no GUEST_* offloads for a
    # backend that takes no virtio-net headers (test_net_offload.py has those)
    assert t.read32(mmio.DEVICE_FEATURES) == 0x0001_0821
    t.write32(mmio.DEVICE_FEATURES_SEL, 1)
    assert t.read32(mmio.DEVICE_FEATURES) == 1 << (VIRTIO_F_VERSION_1 - 32)
    # §5.1.4: u8 mac[6] then le16 status = LINK_UP, read as little-endian words.
    assert t.read32(mmio.CONFIG).to_bytes(4, "little") == bytes.fromhex("52540012")
    assert t.read32(mmio.CONFIG + 4).to_bytes(4, "little") == bytes.fromhex("3456 0100")
    assert rig.dev.config == bytes.fromhex("525400123456 0100")


def test_link_down_is_a_config_change(rig):
    rig.up()
    rig.dev.set_link(False)
    assert rig.t.read32(mmio.CONFIG + 4) >> 16 == 0
    assert rig.t.read32(mmio.INTERRUPT_STATUS) == CONFIG_CHANGE
    assert rig.t.read32(mmio.CONFIG_GENERATION) == 1
    assert rig.irqs == [IRQ]


def test_bad_mac_is_refused():
    with pytest.raises(ValueError):
        NetDevice(RecordingBackend(), b"\x52\x54")
    assert net.parse_mac("52:54:00:12:34:56") == MAC
    assert net.format_mac(MAC) == "52:54:00:12:34:56"
    for bad in ("52:54:00:12:34", "52:54:00:12:34:5g", "525400123456", "52:54:00:12:34:567"):
        with pytest.raises(ValueError, match="bad MAC"):
            net.parse_mac(bad)


# -- transmit ---------------------------------------------------------------------


def test_transmit_strips_the_header_with_one_interrupt_per_batch(rig):
    rig.up()
    second = ARP[:-1] + b"\x03"
    rig.transmit(TX_HEADER + ARP, kick=False)
    # The second packet's header and frame in two descriptors, as Linux does.
    rig.tx.post((rig.put(TX_HEADER), 12, False), (rig.put(second), len(second), False))
    rig.t.write32(mmio.QUEUE_NOTIFY, net.TRANSMITQ)
    assert rig.backend.sent == [ARP, second]
    assert rig.tx.take_used() == [(0, 0), (1, 0)]  # heads 0 and 1; nothing written
    assert rig.irqs == [IRQ]
    c = rig.dev.counters
    assert (c["tx_frames"], c["tx_bytes"]) == (2, 2 * len(ARP))


def test_transmit_respects_no_interrupt(rig):
    rig.up()
    rig.tx.set_avail_flags(1)  # VIRTQ_AVAIL_F_NO_INTERRUPT, as our JS driver sets on transmitq
    rig.transmit(TX_HEADER + ARP)
    assert rig.backend.sent == [ARP]
    assert rig.tx.take_used() == [(0, 0)]  # the buffer still comes back
    assert rig.irqs == []


def test_runts_and_gso_are_dropped_not_sent(rig):
    rig.up()
    gso = bytes([0, 1]) + bytes(10)  # gso_type TCPV4: this driver did not take HOST_TSO4
    rig.transmit(TX_HEADER, TX_HEADER + ARP[:13], gso + ARP, TX_HEADER + ARP)
    assert rig.backend.sent == [ARP]
    assert len(rig.tx.take_used()) == 4  # every buffer is returned all the same
    c = rig.dev.counters
    assert (c["tx_dropped_runt"], c["tx_dropped_gso"], c["tx_frames"]) == (2, 1, 1)


def test_backend_errors_do_not_reach_the_driver(rig):
    class Broken(NetBackend):
        def send(self, frame):
            raise OSError("cable cut")

    r = Rig(Broken())
    r.up()
    r.transmit(TX_HEADER + ARP)
    assert r.tx.take_used() == [(0, 0)]
    assert r.dev.counters["tx_dropped_backend"] == 1
    assert not r.t.read32(mmio.STATUS) & DEVICE_NEEDS_RESET


# -- receive ----------------------------------------------------------------------


def test_receive_writes_header_then_frame(rig):
    rig.up()
    addr = rig.post_rx()
    rig.dev.deliver(ARP)
    assert rig.rx.take_used() == [(0, 12 + len(ARP))]
    assert bytes(rig.mem[addr : addr + 12]) == RX_HEADER
    assert bytes(rig.mem[addr + 12 : addr + 12 + len(ARP)]) == ARP
    assert rig.mem[addr + 12 + len(ARP)] == 0  # nothing past the frame
    assert rig.irqs == [IRQ]
    assert rig.t.read32(mmio.INTERRUPT_STATUS) == USED_BUFFER
    c = rig.dev.counters
    assert (c["rx_frames"], c["rx_bytes"]) == (1, len(ARP))


def test_receive_scatters_over_a_chain(rig):
    rig.up()
    a, b = rig.buf(12), rig.buf(RX_BUF)  # header in its own descriptor
    rig.rx.post((a, 12, True), (b, RX_BUF, True))
    rig.t.write32(mmio.QUEUE_NOTIFY, net.RECEIVEQ)
    rig.dev.deliver(ARP)
    assert rig.rx.take_used() == [(0, 12 + len(ARP))]
    assert bytes(rig.mem[a : a + 12]) == RX_HEADER
    assert bytes(rig.mem[b : b + len(ARP)]) == ARP


def test_each_delivery_interrupts(rig):
    rig.up()
    addrs = [rig.post_rx() for _ in range(3)]
    for i in range(3):
        rig.dev.deliver(ARP[:-1] + bytes([i]))
    assert [d[-1] for d in rig.received(addrs)] == [0, 1, 2]
    assert rig.irqs == [IRQ] * 3


def test_receive_respects_no_interrupt(rig):
    rig.up()
    rig.rx.set_avail_flags(1)
    rig.post_rx()
    rig.dev.deliver(ARP)
    assert rig.rx.take_used() == [(0, 12 + len(ARP))]
    assert rig.irqs == []


def test_a_frame_too_big_for_the_buffer_is_dropped_and_the_buffer_kept(rig):
    rig.up()
    addr = rig.post_rx(size=64)  # room for 52 bytes of frame
    rig.dev.deliver(bytes(100))
    assert rig.rx.take_used() == []
    assert rig.irqs == []
    assert rig.dev.counters["rx_dropped_too_big"] == 1
    # QEMU puts the buffer back; the next frame that fits uses it.
    rig.dev.deliver(ARP)
    assert rig.received([addr]) == [RX_HEADER + ARP]
    assert rig.irqs == [IRQ]


def test_exactly_fitting_frame(rig):
    rig.up()
    addr = rig.post_rx(size=RX_BUF)
    frame = bytes(range(256)) * 5 + bytes(234)  # 1514 bytes: the largest untagged frame
    rig.dev.deliver(frame)
    assert rig.received([addr]) == [RX_HEADER + frame]


def test_frames_wait_for_buffers(rig):
    rig.up()
    frames = [ARP[:-1] + bytes([i]) for i in range(3)]
    for f in frames:
        rig.dev.deliver(f)
    assert rig.irqs == []  # nowhere to put them yet
    assert rig.dev.describe()["rx_pending"] == 3
    a = [rig.post_rx(kick=False), rig.post_rx(kick=False)]
    rig.t.write32(mmio.QUEUE_NOTIFY, net.RECEIVEQ)
    assert rig.received(a) == [RX_HEADER + frames[0], RX_HEADER + frames[1]]
    assert rig.irqs == [IRQ]  # one interrupt for the batch
    b = rig.post_rx()
    assert rig.received([b]) == [RX_HEADER + frames[2]]
    assert rig.irqs == [IRQ, IRQ]


def test_frames_before_driver_ok_arrive_at_driver_ok(rig):
    rig.dev.deliver(ARP)
    rig.rx.post((0x4000, RX_BUF, True))  # posted before DRIVER_OK, as Linux does
    rig.up()
    assert rig.received([0x4000]) == [RX_HEADER + ARP]
    assert rig.irqs == [IRQ]


def test_pending_frames_are_bounded(rig):
    rig.up()
    for i in range(net.MAX_PENDING_FRAMES + 44):
        rig.dev.deliver(ARP + i.to_bytes(2, "big"))
    assert rig.dev.counters["rx_dropped_no_buffer"] == 44
    assert rig.dev.describe()["rx_pending"] == net.MAX_PENDING_FRAMES
    addr = rig.post_rx()
    assert rig.received([addr]) == [RX_HEADER + ARP + b"\0\0"]  # the oldest is kept, the newest dropped


def test_a_receive_buffer_the_device_cannot_write_breaks_the_device(rig):
    rig.up()
    rig.rx.post((0x4000, RX_BUF, False))
    rig.t.write32(mmio.QUEUE_NOTIFY, net.RECEIVEQ)
    rig.dev.deliver(ARP)  # must not raise on the backend's thread
    assert rig.t.read32(mmio.STATUS) & DEVICE_NEEDS_RESET
    assert "device-writable" in rig.t.error


def test_a_backend_that_answers_at_once(rig):
    r = Rig(EchoBackend())
    r.up()
    addr = r.post_rx()
    r.transmit(TX_HEADER + ARP)  # deliver() runs inside the tx kick, on the same thread
    assert r.received([addr]) == [RX_HEADER + b"echo:" + ARP]
    assert r.tx.take_used() == [(0, 0)]
    assert len(r.irqs) == 2  # one for rx, one for the tx batch


class PolledBackend(RecordingBackend):
    """A peer that has answered by the time it is polled: poll() delivers what is waiting."""

    def __init__(self):
        super().__init__()
        self.polls = 0
        self.waiting = []

    def poll(self):
        self.polls += 1
        for frame in self.waiting:
            self.deliver(frame)
        self.waiting = []


def test_a_lone_frame_is_followed_by_a_busy_poll_that_brings_the_answer_in():
    r = Rig(PolledBackend())
    r.up()
    addr = r.post_rx()
    r.backend.waiting = [b"answer:" + ARP]
    r.transmit(TX_HEADER + ARP)
    assert r.backend.polls == 1
    assert r.received([addr]) == [RX_HEADER + b"answer:" + ARP]  # in the same trap as the send


def test_a_burst_is_not_followed_by_a_poll():
    r = Rig(PolledBackend())
    r.up()
    r.transmit(TX_HEADER + ARP, TX_HEADER + ARP, TX_HEADER + ARP)
    assert r.backend.sent == [ARP, ARP, ARP]
    assert r.backend.polls == 0  # the I/O thread brings what comes next, in one batch


def test_delivery_from_another_thread_while_the_driver_refills(rig):
    rig.up()
    total = 400
    done = threading.Event()

    def io_thread():
        for i in range(total):
            rig.dev.deliver(ARP + struct.pack(">H", i))
        done.set()

    # Eight buffers that the "driver" recycles as they come back.
    addr = {}
    for _ in range(8):
        a = rig.buf(RX_BUF)
        addr[rig.rx.post((a, RX_BUF, True))] = a
    rig.t.write32(mmio.QUEUE_NOTIFY, net.RECEIVEQ)
    got = []
    th = threading.Thread(target=io_thread)
    th.start()
    while not done.is_set() or rig.rx.used_idx() != rig.rx.last_used:
        for head, n in rig.rx.take_used():
            a = addr[head]
            got.append(bytes(rig.mem[a + 12 : a + n]))
            # Re-post the same descriptor, the way a driver recycles rx buffers.
            rig.rx.publish(head)
            rig.t.write32(mmio.QUEUE_NOTIFY, net.RECEIVEQ)
    th.join()
    c = rig.dev.counters
    pending = rig.dev.describe()["rx_pending"]
    assert c["rx_frames"] + c["rx_dropped_no_buffer"] + pending == total
    seq = [struct.unpack(">H", g[-2:])[0] for g in got]
    assert seq == sorted(seq)  # in order, never duplicated
    assert all(g[:-2] == ARP for g in got)


def test_describe(rig):
    rig.up()
    rig.post_rx()
    rig.dev.deliver(ARP)
    info = rig.dev.describe()
    assert info["name"] == "virtio-net" and info["device_id"] == 1
    assert info["features"]["negotiated"] == ["MAC", "STATUS", "VERSION_1"]
    assert [q["name"] for q in info["queues"]] == ["receiveq", "transmitq"]
    assert info["config"] == {"mac": "52:54:00:12:34:56", "link_up": True}
    assert info["counters"]["rx_frames"] == 1
    assert info["backend"]["backend"] == "recording"
