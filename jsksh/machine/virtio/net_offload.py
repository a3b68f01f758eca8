"""virtio-net offloads done by the device itself, for a backend that takes plain frames.

With VIRTIO_NET_F_CSUM and VIRTIO_NET_F_HOST_TSO4 negotiated (virtio 1.2
§5.1.6.2), the driver may hand the device a frame whose TCP/UDP checksum is
left for someone else to finish (flags NEEDS_CSUM, csum_start, csum_offset)
and a TCP segment larger than the link's MTU to be cut into MSS-sized ones
(gso_type TCPV4, gso_size).  A TAP device opened with IFF_VNET_HDR takes such
frames as they are: the Linux kernel finishes them, or never has to (a large
segment delivered locally is accepted whole, as a GRO'd one would be).  Every
other backend (user NAT, stream, a pcap or fault-injection wrapper) carries
wire frames, so the device finishes them here first, as QEMU's
net/checksum.c and Linux's software GSO (tcp_gso_segment) do.

Pure functions over bytes; the device (net.py) decides when to call them.
"""

from __future__ import annotations

import struct

from jsksh.machine.checksum import ones_sum

# struct virtio_net_hdr (§5.1.6): u8 flags, u8 gso_type, le16 hdr_len,
# gso_size, csum_start, csum_offset, num_buffers (VERSION_1: always there).
NET_HDR = struct.Struct("<BBHHHHH")
NET_HDR_LEN = NET_HDR.size  # 12

FLAG_NEEDS_CSUM = 1  # the checksum at csum_start + csum_offset is still to be done
FLAG_DATA_VALID = 2  # (received frames) the checksum was checked already
GSO_NONE = 0
GSO_TCPV4 = 1
GSO_ECN = 0x80  # may be or'ed into gso_type; we never offer HOST_ECN

ETH_HLEN = 14
ETHERTYPE_IPV4 = 0x0800
PROTO_TCP = 6
TCP_FIN = 0x01
TCP_PSH = 0x08
TCP_CWR = 0x80


class OffloadError(ValueError):
    """A frame whose virtio-net header asks for something impossible; `reason` names it."""

    def __init__(self, reason: str, detail: str = ""):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason


def _fold(s: int) -> int:
    while s > 0xFFFF:
        s = (s & 0xFFFF) + (s >> 16)
    return s


def finish_checksum(frame: bytearray, start: int, offset: int) -> None:
    """NEEDS_CSUM (§5.1.6.2): sum from csum_start to the end (the field holds
    the pseudo-header's sum already) and store its complement at csum_start + csum_offset."""
    if start + offset + 2 > len(frame) or offset % 2:
        raise OffloadError(
            "bad-csum-offset", f"csum_start {start} + csum_offset {offset} in a {len(frame)}-byte frame"
        )
    value = ~ones_sum(memoryview(frame)[start:]) & 0xFFFF
    frame[start + offset : start + offset + 2] = value.to_bytes(2, "big")


def _pseudo_sum(src: bytes, dst: bytes, proto: int, length: int) -> int:
    return ones_sum(src + dst + struct.pack("!BBH", 0, proto, length))


