"""Parse and build the few packets a user-mode NAT speaks: Ethernet, ARP, IPv4, UDP, TCP, ICMP, DHCP, DNS.

Like smoltcp's wire/ layer (and the kernel's net/wire/), this module only turns
bytes into plain records and back; it holds no state.  Every parse() checks
lengths and checksums first and raises Malformed(reason) on bad input, where
``reason`` is a short name the backend counts in its stats.
"""

from __future__ import annotations

import socket
import struct

from jsksh.machine.checksum import internet_checksum
from jsksh.machine.record import Record

ETH_IPV4 = 0x0800
ETH_ARP = 0x0806
ETH_IPV6 = 0x86DD

IPPROTO_ICMP = 1
IPPROTO_TCP = 6
IPPROTO_UDP = 17


class Malformed(ValueError):
    """A packet we cannot make sense of; ``reason`` names why (a stats key)."""

    def __init__(self, reason: str, detail: str = ""):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason


# --- addresses: records carry them as text ("10.0.2.2", "52:55:0a:00:02:02") ----


def ip_bytes(ip: str) -> bytes:
    return socket.inet_aton(ip)


def ip_text(raw: bytes) -> str:
    return socket.inet_ntoa(raw)


def mac_bytes(mac: str) -> bytes:
    return bytes.fromhex(mac.replace(":", ""))


def mac_text(raw: bytes) -> str:
    return raw.hex(":")


def is_broadcast_or_multicast_mac(mac: str) -> bool:
    # The I/G bit (lowest bit of the first octet) marks group addresses (IEEE 802.3).
    return bool(int(mac[:2], 16) & 1)


def _need(data: bytes, length: int, reason: str) -> None:
    if len(data) < length:
        raise Malformed(reason, f"needs {length} bytes, have {len(data)}")


# --- the Internet checksum (RFC 1071): jsksh/machine/checksum.py --------------


def _pseudo_header(src: str, dst: str, proto: int, length: int) -> bytes:
    # UDP's checksum also covers these IPv4 fields (RFC 768), so a datagram
    # delivered to the wrong address fails it.
    return ip_bytes(src) + ip_bytes(dst) + struct.pack("!BBH", 0, proto, length)


# --- Ethernet II ---------------------------------------------------------------

_ETH = struct.Struct("!6s6sH")


class Ethernet(Record):
    _fields = ("dst", "src", "ethertype", "payload")

    def __init__(self, dst: str, src: str, ethertype: int, payload: bytes = b"") -> None:
        self.dst = dst
        self.src = src
        self.ethertype = ethertype
        self.payload = payload

    @classmethod
    def parse(cls, data: bytes) -> Ethernet:
        _need(data, _ETH.size, "eth_truncated")
        dst, src, ethertype = _ETH.unpack_from(data)
        return cls(mac_text(dst), mac_text(src), ethertype, bytes(data[_ETH.size :]))

    def build(self) -> bytes:
        # No padding to 60 bytes: the NIC (virtio-net) carries short frames as they are.
        return _ETH.pack(mac_bytes(self.dst), mac_bytes(self.src), self.ethertype) + self.payload


# --- ARP for IPv4 over Ethernet (RFC 826) ------------------------------------------

_ARP = struct.Struct("!HHBBH6s4s6s4s")
ARP_REQUEST = 1
ARP_REPLY = 2


class Arp(Record):
    _fields = ("op", "sender_mac", "sender_ip", "target_mac", "target_ip")

    def __init__(self, op: int, sender_mac: str, sender_ip: str, target_mac: str, target_ip: str) -> None:
        self.op = op
        self.sender_mac = sender_mac
        self.sender_ip = sender_ip
        self.target_mac = target_mac
        self.target_ip = target_ip

    @classmethod
    def parse(cls, data: bytes) -> Arp:
        _need(data, _ARP.size, "arp_truncated")
        htype, ptype, hlen, plen, op, sha, spa, tha, tpa = _ARP.unpack_from(data)
        if (htype, ptype, hlen, plen) != (1, ETH_IPV4, 6, 4):
            raise Malformed("arp_not_ipv4_over_ethernet")
        return cls(op, mac_text(sha), ip_text(spa), mac_text(tha), ip_text(tpa))

    def build(self) -> bytes:
        return _ARP.pack(
            1,  # hardware type: Ethernet
            ETH_IPV4,
            6,
            4,
            self.op,
            mac_bytes(self.sender_mac),
            ip_bytes(self.sender_ip),
            mac_bytes(self.target_mac),
            ip_bytes(self.target_ip),
        )


