"""ARP on the NAT's side of the cable (RFC 826): answer for 10.0.2.2 and .3, learn the guest's MAC.

slirp answers "who has 10.0.2.2?" and "who has 10.0.2.3?" with its one MAC
(52:55:0a:00:02:02).  In the other direction we never ask: the guest's MAC is
learned from the frames it sends, which on a cable with one guest is enough.
"""

from __future__ import annotations

from jsksh.machine.netdev.user.layout import BROADCAST_MAC, OUR_IPS, SLIRP_MAC, UNSPECIFIED_IP, in_subnet
from jsksh.machine.netdev.user.packets import ARP_REPLY, ARP_REQUEST, Arp, is_broadcast_or_multicast_mac

MAX_NEIGHBOURS = 64  # the subnet is a /24 and the DHCP pool has 16 addresses


def answer(request: Arp) -> Arp | None:
    """The reply to an ARP request for one of our addresses, else None."""
    if request.op != ARP_REQUEST or request.target_ip not in OUR_IPS:
        return None
    return Arp(ARP_REPLY, SLIRP_MAC, request.target_ip, request.sender_mac, request.sender_ip)


class Neighbours:
    """Which MAC each guest address lives at, learned from what guests send."""

    def __init__(self, default_mac: str | None = None):
        self._macs: dict[str, str] = {}
        # The MAC we send to for an address we have not heard from yet: the one
        # given at construction, then the last guest MAC seen.
        self.default_mac = default_mac

    def learn(self, ip: str, mac: str) -> None:
        if is_broadcast_or_multicast_mac(mac) or mac == SLIRP_MAC:
            return  # not a guest's own address
        self.default_mac = mac
        if ip == UNSPECIFIED_IP or not in_subnet(ip) or ip in OUR_IPS:
            return  # a DHCP client before it has an address, or a spoofed source
        if ip not in self._macs and len(self._macs) >= MAX_NEIGHBOURS:
            self._macs.pop(next(iter(self._macs)))  # forget the oldest
        self._macs[ip] = mac

    def lookup(self, ip: str) -> str:
        """The MAC to send to ``ip``; broadcast if no guest has spoken yet
        (every NIC accepts it, so the first frame still arrives)."""
        return self._macs.get(ip) or self.default_mac or BROADCAST_MAC
