"""--net user (jsksh/machine/netdev/user/) driven with hand-built frames on a real IOLoop.

A tiny test-only Guest builds what a guest would send (ARP, DHCP, DNS, UDP,
ping); the backend's answers are collected from ``deliver``.  Every host-side
peer (DNS stub, echo server, hostfwd client) is a socket on 127.0.0.1 that the
test starts: nothing here touches the machine's resolver or the network.
"""

from __future__ import annotations

import queue
import socket
import struct
import threading
import time

import pytest

import jsksh.machine.netdev.user as user_net
from jsksh.machine.ioloop import IOLoop
from jsksh.machine.netdev.user import UserBackend
from jsksh.machine.netdev.user.dns_forwarder import parse_upstream, upstream_from_resolv_conf
from jsksh.machine.netdev.user.hostfwd import parse_hostfwd
from jsksh.machine.netdev.user.packets import (
    ARP_REQUEST,
    DHCP_FLAG_BROADCAST,
    DHCPACK,
    DHCPDISCOVER,
    DHCPNAK,
    DHCPOFFER,
    DHCPREQUEST,
    ETH_ARP,
    ETH_IPV4,
    ICMP_ECHO_REPLY,
    ICMP_ECHO_REQUEST,
    IPPROTO_ICMP,
    IPPROTO_TCP,
    IPPROTO_UDP,
    OPT_MESSAGE_TYPE,
    OPT_REQUESTED_IP,
    OPT_SERVER_ID,
    Arp,
    Dhcp,
    Ethernet,
    Icmp,
    IPv4,
    Malformed,
    Udp,
    internet_checksum,
)
from jsksh.machine.netdev.user.udp_nat import DNS_TIMEOUT, NAT_TIMEOUT, UdpNat, translate_in, translate_out

GUEST_MAC = "52:54:00:12:34:56"  # QEMU's default guest MAC
SLIRP_MAC = "52:55:0a:00:02:02"
GUEST_IP = "10.0.2.15"
WAIT = 3.0  # seconds to wait for a frame that should come
QUIET = 0.3  # seconds to wait to be sure one does not


# --- a test-only guest: builds frames, reads replies -------------------------------------


class Guest:
    def __init__(self, backend: UserBackend, mac: str = GUEST_MAC, ip: str = GUEST_IP):
        self.backend = backend
        self.mac = mac
        self.ip = ip
        self.inbox: queue.Queue[bytes] = queue.Queue()
        backend.attach(self.inbox.put)

    def send_arp_request(self, target_ip: str) -> None:
        arp = Arp(ARP_REQUEST, self.mac, self.ip, "00:00:00:00:00:00", target_ip)
        self.backend.send(Ethernet("ff:ff:ff:ff:ff:ff", self.mac, ETH_ARP, arp.build()).build())

    def send_ip(self, packet: IPv4, dst_mac: str = SLIRP_MAC) -> None:
        self.backend.send(Ethernet(dst_mac, self.mac, ETH_IPV4, packet.build()).build())

    def send_udp(
        self, dst: tuple[str, int], payload: bytes, src_port: int = 40000, src_ip: str | None = None
    ) -> None:
        src_ip = src_ip or self.ip
        segment = Udp(src_port, dst[1], payload).build(src_ip, dst[0])
        self.send_ip(IPv4(src_ip, dst[0], IPPROTO_UDP, segment))

    def send_dhcp(self, kind: int, flags: int = 0, options: dict[int, bytes] | None = None) -> None:
        """A client message from 0.0.0.0:68 to 255.255.255.255:67, as before configuration."""
        opts = {OPT_MESSAGE_TYPE: bytes([kind]), **(options or {})}
        message = Dhcp(op=1, xid=0x1234ABCD, chaddr=self.mac, flags=flags, options=opts)
        segment = Udp(68, 67, message.build()).build("0.0.0.0", "255.255.255.255")
        packet = IPv4("0.0.0.0", "255.255.255.255", IPPROTO_UDP, segment)
        self.send_ip(packet, dst_mac="ff:ff:ff:ff:ff:ff")

    def send_ping(self, dst_ip: str, ident: int, seq: int, data: bytes) -> None:
        echo = Icmp(ICMP_ECHO_REQUEST, 0, struct.pack("!HH", ident, seq), data)
        self.send_ip(IPv4(self.ip, dst_ip, IPPROTO_ICMP, echo.build()))

    def receive(self, timeout: float = WAIT) -> Ethernet:
        return Ethernet.parse(self.inbox.get(timeout=timeout))

    def receive_udp(self, timeout: float = WAIT) -> tuple[Ethernet, IPv4, Udp]:
        eth = self.receive(timeout)
        assert eth.ethertype == ETH_IPV4
        packet = IPv4.parse(eth.payload)
        assert packet.proto == IPPROTO_UDP
        return eth, packet, Udp.parse(packet.payload, packet.src, packet.dst)  # verifies the checksum

    def assert_quiet(self) -> None:
        with pytest.raises(queue.Empty):
            self.inbox.get(timeout=QUIET)


