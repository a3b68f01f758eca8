"""The interface every network backend implements: Ethernet frames in and out.

A backend is the host side of the NIC's cable. The virtio-net device hands it
each frame the guest transmits (``send``, without the virtio header) and gets
back, through the ``deliver`` callback given to ``attach``, each frame for the
guest. Backends run their sockets on the machine's I/O thread (IOLoop);
``deliver`` may be called from that thread. Like Firecracker's and smoltcp's
phy layer, the device knows nothing about what is behind this interface.
"""

from __future__ import annotations

from collections.abc import Callable

# deliver(frame) or deliver(frame, header): a backend that takes virtio-net
# headers (takes_vnet_hdr) may give each frame the 12-byte header it came with.
Deliver = Callable[..., None]


class NetBackend:
    name = "none"
    # Whether a cable is plugged in: the NIC reports it in its STATUS field
    # (virtio 1.2 §5.1.4), and the kernel waits for DHCP only on a live link.
    link_up = False
    # Whether send_vnet() takes the guest's virtio-net header with a frame
    # (checksum and segmentation offload done by the host, virtio 1.2
    # §5.1.6.2). The device finishes such frames in software for a backend
    # that does not (jsksh/machine/virtio/net_offload.py).
    takes_vnet_hdr = False

    def __init__(self):
        self.deliver: Deliver = lambda frame: None
        self.stats = {"tx_frames": 0, "rx_frames": 0, "tx_dropped": 0, "rx_dropped": 0}

    def attach(self, deliver: Deliver) -> None:
        """Frames for the guest go to ``deliver(frame)`` from now on."""
        self.deliver = deliver

    def send(self, frame: bytes) -> None:
        """A frame the guest transmitted. Must not block (drop and count instead)."""
        self.stats["tx_dropped"] += 1

    def send_vnet(self, header: bytes, frame: bytes) -> None:
        """A frame with its virtio-net header (only if takes_vnet_hdr)."""
        raise NotImplementedError(f"{self.name}: no virtio-net headers")

    def set_guest_offloads(self, csum: bool, tso4: bool) -> None:
        """What the guest's driver accepts in frames for it (GUEST_CSUM,
        GUEST_TSO4): a backend that can hand over offloaded frames may from
        now on. Called by the device at DRIVER_OK and at reset."""

    def poll(self) -> None:
        """Deliver, now and on the caller's thread, frames the peer has already
        sent (busy polling: the device calls it after a transmit). A backend
        that cannot do it without blocking does nothing."""

    def close(self) -> None:
        """Release sockets and devices; no ``deliver`` after this returns."""

    def describe(self) -> dict:
        return {"backend": self.name, **self.stats}
