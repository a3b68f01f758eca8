"""The DHCP server at 10.0.2.2 (RFC 2131), handing out 10.0.2.15 and up like slirp's bootp.c.

DISCOVER gets an OFFER, REQUEST an ACK (or a NAK for an address that is not
the client's), RELEASE frees the lease.  Each MAC keeps its address for as long
as the machine runs; the backend wraps replies in UDP 67 -> 68.
"""

from __future__ import annotations

import struct
from collections.abc import Callable

from jsksh.machine.netdev.user.layout import (
    BROADCAST_IP,
    BROADCAST_MAC,
    DHCP_POOL_SIZE,
    DNS_IP,
    FIRST_GUEST_IP,
    GATEWAY_IP,
    NETMASK,
    UNSPECIFIED_IP,
)
from jsksh.machine.netdev.user.packets import (
    BOOTREPLY,
    BOOTREQUEST,
    DHCP_FLAG_BROADCAST,
    DHCPACK,
    DHCPDECLINE,
    DHCPDISCOVER,
    DHCPINFORM,
    DHCPNAK,
    DHCPOFFER,
    DHCPRELEASE,
    DHCPREQUEST,
    OPT_DNS,
    OPT_LEASE_TIME,
    OPT_MESSAGE_TYPE,
    OPT_REBINDING_T2,
    OPT_RENEWAL_T1,
    OPT_REQUESTED_IP,
    OPT_ROUTER,
    OPT_SERVER_ID,
    OPT_SUBNET_MASK,
    Dhcp,
    ip_bytes,
    ip_text,
)
from jsksh.machine.record import Record

LEASE_SECONDS = 86400  # one day, as slirp
# RFC 2131 §4.4.5's defaults: renew at half the lease, rebind at 7/8.
T1_SECONDS = LEASE_SECONDS // 2
T2_SECONDS = LEASE_SECONDS * 7 // 8

SERVER_PORT = 67
CLIENT_PORT = 68


def address_pool() -> list[str]:
    first = struct.unpack("!I", ip_bytes(FIRST_GUEST_IP))[0]
    return [ip_text(struct.pack("!I", first + i)) for i in range(DHCP_POOL_SIZE)]


class DhcpReply(Record):
    _fields = ("message", "dst_ip", "dst_mac")

    def __init__(self, message: Dhcp, dst_ip: str, dst_mac: str) -> None:
        self.message = message
        self.dst_ip = dst_ip
        self.dst_mac = dst_mac


