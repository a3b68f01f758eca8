"""ICMP echo ("ping") to 10.0.2.2 and 10.0.2.3, answered by the NAT itself (RFC 792).

slirp answers pings to its own addresses locally; pings elsewhere would need
ICMP sockets on the host, which this backend leaves out (they are counted and
dropped).  The reply keeps the request's identifier, sequence number and data.
"""

from __future__ import annotations

from jsksh.machine.netdev.user.layout import OUR_IPS
from jsksh.machine.netdev.user.packets import ICMP_ECHO_REPLY, ICMP_ECHO_REQUEST, IPPROTO_ICMP, Icmp, IPv4


def answer(packet: IPv4, message: Icmp) -> IPv4 | str:
    """The echo reply to ``message`` (which arrived in ``packet``), or why there is none."""
    if message.type != ICMP_ECHO_REQUEST:
        return "icmp_not_echo_request"
    if packet.dst not in OUR_IPS:
        return "icmp_echo_not_for_us"
    reply = Icmp(ICMP_ECHO_REPLY, 0, message.rest, message.data)  # rest = identifier + sequence
    return IPv4(src=packet.dst, dst=packet.src, proto=IPPROTO_ICMP, payload=reply.build())