def wait_for(condition, timeout: float = WAIT) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


# --- host-side peers, all on 127.0.0.1 ----------------------------------------------------


class UdpServer:
    """A UDP server on 127.0.0.1 whose answer is ``reply(data)`` (None: stay silent)."""

    def __init__(self, reply):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self.reply = reply
        self.received: list[tuple[bytes, tuple[str, int]]] = []
        self._stop = False
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        while not self._stop:
            try:
                data, peer = self.sock.recvfrom(65535)
            except TimeoutError:
                continue
            self.received.append((data, peer))
            answer = self.reply(data)
            if answer is not None:
                self.sock.sendto(answer, peer)

    def close(self):
        self._stop = True
        self._thread.join(2)
        self.sock.close()


def dns_query(ident: int, name: str) -> bytes:
    """A standard query for NAME's A record (RFC 1035 §4.1)."""
    question = b"".join(bytes([len(label)]) + label.encode() for label in name.split(".")) + b"\0"
    return struct.pack("!HHHHHH", ident, 0x0100, 1, 0, 0, 0) + question + struct.pack("!HH", 1, 1)


def dns_answer(query: bytes) -> bytes:
    """The stub's answer: the question again, and one A record 192.0.2.7 for it."""
    ident = struct.unpack_from("!H", query)[0]
    question = query[12:]
    record = struct.pack("!HHHIH", 0xC00C, 1, 1, 60, 4) + bytes([192, 0, 2, 7])  # C00C: name at offset 12
    return struct.pack("!HHHHHH", ident, 0x8180, 1, 1, 0, 0) + question + record


# --- fixtures --------------------------------------------------------------------------------


@pytest.fixture
def loop():
    loop = IOLoop()
    yield loop
    loop.stop()


@pytest.fixture
def dns_stub():
    server = UdpServer(dns_answer)
    yield server
    server.close()


@pytest.fixture
def backend(loop, dns_stub):
    backend = UserBackend(loop, dns=f"127.0.0.1:{dns_stub.port}")
    yield backend
    backend.close()


@pytest.fixture
def guest(backend):
    return Guest(backend)


# --- wire formats against literal bytes ---------------------------------------------------------


def test_internet_checksum_of_a_known_ipv4_header():
    # The textbook example (Wikipedia, "Internet checksum"): 192.168.0.1 -> 192.168.0.199, UDP, 115 bytes.
    header = bytes.fromhex("45000073000040004011 0000 c0a80001c0a800c7".replace(" ", ""))
    assert internet_checksum(header) == 0xB861
    built = IPv4("192.168.0.1", "192.168.0.199", IPPROTO_UDP, bytes(115 - 20), flags_fragment=0x4000).build()
    assert built[:20] == bytes.fromhex("45000073000040004011b861c0a80001c0a800c7")


def test_parse_rejects_truncated_and_corrupt_packets():
    with pytest.raises(Malformed, match="eth_truncated"):
        Ethernet.parse(b"\x00" * 13)
    good = IPv4("10.0.2.15", "10.0.2.2", IPPROTO_UDP, b"").build()
    corrupt = good[:12] + b"\x0b" + good[13:]  # a changed source address: the checksum no longer sums to 0
    with pytest.raises(Malformed, match="ipv4_bad_checksum"):
        IPv4.parse(corrupt)
    segment = Udp(1, 2, b"hi").build("10.0.2.15", "10.0.2.2")
    with pytest.raises(Malformed, match="udp_bad_checksum"):
        Udp.parse(segment, "10.0.2.15", "10.0.2.3")  # the pseudo-header catches a wrong address


