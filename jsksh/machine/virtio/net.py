"""virtio-net (virtio 1.2 §5.1): the machine's NIC, one Ethernet port.

receiveq (0) holds device-writable buffers the driver posted; each frame from
the backend goes into one of them behind a 12-byte virtio_net_hdr (§5.1.6).
transmitq (1) carries the guest's frames, header first; we strip the header and
hand the Ethernet frame to a NetBackend (jsksh/machine/netdev/).

Offloads (§5.1.6.2-3): we offer CSUM and HOST_TSO4, so the guest may hand us
a TCP segment of up to 64 KiB with its checksum left undone, and GUEST_CSUM
and GUEST_TSO4, so a backend may hand the guest such segments.  A backend
that takes virtio-net headers (a TAP with IFF_VNET_HDR) gets the guest's
header with the frame and gives us one with each frame; for every other
backend we finish the frames in software (net_offload.py) and never enable
its guest offloads.  MRG_RXBUF is not offered: with GUEST_TSO4 the driver
posts 64 KiB buffers (§5.1.6.3.1), so every frame still fits one buffer.
"""

from __future__ import annotations

import re
import struct
from collections import deque

from jsksh.machine.netdev.base import NetBackend
from jsksh.machine.virtio.device import VirtioDevice
from jsksh.machine.virtio.net_offload import (
    FLAG_NEEDS_CSUM,
    GSO_NONE,
    NET_HDR,
    NET_HDR_LEN,
    OffloadError,
    finish_checksum,
    finish_frame,
    segment_tcp4,
)
from jsksh.machine.virtio.queue import Chain, QueueError, Virtqueue

# Feature bits (§5.1.3).  VERSION_1 is the transport's.
VIRTIO_NET_F_CSUM = 0  # the driver may leave a checksum to us (NEEDS_CSUM)
VIRTIO_NET_F_GUEST_CSUM = 1  # we may hand the driver frames with checksums undone or checked
VIRTIO_NET_F_MTU = 3
VIRTIO_NET_F_MAC = 5
VIRTIO_NET_F_GUEST_TSO4 = 7  # we may hand the driver TCP segments larger than the MTU
VIRTIO_NET_F_HOST_TSO4 = 11  # the driver may hand us such segments to cut (gso_type TCPV4)
VIRTIO_NET_F_MRG_RXBUF = 15
VIRTIO_NET_F_STATUS = 16
VIRTIO_NET_F_CTRL_VQ = 17

VIRTIO_NET_S_LINK_UP = 1  # config `status` (§5.1.4)

RECEIVEQ = 0
TRANSMITQ = 1

# What we put in front of a received frame that came without a header: no
# flags, no GSO, and num_buffers = 1 (§5.1.6.4: without MRG_RXBUF the device
# MUST set it to 1).  A backend's own header gets num_buffers = 1 too.
RX_HEADER = NET_HDR.pack(0, GSO_NONE, 0, 0, 0, 0, 1)
NUM_BUFFERS_1 = b"\x01\x00"

ETH_HLEN = 14  # shorter than an Ethernet header is not a frame
MAX_PENDING_FRAMES = 256  # frames held while the driver has no rx buffer posted

COUNTERS = (
    "rx_frames",  # frames written into guest buffers
    "rx_bytes",  # their Ethernet bytes (without the virtio header)
    "tx_frames",  # frames handed to the backend
    "tx_bytes",
    "rx_dropped_no_buffer",  # the pending queue was full: the guest is not taking frames
    "rx_dropped_too_big",  # header + frame did not fit the posted buffer
    "tx_dropped_runt",  # chain shorter than header + Ethernet header
    "tx_dropped_gso",  # a GSO or checksum request not negotiated, or impossible to do
    "tx_dropped_backend",  # the backend raised OSError
    "tx_tso_frames",  # frames the driver handed us to segment (gso_type TCPV4)
    "tx_sw_segments",  # wire frames we cut from them ourselves, for a plain-frame backend
    "tx_sw_csum",  # checksums we finished ourselves (NEEDS_CSUM, plain-frame backend)
    "rx_offloaded",  # frames handed to the driver with a backend's header (csum or GSO)
)