class DhcpServer:
    def __init__(self, count: Callable[[str], None] = lambda reason: None):
        self.pool = address_pool()
        self.leases: dict[str, str] = {}  # client MAC -> its address
        self.count = count

    def handle(self, request: Dhcp) -> DhcpReply | None:
        """The reply to one client message, or None when there is nothing to say."""
        if request.op != BOOTREQUEST:
            return self._ignore("dhcp_not_a_request")
        if request.giaddr != UNSPECIFIED_IP:
            return self._ignore("dhcp_relayed")  # we are on the client's own cable; no relays
        kind = request.message_type
        if kind == DHCPDISCOVER:
            return self._discover(request)
        if kind == DHCPREQUEST:
            return self._request(request)
        if kind == DHCPRELEASE:
            if self.leases.get(request.chaddr) == request.ciaddr:
                del self.leases[request.chaddr]
            return None  # RFC 2131 §4.3.4: no reply
        if kind == DHCPINFORM:
            # The client has its address already and only wants the options.
            return self._reply(request, DHCPACK, UNSPECIFIED_IP, lease=False)
        if kind == DHCPDECLINE:
            return self._ignore("dhcp_decline")  # the address is in use? Nobody else is on this cable.
        return self._ignore("dhcp_bad_message_type")

    # --- RFC 2131 §4.3.1: DISCOVER -> OFFER ------------------------------------------------

    def _discover(self, request: Dhcp) -> DhcpReply | None:
        address = self._claim(request.chaddr, request.ip_option(OPT_REQUESTED_IP)) or self._claim_any(
            request.chaddr
        )
        if address is None:
            return self._ignore("dhcp_pool_exhausted")
        self.count("dhcp_offers")
        return self._reply(request, DHCPOFFER, address)

    # --- RFC 2131 §4.3.2: REQUEST -> ACK or NAK ---------------------------------------------

    def _request(self, request: Dhcp) -> DhcpReply | None:
        server_id = request.ip_option(OPT_SERVER_ID)
        if server_id is not None and server_id != GATEWAY_IP:
            return self._ignore("dhcp_request_for_other_server")  # the client chose someone else
        # SELECTING and INIT-REBOOT name the address in option 50;
        # RENEWING and REBINDING put it in ciaddr instead.
        wanted = request.ip_option(OPT_REQUESTED_IP)
        if wanted is None and request.ciaddr != UNSPECIFIED_IP:
            wanted = request.ciaddr
        if wanted is None or self._claim(request.chaddr, wanted) != wanted:
            self.count("dhcp_naks")
            return self._reply(request, DHCPNAK, UNSPECIFIED_IP)
        self.count("dhcp_acks")
        return self._reply(request, DHCPACK, wanted)

    # --- leases ---------------------------------------------------------------------------

    def _claim(self, mac: str, wanted: str | None) -> str | None:
        """The client's address: the lease it has, else ``wanted`` if that is free."""
        if mac in self.leases:
            return self.leases[mac]
        if wanted in self.pool and wanted not in self.leases.values():
            self.leases[mac] = wanted
            return wanted
        return None

    def _claim_any(self, mac: str) -> str | None:
        taken = set(self.leases.values())
        for address in self.pool:
            if address not in taken:
                self.leases[mac] = address
                return address
        return None

    # --- replies --------------------------------------------------------------------------

    def _reply(self, request: Dhcp, kind: int, address: str, lease: bool = True) -> DhcpReply:
        options = {OPT_MESSAGE_TYPE: bytes([kind]), OPT_SERVER_ID: ip_bytes(GATEWAY_IP)}
        if kind != DHCPNAK:  # a NAK carries only its type and our id (RFC 2131 table 3)
            options[OPT_SUBNET_MASK] = ip_bytes(NETMASK)
            options[OPT_ROUTER] = ip_bytes(GATEWAY_IP)
            options[OPT_DNS] = ip_bytes(DNS_IP)
            if lease:
                options[OPT_LEASE_TIME] = struct.pack("!I", LEASE_SECONDS)
                options[OPT_RENEWAL_T1] = struct.pack("!I", T1_SECONDS)
                options[OPT_REBINDING_T2] = struct.pack("!I", T2_SECONDS)
        message = Dhcp(
            op=BOOTREPLY,
            xid=request.xid,
            chaddr=request.chaddr,
            flags=request.flags,
            ciaddr=request.ciaddr if kind == DHCPACK else UNSPECIFIED_IP,
            yiaddr=address,
            siaddr=GATEWAY_IP if kind != DHCPNAK else UNSPECIFIED_IP,
            options=options,
        )
        dst_ip, dst_mac = _destination(request, message, kind)
        return DhcpReply(message, dst_ip, dst_mac)

    def _ignore(self, reason: str) -> None:
        self.count(reason)
        return None


def _destination(request: Dhcp, reply: Dhcp, kind: int) -> tuple[str, str]:
    """Where a reply goes, by RFC 2131 §4.1 (the no-relay cases)."""
    if kind == DHCPNAK:
        return BROADCAST_IP, BROADCAST_MAC  # the client's address is in doubt
    if request.ciaddr != UNSPECIFIED_IP:
        return request.ciaddr, request.chaddr  # a renewing client has a working address
    if request.flags & DHCP_FLAG_BROADCAST:
        return BROADCAST_IP, BROADCAST_MAC  # the client cannot take unicast before it is configured
    # Unicast to the new address at the client's MAC: we know the MAC from
    # chaddr, so no ARP is needed (which the client could not answer yet).
    return reply.yiaddr, request.chaddr
