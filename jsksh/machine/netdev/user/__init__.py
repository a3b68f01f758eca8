"""--net user: a slirp-compatible user-mode NAT that needs no privileges (QEMU's `-netdev user`).

The guest sees 10.0.2.0/24 with a gateway at 10.0.2.2 (also the host's
127.0.0.1), DNS at 10.0.2.3 and itself at 10.0.2.15 (DHCP).  Its frames are
parsed here and turned into host UDP and TCP sockets; what those receive is
turned back into frames.  Each module in this package does one protocol:
packets (wire formats), arp, dhcp_server, dns_forwarder, udp_nat, tcp_nat
(the guest's TCP ended here and spliced onto host sockets), icmp, hostfwd.

Offloads (virtio 1.2 §5.1.6.2-3): the NAT ends the guest's TCP here, so a
64 KiB segment the guest leaves to the NIC to cut is simply 64 KiB of data,
taken whole with its checksum trusted (``send_vnet``); and once the guest
takes 64 KiB segments (``set_guest_offloads``), what a host socket reads goes
to it in segments that large, marked checked (DATA_VALID).  Per frame, not
per byte, is what costs on this path: each frame is parsed and built in Python.

Threads: ``send`` comes from the kernel's thread and only queues the frame onto
the I/O thread (IOLoop).  All the work, every ``deliver`` and the teardown in
``close`` happen there, so the protocol state is never shared and needs no lock.
"""

from __future__ import annotations

import itertools
import re
import sys
import threading
import time
from collections.abc import Callable, Iterable

from jsksh.machine.ioloop import IOLoop
from jsksh.machine.netdev.base import NetBackend
from jsksh.machine.netdev.user import arp, icmp
from jsksh.machine.netdev.user.dhcp_server import CLIENT_PORT, SERVER_PORT, DhcpServer
from jsksh.machine.netdev.user.dns_forwarder import (
    DNS_PORT,
    parse_upstream,
    query_problem,
    upstream_from_resolv_conf,
)
from jsksh.machine.netdev.user.hostfwd import HostFwd, open_socket, parse_hostfwd
from jsksh.machine.netdev.user.layout import (
    BROADCAST_IP,
    DNS_IP,
    GATEWAY_IP,
    MTU,
    OUR_IPS,
    SLIRP_MAC,
    UNSPECIFIED_IP,
    in_subnet,
)
from jsksh.machine.netdev.user.packets import (
    ETH_ARP,
    ETH_IPV4,
    ETH_IPV6,
    IPPROTO_ICMP,
    IPPROTO_TCP,
    IPPROTO_UDP,
    Arp,
    Dhcp,
    Ethernet,
    Icmp,
    IPv4,
    Malformed,
    Tcp,
    Udp,
    is_broadcast_or_multicast_mac,
)
from jsksh.machine.netdev.user.tcp_nat import TcpNat
from jsksh.machine.netdev.user.udp_nat import Address, Endpoint, UdpNat
from jsksh.machine.virtio.net_offload import (
    FLAG_DATA_VALID,
    GSO_NONE,
    GSO_TCPV4,
    NET_HDR,
    OffloadError,
    finish_frame,
)

__all__ = ["UserBackend"]

CLOSE_WAIT = 1.0  # seconds close() waits for the I/O thread (it may be stopped already)
MAX_QUEUED_FRAMES = 1024  # frames from the guest waiting for the I/O thread; more are dropped
EXPIRY_INTERVAL = 5.0  # seconds between checks for idle NAT flows
_MAC = re.compile(r"^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$")


