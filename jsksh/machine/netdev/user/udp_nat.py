"""UDP NAT: each guest (address, port) that sends gets a host UDP socket, as in slirp's udp.c.

The guest's 10.0.2.2 means the host's 127.0.0.1 and 10.0.2.3:53 means the DNS
upstream; answers come back under the address the guest sent to.  Idle flows
close after 240 s (10 s after DNS).  hostfwd sockets are endpoints that never
expire.  Time is passed in (``now``), so the expiry rules are testable.
"""

from __future__ import annotations

import selectors
import socket
from collections.abc import Callable

from jsksh.machine.netdev.user.dns_forwarder import DNS_PORT, Upstream
from jsksh.machine.netdev.user.layout import (
    BROADCAST_IP,
    DNS_IP,
    GATEWAY_IP,
    HOST_LOOPBACK,
    SUBNET_BROADCAST,
    in_subnet,
    is_loopback,
)

Address = tuple[str, int]  # (IPv4 address, port)

NAT_TIMEOUT = 240.0  # slirp's SO_EXPIRE
DNS_TIMEOUT = 10.0  # slirp's SO_EXPIREFAST: a DNS flow is one question and one answer
MAX_FLOWS = 256  # each is a host file descriptor
MAX_PEERS = 64  # remembered address pairs per flow
RECV_SIZE = 65535  # the largest UDP datagram
READS_PER_WAKEUP = 64  # then give the other sockets on the I/O thread a turn


def translate_out(dst: Address, dns: Upstream | None) -> Address | str:
    """Where a datagram the guest sends to ``dst`` goes on the host, or why it goes nowhere."""
    ip, port = dst
    if port == 0:
        return "udp_port_zero"
    if ip == DNS_IP:
        if port != DNS_PORT:
            return "udp_dns_address_other_port"
        return dns or "dns_no_upstream"
    if ip == GATEWAY_IP:
        return HOST_LOOPBACK, port  # the host alias
    if ip in (BROADCAST_IP, SUBNET_BROADCAST) or 224 <= int(ip.split(".")[0]) <= 239:
        return "udp_broadcast_or_multicast"  # slirp does not route these either
    if in_subnet(ip) or is_loopback(ip) or ip.startswith("0."):
        return "udp_no_such_local_host"  # nothing else lives on this cable
    return ip, port


def translate_in(src: Address, dns: Upstream | None) -> Address:
    """How a datagram from ``src`` on the host looks to the guest when it did not ask it."""
    if src == dns:
        return DNS_IP, DNS_PORT
    if is_loopback(src[0]):
        return GATEWAY_IP, src[1]  # the host itself appears as the gateway
    return src


class Endpoint:
    """One host socket standing in for one guest (address, port)."""

    def __init__(self, sock: socket.socket, guest: Address, timeout: float | None):
        self.sock = sock
        self.guest = guest
        self.timeout = timeout  # None: never expires (hostfwd)
        self.expires_at: float | None = None
        # Address pairs seen on this flow, both ways: an answer from where the
        # guest sent to shows as the address the guest used (127.0.0.1:5353
        # answers as 10.0.2.3:53, not as 10.0.2.2:5353).
        self._to_host: dict[Address, Address] = {}
        self._to_guest: dict[Address, Address] = {}

    def remember(self, guest_side: Address, host_side: Address) -> None:
        self._to_host.pop(guest_side, None)  # re-insert at the end: the newest
        self._to_host[guest_side] = host_side
        self._to_guest[host_side] = guest_side
        if len(self._to_host) > MAX_PEERS:
            old_guest_side, old_host_side = next(iter(self._to_host.items()))
            del self._to_host[old_guest_side]
            if self._to_guest.get(old_host_side) == old_guest_side:
                del self._to_guest[old_host_side]

    def host_for(self, guest_side: Address) -> Address | None:
        return self._to_host.get(guest_side)

    def guest_for(self, host_side: Address) -> Address | None:
        return self._to_guest.get(host_side)

    def touch(self, now: float, port: int) -> None:
        if self.timeout is not None:
            self.expires_at = now + (DNS_TIMEOUT if port == DNS_PORT else self.timeout)

    def expired(self, now: float) -> bool:
        return self.expires_at is not None and now >= self.expires_at