def segment_tcp4(frame: bytes, gso_size: int) -> list[bytes]:
    """Cut one large Ethernet/IPv4/TCP frame into frames of at most gso_size
    payload bytes, each with its own IP length, identification, IP and TCP
    checksums and sequence number.  As Linux's tcp_gso_segment: FIN and PSH
    stay on the last segment only, CWR on the first only."""
    if gso_size <= 0:
        raise OffloadError("bad-gso-size", "gso_size 0")
    if len(frame) < ETH_HLEN + 20 or frame[12:14] != b"\x08\x00":
        raise OffloadError("gso-not-ipv4")
    ihl = (frame[ETH_HLEN] & 0x0F) * 4
    if frame[ETH_HLEN] >> 4 != 4 or ihl < 20 or frame[ETH_HLEN + 9] != PROTO_TCP:
        raise OffloadError("gso-not-tcp4")
    tcp_at = ETH_HLEN + ihl
    if len(frame) < tcp_at + 20:
        raise OffloadError("gso-short")
    doff = (frame[tcp_at + 12] >> 4) * 4
    data_at = tcp_at + doff
    ip_total = int.from_bytes(frame[ETH_HLEN + 2 : ETH_HLEN + 4], "big")
    if doff < 20 or data_at > len(frame) or ETH_HLEN + ip_total > len(frame) or ETH_HLEN + ip_total < data_at:
        raise OffloadError("gso-short", "headers run past the frame")
    end = ETH_HLEN + ip_total  # anything after the IP packet is padding, not data
    payload = memoryview(frame)[data_at:end]
    src, dst = bytes(frame[ETH_HLEN + 12 : ETH_HLEN + 16]), bytes(frame[ETH_HLEN + 16 : ETH_HLEN + 20])
    ip_id = int.from_bytes(frame[ETH_HLEN + 4 : ETH_HLEN + 6], "big")
    seq = int.from_bytes(frame[tcp_at + 4 : tcp_at + 8], "big")
    flags = frame[tcp_at + 13]
    headers = bytearray(frame[:data_at])
    out = []
    count = max(1, -(-len(payload) // gso_size))
    for i in range(count):
        piece = payload[i * gso_size : (i + 1) * gso_size]
        h = bytearray(headers)
        last = i == count - 1
        seg_flags = flags
        if not last:
            seg_flags &= ~(TCP_FIN | TCP_PSH)
        if i:
            seg_flags &= ~TCP_CWR
        h[tcp_at + 13] = seg_flags
        h[tcp_at + 4 : tcp_at + 8] = ((seq + i * gso_size) & 0xFFFFFFFF).to_bytes(4, "big")
        # IPv4: total length, identification (one per segment, as Linux),
        # and the header checksum again (RFC 791 §3.1).
        h[ETH_HLEN + 2 : ETH_HLEN + 4] = (ihl + doff + len(piece)).to_bytes(2, "big")
        h[ETH_HLEN + 4 : ETH_HLEN + 6] = ((ip_id + i) & 0xFFFF).to_bytes(2, "big")
        h[ETH_HLEN + 10 : ETH_HLEN + 12] = b"\0\0"
        h[ETH_HLEN + 10 : ETH_HLEN + 12] = (~ones_sum(h[ETH_HLEN:tcp_at]) & 0xFFFF).to_bytes(2, "big")
        # TCP: the whole checksum, over the pseudo-header and this segment.
        h[tcp_at + 16 : tcp_at + 18] = b"\0\0"
        tcp_len = doff + len(piece)
        s = _fold(_pseudo_sum(src, dst, PROTO_TCP, tcp_len) + ones_sum(h[tcp_at:]) + ones_sum(piece))
        h[tcp_at + 16 : tcp_at + 18] = (~s & 0xFFFF).to_bytes(2, "big")
        out.append(bytes(h) + piece)
    return out


def finish_frame(header: bytes, frame: bytes) -> list[bytes]:
    """What a plain-frame backend must be sent for one transmitted frame:
    the frame itself (no offload asked), with its checksum finished, or the
    wire-sized segments of a TSO frame.  Raises OffloadError on nonsense."""
    flags, gso_type, _hdr_len, gso_size, csum_start, csum_offset, _ = NET_HDR.unpack_from(header)
    kind = gso_type & ~GSO_ECN
    if kind == GSO_TCPV4:
        # Every segment's checksums are computed whole: NEEDS_CSUM's partial
        # sum in the TCP field is replaced, not finished.
        return segment_tcp4(frame, gso_size)
    if kind != GSO_NONE:
        raise OffloadError("gso-type", f"gso_type {gso_type} was never offered")
    if flags & FLAG_NEEDS_CSUM:
        out = bytearray(frame)
        finish_checksum(out, csum_start, csum_offset)
        return [bytes(out)]
    return [frame]
