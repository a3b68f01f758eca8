"""virtio-net offloads on the device side (virtio 1.2 §5.1.6.2-3): net_offload.py's
checksum and segmentation, and what NetDevice does with them for each kind of backend.

Frames are built and checked with the user backend's packet module
(jsksh/machine/netdev/user/packets.py), an independent implementation of
the same RFCs: its parse() verifies every IP and TCP checksum.
"""

import random
import struct

import pytest

from jsksh.machine.checksum import ones_sum
from jsksh.machine.netdev.user.packets import Ethernet, IPv4, Tcp
from jsksh.machine.virtio import mmio, net
from jsksh.machine.virtio.device import DEVICE_NEEDS_RESET
from jsksh.machine.virtio.net_offload import (
    NET_HDR,
    OffloadError,
    finish_checksum,
    finish_frame,
    segment_tcp4,
)
from tests.machine.test_net_device import RecordingBackend, Rig

GUEST, HOST = "10.0.2.15", "10.0.2.2"
GUEST_MAC, HOST_MAC = "52:54:00:12:34:56", "52:55:0a:00:02:02"
FIN, SYN, PSH, ACK, CWR = 0x01, 0x02, 0x08, 0x10, 0x80
HOST_OFFLOADS = 1 << net.VIRTIO_NET_F_CSUM | 1 << net.VIRTIO_NET_F_HOST_TSO4
OFFLOADS = HOST_OFFLOADS | 1 << net.VIRTIO_NET_F_GUEST_CSUM | 1 << net.VIRTIO_NET_F_GUEST_TSO4


def tcp_frame(payload: bytes, flags=ACK | PSH, seq=1000, ident=7) -> bytes:
    seg = Tcp(40000, 80, seq, 5000, flags, 501, payload).build(GUEST, HOST)
    packet = IPv4(GUEST, HOST, 6, seg, ident=ident).build()
    return Ethernet(HOST_MAC, GUEST_MAC, 0x0800, packet).build()


def partial(frame: bytes) -> bytes:
    """The frame as a driver with CSUM hands it over: the TCP field holds the
    pseudo-header's sum only (RFC 9293 §3.1's pseudo-header, not complemented)."""
    out = bytearray(frame)
    tcp_len = len(frame) - 34
    pseudo = ones_sum(bytes(out[26:34]) + struct.pack("!BBH", 0, 6, tcp_len))
    out[50:52] = pseudo.to_bytes(2, "big")
    return bytes(out)


def header(flags=0, gso_type=0, hdr_len=0, gso_size=0, csum_start=0, csum_offset=0) -> bytes:
    return NET_HDR.pack(flags, gso_type, hdr_len, gso_size, csum_start, csum_offset, 0)


def parse(frame: bytes) -> tuple[IPv4, Tcp]:
    eth = Ethernet.parse(frame)
    ip = IPv4.parse(eth.payload)  # raises on a bad header checksum
    return ip, Tcp.parse(ip.payload, ip.src, ip.dst)  # and on a bad TCP checksum


# -- the checksum ------------------------------------------------------------------


def word_by_word(data: bytes) -> int:
    """RFC 1071 §4.1's loop, the slow way: the reference for the fast one."""
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total > 0xFFFF:
        total = (total & 0xFFFF) + (total >> 16)
    return total


def test_ones_sum_agrees_with_a_word_by_word_sum_at_every_length():
    rng = random.Random(5)
    for n in list(range(0, 70)) + [1499, 1500, 65535]:
        data = bytes(rng.randrange(256) for _ in range(n))
        assert ones_sum(data) == word_by_word(data), n
    assert ones_sum(b"") == 0 and ones_sum(bytes(8)) == 0
    assert ones_sum(b"\xff\xff") == 0xFFFF and ones_sum(b"\x80\x00\x80\x00") == 1  # end-around carry


def test_finish_checksum_completes_a_partial_tcp_checksum():
    frame = tcp_frame(b"hello, world\n")
    half = bytearray(partial(frame))
    assert half != bytearray(frame)
    finish_checksum(half, 34, 16)
    assert bytes(half) == frame
    with pytest.raises(OffloadError) as err:
        finish_checksum(bytearray(frame), 34, len(frame))
    assert err.value.reason == "bad-csum-offset"


# -- segmentation ------------------------------------------------------------------


