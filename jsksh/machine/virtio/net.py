"""virtio-net (virtio 1.2 §5.1): the machine's NIC, one Ethernet port.

receiveq (0) holds device-writable buffers the driver posted; each frame from
the backend goes into one of them behind a 12-byte virtio_net_hdr (§5.1.6).
transmitq (1) carries the guest's frames, header first; we strip the header and
hand the Ethernet frame to a NetBackend (jsksh/machine/netdev/).

No offloads are offered (no CSUM, GSO or MRG_RXBUF), so every header we write
is all zeroes except num_buffers = 1, and every frame fits one rx buffer.
"""

from __future__ import annotations

import re
import struct
from collections import deque

from jsksh.machine.netdev.base import NetBackend
from jsksh.machine.virtio.device import VirtioDevice
from jsksh.machine.virtio.queue import Chain, QueueError, Virtqueue

# Feature bits (§5.1.3).  We offer MAC and STATUS; VERSION_1 is the transport's.
VIRTIO_NET_F_CSUM = 0
VIRTIO_NET_F_GUEST_CSUM = 1
VIRTIO_NET_F_MTU = 3
VIRTIO_NET_F_MAC = 5
VIRTIO_NET_F_MRG_RXBUF = 15
VIRTIO_NET_F_STATUS = 16
VIRTIO_NET_F_CTRL_VQ = 17

VIRTIO_NET_S_LINK_UP = 1  # config `status` (§5.1.4)

RECEIVEQ = 0
TRANSMITQ = 1

# struct virtio_net_hdr with VERSION_1 (§5.1.6): u8 flags, u8 gso_type,
# le16 hdr_len, gso_size, csum_start, csum_offset, num_buffers.
NET_HDR = struct.Struct("<BBHHHHH")
NET_HDR_LEN = NET_HDR.size  # 12
VIRTIO_NET_HDR_GSO_NONE = 0
# What we put in front of every received frame: no flags, no GSO, and
# num_buffers = 1 (§5.1.6.4: without MRG_RXBUF the device MUST set it to 1).
RX_HEADER = NET_HDR.pack(0, VIRTIO_NET_HDR_GSO_NONE, 0, 0, 0, 0, 1)

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
    "tx_dropped_gso",  # a GSO header we never offered
    "tx_dropped_backend",  # the backend raised OSError
)


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
        VIRTIO_NET_F_MRG_RXBUF: "MRG_RXBUF",
        VIRTIO_NET_F_STATUS: "STATUS",
        VIRTIO_NET_F_CTRL_VQ: "CTRL_VQ",
    }

    def __init__(self, backend: NetBackend, mac: bytes):
        if len(mac) != 6:
            raise ValueError(f"a MAC address is 6 bytes, not {len(mac)}")
        super().__init__(num_queues=2, features=1 << VIRTIO_NET_F_MAC | 1 << VIRTIO_NET_F_STATUS)
        self.backend = backend
        self.mac = bytes(mac)
        self.link_up = backend.link_up
        self.counters = dict.fromkeys(COUNTERS, 0)
        # Frames from the backend that no rx buffer has taken yet.  They
        # survive a reset (the driver's first act is one), like console input.
        self._pending: deque[bytes] = deque()
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
        # flags may ask for NEEDS_CSUM only with CSUM negotiated, and we never
        # offer it, so only gso_type can make a frame something we cannot send.
        if data[1] != VIRTIO_NET_HDR_GSO_NONE:
            c["tx_dropped_gso"] += 1
            return
        frame = data[NET_HDR_LEN:]
        try:
            self.backend.send(frame)
        except OSError:
            c["tx_dropped_backend"] += 1
            return
        c["tx_frames"] += 1
        c["tx_bytes"] += len(frame)

    # -- backend -> guest (§5.1.6.3, §5.1.6.4) -----------------------------------

    def deliver(self, frame: bytes) -> None:
        """A frame for the guest, from any thread (a backend's I/O callback)."""
        if self.transport is None:  # not wired to a transport yet: nobody could take it
            self.counters["rx_dropped_no_buffer"] += 1
            return
        with self.guarded():
            self._pending.append(bytes(frame))
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
            frame = self._pending.popleft()
            if chain.writable_len < NET_HDR_LEN + len(frame):
                # The driver should post 1526+ bytes (§5.1.6.3.1); a frame that
                # does not fit is dropped and the buffer waits for the next one.
                self.counters["rx_dropped_too_big"] += 1
                self._spare = (queue, chain)
                continue
            n = chain.write(RX_HEADER + frame)
            queue.push(chain.head, n)
            self.counters["rx_frames"] += 1
            self.counters["rx_bytes"] += len(frame)
            used = True
        if used:
            self.signal(queue)  # every path that returns rx buffers interrupts

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
