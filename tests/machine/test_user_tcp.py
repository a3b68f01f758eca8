"""The user backend's TCP: the segment format (packets.Tcp) and the NAT's state machine (tcp_nat.py).

Segments are literal: what the guest sends is written out field by field, and
what the NAT answers is checked the same way.  The NAT runs on a fake I/O loop
(callbacks are fired by the test), with fake host sockets and a fake clock,
so every step is deterministic; the real sockets are in
tests/e2e/test_net_user_tcp.py.
"""

from __future__ import annotations

import errno
import selectors
import socket
import struct
from collections import Counter

import pytest

from jsksh.machine.netdev.user import tcp_nat
from jsksh.machine.netdev.user.packets import (
    IPPROTO_TCP,
    TCP_ACK,
    TCP_FIN,
    TCP_PSH,
    TCP_RST,
    TCP_SYN,
    Malformed,
    Tcp,
    _pseudo_header,
    internet_checksum,
)
from jsksh.machine.netdev.user.tcp_nat import DELAYED_ACK, OUR_MSS, RCV_BUFFER, RTO_INITIAL, TcpNat

GUEST = ("10.0.2.15", 40000)
FAR = ("10.0.2.2", 8080)  # the host's 127.0.0.1:8080
G = 0x01020304  # the guest's ISN
ISS = 0x0A0B0C0D  # ours
READ, WRITE = selectors.EVENT_READ, selectors.EVENT_WRITE

# --- the wire format: vectors built by scapy 2.8 -----------------------------------------------------

# 10.0.2.15:40000 -> 10.0.2.2:8080 SYN, seq 0x01020304, window 64240,
# options MSS 1460, SACK-permitted, NOP, window scale 7 (as Linux sends them).
SYN_BYTES = bytes.fromhex("9c401f9001020304000000008002faf09d3a0000020405b40402010303070000")
# 10.0.2.2:8080 -> 10.0.2.15:40000 PSH|ACK, seq 0x0a0b0c0d, ack 0x01020305, window 65535, "hello".
DATA_BYTES = bytes.fromhex("1f909c400a0b0c0d010203055018ffff7df5000068656c6c6f")


def test_a_syn_with_options_parses():
    seg = Tcp.parse(SYN_BYTES, "10.0.2.15", "10.0.2.2")
    assert (seg.src_port, seg.dst_port, seg.seq, seg.ack) == (40000, 8080, G, 0)
    assert (seg.flags, seg.window, seg.mss, seg.payload) == (TCP_SYN, 64240, 1460, b"")
    assert seg.seq_len == 1


def test_a_data_segment_builds_byte_for_byte_and_parses_back():
    seg = Tcp(8080, 40000, ISS, G + 1, TCP_PSH | TCP_ACK, 65535, b"hello")
    assert seg.build("10.0.2.2", "10.0.2.15") == DATA_BYTES
    assert Tcp.parse(DATA_BYTES, "10.0.2.2", "10.0.2.15") == seg


def test_an_mss_option_round_trips():
    seg = Tcp(1, 2, 3, 4, TCP_SYN | TCP_ACK, 5, mss=1460)
    raw = seg.build("10.0.2.2", "10.0.2.15")
    assert raw[12] >> 4 == 6 and raw[20:24] == b"\x02\x04\x05\xb4"  # 24-byte header, kind 2 length 4
    assert Tcp.parse(raw, "10.0.2.2", "10.0.2.15") == seg