# --- IPv4 (RFC 791) ------------------------------------------------------------------

_IPV4 = struct.Struct("!BBHHHBBH4s4s")
IP_DF = 0x4000  # don't fragment
IP_MF = 0x2000  # more fragments
IP_OFFSET_MASK = 0x1FFF


class IPv4(Record):
    _fields = ("src", "dst", "proto", "payload", "ttl", "ident", "flags_fragment")

    def __init__(
        self,
        src: str,
        dst: str,
        proto: int,
        payload: bytes = b"",
        ttl: int = 64,
        ident: int = 0,
        flags_fragment: int = 0,
    ) -> None:
        self.src = src
        self.dst = dst
        self.proto = proto
        self.payload = payload
        self.ttl = ttl
        self.ident = ident
        self.flags_fragment = flags_fragment  # DF, MF and the fragment offset, as on the wire

    @property
    def is_fragment(self) -> bool:
        return bool(self.flags_fragment & (IP_MF | IP_OFFSET_MASK))

    @classmethod
    def parse(cls, data: bytes) -> IPv4:
        _need(data, _IPV4.size, "ipv4_truncated")
        ver_ihl, _tos, total, ident, frag, ttl, proto, _csum, src, dst = _IPV4.unpack_from(data)
        header_len = (ver_ihl & 0x0F) * 4
        if ver_ihl >> 4 != 4 or header_len < _IPV4.size:
            raise Malformed("ipv4_bad_header", f"version/IHL byte {ver_ihl:#04x}")
        # Ethernet pads short frames to 60 bytes, so the packet may be shorter
        # than the frame: the total-length field says where it ends.
        if not header_len <= total <= len(data):
            raise Malformed("ipv4_bad_length", f"total length {total}, frame holds {len(data)}")
        if internet_checksum(data[:header_len]) != 0:
            raise Malformed("ipv4_bad_checksum")
        # Options (if any) are skipped: nothing here needs them.
        return cls(ip_text(src), ip_text(dst), proto, bytes(data[header_len:total]), ttl, ident, frag)

    def build(self) -> bytes:
        header = _IPV4.pack(
            0x45,  # version 4, five 32-bit words of header (no options)
            0,
            _IPV4.size + len(self.payload),
            self.ident,
            self.flags_fragment,
            self.ttl,
            self.proto,
            0,  # checksum: computed over the header with this field zero
            ip_bytes(self.src),
            ip_bytes(self.dst),
        )
        checksum = internet_checksum(header)
        return header[:10] + struct.pack("!H", checksum) + header[12:] + self.payload


# --- UDP (RFC 768) -------------------------------------------------------------------

_UDP = struct.Struct("!HHHH")


class Udp(Record):
    _fields = ("src_port", "dst_port", "payload")

    def __init__(self, src_port: int, dst_port: int, payload: bytes = b"") -> None:
        self.src_port = src_port
        self.dst_port = dst_port
        self.payload = payload

    @classmethod
    def parse(cls, data: bytes, src_ip: str, dst_ip: str) -> Udp:
        """``src_ip``/``dst_ip`` come from the IPv4 header: the checksum covers them."""
        _need(data, _UDP.size, "udp_truncated")
        sport, dport, length, checksum = _UDP.unpack_from(data)
        if not _UDP.size <= length <= len(data):
            raise Malformed("udp_bad_length", f"length {length}, packet holds {len(data)}")
        data = data[:length]
        # Zero means "no checksum" in IPv4 (RFC 768); anything else must verify.
        if checksum and internet_checksum(_pseudo_header(src_ip, dst_ip, IPPROTO_UDP, length) + data) != 0:
            raise Malformed("udp_bad_checksum")
        return cls(sport, dport, bytes(data[_UDP.size :]))

    def build(self, src_ip: str, dst_ip: str) -> bytes:
        length = _UDP.size + len(self.payload)
        unsummed = _UDP.pack(self.src_port, self.dst_port, length, 0) + self.payload
        checksum = internet_checksum(_pseudo_header(src_ip, dst_ip, IPPROTO_UDP, length) + unsummed)
        # A computed 0 is sent as 0xFFFF, since 0 would mean "not computed".
        return unsummed[:6] + struct.pack("!H", checksum or 0xFFFF) + unsummed[8:]


