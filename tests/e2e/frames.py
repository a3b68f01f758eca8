"""Ethernet, ARP, IPv4, ICMP, UDP and DNS frames built by hand, for tests that are the guest's peer.

Every builder writes the real bytes with struct, field by field as the RFCs lay
them out (RFC 826 ARP, RFC 791 IPv4, RFC 792 ICMP, RFC 768 UDP, RFC 1035 DNS),
and fills in correct checksums unless told otherwise: pass `checksum=` a value
to send a wrong one on purpose. The few parsers read what the guest sends back.
Nothing here imports the kernel: the JavaScript stack is checked against bytes
written independently of it.
"""

from __future__ import annotations

import socket
import struct

ETHERTYPE_IPV4 = 0x0800
ETHERTYPE_ARP = 0x0806
ETHERTYPE_IPV6 = 0x86DD
PROTO_ICMP = 1
PROTO_TCP = 6
PROTO_UDP = 17
ARP_REQUEST = 1
ARP_REPLY = 2
ICMP_ECHO_REPLY = 0
ICMP_DEST_UNREACHABLE = 3
ICMP_ECHO_REQUEST = 8
ICMP_TIME_EXCEEDED = 11
BROADCAST_MAC = b"\xff" * 6
ZERO_MAC = b"\x00" * 6

ETHERNET = struct.Struct("!6s6sH")  # dst, src, ethertype (IEEE 802.3 §3.1.1, Ethernet II)
ARP = struct.Struct("!HHBBH6s4s6s4s")  # htype ptype hlen plen op sha spa tha tpa (RFC 826)
IPV4 = struct.Struct("!BBHHHBBH4s4s")  # ver/ihl tos len id flags/frag ttl proto csum src dst (RFC 791 §3.1)
UDP = struct.Struct("!HHHH")  # sport dport length checksum (RFC 768)
ICMP = struct.Struct("!BBHHH")  # type code checksum id seq (RFC 792, echo)
DNS_HEADER = struct.Struct("!HHHHHH")  # id flags qdcount ancount nscount arcount (RFC 1035 §4.1.1)


def mac(text: str) -> bytes:
    return bytes(int(part, 16) for part in text.split(":"))


def ip(text: str) -> bytes:
    return socket.inet_aton(text)


def checksum(data: bytes) -> int:
    """The Internet checksum (RFC 1071): ones' complement of the ones' complement sum of 16-bit words."""
    if len(data) % 2:
        data += b"\x00"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def ethernet(dst: bytes, src: bytes, ethertype: int, payload: bytes) -> bytes:
    return ETHERNET.pack(dst, src, ethertype) + payload


def arp(
    op: int,
    sender_mac: bytes,
    sender_ip: bytes,
    target_mac: bytes,
    target_ip: bytes,
    *,
    htype=1,
    ptype=0x0800,
    hlen=6,
    plen=4,
) -> bytes:
    return ARP.pack(htype, ptype, hlen, plen, op, sender_mac, sender_ip, target_mac, target_ip)