def test_dhcp_message_round_trips_and_is_padded_to_300_bytes():
    message = Dhcp(op=1, xid=7, chaddr=GUEST_MAC, options={OPT_MESSAGE_TYPE: bytes([DHCPDISCOVER])})
    raw = message.build()
    assert len(raw) == 300
    assert raw[236:243] == bytes([99, 130, 83, 99, OPT_MESSAGE_TYPE, 1, DHCPDISCOVER])
    assert Dhcp.parse(raw) == message


# --- ARP ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("target", ["10.0.2.2", "10.0.2.3"])
def test_arp_for_gateway_and_dns_is_answered_with_slirps_mac(guest, target):
    guest.send_arp_request(target)
    reply = guest.inbox.get(timeout=WAIT)
    target_hex = bytes(map(int, target.split("."))).hex()
    assert (
        reply
        == bytes.fromhex(
            "525400123456 52550a000202 0806"  # to the guest, from slirp, ARP
            f"0001 0800 06 04 0002 52550a000202 {target_hex} 525400123456 0a00020f"  # TARGET is at 52:55:0a:00:02:02
        )
    )


def test_arp_for_other_addresses_is_not_answered(guest, backend):
    guest.send_arp_request("10.0.2.15")  # a guest probing its own address (gratuitous ARP)
    guest.send_arp_request("10.0.2.99")
    guest.assert_quiet()
    assert backend.stats["tx_frames"] == 2 and backend.stats["tx_dropped"] == 0


# --- DHCP -------------------------------------------------------------------------------------------


def dhcp_reply(guest: Guest) -> tuple[Ethernet, IPv4, Udp, Dhcp]:
    eth, packet, datagram = guest.receive_udp()
    assert (packet.src, datagram.src_port, datagram.dst_port) == ("10.0.2.2", 67, 68)
    return eth, packet, datagram, Dhcp.parse(datagram.payload)


def test_dhcp_discover_offer_request_ack(guest):
    guest.send_dhcp(DHCPDISCOVER, flags=DHCP_FLAG_BROADCAST)
    eth, packet, _, offer = dhcp_reply(guest)
    assert (eth.dst, packet.dst) == ("ff:ff:ff:ff:ff:ff", "255.255.255.255")  # the client asked for broadcast
    assert (offer.op, offer.xid, offer.chaddr, offer.yiaddr) == (2, 0x1234ABCD, GUEST_MAC, "10.0.2.15")
    assert offer.message_type == DHCPOFFER

    guest.send_dhcp(
        DHCPREQUEST, options={OPT_REQUESTED_IP: bytes([10, 0, 2, 15]), OPT_SERVER_ID: bytes([10, 0, 2, 2])}
    )
    eth, packet, _, ack = dhcp_reply(guest)
    # No broadcast flag: unicast to the new address at the client's MAC (RFC 2131 §4.1).
    assert (eth.dst, packet.dst) == (GUEST_MAC, "10.0.2.15")
    assert ack.yiaddr == "10.0.2.15"
    assert ack.options == {
        53: bytes([DHCPACK]),
        54: bytes([10, 0, 2, 2]),  # server identifier
        1: bytes([255, 255, 255, 0]),  # subnet mask
        3: bytes([10, 0, 2, 2]),  # router
        6: bytes([10, 0, 2, 3]),  # DNS
        51: struct.pack("!I", 86400),  # lease
        58: struct.pack("!I", 43200),  # T1
        59: struct.pack("!I", 75600),  # T2
    }


def test_dhcp_naks_a_wrong_address_and_ignores_requests_for_other_servers(guest, backend):
    guest.send_dhcp(DHCPREQUEST, options={OPT_REQUESTED_IP: bytes([10, 0, 2, 99])})
    eth, packet, _, nak = dhcp_reply(guest)
    assert nak.message_type == DHCPNAK and nak.yiaddr == "0.0.0.0"
    assert (eth.dst, packet.dst) == ("ff:ff:ff:ff:ff:ff", "255.255.255.255")  # NAKs are always broadcast
    assert set(nak.options) == {OPT_MESSAGE_TYPE, OPT_SERVER_ID}

    guest.send_dhcp(
        DHCPREQUEST, options={OPT_REQUESTED_IP: bytes([10, 0, 2, 15]), OPT_SERVER_ID: bytes([192, 168, 1, 1])}
    )
    guest.assert_quiet()
    assert backend.stats["dhcp_request_for_other_server"] == 1