class UdpNat:
    """The table of endpoints, keyed by the guest's (address, port).

    ``readable(endpoint)`` is called on the I/O thread when an endpoint's socket
    has datagrams; the caller then collects them with ``receive``.
    """

    def __init__(
        self,
        loop,
        dns: Upstream | None,
        readable: Callable[[Endpoint], None],
        count: Callable[[str], None] = lambda reason: None,
    ):
        self.loop = loop
        self.dns = dns
        self.readable = readable
        self.count = count
        self.endpoints: dict[Address, Endpoint] = {}

    @property
    def flow_count(self) -> int:
        # list() copies in one step, so describe() may ask from another thread.
        return sum(1 for ep in list(self.endpoints.values()) if ep.timeout is not None)

    def add_forward(self, sock: socket.socket, guest: Address) -> Endpoint:
        """A hostfwd socket: it receives for ``guest`` and carries its replies."""
        if guest in self.endpoints:
            raise ValueError(f"hostfwd: two rules forward to guest {guest[0]}:{guest[1]}")
        return self._add(Endpoint(sock, guest, timeout=None))

    def send(self, guest_src: Address, guest_dst: Address, payload: bytes, now: float) -> str | None:
        """Send the guest's datagram out through its endpoint; returns why not, if it was dropped."""
        endpoint = self.endpoints.get(guest_src)
        host_dst = endpoint.host_for(guest_dst) if endpoint else None
        if host_dst is None:
            target = translate_out(guest_dst, self.dns)
            if isinstance(target, str):
                return target
            host_dst = target
        if endpoint is None:
            endpoint = self._open_flow(guest_src)
            if isinstance(endpoint, str):
                return endpoint
        endpoint.remember(guest_dst, host_dst)
        endpoint.touch(now, guest_dst[1])
        try:
            endpoint.sock.sendto(payload, host_dst)
        except OSError:
            # EAGAIN (socket buffer full), ENETUNREACH, EMSGSIZE ...: the
            # network lost it, as UDP allows.  slirp would send ICMP; we count.
            return "udp_send_failed"
        return None

    def receive(self, endpoint: Endpoint, now: float) -> list[tuple[Address, bytes]]:
        """The datagrams waiting on ``endpoint``, each with the source the guest should see."""
        if self.endpoints.get(endpoint.guest) is not endpoint:
            return []  # expired while its wake-up was queued: the socket is closing
        datagrams = []
        for _ in range(READS_PER_WAKEUP):
            try:
                payload, host_src = endpoint.sock.recvfrom(RECV_SIZE)
            except BlockingIOError:
                break
            except OSError:
                self.count("udp_recv_failed")  # e.g. an ICMP error reported on the socket
                break
            guest_side = endpoint.guest_for(host_src) or translate_in(host_src, self.dns)
            endpoint.remember(guest_side, host_src)  # so the guest's answer finds the way back
            endpoint.touch(now, guest_side[1])
            datagrams.append((guest_side, payload))
        return datagrams

    def expire(self, now: float) -> None:
        """Close the flows idle past their timeout (slirp checks this on its timer, too)."""
        for guest, endpoint in list(self.endpoints.items()):
            if endpoint.expired(now):
                self.count("udp_flows_expired")
                self._close(guest)

    def close(self) -> None:
        for guest in list(self.endpoints):
            self._close(guest)

    # --- helpers --------------------------------------------------------------------------

    def _open_flow(self, guest: Address) -> Endpoint | str:
        """A new flow for ``guest``, or why there cannot be one."""
        if self.flow_count >= MAX_FLOWS:
            return "udp_nat_table_full"
        try:
            sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        except OSError:
            return "udp_no_socket"  # out of file descriptors
        sock.setblocking(False)
        self.count("udp_flows_opened")
        return self._add(Endpoint(sock, guest, NAT_TIMEOUT))

    def _add(self, endpoint: Endpoint) -> Endpoint:
        self.endpoints[endpoint.guest] = endpoint
        self.loop.register(endpoint.sock, selectors.EVENT_READ, lambda _mask: self.readable(endpoint))
        return endpoint

    def _close(self, guest: Address) -> None:
        sock = self.endpoints.pop(guest).sock
        self.loop.unregister(sock)
        # Closed on the I/O thread after the unregister, so the selector never
        # watches a file descriptor number that a new socket may reuse.
        self.loop.call_soon(sock.close)
