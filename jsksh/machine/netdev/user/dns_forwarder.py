"""DNS at 10.0.2.3: which upstream server queries go to, and which datagrams count as queries.

Like slirp, the forwarder is not a resolver: a query to 10.0.2.3:53 travels
through the UDP NAT (udp_nat.py) to the upstream unchanged, and the answer comes
back from 10.0.2.3:53.  The upstream is the `dns` option, else the host's first
IPv4 nameserver in /etc/resolv.conf.
"""

from __future__ import annotations

import ipaddress

from jsksh.machine.netdev.user.packets import DnsHeader, Malformed

DNS_PORT = 53
RESOLV_CONF = "/etc/resolv.conf"

Upstream = tuple[str, int]  # (IPv4 address, port) on the host's network


def parse_upstream(spec: str) -> Upstream:
    """'ADDR[:PORT]' -> (addr, port); port 53 unless given."""
    address, _, port_text = spec.partition(":")
    if address.startswith("[") or port_text.count(":"):
        raise ValueError(f"dns {spec!r}: IPv6 upstreams are not supported; give an IPv4 ADDR[:PORT]")
    try:
        ipaddress.IPv4Address(address)
    except ValueError:
        raise ValueError(f"dns {spec!r}: {address!r} is not an IPv4 address (expected ADDR[:PORT])") from None
    if not port_text:
        return address, DNS_PORT
    if not port_text.isdigit() or not 1 <= int(port_text) <= 65535:
        raise ValueError(f"dns {spec!r}: port must be 1-65535")
    return address, int(port_text)


def upstream_from_resolv_conf(path: str = RESOLV_CONF) -> Upstream | None:
    """The first IPv4 nameserver in resolv.conf(5), or None.

    IPv6 nameservers are skipped because the NAT's host sockets are IPv4.
    """
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            lines = f.read().splitlines()
    except OSError:
        return None
    for line in lines:
        words = line.split()
        if len(words) >= 2 and words[0] == "nameserver":
            try:
                ipaddress.IPv4Address(words[1])
            except ValueError:
                continue
            return words[1], DNS_PORT
    return None


def query_problem(payload: bytes) -> str | None:
    """Why ``payload`` is not worth forwarding as a query (a stats reason), or None."""
    try:
        header = DnsHeader.parse(payload)
    except Malformed as err:
        return err.reason
    if header.is_response:
        return "dns_not_a_query"  # a guest does not send answers to its resolver
    return None