def test_dhcp_gives_a_second_client_the_next_address(loop, backend):
    first, second = Guest(backend), None
    first.send_dhcp(DHCPDISCOVER)
    assert dhcp_reply(first)[3].yiaddr == "10.0.2.15"
    second = Guest(backend, mac="52:54:00:00:00:02")  # attach() moves delivery to the second guest
    second.send_dhcp(
        DHCPDISCOVER, options={OPT_REQUESTED_IP: bytes([10, 0, 2, 15])}
    )  # asks for a taken address
    assert dhcp_reply(second)[3].yiaddr == "10.0.2.16"


# --- DNS forwarding -------------------------------------------------------------------------------------


def test_dns_query_is_forwarded_to_the_upstream_and_answered_from_10_0_2_3(guest, dns_stub, backend):
    query = dns_query(0xBEEF, "example.test")
    guest.send_udp(("10.0.2.3", 53), query, src_port=33333)
    _, packet, datagram = guest.receive_udp()
    assert (packet.src, datagram.src_port) == ("10.0.2.3", 53)
    assert (packet.dst, datagram.dst_port) == (GUEST_IP, 33333)
    assert datagram.payload == dns_answer(query)  # same id; the answer passes through untouched
    assert dns_stub.received[0][0] == query  # the query reached the stub unchanged
    assert backend.stats["dns_queries"] == 1


def test_the_upstream_reached_as_10_0_2_2_answers_as_10_0_2_2(guest, dns_stub):
    # The stub is both "DNS upstream" and "port P on the host": an answer shows
    # as the address the guest sent to, which the flow remembers.
    guest.send_udp(("10.0.2.2", dns_stub.port), dns_query(9, "direct.test"), src_port=33334)
    _, packet, datagram = guest.receive_udp()
    assert (packet.src, datagram.src_port) == ("10.0.2.2", dns_stub.port)


def test_dns_without_an_answer_sends_nothing(loop):
    silent = UdpServer(lambda data: None)
    try:
        backend = UserBackend(loop, dns=f"127.0.0.1:{silent.port}")
        guest = Guest(backend)
        guest.send_udp(("10.0.2.3", 53), dns_query(1, "lost.test"))
        wait_for(lambda: silent.received)
        guest.assert_quiet()  # the guest's resolver times out and retries
        backend.close()
    finally:
        silent.close()


def test_dns_answers_from_the_upstream_are_not_forwarded_as_queries(guest, dns_stub, backend):
    guest.send_udp(("10.0.2.3", 53), dns_answer(dns_query(5, "x.test")))
    guest.send_udp(("10.0.2.3", 53), b"\x00\x01")  # shorter than a DNS header
    wait_for(lambda: backend.stats.get("tx_dropped") == 2)
    assert backend.stats["drop_dns_not_a_query"] == 1 and backend.stats["drop_dns_truncated"] == 1
    assert dns_stub.received == []


# --- UDP NAT ---------------------------------------------------------------------------------------


def test_udp_to_10_0_2_2_reaches_the_hosts_loopback_and_the_reply_comes_back(guest):
    echo = UdpServer(lambda data: b"echo:" + data)
    try:
        guest.send_udp(("10.0.2.2", echo.port), b"hello", src_port=40001)
        eth, packet, datagram = guest.receive_udp()
        assert datagram.payload == b"echo:hello"
        assert (packet.src, datagram.src_port) == ("10.0.2.2", echo.port)
        assert (eth.dst, packet.dst, datagram.dst_port) == (GUEST_MAC, GUEST_IP, 40001)  # MAC learned
        assert echo.received[0][1][0] == "127.0.0.1"
        # A second datagram from the same guest port uses the same flow (same host port).
        guest.send_udp(("10.0.2.2", echo.port), b"again", src_port=40001)
        assert guest.receive_udp()[2].payload == b"echo:again"
        assert echo.received[0][1] == echo.received[1][1]
    finally:
        echo.close()