def test_a_tso_frame_becomes_mss_sized_frames_with_their_own_headers():
    data = bytes(range(256)) * 20 + b"tail"  # 5124 bytes: 3 full segments of 1448, then 780
    frame = partial(tcp_frame(data, flags=ACK | PSH | FIN | CWR, seq=0xFFFFF000, ident=0xFFFF))
    pieces = segment_tcp4(frame, 1448)
    assert [len(p) for p in pieces] == [54 + 1448] * 3 + [54 + 780]
    seen = b""
    for i, piece in enumerate(pieces):
        ip, seg = parse(piece)  # every checksum verifies
        assert ip.ident == (0xFFFF + i) & 0xFFFF  # one identification each, wrapping
        assert seg.seq == (0xFFFFF000 + 1448 * i) & 0xFFFFFFFF  # wraps too
        last, first = i == len(pieces) - 1, i == 0
        assert bool(seg.flags & FIN) == last and bool(seg.flags & PSH) == last
        assert bool(seg.flags & CWR) == first and seg.flags & ACK
        assert (seg.ack, seg.window, seg.src_port, seg.dst_port) == (5000, 501, 40000, 80)
        seen += seg.payload
    assert seen == data


def test_a_tso_frame_of_exactly_n_segments_and_one_shorter_than_gso_size():
    assert len(segment_tcp4(partial(tcp_frame(b"x" * 2896)), 1448)) == 2
    (one,) = segment_tcp4(partial(tcp_frame(b"short")), 1448)
    assert parse(one)[1].payload == b"short"


def test_impossible_segmentation_requests_are_refused_by_reason():
    good = tcp_frame(b"x" * 3000)
    udp = bytearray(good)
    udp[23] = 17
    cases = {
        "bad-gso-size": (good, 0),
        "gso-not-ipv4": (good[:12] + b"\x86\xdd" + good[14:], 1448),
        "gso-not-tcp4": (bytes(udp), 1448),
        "gso-short": (good[:40], 1448),
    }
    for reason, (frame, size) in cases.items():
        with pytest.raises(OffloadError) as err:
            segment_tcp4(frame, size)
        assert err.value.reason == reason
    with pytest.raises(OffloadError):
        finish_frame(header(gso_type=3), good)  # UDP fragmentation offload: never offered


# -- the device --------------------------------------------------------------------


class VnetBackend(RecordingBackend):
    """Takes virtio-net headers, as the TAP backend does."""

    takes_vnet_hdr = True

    def __init__(self):
        super().__init__()
        self.with_headers = []
        self.offloads = []

    def send_vnet(self, hdr, frame):
        self.with_headers.append((hdr, frame))

    def set_guest_offloads(self, csum, tso4):
        self.offloads.append((csum, tso4))


def up(rig, features=OFFLOADS):
    from tests.machine.driverside import bring_up

    bring_up(rig.t, (1 << net.VIRTIO_NET_F_MAC) | features, {net.RECEIVEQ: rig.rx, net.TRANSMITQ: rig.tx})


def test_for_a_plain_backend_the_device_cuts_tso_frames_and_finishes_checksums():
    rig = Rig()
    up(rig, features=HOST_OFFLOADS)
    data = b"y" * 4000
    big = partial(tcp_frame(data))
    small = tcp_frame(b"ping")
    rig.transmit(
        header(1, 1, 54, 1448, 34, 16) + big,
        header(1, 0, 0, 0, 34, 16) + partial(small),
        header() + small,
    )
    sent = rig.backend.sent
    assert [len(f) for f in sent] == [54 + 1448, 54 + 1448, 54 + 1104, len(small), len(small)]
    assert b"".join(parse(f)[1].payload for f in sent[:3]) == data
    assert sent[3] == small and sent[4] == small  # finished: the checksum is the whole one
    c = rig.dev.counters
    assert (c["tx_frames"], c["tx_tso_frames"], c["tx_sw_segments"], c["tx_sw_csum"]) == (3, 1, 3, 1)


def test_receive_offloads_are_offered_only_for_a_backend_that_takes_headers():
    guest = 1 << net.VIRTIO_NET_F_GUEST_CSUM | 1 << net.VIRTIO_NET_F_GUEST_TSO4
    host = 1 << net.VIRTIO_NET_F_CSUM | 1 << net.VIRTIO_NET_F_HOST_TSO4
    assert Rig(VnetBackend()).dev.features & (guest | host) == guest | host
    assert Rig().dev.features & (guest | host) == host