class UserBackend(NetBackend):
    name = "user"
    link_up = True
    takes_vnet_hdr = True  # send_vnet: the guest's large TCP segments, whole

    def __init__(
        self,
        loop: IOLoop,
        *,
        dns: str | None = None,
        hostfwd: str | Iterable[str] = (),
        mac: str | None = None,
        clock: Callable[[], float] = time.monotonic,
    ):
        """``dns``: the upstream "ADDR[:PORT]" (default: the first IPv4 nameserver in
        /etc/resolv.conf); ``hostfwd``: QEMU hostfwd rules (tcp: and udp:); ``mac``: the
        guest's MAC if known in advance (otherwise learned from its frames);
        ``clock``: seconds, for NAT expiry and TCP timers (tests pass their own)."""
        super().__init__()
        if mac is not None and not _MAC.match(mac):
            raise ValueError(f"user: bad guest MAC {mac!r} (expected xx:xx:xx:xx:xx:xx)")
        rules = _parse_rules(hostfwd)
        self.loop = loop
        self.clock = clock
        self.dns = parse_upstream(dns) if dns else upstream_from_resolv_conf()
        self.neighbours = arp.Neighbours(mac.lower() if mac else None)
        self.dhcp = DhcpServer(self._count)
        self.nat = UdpNat(loop, self.dns, self._udp_readable, self._count)
        self.tcp = TcpNat(loop, self._send_tcp, self._count, clock, on_activity=self._arm_tcp_timer)
        self.hostfwd: list[HostFwd] = rules
        self.last_error: str | None = None  # the last unexpected exception, for describe()
        self._ident = itertools.count(1)  # IPv4 identification of the packets we send
        self._stats_lock = threading.Lock()  # stats are counted on two threads
        self._queued = 0
        self._closed = False
        self._timer: threading.Timer | None = None
        self._tcp_timer: tuple[float, threading.Timer] | None = None  # (when, timer)
        self._io_thread: int | None = None
        self._guest_csum = False  # frames to the guest may say DATA_VALID
        loop.call_soon(self._note_io_thread)
        try:
            for rule in rules:
                if rule.proto == "tcp":
                    self.tcp.add_forward(open_socket(rule), (rule.guest_addr, rule.guest_port))
                else:
                    self.nat.add_forward(open_socket(rule), (rule.guest_addr, rule.guest_port))
        except (OSError, ValueError):
            self.nat.close()
            self.tcp.close()
            raise

    # --- the NetBackend interface -------------------------------------------------------------

    def send(self, frame: bytes) -> None:
        """Kernel thread: hand the frame to the I/O thread; never blocks."""
        self._queue(frame, trusted=False)

    def _queue(self, frame: bytes, trusted: bool) -> None:
        with self._stats_lock:
            if self._closed or self._queued >= MAX_QUEUED_FRAMES:
                self._bump("tx_dropped")
                self._bump("drop_tx_queue_full" if not self._closed else "drop_closed")
                return
            self._queued += 1
        frame = bytes(frame)  # the caller may reuse its buffer
        self.loop.call_soon(lambda: self._input(frame, trusted))

    def send_vnet(self, header: bytes, frame: bytes) -> None:
        """Kernel thread: a frame whose checksum (and perhaps segmentation)
        the guest left to the NIC.  A TCP/IPv4 one is queued whole, its
        checksum trusted: it comes from the guest's memory, nothing on the
        way could have damaged it.  Anything else is finished here first."""
        if len(frame) > 23 and frame[12:14] == b"\x08\x00" and frame[23] == IPPROTO_TCP:
            self._queue(frame, trusted=True)
            return
        try:
            pieces = finish_frame(header, frame)
        except OffloadError as err:
            with self._stats_lock:
                self._bump("tx_dropped")
                self._bump(f"drop_{err.reason.replace('-', '_')}")
            return
        for piece in pieces:
            self.send(piece)

    def set_guest_offloads(self, csum: bool, tso4: bool) -> None:
        """What the guest's driver takes: DATA_VALID frames (csum) and 64 KiB TCP segments (tso4)."""
        self._guest_csum = csum
        self.tcp.segment_offload = csum and tso4

    def close(self) -> None:
        """Stop delivering and close the sockets (on the I/O thread)."""
        with self._stats_lock:
            if self._closed:
                return
            self._closed = True
        for timer in (self._timer, self._tcp_timer and self._tcp_timer[1]):
            if timer is not None:
                timer.cancel()
        done = threading.Event()

        def teardown():
            self.nat.close()
            self.tcp.close()
            done.set()

        self.loop.call_soon(teardown)
        # Callbacks check _closed before delivering, but one may be delivering
        # right now: once the teardown has run after it, none can be.  (Not
        # waited for on the I/O thread itself, which runs the teardown later.)
        if threading.get_ident() != self._io_thread:
            done.wait(CLOSE_WAIT)

    def describe(self) -> dict:
        with self._stats_lock:
            stats = dict(self.stats)
        # Copies: these change on the I/O thread.
        leases, flows, connections = dict(self.dhcp.leases), self.nat.flow_count, self.tcp.connection_count
        return {
            "backend": self.name,
            **stats,
            "dns": f"{self.dns[0]}:{self.dns[1]}" if self.dns else None,
            "hostfwd": [
                f"{r.proto}:{r.host_addr}:{r.bound_port}-{r.guest_addr}:{r.guest_port}" for r in self.hostfwd
            ],
            "dhcp_leases": leases,
            "udp_flows": flows,
            "tcp_connections": connections,
            "last_error": self.last_error,
        }

    # --- frames from the guest (I/O thread) -------------------------------------------------------

    def _input(self, frame: bytes, trusted: bool = False) -> None:
        with self._stats_lock:
            self._queued -= 1
        if self._closed:
            return
        reason = self._guarded(lambda: self._frame(frame, trusted))
        if reason:
            self._count("tx_dropped")
            self._count(f"drop_{reason}")
        else:
            self._count("tx_frames")
        self._arm_expiry()

    def _frame(self, frame: bytes, trusted: bool = False) -> str | None:
        """Handle one guest frame; returns why it was dropped, or None.
        ``trusted``: its TCP checksum was left to the NIC (send_vnet)."""
        try:
            eth = Ethernet.parse(frame)
            if eth.dst != SLIRP_MAC and not is_broadcast_or_multicast_mac(eth.dst):
                return "eth_not_for_us"
            if is_broadcast_or_multicast_mac(eth.src):
                return "eth_bad_source"
            if eth.ethertype == ETH_ARP:
                return self._arp(eth)
            if eth.ethertype == ETH_IPV4:
                return self._ipv4(eth, trusted)
            if eth.ethertype == ETH_IPV6:
                return "ipv6"
            return "ethertype_unsupported"
        except Malformed as err:
            return err.reason

    def _arp(self, eth: Ethernet) -> str | None:
        request = Arp.parse(eth.payload)
        self.neighbours.learn(request.sender_ip, request.sender_mac)
        reply = arp.answer(request)
        if reply is not None:  # requests for other addresses (gratuitous ARP, probes) need no answer
            self._count("arp_replies")
            self._to_guest(Ethernet(request.sender_mac, SLIRP_MAC, ETH_ARP, reply.build()))
        return None

    def _ipv4(self, eth: Ethernet, trusted: bool = False) -> str | None:
        packet = IPv4.parse(eth.payload)
        if packet.is_fragment:
            return "ipv4_fragment"  # reassembly is left out; guests send small datagrams
        if packet.src != UNSPECIFIED_IP and (not in_subnet(packet.src) or packet.src in OUR_IPS):
            return "ipv4_bad_source"
        self.neighbours.learn(packet.src, eth.src)
        if packet.proto == IPPROTO_UDP:
            return self._udp(packet)
        if packet.proto == IPPROTO_ICMP:
            return self._icmp(packet)
        if packet.proto == IPPROTO_TCP:
            return self._tcp(packet, trusted)
        return "ip_protocol_unsupported"

    def _tcp(self, packet: IPv4, trusted: bool = False) -> str | None:
        if packet.src == UNSPECIFIED_IP:
            return "ipv4_bad_source"
        segment = Tcp.parse(packet.payload, packet.src, packet.dst, verify=not trusted)
        reason = self.tcp.segment((packet.src, segment.src_port), (packet.dst, segment.dst_port), segment)
        self._arm_tcp_timer()
        return reason

    def _udp(self, packet: IPv4) -> str | None:
        datagram = Udp.parse(packet.payload, packet.src, packet.dst)
        if datagram.dst_port == SERVER_PORT and packet.dst in (BROADCAST_IP, GATEWAY_IP):
            return self._dhcp(datagram)
        if packet.src == UNSPECIFIED_IP:
            return "ipv4_bad_source"  # only a DHCP client may not know its address yet
        if (packet.dst, datagram.dst_port) == (DNS_IP, DNS_PORT):
            problem = query_problem(datagram.payload)
            if problem:
                return problem
            self._count("dns_queries")
        return self.nat.send(
            (packet.src, datagram.src_port), (packet.dst, datagram.dst_port), datagram.payload, self.clock()
        )

    def _dhcp(self, datagram: Udp) -> str | None:
        reply = self.dhcp.handle(Dhcp.parse(datagram.payload))
        if reply is not None:
            self._send_udp(
                (GATEWAY_IP, SERVER_PORT), (reply.dst_ip, CLIENT_PORT), reply.message.build(), reply.dst_mac
            )
        return None

    def _icmp(self, packet: IPv4) -> str | None:
        reply = icmp.answer(packet, Icmp.parse(packet.payload))
        if isinstance(reply, str):
            return reply
        self._count("icmp_echo_replies")
        self._send_ip(reply)
        return None

    # --- datagrams from the host (I/O thread) -------------------------------------------------------

    def _udp_readable(self, endpoint: Endpoint) -> None:
        if not self._closed:
            self._guarded(lambda: self._host_datagrams(endpoint))

    def _host_datagrams(self, endpoint: Endpoint) -> None:
        for src, payload in self.nat.receive(endpoint, self.clock()):
            self._send_udp(src, endpoint.guest, payload)

    # --- frames to the guest ------------------------------------------------------------------

    def _send_udp(self, src: Address, dst: Address, payload: bytes, dst_mac: str | None = None) -> None:
        segment = Udp(src[1], dst[1], payload).build(src[0], dst[0])
        self._send_ip(IPv4(src[0], dst[0], IPPROTO_UDP, segment), dst_mac)

    def _send_tcp(self, src: Address, dst: Address, segment: Tcp, gso_size: int = 0) -> None:
        """``gso_size``: the segment is larger than the MTU, for a guest that
        takes such segments (GUEST_TSO4); its pieces would be this long."""
        if not self._closed:
            self._send_ip(IPv4(src[0], dst[0], IPPROTO_TCP, segment.build(src[0], dst[0])), gso_size=gso_size)

    def _send_ip(self, packet: IPv4, dst_mac: str | None = None, gso_size: int = 0) -> None:
        packet.ident = next(self._ident) & 0xFFFF
        raw = packet.build()
        if len(raw) > MTU and not gso_size:
            # We do not fragment (slirp would): the guest could not take it in one frame.
            self._count("rx_dropped")
            self._count("drop_rx_larger_than_mtu")
            return
        mac = dst_mac or self.neighbours.lookup(packet.dst)
        header = None
        if self._guest_csum:  # every checksum we write is whole: say so, the guest need not sum again
            gso = (GSO_TCPV4, 14 + 40, gso_size) if gso_size else (GSO_NONE, 0, 0)
            header = NET_HDR.pack(FLAG_DATA_VALID, gso[0], gso[1], gso[2], 0, 0, 0)
        self._to_guest(Ethernet(mac, SLIRP_MAC, ETH_IPV4, raw), header)

    def _to_guest(self, eth: Ethernet, header: bytes | None = None) -> None:
        if self._closed:
            return  # close() was called meanwhile (perhaps from inside a deliver)
        self._count("rx_frames")
        if header is None:
            self.deliver(eth.build())
        else:
            self.deliver(eth.build(), header)

    # --- NAT flow expiry --------------------------------------------------------------------

    def _arm_expiry(self) -> None:
        """Check for idle flows every few seconds, only while there are flows."""
        if self._timer is None and self.nat.flow_count and not self._closed:
            self._timer = threading.Timer(EXPIRY_INTERVAL, lambda: self.loop.call_soon(self._expire))
            self._timer.daemon = True
            self._timer.start()

    def _expire(self) -> None:
        self._timer = None
        if not self._closed:
            self._guarded(lambda: self.nat.expire(self.clock()))
            self._arm_expiry()

    # --- TCP timers: one threading.Timer for the earliest deadline -------------------------

    def _arm_tcp_timer(self) -> None:
        """Make sure a wake-up comes by the earliest TCP deadline.  A timer that is
        due later is replaced; one due earlier stays (it finds nothing and re-arms),
        so a bulk transfer, whose deadline moves on with every ACK, starts a timer
        thread about once per retransmission timeout, not once per segment."""
        deadline = self.tcp.next_deadline()
        if deadline is None or self._closed:
            return
        armed = self._tcp_timer
        if armed is not None:
            if armed[0] <= deadline:
                return
            armed[1].cancel()
        timer = threading.Timer(
            max(0.0, deadline - self.clock()), lambda: self.loop.call_soon(self._tcp_tick)
        )
        timer.daemon = True
        self._tcp_timer = (deadline, timer)
        timer.start()

    def _tcp_tick(self) -> None:
        self._tcp_timer = None
        if not self._closed:
            self._guarded(self.tcp.poll)
            self._arm_tcp_timer()

    # --- helpers ------------------------------------------------------------------------

    def _note_io_thread(self) -> None:
        self._io_thread = threading.get_ident()

    def _guarded(self, work: Callable[[], str | None]) -> str | None:
        """Run ``work``; a bug in it is counted, never raised into the I/O thread."""
        try:
            return work()
        except Exception as err:  # noqa: BLE001 - the I/O thread serves every device
            self.last_error = repr(err)
            self._count("internal_errors")
            print(f"jsksh: user network: {err!r}", file=sys.stderr)
            return "internal_error"

    def _count(self, key: str) -> None:
        with self._stats_lock:
            self._bump(key)

    def _bump(self, key: str) -> None:
        self.stats[key] = self.stats.get(key, 0) + 1


def _parse_rules(hostfwd: str | Iterable[str]) -> list[HostFwd]:
    """Every rule parsed and checked before any socket is opened."""
    rules = [parse_hostfwd(spec) for spec in ([hostfwd] if isinstance(hostfwd, str) else hostfwd)]
    seen: dict[tuple[str, str, int], str] = {}
    for rule in rules:
        guest = (rule.proto, rule.guest_addr, rule.guest_port)
        if guest in seen:
            raise ValueError(
                f"hostfwd {rule.spec!r}: {seen[guest]!r} already forwards to {rule.proto} {guest[1]}:{guest[2]}"
            )
        seen[guest] = rule.spec
    return rules