@pytest.mark.parametrize(
    "dst, reason",
    [
        (("10.0.2.99", 9), "udp_no_such_local_host"),
        (("255.255.255.255", 9), "udp_broadcast_or_multicast"),
        (("224.0.0.251", 5353), "udp_broadcast_or_multicast"),
        (("10.0.2.3", 80), "udp_dns_address_other_port"),
        (("127.0.0.1", 9), "udp_no_such_local_host"),
    ],
)
def test_udp_nat_refuses_destinations_that_are_not_routed(guest, backend, dst, reason):
    guest.send_udp(dst, b"x")
    wait_for(lambda: backend.stats.get("tx_dropped") == 1)
    assert backend.stats[f"drop_{reason}"] == 1
    assert backend.nat.flow_count == 0


def test_address_translation_rules():
    dns = ("127.0.0.1", 5353)
    assert translate_out(("10.0.2.2", 7), dns) == ("127.0.0.1", 7)  # the host alias
    assert translate_out(("10.0.2.3", 53), dns) == dns
    assert translate_out(("10.0.2.3", 53), None) == "dns_no_upstream"
    assert translate_out(("192.0.2.1", 7), dns) == ("192.0.2.1", 7)  # the outside world, as addressed
    assert translate_in(dns, dns) == ("10.0.2.3", 53)  # the upstream speaks as 10.0.2.3:53
    assert translate_in(("127.0.0.1", 7), dns) == ("10.0.2.2", 7)
    assert translate_in(("127.0.0.9", 7), dns) == ("10.0.2.2", 7)
    assert translate_in(("192.0.2.1", 7), dns) == ("192.0.2.1", 7)


def test_udp_nat_flows_expire_after_240_s_or_10_s_for_dns(loop):
    nat = UdpNat(loop, ("127.0.0.1", 9), readable=lambda endpoint: None)
    try:
        assert nat.send(("10.0.2.15", 1000), ("10.0.2.2", 9), b"x", now=0.0) is None
        assert nat.send(("10.0.2.15", 1001), ("10.0.2.3", 53), dns_query(1, "a.test"), now=0.0) is None
        nat.expire(DNS_TIMEOUT - 0.1)
        assert set(nat.endpoints) == {("10.0.2.15", 1000), ("10.0.2.15", 1001)}
        nat.expire(DNS_TIMEOUT)
        assert set(nat.endpoints) == {("10.0.2.15", 1000)}
        nat.send(("10.0.2.15", 1000), ("10.0.2.2", 9), b"x", now=100.0)  # traffic keeps a flow alive
        nat.expire(NAT_TIMEOUT)
        assert set(nat.endpoints) == {("10.0.2.15", 1000)}
        nat.expire(100.0 + NAT_TIMEOUT)
        assert nat.endpoints == {}
    finally:
        nat.close()


def test_the_backend_expires_idle_flows_on_its_timer(loop, dns_stub, monkeypatch):
    monkeypatch.setattr(user_net, "EXPIRY_INTERVAL", 0.05)
    now = [1000.0]
    backend = UserBackend(loop, dns=f"127.0.0.1:{dns_stub.port}", clock=lambda: now[0])
    try:
        guest = Guest(backend)
        guest.send_udp(("10.0.2.2", 9), b"x")  # the discard port: no answer needed
        wait_for(lambda: backend.describe()["udp_flows"] == 1)
        time.sleep(0.2)  # several timer ticks, but no time has passed on the clock
        assert backend.describe()["udp_flows"] == 1
        now[0] += NAT_TIMEOUT
        wait_for(lambda: backend.describe()["udp_flows"] == 0)
        assert backend.stats["udp_flows_expired"] == 1
    finally:
        backend.close()


# --- hostfwd ------------------------------------------------------------------------------------------------


