"""The addresses of QEMU's user-mode network (slirp), as a guest sees them.

Same layout as QEMU's `-netdev user` defaults (see FACTS.md, "QEMU user
networking"), so a guest configured for QEMU works here unchanged.
"""

from __future__ import annotations

NETWORK = "10.0.2.0"
NETMASK = "255.255.255.0"
SUBNET_PREFIX = "10.0.2."  # every address on this cable starts with it (a /24)
SUBNET_BROADCAST = "10.0.2.255"
GATEWAY_IP = "10.0.2.2"  # the router, and an alias for the host's 127.0.0.1
DNS_IP = "10.0.2.3"  # the DNS forwarder
FIRST_GUEST_IP = "10.0.2.15"  # the first DHCP address
DHCP_POOL_SIZE = 16  # 10.0.2.15 .. 10.0.2.30, as slirp's NB_BOOTP_CLIENTS

# Both .2 and .3 are "slirp": one MAC answers for each of them.
SLIRP_MAC = "52:55:0a:00:02:02"
BROADCAST_MAC = "ff:ff:ff:ff:ff:ff"
BROADCAST_IP = "255.255.255.255"
UNSPECIFIED_IP = "0.0.0.0"

# Addresses the backend itself answers for (ARP, ICMP echo).
OUR_IPS = (GATEWAY_IP, DNS_IP)

HOST_LOOPBACK = "127.0.0.1"  # where the guest's 10.0.2.2 leads on the host
MTU = 1500  # IPv4 packets to the guest are at most this long (we do not fragment)


def in_subnet(ip: str) -> bool:
    return ip.startswith(SUBNET_PREFIX)


def is_loopback(ip: str) -> bool:
    return ip.startswith("127.")
