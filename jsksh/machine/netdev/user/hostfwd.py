"""hostfwd: QEMU's `hostfwd=[tcp|udp]:[hostaddr]:hostport-[guestaddr]:guestport`, parsed and bound.

udp: a host UDP socket on hostaddr:hostport passes each datagram to the
guest's guestaddr:guestport; the guest's reply goes back to the sender
through the same socket (udp_nat.py carries both directions).
tcp: a host listener on hostaddr:hostport; each connection it accepts
becomes a connection to the guest's guestaddr:guestport, the backend sending
the SYN as the client (tcp_nat.py).  Either way a loopback peer appears to
the guest as 10.0.2.2, as in slirp.  An empty protocol means tcp, as in QEMU.
"""

from __future__ import annotations

import ipaddress
import socket

from jsksh.machine.netdev.user.layout import FIRST_GUEST_IP, OUR_IPS, SUBNET_BROADCAST, in_subnet
from jsksh.machine.record import Record

# Connections the host's kernel completes before the NAT accepts them: a
# forwarded port stands for a server, and wrk or a load balancer opens 50 or
# 200 at once. With 16, the rest had their SYNs dropped and came back after
# Linux's 1 s (then 3 s) SYN retransmission: the p99 of a burst was seconds.
LISTEN_BACKLOG = 1024
FORM = "tcp|udp:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT"
ANY_HOST = "0.0.0.0"  # QEMU's default for an empty HOSTADDR: every host interface


class HostFwd(Record):
    _fields = ("spec", "proto", "host_addr", "host_port", "guest_addr", "guest_port", "bound_port")

    def __init__(
        self,
        spec: str,
        proto: str,
        host_addr: str,
        host_port: int,
        guest_addr: str,
        guest_port: int,
        bound_port: int | None = None,
    ) -> None:
        self.spec = spec
        self.proto = proto
        self.host_addr = host_addr
        self.host_port = host_port  # 0: the host picks one; see ``bound_port``
        self.guest_addr = guest_addr
        self.guest_port = guest_port
        self.bound_port = bound_port


def parse_hostfwd(spec: str) -> HostFwd:
    """Parse one rule; ValueError says what is wrong with it."""
    proto, colon, rest = spec.partition(":")
    if not colon:
        raise _bad(spec, "missing ':' after the protocol")
    proto = proto or "tcp"  # QEMU's default
    if proto not in ("tcp", "udp"):
        raise _bad(spec, f"unknown protocol {proto!r}")
    host_part, dash, guest_part = rest.partition("-")
    if not dash:
        raise _bad(spec, "missing '-' between the host side and the guest side")
    host_addr, host_port = _split_address(spec, host_part, "host")
    guest_addr, guest_port = _split_address(spec, guest_part, "guest")
    host_addr = host_addr or ANY_HOST
    guest_addr = guest_addr or FIRST_GUEST_IP
    _check_ipv4(spec, host_addr, "host")
    _check_ipv4(spec, guest_addr, "guest")
    if not in_subnet(guest_addr) or guest_addr in (*OUR_IPS, SUBNET_BROADCAST, "10.0.2.0"):
        raise _bad(spec, f"guest address {guest_addr} is not a guest's address in 10.0.2.0/24")
    return HostFwd(
        spec,
        proto,
        host_addr,
        _port(spec, host_port, "host", allow_zero=True),
        guest_addr,
        _port(spec, guest_port, "guest", allow_zero=False),
    )


def open_socket(rule: HostFwd) -> socket.socket:
    """The bound (for tcp: listening), non-blocking host socket for ``rule``; sets ``rule.bound_port``."""
    tcp = rule.proto == "tcp"
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM if tcp else socket.SOCK_DGRAM)
    try:
        if tcp:
            # A listener may rebind while old connections linger in TIME-WAIT,
            # but not while another socket listens there (EADDRINUSE still).
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((rule.host_addr, rule.host_port))
        if tcp:
            sock.listen(LISTEN_BACKLOG)
    except OSError as err:
        sock.close()
        raise OSError(
            err.errno, f"hostfwd {rule.spec!r}: cannot bind {rule.host_addr}:{rule.host_port}: {err.strerror}"
        ) from err
    sock.setblocking(False)
    rule.bound_port = sock.getsockname()[1]
    return sock


def _split_address(spec: str, part: str, side: str) -> tuple[str, str]:
    address, colon, port = part.rpartition(":")
    if not colon:
        raise _bad(spec, f"the {side} side must be [ADDR]:PORT")
    return address, port


def _check_ipv4(spec: str, address: str, side: str) -> None:
    try:
        ipaddress.IPv4Address(address)
    except ValueError:
        raise _bad(spec, f"{side} address {address!r} is not an IPv4 address") from None


def _port(spec: str, text: str, side: str, allow_zero: bool) -> int:
    lowest = 0 if allow_zero else 1
    if not text.isdigit() or not lowest <= int(text) <= 65535:
        raise _bad(spec, f"{side} port {text!r} must be a number {lowest}-65535")
    return int(text)


def _bad(spec: str, why: str) -> ValueError:
    return ValueError(f"hostfwd {spec!r}: {why} (expected {FORM})")