def test_hostfwd_delivers_to_the_guest_and_carries_the_reply_back(loop, dns_stub):
    backend = UserBackend(loop, dns=f"127.0.0.1:{dns_stub.port}", hostfwd=["udp:127.0.0.1:0-:5000"])
    client = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        guest = Guest(backend)
        host_port = backend.hostfwd[0].bound_port
        client.bind(("127.0.0.1", 0))
        client.settimeout(WAIT)
        client_port = client.getsockname()[1]

        client.sendto(b"ping from host", ("127.0.0.1", host_port))
        eth, packet, datagram = guest.receive_udp()
        # Nothing came from the guest yet, so its MAC is unknown: broadcast reaches it anyway.
        assert eth.dst == "ff:ff:ff:ff:ff:ff"
        assert (packet.src, datagram.src_port) == ("10.0.2.2", client_port)
        assert (packet.dst, datagram.dst_port) == (GUEST_IP, 5000)
        assert datagram.payload == b"ping from host"

        guest.send_udp(("10.0.2.2", client_port), b"pong from guest", src_port=5000)
        data, peer = client.recvfrom(100)
        assert (data, peer) == (b"pong from guest", ("127.0.0.1", host_port))
    finally:
        client.close()
        backend.close()


def test_hostfwd_replies_find_a_loopback_peer_other_than_127_0_0_1(loop, dns_stub):
    # 127.0.0.2 also appears to the guest as 10.0.2.2, so only the flow's memory
    # of who sent what can route the reply back to 127.0.0.2 rather than 127.0.0.1.
    backend = UserBackend(loop, dns=f"127.0.0.1:{dns_stub.port}", hostfwd=["udp:127.0.0.1:0-:5000"])
    client = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        guest = Guest(backend)
        client.bind(("127.0.0.2", 0))
        client.settimeout(WAIT)
        client.sendto(b"hi", ("127.0.0.1", backend.hostfwd[0].bound_port))
        _, packet, datagram = guest.receive_udp()
        assert packet.src == "10.0.2.2"
        guest.send_udp((packet.src, datagram.src_port), b"back", src_port=5000)
        assert client.recvfrom(100)[0] == b"back"
    finally:
        client.close()
        backend.close()


def test_guest_mac_is_learned_from_a_dhcp_client_without_an_address(loop, dns_stub):
    backend = UserBackend(loop, dns=f"127.0.0.1:{dns_stub.port}", hostfwd="udp:127.0.0.1:0-:7")
    try:
        guest = Guest(backend)
        guest.send_dhcp(DHCPDISCOVER)
        dhcp_reply(guest)
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as client:
            client.sendto(b"x", ("127.0.0.1", backend.hostfwd[0].bound_port))
            assert guest.receive_udp()[0].dst == GUEST_MAC
    finally:
        backend.close()


def test_hostfwd_uses_a_known_guest_mac(loop, dns_stub):
    backend = UserBackend(
        loop, dns=f"127.0.0.1:{dns_stub.port}", hostfwd="udp:127.0.0.1:0-10.0.2.15:7", mac=GUEST_MAC
    )
    try:
        guest = Guest(backend)
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as client:
            client.sendto(b"x", ("127.0.0.1", backend.hostfwd[0].bound_port))
            assert guest.receive_udp()[0].dst == GUEST_MAC
    finally:
        backend.close()


@pytest.mark.parametrize(
    "spec, message",
    [
        ("tcp::2222", "missing '-'"),
        ("::2222-10.0.2.3:22", "not a guest's address"),
        ("sctp::1-:1", "unknown protocol 'sctp'"),
        ("udp", "missing ':' after the protocol"),
        ("udp::5000", "missing '-'"),
        ("udp::5000-5000", "the guest side must be"),
        ("udp::70000-:5000", "host port '70000' must be a number 0-65535"),
        ("udp::5000-:0", "guest port '0' must be a number 1-65535"),
        ("udp:localhost:5000-:5000", "host address 'localhost' is not an IPv4 address"),
        ("udp::5000-192.168.1.5:5000", "not a guest's address in 10.0.2.0/24"),
        ("udp::5000-10.0.2.2:5000", "not a guest's address"),
    ],
)
def test_bad_hostfwd_specs_are_explained(spec, message):
    with pytest.raises(ValueError, match=message) as err:
        parse_hostfwd(spec)
    assert "expected tcp|udp:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT" in str(err.value)


def test_hostfwd_defaults_follow_qemu():
    rule = parse_hostfwd("udp::5555-:53")
    assert (rule.host_addr, rule.host_port, rule.guest_addr, rule.guest_port) == (
        "0.0.0.0",
        5555,
        GUEST_IP,
        53,
    )