def _with_options(options: bytes) -> bytes:
    """A SYN from the guest with these option bytes (whole words), checksum right."""
    header_len = 20 + len(options)
    raw = struct.pack("!HHIIBBHHH", 40000, 8080, G, 0, (header_len // 4) << 4, TCP_SYN, 1000, 0, 0) + options
    csum = internet_checksum(_pseudo_header("10.0.2.15", "10.0.2.2", IPPROTO_TCP, len(raw)) + raw)
    return raw[:16] + struct.pack("!H", csum) + raw[18:]


@pytest.mark.parametrize(
    "raw, reason",
    [
        (SYN_BYTES[:19], "tcp_truncated"),
        (SYN_BYTES[:12] + b"\x40" + SYN_BYTES[13:], "tcp_bad_data_offset"),  # 16 bytes: under 20
        (SYN_BYTES[:12] + b"\xf0" + SYN_BYTES[13:], "tcp_bad_data_offset"),  # 60 bytes: past the end
        (SYN_BYTES[:-1] + b"\x01", "tcp_bad_checksum"),
        (_with_options(b"\x08\x01\x00\x00"), "tcp_bad_option_length"),  # length 1
        (_with_options(b"\x01\x01\x08\x0a"), "tcp_option_overrun"),  # timestamps need 10
        (_with_options(b"\x02\x03\x05\x00"), "tcp_bad_option"),  # MSS of length 3
    ],
)
def test_malformed_segments_are_rejected_with_a_reason(raw, reason):
    with pytest.raises(Malformed) as err:
        Tcp.parse(raw, "10.0.2.15", "10.0.2.2")
    assert err.value.reason == reason


def test_sequence_arithmetic_wraps():
    assert tcp_nat.seq_add(0xFFFFFFFF, 2) == 1
    assert tcp_nat.seq_diff(1, 0xFFFFFFFF) == 2 and tcp_nat.seq_diff(0xFFFFFFFF, 1) == -2


def test_where_connections_go():
    assert tcp_nat.translate_out(("10.0.2.2", 80)) == ("127.0.0.1", 80)
    assert tcp_nat.translate_out(("192.0.2.7", 443)) == ("192.0.2.7", 443)
    assert tcp_nat.translate_out(("10.0.2.3", 53)) == "tcp_dns_address"
    assert tcp_nat.translate_out(("10.0.2.9", 80)) == "tcp_no_such_host"
    assert tcp_nat.translate_out(("127.0.0.1", 80)) == "tcp_no_such_host"
    assert tcp_nat.translate_out(("224.0.0.1", 80)) == "tcp_no_such_host"
    assert tcp_nat.translate_in(("127.0.0.1", 5555)) == ("10.0.2.2", 5555)


# --- a fake I/O loop, host sockets and clock ---------------------------------------------------------


class FakeLoop:
    def __init__(self):
        self.watched: dict[object, tuple[int, object]] = {}
        self.pending: list = []

    def register(self, sock, mask, callback):
        self.watched[sock] = (mask, callback)

    def unregister(self, sock):
        self.watched.pop(sock, None)

    def call_soon(self, fn):
        self.pending.append(fn)

    def run(self):
        while self.pending:
            self.pending.pop(0)()


class FakeSocket:
    """A host socket: ``send`` takes up to ``capacity`` bytes in all, ``recv`` gives ``incoming``."""

    def __init__(self, error: int = 0, capacity: int = 1 << 30):
        self.error = error
        self.capacity = capacity
        self.written = bytearray()
        self.incoming = bytearray()
        self.eof = False
        self.reset = False
        self.shut = False
        self.closed = False
        self.linger: bytes | None = None

    def getsockopt(self, level, option):
        return self.error

    def setsockopt(self, level, option, value):
        if option == socket.SO_LINGER:
            self.linger = value

    def setblocking(self, flag):
        pass

    def send(self, data):
        n = min(len(data), self.capacity - len(self.written))
        if n <= 0:
            raise BlockingIOError
        self.written += data[:n]
        return n

    def recv(self, size):
        if self.reset:
            raise ConnectionResetError
        if self.incoming:
            data = bytes(self.incoming[:size])
            del self.incoming[:size]
            return data
        if self.eof:
            return b""
        raise BlockingIOError

    def shutdown(self, how):
        self.shut = True

    def close(self):
        self.closed = True

    @property
    def was_reset(self) -> bool:
        return self.linger == struct.pack("ii", 1, 0)


class Rig:
    """The NAT with everything around it faked; ``segs()`` is what it sent the guest since the last call."""

    def __init__(self, sock: FakeSocket | None = None):
        self.loop = FakeLoop()
        self.now = 100.0
        self.sent: list[tuple[tuple, tuple, Tcp]] = []
        self.gso_sizes: list[int] = []  # for each segment sent: 0, or the MSS the guest's NIC cuts it to
        self.stats: Counter = Counter()
        self.sock = sock or FakeSocket()
        self.connected_to: list = []
        self.nat = TcpNat(
            self.loop,
            self._emit,
            lambda key: self.stats.update([key]),
            clock=lambda: self.now,
            connect=self._connect,
            isn=lambda: ISS,
        )

    def _emit(self, src, dst, seg, gso_size=0):
        self.sent.append((src, dst, seg))
        self.gso_sizes.append(gso_size)

    def _connect(self, dst):
        self.connected_to.append(dst)
        return self.sock

    def guest(self, flags, seq, ack=0, payload=b"", window=65535, mss=None, far=FAR):
        return self.nat.segment(GUEST, far, Tcp(GUEST[1], far[1], seq, ack, flags, window, payload, mss))

    def segs(self) -> list[Tcp]:
        self.loop.run()
        out, self.sent = self.sent, []
        for src, dst, seg in out:
            assert (src, dst) == (FAR, GUEST) and (seg.src_port, seg.dst_port) == (FAR[1], GUEST[1])
        return [seg for _, _, seg in out]

    def host(self, mask):
        """The I/O loop says the host socket is ready for ``mask``."""
        watched, callback = self.loop.watched[self.sock]
        assert watched & mask, f"not watching for {mask} (watching {watched})"
        callback(mask)

    def watching(self) -> int:
        return self.loop.watched.get(self.sock, (0, None))[0]

    def conn(self):
        return self.nat.connections.get((GUEST, FAR))

    def tick(self, seconds):
        self.now += seconds
        self.nat.poll()

    def establish(self, window=65535, mss=1460):
        """SYN, the host's connect succeeds, SYN-ACK, ACK: G+1 and ISS+1 are next."""
        assert self.guest(TCP_SYN, G, window=window, mss=mss) is None
        self.host(WRITE)
        assert [(s.flags, s.seq, s.ack) for s in self.segs()] == [(TCP_SYN | TCP_ACK, ISS, G + 1)]
        assert self.guest(TCP_ACK, G + 1, ISS + 1, window=window) is None
        assert self.conn().state == "ESTABLISHED"


def seg_tuple(s: Tcp):
    return (s.flags, s.seq, s.ack, s.window, s.payload)


# --- opening ------------------------------------------------------------------------------------


def test_the_syn_ack_waits_for_the_hosts_connect_and_carries_our_mss():
    rig = Rig()
    assert rig.guest(TCP_SYN, G, window=64240, mss=1400) is None
    assert rig.connected_to == [("127.0.0.1", 8080)]
    assert rig.segs() == [] and rig.watching() == WRITE  # nothing until connect() answers
    assert rig.guest(TCP_SYN, G, window=64240, mss=1400) is None  # the guest's retransmission: ignored
    assert rig.segs() == []
    rig.host(WRITE)
    (syn_ack,) = rig.segs()
    assert seg_tuple(syn_ack) == (TCP_SYN | TCP_ACK, ISS, G + 1, RCV_BUFFER, b"")
    assert syn_ack.mss == OUR_MSS
    assert rig.conn().state == "SYN-RECEIVED" and rig.watching() == 0
    assert rig.guest(TCP_ACK, G + 1, ISS + 1, window=64240) is None
    assert rig.conn().state == "ESTABLISHED" and rig.conn().mss == 1400
    assert rig.watching() == READ
    assert rig.stats["tcp_established"] == 1


def test_a_lost_syn_ack_is_sent_again_on_the_timer_and_on_the_guests_retransmitted_syn():
    rig = Rig()
    rig.guest(TCP_SYN, G, mss=1460)
    rig.host(WRITE)
    rig.segs()
    rig.tick(RTO_INITIAL)
    assert [(s.flags, s.seq, s.ack, s.mss) for s in rig.segs()] == [(TCP_SYN | TCP_ACK, ISS, G + 1, OUR_MSS)]
    rig.guest(TCP_SYN, G, mss=1460)
    assert [(s.flags, s.seq) for s in rig.segs()] == [(TCP_SYN | TCP_ACK, ISS)]


def test_a_refused_host_connect_is_a_reset_for_the_guests_syn():
    rig = Rig(FakeSocket(error=errno.ECONNREFUSED))
    rig.guest(TCP_SYN, G, mss=1460)
    rig.host(WRITE)
    # RST|ACK acknowledging the SYN: the guest's connect() says ECONNREFUSED.
    assert [seg_tuple(s) for s in rig.segs()] == [(TCP_RST | TCP_ACK, 0, G + 1, 0, b"")]
    assert rig.conn() is None and rig.sock.closed
    assert rig.stats["tcp_connect_refused"] == 1


def test_an_unreachable_host_is_refused_alike_and_a_hung_connect_times_out():
    rig = Rig(FakeSocket(error=errno.EHOSTUNREACH))
    rig.guest(TCP_SYN, G)
    rig.host(WRITE)
    assert [s.flags for s in rig.segs()] == [TCP_RST | TCP_ACK]
    assert rig.stats["tcp_connect_failed"] == 1
    rig = Rig()
    rig.guest(TCP_SYN, G)
    rig.tick(tcp_nat.CONNECT_TIMEOUT)
    assert [s.flags for s in rig.segs()] == [TCP_RST | TCP_ACK]
    assert rig.conn() is None and rig.stats["tcp_connect_timeouts"] == 1


def test_a_syn_to_nowhere_is_reset_at_once():
    rig = Rig()
    assert rig.guest(TCP_SYN, G, far=("10.0.2.3", 53)) == "tcp_dns_address"
    ((src, dst, rst),) = rig.sent
    assert (src, dst, rst.flags, rst.ack) == (("10.0.2.3", 53), GUEST, TCP_RST | TCP_ACK, G + 1)
    assert rig.connected_to == []


def test_segments_for_no_connection_get_rfc_9293_resets():
    rig = Rig()
    assert rig.guest(TCP_ACK, G, 777) == "tcp_no_connection"
    assert rig.guest(TCP_ACK | TCP_PSH, G, 777, b"abc") == "tcp_no_connection"
    assert rig.guest(TCP_FIN, G) == "tcp_no_connection"
    assert rig.guest(TCP_RST, G) == "tcp_rst_for_no_connection"  # never answered
    # With an ACK: <SEQ=SEG.ACK><CTL=RST>; without: <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>.
    assert [(s.flags, s.seq, s.ack) for s in rig.segs()] == [
        (TCP_RST, 777, 0),
        (TCP_RST, 777, 0),
        (TCP_RST | TCP_ACK, 0, G + 1),
    ]


# --- data, windows and back-pressure -----------------------------------------------------------------


def test_guest_data_goes_to_the_host_and_its_ack_waits_the_delayed_ack_time():
    rig = Rig()
    rig.establish()
    rig.guest(TCP_ACK | TCP_PSH, G + 1, ISS + 1, b"a" * 1000)
    rig.guest(TCP_ACK | TCP_PSH, G + 1001, ISS + 1, b"b" * 500)
    assert bytes(rig.sock.written) == b"a" * 1000 + b"b" * 500
    # RFC 9293 §3.8.6.3: short segments' ACK may wait; one ACK covers both.
    assert rig.segs() == [] and rig.nat.next_deadline() == rig.now + DELAYED_ACK
    rig.tick(DELAYED_ACK / 2)
    assert rig.segs() == []
    rig.tick(DELAYED_ACK / 2 + 0.001)
    assert [seg_tuple(s) for s in rig.segs()] == [(TCP_ACK, ISS + 1, G + 1501, RCV_BUFFER, b"")]
    rig.tick(DELAYED_ACK)
    assert rig.segs() == [] and rig.nat.next_deadline() is None  # nothing more to acknowledge


def test_the_hosts_answer_within_the_delay_carries_the_ack_and_no_pure_ack_follows():
    # A request through hostfwd, answered: the answer's segment is the ACK.
    rig = Rig()
    rig.establish()
    rig.guest(TCP_ACK | TCP_PSH, G + 1, ISS + 1, b"GET / HTTP/1.1\r\n\r\n")
    rig.tick(DELAYED_ACK / 4)
    rig.sock.incoming += b"HTTP/1.1 200 OK\r\n\r\n"
    rig.host(READ)
    assert [seg_tuple(s) for s in rig.segs()] == [
        (TCP_ACK | TCP_PSH, ISS + 1, G + 19, RCV_BUFFER, b"HTTP/1.1 200 OK\r\n\r\n")
    ]
    rig.tick(DELAYED_ACK)
    assert rig.segs() == []


def test_every_second_full_sized_segment_is_acked_at_once_and_a_gso_segment_of_two_too():
    rig = Rig()
    rig.establish()
    rig.guest(TCP_ACK, G + 1, ISS + 1, b"x" * 1460)
    assert rig.segs() == []  # one full-sized segment may wait
    rig.guest(TCP_ACK, G + 1461, ISS + 1, b"y" * 1460)
    assert [s.ack for s in rig.segs()] == [G + 2921]  # the second may not (§3.8.6.3)
    rig.guest(TCP_ACK, G + 2921, ISS + 1, b"z" * 2920)  # a GSO segment: two full ones
    assert [s.ack for s in rig.segs()] == [G + 5841]
    rig.guest(TCP_ACK | TCP_FIN, G + 5841, ISS + 1)
    assert [s.ack for s in rig.segs()] == [G + 5842]  # a FIN is acknowledged at once


def test_a_retransmitted_segment_is_trimmed_and_a_gap_is_not_accepted():
    rig = Rig()
    rig.establish()
    rig.guest(TCP_ACK, G + 1, ISS + 1, b"abcdef")
    rig.guest(TCP_ACK, G + 4, ISS + 1, b"defghi")  # overlaps: only ghi is new
    assert rig.guest(TCP_ACK, G + 100, ISS + 1, b"later") == "tcp_out_of_order"
    assert bytes(rig.sock.written) == b"abcdefghi"
    assert [s.ack for s in rig.segs()] == [G + 10]


def test_our_window_shrinks_while_the_host_does_not_take_the_bytes():
    rig = Rig(FakeSocket(capacity=1000))
    rig.establish()
    rig.guest(TCP_ACK, G + 1, ISS + 1, b"x" * 1460)
    rig.tick(DELAYED_ACK)  # one full-sized segment: its ACK waits
    assert [s.window for s in rig.segs()] == [RCV_BUFFER - 460]
    assert rig.watching() == READ | WRITE
    # The host reads nothing more: fill our buffer to the last byte, then past it.
    seq = G + 1461
    while rig.conn().rcv_wnd:
        size = min(1460, rig.conn().rcv_wnd)
        rig.guest(TCP_ACK, seq, ISS + 1, b"y" * size)
        seq += size
    assert [s.window for s in rig.segs()] == [0]
    rig.guest(TCP_ACK, seq, ISS + 1, b"z" * 100)
    assert rig.stats["tcp_beyond_window"] == 1 and [s.ack for s in rig.segs()] == []
    # The host drains: a window update opens the guest's sender again.
    rig.sock.capacity = 1 << 30
    rig.host(WRITE)
    assert [(s.flags, s.ack, s.window) for s in rig.segs()] == [(TCP_ACK, seq, RCV_BUFFER)]
    assert len(rig.sock.written) == RCV_BUFFER + 1000 and rig.watching() == READ


def test_the_host_is_read_only_as_far_as_the_guests_window_allows():
    rig = Rig()
    rig.establish(window=3000, mss=1000)
    rig.sock.incoming += bytes(range(256)) * 40  # 10240 bytes waiting on the host
    rig.host(READ)
    segs = rig.segs()
    assert [(s.seq, len(s.payload)) for s in segs] == [
        (ISS + 1, 1000),
        (ISS + 1001, 1000),
        (ISS + 2001, 1000),
    ]
    assert len(rig.sock.incoming) == 10240 - 3000
    assert rig.watching() == 0  # the window is full: the host socket is not read
    rig.guest(TCP_ACK, G + 1, ISS + 2001, window=3000)  # two segments taken
    assert rig.watching() == READ
    rig.host(READ)
    assert [(s.seq, len(s.payload)) for s in rig.segs()] == [(ISS + 3001, 1000), (ISS + 4001, 1000)]


def test_for_a_guest_that_takes_large_segments_a_window_goes_in_one_cut_to_whole_mss():
    # virtio-net's GUEST_TSO4 (the backend sets segment_offload): the guest's
    # NIC takes a segment larger than the MTU whole; gso_size says its MSS.
    rig = Rig()
    rig.nat.segment_offload = True
    rig.establish(window=3500, mss=1000)
    rig.sock.incoming += bytes(range(256)) * 40  # 10240 bytes waiting on the host
    rig.host(READ)
    # 3500 read (the window) and sent in one: the pieces 1000, 1000, 1000, 500.
    assert [(s.seq, len(s.payload)) for s in rig.segs()] == [(ISS + 1, 3500)]
    assert rig.gso_sizes == [0, 1000]  # the SYN-ACK, then the large segment
    rig.guest(TCP_ACK, G + 1, ISS + 3501, window=65535)
    rig.host(READ)
    segs = rig.segs()
    assert [(s.seq, len(s.payload)) for s in segs] == [(ISS + 3501, 6740)]
    assert b"".join(s.payload for s in segs) == (bytes(range(256)) * 40)[3500:]
    assert rig.gso_sizes[-1] == 1000
    rig.guest(TCP_ACK, G + 1, ISS + 10241, window=65535)
    rig.sock.incoming += b"tiny"
    rig.host(READ)
    assert [len(s.payload) for s in rig.segs()] == [4] and rig.gso_sizes[-1] == 0  # one MSS or less: plain


def test_a_shut_window_is_probed_until_it_opens():
    rig = Rig()
    rig.establish(window=1000, mss=1000)
    rig.sock.incoming += b"q" * 5000
    rig.host(READ)
    assert len(rig.segs()) == 1
    rig.guest(TCP_ACK, G + 1, ISS + 1001, window=0)  # taken, but the guest's app reads nothing
    assert rig.watching() == 0 and rig.conn().deadline == rig.now + RTO_INITIAL
    rig.tick(RTO_INITIAL)
    assert [(s.flags, s.seq, s.payload) for s in rig.segs()] == [(TCP_ACK, ISS + 1000, b"")]  # below SND.UNA
    rig.guest(TCP_ACK, G + 1, ISS + 1001, window=0)  # the guest answers the probe: still shut
    rig.tick(2 * RTO_INITIAL)
    assert len(rig.segs()) == 1 and rig.conn() is not None  # probes go on; the guest is alive
    rig.guest(TCP_ACK, G + 1, ISS + 1001, window=2000)
    rig.host(READ)
    assert [(s.seq, len(s.payload)) for s in rig.segs()] == [(ISS + 1001, 1000), (ISS + 2001, 1000)]


def test_what_the_guest_does_not_acknowledge_is_sent_again_with_back_off_then_reset():
    rig = Rig()
    rig.establish(mss=1000)
    rig.sock.incoming += b"r" * 1500
    rig.host(READ)
    first = [(s.seq, s.payload) for s in rig.segs()]
    assert [(seq, len(p)) for seq, p in first] == [(ISS + 1, 1000), (ISS + 1001, 500)]
    rig.tick(RTO_INITIAL - 0.01)
    assert rig.segs() == []
    rig.tick(0.01)
    assert [(s.seq, s.payload) for s in rig.segs()] == first  # go-back-N from SND.UNA
    assert rig.conn().rto == 2 * RTO_INITIAL
    rig.guest(TCP_ACK, G + 1, ISS + 1001)  # the first arrives at last: a fresh timer
    assert rig.conn().rto == RTO_INITIAL
    rto = RTO_INITIAL
    for _ in range(tcp_nat.MAX_RETRIES):
        rig.tick(rto)
        assert [(s.seq, len(s.payload)) for s in rig.segs()] == [(ISS + 1001, 500)]
        rto = min(rto * 2, tcp_nat.RTO_MAX)
    rig.tick(rto)
    assert [(s.flags, s.seq) for s in rig.segs()] == [(TCP_RST | TCP_ACK, ISS + 1501)]
    assert rig.conn() is None and rig.sock.was_reset and rig.stats["tcp_timeouts"] == 1


# --- closing ------------------------------------------------------------------------------------


def test_half_close_both_ways_the_guest_first():
    rig = Rig()
    rig.establish()
    rig.guest(TCP_ACK | TCP_FIN, G + 1, ISS + 1, b"request")
    assert bytes(rig.sock.written) == b"request" and rig.sock.shut  # the FIN passed on: shutdown(SHUT_WR)
    assert [(s.flags, s.ack) for s in rig.segs()] == [(TCP_ACK, G + 9)]
    assert rig.conn().describe() == "CLOSE-WAIT"
    rig.sock.incoming += b"answer"
    rig.sock.eof = True
    rig.host(READ)
    rig.host(READ)  # the end of file
    assert [(s.flags, s.seq, s.payload) for s in rig.segs()] == [
        (TCP_ACK | TCP_PSH, ISS + 1, b"answer"),
        (TCP_ACK | TCP_FIN, ISS + 7, b""),
    ]
    assert rig.conn().describe() == "LAST-ACK"
    rig.guest(TCP_ACK, G + 9, ISS + 8)
    assert rig.conn() is None
    rig.loop.run()
    assert rig.sock.closed and not rig.sock.was_reset


def test_half_close_the_host_first_and_the_guest_keeps_sending():
    rig = Rig()
    rig.establish()
    rig.sock.eof = True
    rig.host(READ)
    assert [(s.flags, s.seq) for s in rig.segs()] == [(TCP_ACK | TCP_FIN, ISS + 1)]
    rig.guest(TCP_ACK, G + 1, ISS + 2)
    assert rig.conn().describe() == "FIN-WAIT-2"
    rig.guest(TCP_ACK, G + 1, ISS + 2, b"still talking")
    assert bytes(rig.sock.written) == b"still talking"
    rig.guest(TCP_ACK | TCP_FIN, G + 14, ISS + 2)
    assert [(s.flags, s.ack) for s in rig.segs()] == [(TCP_ACK, G + 15)]
    assert rig.conn() is None and rig.sock.shut


def test_a_lost_fin_is_sent_again():
    rig = Rig()
    rig.establish()
    rig.sock.eof = True
    rig.host(READ)
    rig.segs()
    rig.tick(RTO_INITIAL)
    assert [(s.flags, s.seq) for s in rig.segs()] == [(TCP_ACK | TCP_FIN, ISS + 1)]


def test_the_guests_reset_resets_the_host_and_a_blind_one_is_challenged():
    rig = Rig()
    rig.establish()
    assert rig.guest(TCP_RST, G + 50) == "tcp_rst_out_of_window"  # in the window, not at RCV.NXT
    assert [(s.flags, s.ack) for s in rig.segs()] == [(TCP_ACK, G + 1)]  # RFC 5961 §3.2's challenge ACK
    assert rig.guest(TCP_RST, G + 1) is None
    assert rig.conn() is None and rig.sock.was_reset


def test_a_host_reset_reaches_the_guest():
    rig = Rig()
    rig.establish()
    rig.sock.reset = True
    rig.host(READ)
    assert [(s.flags, s.seq, s.ack) for s in rig.segs()] == [(TCP_RST | TCP_ACK, ISS + 1, G + 1)]
    assert rig.conn() is None and rig.stats["tcp_resets_from_host"] == 1


# --- hostfwd: we are the client ---------------------------------------------------------------------


class FakeListener:
    def __init__(self, sock, peer):
        self.queue = [(sock, peer)]

    def accept(self):
        if not self.queue:
            raise BlockingIOError
        return self.queue.pop(0)


def forwarded(rig: Rig, peer=("127.0.0.1", 5555)):
    listener = FakeListener(rig.sock, peer)
    rig.nat.add_forward(listener, ("10.0.2.15", 22))
    rig.loop.watched[listener][1](READ)
    return rig.sent


def test_a_forwarded_connection_is_our_syn_to_the_guest():
    rig = Rig()
    ((src, dst, syn),) = forwarded(rig)
    rig.sent = []
    assert (src, dst) == (("10.0.2.2", 5555), ("10.0.2.15", 22))  # a loopback peer shows as 10.0.2.2
    assert (syn.flags, syn.seq, syn.mss, syn.window) == (TCP_SYN, ISS, OUR_MSS, RCV_BUFFER)
    key = (("10.0.2.15", 22), ("10.0.2.2", 5555))
    answer = Tcp(22, 5555, G, ISS + 1, TCP_SYN | TCP_ACK, 64240, mss=1460)
    assert rig.nat.segment(key[0], key[1], answer) is None
    ((_, _, ack),) = rig.sent
    assert (ack.flags, ack.seq, ack.ack) == (TCP_ACK, ISS + 1, G + 1)
    conn = rig.nat.connections[key]
    assert conn.state == "ESTABLISHED" and rig.watching() == READ


def test_a_forwarded_connection_the_guest_refuses_resets_the_host_client():
    rig = Rig()
    forwarded(rig)
    key = (("10.0.2.15", 22), ("10.0.2.2", 5555))
    assert rig.nat.segment(*key, Tcp(22, 5555, 0, ISS + 1, TCP_RST | TCP_ACK, 0)) is None
    assert key not in rig.nat.connections and rig.sock.was_reset
    assert rig.stats["tcp_refused_by_guest"] == 1


def test_a_forwarded_syn_is_sent_again_when_the_guest_is_silent():
    rig = Rig()
    forwarded(rig)
    rig.sent = []
    rig.tick(RTO_INITIAL)
    assert [(s.flags, s.seq) for _, _, s in rig.sent] == [(TCP_SYN, ISS)]


# --- the whole backend: real I/O thread, real loopback sockets --------------------------------------


def test_a_malformed_segment_is_counted_and_a_real_connection_still_works():
    from jsksh.machine.ioloop import IOLoop
    from jsksh.machine.netdev.user import UserBackend
    from jsksh.machine.netdev.user.packets import IPPROTO_TCP as TCP
    from jsksh.machine.netdev.user.packets import IPv4
    from tests.machine.test_user_net import Guest, wait_for

    loop = IOLoop()
    backend = UserBackend(loop, dns="127.0.0.1:9")
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    try:
        guest = Guest(backend)
        far = ("10.0.2.2", port)

        def send(seg: Tcp, raw: bytes | None = None):
            guest.send_ip(IPv4(GUEST[0], far[0], TCP, raw or seg.build(GUEST[0], far[0])))

        def receive() -> Tcp:
            packet = IPv4.parse(guest.receive().payload)
            return Tcp.parse(packet.payload, packet.src, packet.dst)  # checks the checksum too

        syn = Tcp(GUEST[1], port, G, 0, TCP_SYN, 65535, mss=1460)
        send(syn, syn.build(GUEST[0], far[0])[:-1] + b"\xff")  # one byte off: a bad checksum
        wait_for(lambda: backend.stats.get("drop_tcp_bad_checksum") == 1)
        guest.assert_quiet()
        send(syn)
        syn_ack = receive()
        assert (syn_ack.flags, syn_ack.ack, syn_ack.mss) == (TCP_SYN | TCP_ACK, G + 1, OUR_MSS)
        host, _ = listener.accept()
        send(Tcp(GUEST[1], port, G + 1, syn_ack.seq + 1, TCP_ACK | TCP_PSH, 65535, b"ping"))
        host.settimeout(3)
        assert host.recv(100) == b"ping"
        assert receive().ack == G + 5
        host.sendall(b"pong")
        data = receive()
        assert (data.seq, data.payload) == (syn_ack.seq + 1, b"pong")
        assert backend.describe()["tcp_connections"] == 1
        host.close()
    finally:
        listener.close()
        backend.close()
        loop.stop()