# --- TCP (RFC 9293 §3.1) ------------------------------------------------------------

_TCP = struct.Struct("!HHIIBBHHH")
TCP_FIN = 0x01
TCP_SYN = 0x02
TCP_RST = 0x04
TCP_PSH = 0x08
TCP_ACK = 0x10
TCP_URG = 0x20
TCP_OPT_END = 0
TCP_OPT_NOP = 1
TCP_OPT_MSS = 2  # RFC 9293 §3.2: kind 2, length 4, a 16-bit MSS; only in SYNs


class Tcp(Record):
    """One segment.  Of the options only MSS is kept: the NAT offers no window
    scaling, timestamps or SACK, so a peer may not use them (RFC 7323 §1.3,
    RFC 2018 §2); the other kinds are checked for a sane length and skipped."""

    _fields = ("src_port", "dst_port", "seq", "ack", "flags", "window", "payload", "mss", "urgent")

    def __init__(
        self,
        src_port: int,
        dst_port: int,
        seq: int,
        ack: int,
        flags: int,
        window: int,
        payload: bytes = b"",
        mss: int | None = None,
        urgent: int = 0,
    ) -> None:
        self.src_port = src_port
        self.dst_port = dst_port
        self.seq = seq
        self.ack = ack
        self.flags = flags
        self.window = window
        self.payload = payload
        self.mss = mss
        self.urgent = urgent

    def has(self, flag: int) -> bool:
        return bool(self.flags & flag)

    @property
    def seq_len(self) -> int:
        """SEG.LEN: the payload plus one for each of SYN and FIN (RFC 9293 §3.4)."""
        return len(self.payload) + self.has(TCP_SYN) + self.has(TCP_FIN)

    @classmethod
    def parse(cls, data: bytes, src_ip: str, dst_ip: str, verify: bool = True) -> Tcp:
        """``src_ip``/``dst_ip`` come from the IPv4 header: the checksum covers them.
        ``verify=False``: the guest left the checksum to its NIC (virtio-net offload)."""
        _need(data, _TCP.size, "tcp_truncated")
        sport, dport, seq, ack, offset, flags, window, _csum, urgent = _TCP.unpack_from(data)
        header_len = (offset >> 4) * 4
        if not _TCP.size <= header_len <= len(data):
            raise Malformed("tcp_bad_data_offset", f"data offset {header_len}, segment holds {len(data)}")
        # Unlike UDP's, TCP's checksum is never optional (RFC 9293 §3.1).
        if (
            verify
            and internet_checksum(_pseudo_header(src_ip, dst_ip, IPPROTO_TCP, len(data)) + bytes(data)) != 0
        ):
            raise Malformed("tcp_bad_checksum")
        mss = _parse_tcp_options(data[_TCP.size : header_len])
        return cls(sport, dport, seq, ack, flags, window, bytes(data[header_len:]), mss, urgent)

    def build(self, src_ip: str, dst_ip: str) -> bytes:
        options = b"" if self.mss is None else struct.pack("!BBH", TCP_OPT_MSS, 4, self.mss)
        header_len = _TCP.size + len(options)  # options are whole words already
        unsummed = (
            _TCP.pack(
                self.src_port,
                self.dst_port,
                self.seq,
                self.ack,
                (header_len // 4) << 4,
                self.flags,
                self.window,
                0,  # checksum: computed with this field zero
                self.urgent,
            )
            + options
            + self.payload
        )
        length = len(unsummed)
        checksum = internet_checksum(_pseudo_header(src_ip, dst_ip, IPPROTO_TCP, length) + unsummed)
        return unsummed[:16] + struct.pack("!H", checksum) + unsummed[18:]


def _parse_tcp_options(data: bytes) -> int | None:
    """The MSS option's value, if present (RFC 9293 §3.2: kind, length, value; END and NOP are one byte)."""
    mss = None
    i = 0
    while i < len(data):
        kind = data[i]
        if kind == TCP_OPT_END:
            break
        if kind == TCP_OPT_NOP:
            i += 1
            continue
        if i + 1 >= len(data) or data[i + 1] < 2:
            raise Malformed("tcp_bad_option_length", f"option {kind}")
        length = data[i + 1]
        if i + length > len(data):
            raise Malformed("tcp_option_overrun", f"option {kind} runs past the header")
        if kind == TCP_OPT_MSS:
            if length != 4:
                raise Malformed("tcp_bad_option", f"MSS option of length {length}")
            mss = struct.unpack_from("!H", data, i + 2)[0]
        i += length
    return mss


# --- ICMP (RFC 792) ------------------------------------------------------------------

_ICMP = struct.Struct("!BBH4s")
ICMP_ECHO_REPLY = 0
ICMP_ECHO_REQUEST = 8


class Icmp(Record):
    _fields = ("type", "code", "rest", "data")

    def __init__(self, type: int, code: int, rest: bytes = bytes(4), data: bytes = b"") -> None:
        self.type = type
        self.code = code
        self.rest = rest  # the second word: identifier and sequence number for echo
        self.data = data

    @classmethod
    def parse(cls, data: bytes) -> Icmp:
        _need(data, _ICMP.size, "icmp_truncated")
        if internet_checksum(data) != 0:
            raise Malformed("icmp_bad_checksum")
        icmp_type, code, _csum, rest = _ICMP.unpack_from(data)
        return cls(icmp_type, code, rest, bytes(data[_ICMP.size :]))

    def build(self) -> bytes:
        unsummed = _ICMP.pack(self.type, self.code, 0, self.rest) + self.data
        return unsummed[:2] + struct.pack("!H", internet_checksum(unsummed)) + unsummed[4:]


# --- DHCP: BOOTP (RFC 951) with the options of RFC 2131/2132 -----------------------------

_BOOTP = struct.Struct("!BBBBIHH4s4s4s4s16s64s128s")  # 236 bytes, then the magic cookie
DHCP_MAGIC = bytes([99, 130, 83, 99])
BOOTP_MIN_LENGTH = 300  # RFC 1542 §2.1: some clients drop shorter replies
BOOTREQUEST = 1
BOOTREPLY = 2
DHCP_FLAG_BROADCAST = 0x8000

OPT_PAD = 0
OPT_SUBNET_MASK = 1
OPT_ROUTER = 3
OPT_DNS = 6
OPT_REQUESTED_IP = 50
OPT_LEASE_TIME = 51
OPT_MESSAGE_TYPE = 53
OPT_SERVER_ID = 54
OPT_RENEWAL_T1 = 58
OPT_REBINDING_T2 = 59
OPT_END = 255

DHCPDISCOVER = 1
DHCPOFFER = 2
DHCPREQUEST = 3
DHCPDECLINE = 4
DHCPACK = 5
DHCPNAK = 6
DHCPRELEASE = 7
DHCPINFORM = 8


class Dhcp(Record):
    _fields = ("op", "xid", "chaddr", "flags", "ciaddr", "yiaddr", "siaddr", "giaddr", "secs", "options")

    def __init__(
        self,
        op: int,
        xid: int,
        chaddr: str,
        flags: int = 0,
        ciaddr: str = "0.0.0.0",
        yiaddr: str = "0.0.0.0",
        siaddr: str = "0.0.0.0",
        giaddr: str = "0.0.0.0",
        secs: int = 0,
        options: dict[int, bytes] | None = None,
    ) -> None:
        self.op = op
        self.xid = xid
        self.chaddr = chaddr  # the client's MAC
        self.flags = flags
        self.ciaddr = ciaddr  # the client's current address (renewing)
        self.yiaddr = yiaddr  # "your" address: the one the server gives
        self.siaddr = siaddr  # next server (for boot files)
        self.giaddr = giaddr  # relay agent
        self.secs = secs
        self.options = dict() if options is None else options  # in the order they are sent

    @property
    def message_type(self) -> int | None:
        value = self.options.get(OPT_MESSAGE_TYPE)
        return value[0] if value and len(value) == 1 else None

    def ip_option(self, code: int) -> str | None:
        value = self.options.get(code)
        return ip_text(value) if value and len(value) == 4 else None

    @classmethod
    def parse(cls, data: bytes) -> Dhcp:
        _need(data, _BOOTP.size + len(DHCP_MAGIC), "dhcp_truncated")
        op, htype, hlen, _hops, xid, secs, flags, ci, yi, si, gi, chaddr, _sname, _file = _BOOTP.unpack_from(
            data
        )
        if (htype, hlen) != (1, 6):
            raise Malformed("dhcp_not_ethernet")
        if data[_BOOTP.size : _BOOTP.size + 4] != DHCP_MAGIC:
            raise Malformed("dhcp_no_magic_cookie")  # plain BOOTP: not served
        options = _parse_options(data[_BOOTP.size + 4 :])
        return cls(
            op,
            xid,
            mac_text(chaddr[:6]),
            flags,
            ip_text(ci),
            ip_text(yi),
            ip_text(si),
            ip_text(gi),
            secs,
            options,
        )

    def build(self) -> bytes:
        header = _BOOTP.pack(
            self.op,
            1,  # htype: Ethernet
            6,  # hlen: MAC length
            0,  # hops
            self.xid,
            self.secs,
            self.flags,
            ip_bytes(self.ciaddr),
            ip_bytes(self.yiaddr),
            ip_bytes(self.siaddr),
            ip_bytes(self.giaddr),
            mac_bytes(self.chaddr),  # struct pads chaddr to 16 bytes with zeros
            b"",
            b"",
        )
        options = b"".join(bytes([code, len(value)]) + value for code, value in self.options.items())
        message = header + DHCP_MAGIC + options + bytes([OPT_END])
        return message.ljust(BOOTP_MIN_LENGTH, bytes([OPT_PAD]))


def _parse_options(data: bytes) -> dict[int, bytes]:
    """code, length, value ... until END (RFC 2132 §2); PAD is a lone byte."""
    options: dict[int, bytes] = {}
    i = 0
    while i < len(data):
        code = data[i]
        if code == OPT_END:
            return options
        if code == OPT_PAD:
            i += 1
            continue
        if i + 2 > len(data) or i + 2 + data[i + 1] > len(data):
            raise Malformed("dhcp_bad_options", f"option {code} runs past the end")
        value = bytes(data[i + 2 : i + 2 + data[i + 1]])
        # A repeated option continues the first one (RFC 3396).
        options[code] = options.get(code, b"") + value
        i += 2 + len(value)
    raise Malformed("dhcp_bad_options", "no END option")


# --- DNS header (RFC 1035 §4.1.1): the forwarder only looks this far -----------------------

_DNS_HEADER = struct.Struct("!HHHHHH")
DNS_FLAG_QR = 0x8000  # set in responses


class DnsHeader(Record):
    _fields = ("ident", "flags", "qdcount", "ancount", "nscount", "arcount")

    def __init__(
        self, ident: int, flags: int, qdcount: int, ancount: int, nscount: int, arcount: int
    ) -> None:
        self.ident = ident
        self.flags = flags
        self.qdcount = qdcount
        self.ancount = ancount
        self.nscount = nscount
        self.arcount = arcount

    @property
    def is_response(self) -> bool:
        return bool(self.flags & DNS_FLAG_QR)

    @classmethod
    def parse(cls, data: bytes) -> DnsHeader:
        _need(data, _DNS_HEADER.size, "dns_truncated")
        return cls(*_DNS_HEADER.unpack_from(data))