def ipv4(
    src: bytes,
    dst: bytes,
    protocol: int,
    payload: bytes,
    *,
    ident: int = 0,
    ttl: int = 64,
    more_fragments: bool = False,
    offset: int = 0,
    options: bytes = b"",
    version: int = 4,
    ihl: int | None = None,
    total_length: int | None = None,
    checksum_value: int | None = None,
) -> bytes:
    """An IPv4 packet; `offset` is in bytes (a multiple of 8). Options are padded to whole words.

    ihl, total_length and checksum_value override the computed fields, to make wrong packets."""
    options += b"\x00" * (-len(options) % 4)  # End of Option List padding
    header_len = 20 + len(options)
    if ihl is None:
        ihl = header_len // 4
    if total_length is None:
        total_length = header_len + len(payload)
    flags = (0x2000 if more_fragments else 0) | (offset // 8)
    header = (
        IPV4.pack(version << 4 | ihl, 0, total_length, ident, flags, ttl, protocol, 0, src, dst) + options
    )
    if checksum_value is None:
        checksum_value = checksum(header)
    return header[:10] + struct.pack("!H", checksum_value) + header[12:] + payload


def udp(
    src: bytes, dst: bytes, sport: int, dport: int, payload: bytes, *, length=None, checksum_value=None
) -> bytes:
    """A UDP datagram with its checksum over the RFC 768 pseudo-header (0 would mean "none")."""
    if length is None:
        length = 8 + len(payload)
    if checksum_value is None:
        real_length = 8 + len(payload)
        pseudo = src + dst + struct.pack("!BBH", 0, PROTO_UDP, real_length)
        checksum_value = checksum(pseudo + UDP.pack(sport, dport, real_length, 0) + payload) or 0xFFFF
    return UDP.pack(sport, dport, length, checksum_value) + payload


def udp_check(src: bytes, dst: bytes, datagram: bytes) -> int:
    """0 when a UDP datagram's checksum verifies (over the pseudo-header, RFC 768)."""
    pseudo = src + dst + struct.pack("!BBH", 0, PROTO_UDP, len(datagram))
    return checksum(pseudo + datagram)


def icmp(icmp_type: int, code: int, rest: bytes, body: bytes, *, checksum_value=None) -> bytes:
    """Any ICMP message: type, code, checksum, 4 bytes of rest-of-header, body (RFC 792)."""
    if checksum_value is None:
        checksum_value = checksum(struct.pack("!BBH", icmp_type, code, 0) + rest + body)
    return struct.pack("!BBH", icmp_type, code, checksum_value) + rest + body


def icmp_echo(icmp_type: int, ident: int, seq: int, data: bytes, *, checksum_value=None) -> bytes:
    return icmp(icmp_type, 0, struct.pack("!HH", ident, seq), data, checksum_value=checksum_value)


# --- DNS (RFC 1035 §4.1): the hostile replies ------------------------------------


def dns_name(name: str) -> bytes:
    """'a.example' -> b'\\x01a\\x07example\\x00' (§3.1: length-prefixed labels, then the root)."""
    out = b"".join(bytes([len(label)]) + label.encode() for label in name.split(".") if label)
    return out + b"\x00"


def dns_reply(ident: int, question: bytes, answers: bytes, ancount: int = 1) -> bytes:
    """A response (QR=1, RD, RA) with one question (name bytes as given, type A, class IN)."""
    return DNS_HEADER.pack(ident, 0x8180, 1, ancount, 0, 0) + question + struct.pack("!HH", 1, 1) + answers


def dns_compression_loop(ident: int) -> bytes:
    """The answer's name is a pointer to itself (offset of the pointer = its target): §4.1.4 abused."""
    question = dns_name("loop.example")
    at = DNS_HEADER.size + len(question) + 4  # where the answer's name starts
    answer = struct.pack("!H", 0xC000 | at) + struct.pack("!HHIH", 1, 1, 60, 4) + bytes(4)
    return dns_reply(ident, question, answer)


def dns_pointer_ping_pong(ident: int) -> bytes:
    """Two pointers that point at each other."""
    question = dns_name("pong.example")
    at = DNS_HEADER.size + len(question) + 4
    answer = struct.pack("!HH", 0xC000 | (at + 2), 0xC000 | at) + struct.pack("!HHIH", 1, 1, 60, 4) + bytes(4)
    return dns_reply(ident, question, answer)


def dns_truncated_record(ident: int) -> bytes:
    """An A record whose RDLENGTH promises 4 bytes and whose message ends after 2."""
    question = dns_name("short.example")
    answer = struct.pack("!HHHIH", 0xC00C, 1, 1, 60, 4) + b"\x0a\x00"
    return dns_reply(ident, question, answer)


def dns_too_many_answers(ident: int) -> bytes:
    """ANCOUNT 65535 over a message that holds one."""
    question = dns_name("count.example")
    answer = struct.pack("!HHHIH", 0xC00C, 1, 1, 60, 4) + ip("10.0.2.99")
    return dns_reply(ident, question, answer, ancount=0xFFFF)


# --- reading what the guest sends ------------------------------------------------------


def parse_ethernet(frame: bytes) -> tuple[bytes, bytes, int, bytes]:
    dst, src, ethertype = ETHERNET.unpack_from(frame)
    return dst, src, ethertype, frame[ETHERNET.size :]


def parse_arp(payload: bytes) -> dict:
    htype, ptype, hlen, plen, op, sha, spa, tha, tpa = ARP.unpack_from(payload)
    return {"op": op, "sender_mac": sha, "sender_ip": spa, "target_mac": tha, "target_ip": tpa}


def parse_ipv4(packet: bytes) -> dict:
    """The fields a test checks; raises ValueError if the header's checksum does not verify."""
    ver_ihl, _tos, total, ident, flags, ttl, proto, _csum, src, dst = IPV4.unpack_from(packet)
    header_len = (ver_ihl & 0xF) * 4
    if ver_ihl >> 4 != 4 or checksum(packet[:header_len]) != 0:
        raise ValueError("not a valid IPv4 header")
    return {
        "src": src,
        "dst": dst,
        "protocol": proto,
        "ident": ident,
        "ttl": ttl,
        "flags": flags,
        "header": packet[:header_len],
        "payload": packet[header_len:total],
    }


def parse_icmp(message: bytes) -> dict:
    """type, code, the 4 rest-of-header bytes (id and seq for echo) and the body; checks the checksum."""
    if checksum(message) != 0:
        raise ValueError("ICMP checksum does not verify")
    icmp_type, code, _csum, ident, seq = ICMP.unpack_from(message)
    return {"type": icmp_type, "code": code, "id": ident, "seq": seq, "body": message[ICMP.size :]}