def test_two_hostfwd_rules_for_one_guest_port_are_refused(loop):
    with pytest.raises(ValueError, match="already forwards to udp 10.0.2.15:53"):
        UserBackend(loop, dns="127.0.0.1:9", hostfwd=["udp:127.0.0.1:0-:53", "udp:127.0.0.1:0-10.0.2.15:53"])


def test_a_hostfwd_port_in_use_is_reported(loop):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as taken:
        taken.bind(("127.0.0.1", 0))
        port = taken.getsockname()[1]
        with pytest.raises(OSError, match=f"cannot bind 127.0.0.1:{port}"):
            UserBackend(loop, dns="127.0.0.1:9", hostfwd=["udp:127.0.0.1:0-:1", f"udp:127.0.0.1:{port}-:2"])


# --- ICMP ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("target", ["10.0.2.2", "10.0.2.3"])
def test_ping_to_gateway_and_dns_is_answered(guest, target):
    guest.send_ping(target, ident=0x4242, seq=7, data=b"abcdefgh" * 7)
    eth = guest.receive()
    packet = IPv4.parse(eth.payload)
    assert (packet.src, packet.dst, packet.proto) == (target, GUEST_IP, IPPROTO_ICMP)
    reply = Icmp.parse(packet.payload)  # verifies the ICMP checksum
    assert (reply.type, reply.code) == (ICMP_ECHO_REPLY, 0)
    assert reply.rest == struct.pack("!HH", 0x4242, 7) and reply.data == b"abcdefgh" * 7


def test_ping_elsewhere_is_dropped_and_counted(guest, backend):
    guest.send_ping("192.0.2.1", ident=1, seq=1, data=b"")
    guest.assert_quiet()
    assert backend.stats["drop_icmp_echo_not_for_us"] == 1


# --- what the backend does not understand ----------------------------------------------------------


def ipv4_frame(packet_bytes: bytes) -> bytes:
    return Ethernet(SLIRP_MAC, GUEST_MAC, ETH_IPV4, packet_bytes).build()


def test_malformed_and_unsupported_frames_are_counted_never_raised(guest, backend):
    good_udp = IPv4(GUEST_IP, "10.0.2.2", IPPROTO_UDP, Udp(1, 9, b"x").build(GUEST_IP, "10.0.2.2")).build()
    bad_ip_checksum = good_udp[:10] + b"\x00\x00" + good_udp[12:]
    bad_udp_checksum = good_udp[:-1] + b"y"
    frames = {
        "eth_truncated": b"\x01\x02",
        "ipv6": Ethernet(SLIRP_MAC, GUEST_MAC, 0x86DD, bytes(40)).build(),
        "ethertype_unsupported": Ethernet(SLIRP_MAC, GUEST_MAC, 0x88CC, b"lldp").build(),
        "eth_not_for_us": Ethernet("02:00:00:00:00:01", GUEST_MAC, ETH_IPV4, good_udp).build(),
        "arp_truncated": Ethernet("ff:ff:ff:ff:ff:ff", GUEST_MAC, ETH_ARP, b"\x00\x01").build(),
        "ipv4_truncated": ipv4_frame(b"\x45\x00"),
        "ipv4_bad_header": ipv4_frame(b"\x65" + good_udp[1:]),
        "ipv4_bad_length": ipv4_frame(good_udp[:-3]),
        "ipv4_bad_checksum": ipv4_frame(bad_ip_checksum),
        "udp_bad_checksum": ipv4_frame(bad_udp_checksum),
        "tcp_bad_data_offset": ipv4_frame(IPv4(GUEST_IP, "10.0.2.2", IPPROTO_TCP, bytes(20)).build()),
        "tcp_bad_checksum": ipv4_frame(
            IPv4(GUEST_IP, "10.0.2.2", IPPROTO_TCP, bytes(12) + b"\x50" + bytes(7)).build()
        ),
        "ip_protocol_unsupported": ipv4_frame(IPv4(GUEST_IP, "10.0.2.2", 47, b"gre").build()),
        "ipv4_fragment": ipv4_frame(
            IPv4(GUEST_IP, "10.0.2.2", IPPROTO_UDP, b"x" * 8, flags_fragment=0x2000).build()
        ),
        "ipv4_bad_source": ipv4_frame(IPv4("192.168.9.9", "10.0.2.2", IPPROTO_ICMP, b"").build()),
        "icmp_bad_checksum": ipv4_frame(IPv4(GUEST_IP, "10.0.2.2", IPPROTO_ICMP, bytes(8) + b"z").build()),
        "dhcp_truncated": ipv4_frame(
            IPv4(
                "0.0.0.0",
                "255.255.255.255",
                IPPROTO_UDP,
                Udp(68, 67, b"short").build("0.0.0.0", "255.255.255.255"),
            ).build()
        ),
    }
    for frame in frames.values():
        backend.send(frame)
    wait_for(lambda: backend.stats.get("tx_dropped") == len(frames))
    assert {reason: backend.stats.get(f"drop_{reason}") for reason in frames} == dict.fromkeys(frames, 1)
    assert "internal_errors" not in backend.stats
    guest.assert_quiet()
    # ... and the backend still works.
    guest.send_arp_request("10.0.2.2")
    assert guest.receive().ethertype == ETH_ARP