# What the device offers; the driver takes a subset (§5.1.3.1: each TSO
# bit needs its CSUM bit, which a driver must check).  Transmit offloads
# always: for a plain-frame backend we do the work ourselves.  Receive
# offloads only for a backend that can hand us such frames (as QEMU offers
# them only with a vnet-header peer): the others never would, and a driver
# that takes GUEST_TSO4 posts 64 KiB buffers for nothing.
# --net-offload takes some back, to measure what each buys (QEMU's
# csum=off, gso=off... device properties).
OFFERED = (VIRTIO_NET_F_MAC, VIRTIO_NET_F_STATUS)
OFFLOADS = {
    "all": ((VIRTIO_NET_F_CSUM, VIRTIO_NET_F_HOST_TSO4), (VIRTIO_NET_F_GUEST_CSUM, VIRTIO_NET_F_GUEST_TSO4)),
    "csum": ((VIRTIO_NET_F_CSUM,), (VIRTIO_NET_F_GUEST_CSUM,)),
    "none": ((), ()),
}


def parse_mac(text: str) -> bytes:
    """'52:54:00:12:34:56' -> 6 bytes; ValueError with the reason otherwise."""
    parts = text.split(":")
    if len(parts) != 6 or not all(re.fullmatch("[0-9a-fA-F]{1,2}", p) for p in parts):
        raise ValueError(f"bad MAC address {text!r}: expected six hex octets like 52:54:00:12:34:56")
    return bytes(int(p, 16) for p in parts)


def format_mac(mac: bytes) -> str:
    return ":".join(f"{b:02x}" for b in mac)