def test_a_vnet_backend_gets_the_drivers_header_and_frame_untouched():
    backend = VnetBackend()
    rig = Rig(backend)
    up(rig)
    big = partial(tcp_frame(b"z" * 4000))
    hdr = header(1, 1, 54, 1448, 34, 16)
    rig.transmit(hdr + big, header() + tcp_frame(b"plain"))
    assert backend.with_headers == [(hdr, big)]
    assert backend.sent == [tcp_frame(b"plain")]  # no offload asked: the plain path
    assert backend.offloads[-1] == (True, True)  # told at DRIVER_OK what the driver takes


def test_offloads_not_negotiated_or_impossible_are_dropped_and_the_device_keeps_working():
    rig = Rig()
    up(rig, features=1 << net.VIRTIO_NET_F_CSUM)  # no HOST_TSO4
    frame = partial(tcp_frame(b"q" * 3000))
    rig.transmit(
        header(1, 1, 54, 1448, 34, 16) + frame,  # TSO not negotiated
        header(1, 0, 0, 0, 34, 4000) + frame,  # the field lies past the frame
        header(4, 0, 0, 0, 34, 16) + frame,  # a flag that does not exist
        header(1, 0, 0, 0, 34, 16) + frame,  # this one is fine
    )
    assert len(rig.backend.sent) == 1 and parse(rig.backend.sent[0])[1].payload == b"q" * 3000
    assert rig.dev.counters["tx_dropped_gso"] == 3
    assert not rig.t.read32(mmio.STATUS) & DEVICE_NEEDS_RESET


def test_a_backends_header_reaches_a_driver_that_took_the_offloads_with_num_buffers_1():
    backend = VnetBackend()
    rig = Rig(backend)
    up(rig)
    big = partial(tcp_frame(b"w" * 3000))
    addr = rig.post_rx(size=12 + len(big))
    rig.dev.deliver(big, header(1, 1, 54, 1448, 34, 16))
    assert rig.received([addr]) == [header(1, 1, 54, 1448, 34, 16)[:10] + b"\x01\x00" + big]
    assert rig.dev.counters["rx_offloaded"] == 1


def test_without_guest_offloads_the_device_finishes_what_a_backend_left_undone():
    rig = Rig(VnetBackend())
    up(rig, features=0)
    big = partial(tcp_frame(b"v" * 3000))
    addrs = [rig.post_rx() for _ in range(4)]
    rig.dev.deliver(big, header(1, 1, 54, 1448, 34, 16))  # a GSO frame: cut here
    rig.dev.deliver(partial(tcp_frame(b"c")), header(1, 0, 0, 0, 34, 16))  # a checksum: finished here
    rig.dev.deliver(tcp_frame(b"d"), header(2))  # DATA_VALID: the driver never asked
    addrs.append(rig.post_rx())
    got = rig.received(addrs)
    assert [g[:12] for g in got] == [net.RX_HEADER] * 5  # no flags for a driver that took none
    payloads = [parse(g[12:])[1].payload for g in got]  # every checksum verifies
    assert payloads == [b"v" * 1448, b"v" * 1448, b"v" * 104, b"c", b"d"]
    assert rig.dev.counters["rx_offloaded"] == 0


def test_a_reset_turns_the_backends_guest_offloads_off():
    backend = VnetBackend()
    rig = Rig(backend)
    up(rig)
    rig.t.write32(mmio.STATUS, 0)
    assert backend.offloads[-1] == (False, False)
    up(rig, features=1 << net.VIRTIO_NET_F_GUEST_CSUM)
    assert backend.offloads[-1] == (True, False)


def test_net_offload_takes_offers_back_to_measure_what_each_buys():
    bits = {
        mode: Rig(VnetBackend()).dev.features
        if mode == "all"
        else net.NetDevice(VnetBackend(), b"\x52" * 6, mode).features
        for mode in ("all", "csum", "none")
    }
    assert bits["all"] & OFFLOADS == OFFLOADS
    csum = 1 << net.VIRTIO_NET_F_CSUM | 1 << net.VIRTIO_NET_F_GUEST_CSUM
    assert bits["csum"] & OFFLOADS == csum
    assert bits["none"] & OFFLOADS == 0
    with pytest.raises(ValueError, match="--net-offload 'tso'"):
        net.NetDevice(VnetBackend(), b"\x52" * 6, "tso")