def test_a_failing_deliver_is_contained(loop, dns_stub, capsys):
    backend = UserBackend(loop, dns=f"127.0.0.1:{dns_stub.port}")
    try:

        def broken(frame):
            raise RuntimeError("device on fire")

        backend.attach(broken)
        arp = Arp(ARP_REQUEST, GUEST_MAC, GUEST_IP, "00:00:00:00:00:00", "10.0.2.2")
        backend.send(Ethernet("ff:ff:ff:ff:ff:ff", GUEST_MAC, ETH_ARP, arp.build()).build())
        wait_for(lambda: backend.stats.get("internal_errors") == 1)
        assert "device on fire" in backend.describe()["last_error"]
    finally:
        backend.close()


# --- configuration and lifecycle ---------------------------------------------------------------------


def test_dns_upstream_spec_and_resolv_conf(tmp_path):
    assert parse_upstream("127.0.0.1:5353") == ("127.0.0.1", 5353)
    assert parse_upstream("192.0.2.53") == ("192.0.2.53", 53)
    for bad, message in [("[::1]:53", "IPv6"), ("dns.test", "not an IPv4 address"), ("1.2.3.4:0", "port")]:
        with pytest.raises(ValueError, match=message):
            parse_upstream(bad)
    conf = tmp_path / "resolv.conf"
    conf.write_text(
        "# generated\nsearch example.test\nnameserver fe80::1%eth0\nnameserver 192.0.2.53\nnameserver 192.0.2.54\n"
    )
    assert upstream_from_resolv_conf(str(conf)) == ("192.0.2.53", 53)  # the first IPv4 one
    assert upstream_from_resolv_conf(str(tmp_path / "missing")) is None


def test_close_releases_sockets_and_later_frames_are_dropped(loop, dns_stub):
    backend = UserBackend(loop, dns=f"127.0.0.1:{dns_stub.port}", hostfwd=["udp:127.0.0.1:0-:5000"])
    guest = Guest(backend)
    port = backend.hostfwd[0].bound_port
    backend.close()
    wait_for(lambda: _port_is_free(port))
    guest.send_arp_request("10.0.2.2")
    guest.assert_quiet()
    assert backend.stats["drop_closed"] == 1
    backend.close()  # twice is fine


def _port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def test_close_from_inside_deliver_stops_at_once(loop, dns_stub):
    backend = UserBackend(loop, dns=f"127.0.0.1:{dns_stub.port}")
    delivered = []

    def deliver(frame):
        delivered.append(frame)
        started = time.monotonic()
        backend.close()  # on the I/O thread: must not wait for itself
        delivered.append(time.monotonic() - started)

    backend.attach(deliver)
    arp = Arp(ARP_REQUEST, GUEST_MAC, GUEST_IP, "00:00:00:00:00:00", "10.0.2.2")
    for _ in range(2):
        backend.send(Ethernet("ff:ff:ff:ff:ff:ff", GUEST_MAC, ETH_ARP, arp.build()).build())
    wait_for(lambda: len(delivered) == 2)
    time.sleep(QUIET)
    assert len(delivered) == 2 and delivered[1] < 0.5  # one frame, then nothing


def test_bad_guest_mac_is_refused(loop):
    with pytest.raises(ValueError, match="bad guest MAC"):
        UserBackend(loop, dns="127.0.0.1:9", mac="52:54:00:12:34")