class NetDevice(VirtioDevice):
    device_id = 1
    name = "virtio-net"
    feature_names = {
        VIRTIO_NET_F_CSUM: "CSUM",
        VIRTIO_NET_F_GUEST_CSUM: "GUEST_CSUM",
        VIRTIO_NET_F_MTU: "MTU",
        VIRTIO_NET_F_MAC: "MAC",
        VIRTIO_NET_F_GUEST_TSO4: "GUEST_TSO4",
        VIRTIO_NET_F_HOST_TSO4: "HOST_TSO4",
        VIRTIO_NET_F_MRG_RXBUF: "MRG_RXBUF",
        VIRTIO_NET_F_STATUS: "STATUS",
        VIRTIO_NET_F_CTRL_VQ: "CTRL_VQ",
    }

    def __init__(self, backend: NetBackend, mac: bytes, offload: str = "all"):
        if len(mac) != 6:
            raise ValueError(f"a MAC address is 6 bytes, not {len(mac)}")
        if offload not in OFFLOADS:
            raise ValueError(f"--net-offload {offload!r}: expected one of {', '.join(OFFLOADS)}")
        host, guest = OFFLOADS[offload]
        offered = OFFERED + host + (guest if backend.takes_vnet_hdr else ())
        super().__init__(num_queues=2, features=sum(1 << bit for bit in offered))
        self.backend = backend
        self.mac = bytes(mac)
        self.link_up = backend.link_up
        self.counters = dict.fromkeys(COUNTERS, 0)
        # Frames from the backend that no rx buffer has taken yet, each with
        # its header (None: a plain frame).  They survive a reset (the
        # driver's first act is one), like console input.
        self._pending: deque[tuple[bytes, bytes | None]] = deque()
        # An rx chain too small for the frame we tried: QEMU puts it back on
        # the ring (virtqueue_unpop); we keep it aside for the next frame.
        self._spare: tuple[Virtqueue, Chain] | None = None
        backend.attach(self.deliver)

    @property
    def config(self) -> bytes:
        # §5.1.4: u8 mac[6]; le16 status (only meaningful with STATUS).
        return self.mac + struct.pack("<H", VIRTIO_NET_S_LINK_UP if self.link_up else 0)

    def queue_name(self, index: int) -> str:
        return "receiveq" if index == RECEIVEQ else "transmitq"

    def reset(self) -> None:
        super().reset()
        self._spare = None  # it belonged to rings that no longer exist
        self.backend.set_guest_offloads(csum=False, tso4=False)  # until a driver says again

    def activate(self) -> None:
        # The features are settled (FEATURES_OK came before DRIVER_OK): a
        # backend that can hand the guest offloaded frames may start now.
        if self.backend.takes_vnet_hdr:
            self.backend.set_guest_offloads(
                csum=self.has(VIRTIO_NET_F_GUEST_CSUM),
                tso4=self.has(VIRTIO_NET_F_GUEST_CSUM) and self.has(VIRTIO_NET_F_GUEST_TSO4),
            )
        super().activate()

    def set_link(self, up: bool) -> None:
        """Plug or unplug the cable: config status changes, the driver hears a config interrupt."""
        with self.transport.lock:
            if self.link_up != up:
                self.link_up = up
                self.transport.config_changed()

    def notify(self, index: int) -> None:
        if index == TRANSMITQ:
            self._transmit()
        else:
            self._fill_rx()  # new rx buffers: hand over what has been waiting

    # -- guest -> backend (§5.1.6.2) ---------------------------------------------

    def _transmit(self) -> None:
        queue = self.queue(TRANSMITQ)
        if queue is None:
            return
        sent = 0
        while (chain := queue.pop()) is not None:
            self._send_one(chain.read_all())
            queue.push(chain.head, 0)  # we write nothing into a tx buffer
            sent += 1
        if sent:
            self.signal(queue)  # one interrupt for the batch, so the driver can reuse its buffers
        if sent == 1:
            # A lone frame is most often a question (a ping, a DNS query, a
            # TCP segment) whose answer the peer may already have given:
            # take it now (netdev/tap.py, poll).  After a burst, reading now
            # would only split the next batch of the I/O thread.
            self.backend.poll()

    def _send_one(self, data: bytes) -> None:
        c = self.counters
        if len(data) < NET_HDR_LEN + ETH_HLEN:
            c["tx_dropped_runt"] += 1
            return
        flags, gso_type = data[0], data[1]
        header, frame = data[:NET_HDR_LEN], data[NET_HDR_LEN:]
        backend = self.backend
        try:
            if not flags and gso_type == GSO_NONE:
                backend.send(frame)
            elif not self._offload_allowed(flags, gso_type):
                c["tx_dropped_gso"] += 1  # a header asking for what was not negotiated
                return
            elif backend.takes_vnet_hdr:
                backend.send_vnet(header, frame)  # the host kernel finishes it
            else:
                wire = finish_frame(header, frame)
                if gso_type != GSO_NONE:
                    c["tx_sw_segments"] += len(wire)
                else:
                    c["tx_sw_csum"] += 1
                for piece in wire:
                    backend.send(piece)
        except OffloadError:
            c["tx_dropped_gso"] += 1  # impossible offsets or headers: the driver's bug, not ours to crash on
            return
        except OSError:
            c["tx_dropped_backend"] += 1
            return
        if gso_type != GSO_NONE:
            c["tx_tso_frames"] += 1
        c["tx_frames"] += 1
        c["tx_bytes"] += len(frame)

    def _offload_allowed(self, flags: int, gso_type: int) -> bool:
        """§5.1.6.2.2: NEEDS_CSUM only with CSUM, gso_type TCPV4 only with HOST_TSO4."""
        if flags & ~FLAG_NEEDS_CSUM or (flags and not self.has(VIRTIO_NET_F_CSUM)):
            return False
        return gso_type == GSO_NONE or (gso_type == 1 and self.has(VIRTIO_NET_F_HOST_TSO4))

    # -- backend -> guest (§5.1.6.3, §5.1.6.4) -----------------------------------

    def deliver(self, frame: bytes, header: bytes | None = None) -> None:
        """A frame for the guest, from any thread (a backend's I/O callback);
        `header`: the backend's virtio-net header, if it gave one."""
        if self.transport is None:  # not wired to a transport yet: nobody could take it
            self.counters["rx_dropped_no_buffer"] += 1
            return
        with self.guarded():
            self._pending.append((bytes(frame), header))
            self._fill_rx()
            if len(self._pending) > MAX_PENDING_FRAMES:
                # Tail drop, like a NIC whose FIFO is full: the guest is not
                # posting buffers, and holding more frames would only hold stale ones.
                self._pending.pop()
                self.counters["rx_dropped_no_buffer"] += 1

    def _fill_rx(self) -> None:
        queue = self.queue(RECEIVEQ)
        if queue is None:
            return
        used = False
        while self._pending and (chain := self._next_rx_chain(queue)) is not None:
            frame, header = self._pending.popleft()
            if header is None:
                header = RX_HEADER
            else:
                frame, header = self._for_driver(frame, header)
                if frame is None:
                    self._spare = (queue, chain)
                    continue
            if chain.writable_len < NET_HDR_LEN + len(frame):
                # The driver should post 1526+ bytes (§5.1.6.3.1); a frame that
                # does not fit is dropped and the buffer waits for the next one.
                self.counters["rx_dropped_too_big"] += 1
                self._spare = (queue, chain)
                continue
            n = chain.write(header + frame)
            queue.push(chain.head, n)
            self.counters["rx_frames"] += 1
            self.counters["rx_bytes"] += len(frame)
            used = True
        if used:
            self.signal(queue)  # every path that returns rx buffers interrupts

    def _for_driver(self, frame: bytes, header: bytes) -> tuple[bytes | None, bytes]:
        """A backend's header, made right for this driver: num_buffers = 1,
        and what the driver did not negotiate done here (a backend is told
        the guest's offloads at DRIVER_OK, but frames already queued may
        predate it)."""
        flags, gso_type, _, gso_size, csum_start, csum_offset, _ = NET_HDR.unpack_from(header)
        if gso_type != GSO_NONE and not self.has(VIRTIO_NET_F_GUEST_TSO4):
            try:
                pieces = segment_tcp4(frame, gso_size)
            except OffloadError:
                self.counters["rx_dropped_too_big"] += 1
                return None, header
            self._pending.extendleft((p, None) for p in reversed(pieces[1:]))
            return pieces[0], RX_HEADER
        if flags & FLAG_NEEDS_CSUM and not self.has(VIRTIO_NET_F_GUEST_CSUM):
            out = bytearray(frame)
            try:
                finish_checksum(out, csum_start, csum_offset)
            except OffloadError:
                self.counters["rx_dropped_too_big"] += 1
                return None, header
            return bytes(out), RX_HEADER
        if not self.has(VIRTIO_NET_F_GUEST_CSUM):
            return frame, RX_HEADER  # DATA_VALID means nothing to this driver
        self.counters["rx_offloaded"] += 1
        return frame, header[:10] + NUM_BUFFERS_1

    def _next_rx_chain(self, queue: Virtqueue) -> Chain | None:
        spare, self._spare = self._spare, None
        if spare is not None and spare[0] is queue:
            return spare[1]
        chain = queue.pop()
        if chain is not None and not chain.writable:
            # QEMU: "virtio-net receive queue contains no in buffers".
            raise QueueError("receive buffer has no device-writable descriptor")
        return chain

    def describe(self) -> dict:
        info = super().describe()
        backend = self.backend.describe()  # outside our lock: backends have their own
        with self.transport.lock:
            info["config"] = {"mac": format_mac(self.mac), "link_up": self.link_up}
            info["counters"] = dict(self.counters)
            info["rx_pending"] = len(self._pending)
        info["backend"] = backend
        return info
