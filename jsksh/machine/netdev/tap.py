"""A Linux TAP device as the NIC's cable: the host kernel is the peer (--net tap:IFNAME).

Opening /dev/net/tun and TUNSETIFF with IFF_TAP | IFF_NO_PI | IFF_VNET_HDR
gives a file descriptor on which each read() is one Ethernet frame and each
write() sends one (Documentation/networking/tuntap.rst), each behind a
virtio-net header (TUNSETVNETHDRSZ 12: the header of virtio 1.2 §5.1.6 with
num_buffers).  So the guest's offloads pass straight through: a 64 KiB TCP
segment with its checksum undone goes to the Linux kernel as it is (which
delivers it whole, or cuts it at its own egress), and with TUNSETOFFLOAD
Linux hands us such segments for the guest too, as vhost-net does for QEMU.
Addresses and routes are not ours to set: configure the interface with `ip`,
as you would for QEMU's -netdev tap.
"""

from __future__ import annotations

import errno
import fcntl
import os
import selectors
import struct
import threading

from jsksh.machine.ioloop import IOLoop
from jsksh.machine.netdev.base import NetBackend

TUN_PATH = "/dev/net/tun"
TUNSETIFF = 0x400454CA  # _IOW('T', 202, int)
TUNSETOFFLOAD = 0x400454D0  # _IOW('T', 208, unsigned int): what we accept from Linux
TUNSETVNETHDRSZ = 0x400454D8  # _IOW('T', 216, int)
IFF_TAP = 0x0002
IFF_NO_PI = 0x1000  # no 4-byte packet-information prefix: the bytes are the frame
IFF_VNET_HDR = 0x4000  # a virtio_net_hdr in front of each frame, both ways
TUN_F_CSUM = 0x01  # we take frames whose checksum is undone (NEEDS_CSUM)
TUN_F_TSO4 = 0x02  # we take TCP/IPv4 segments larger than the MTU
VNET_HDR_LEN = 12  # virtio 1.2 §5.1.6 with VERSION_1: num_buffers included
PLAIN_HEADER = bytes(VNET_HDR_LEN)  # no offload asked
IFNAMSIZ = 16
_IFREQ = struct.Struct(f"{IFNAMSIZ}sH22x")  # struct ifreq: name, then ifr_flags in the union (40 bytes)

# One read() returns one frame behind its header: with TSO a frame is an IP
# packet of up to 65535 bytes, plus the Ethernet and virtio-net headers.
MAX_READ = VNET_HDR_LEN + 14 + 65535
READS_PER_WAKEUP = 64  # then let the other sockets on the I/O thread have a turn


class TapBackend(NetBackend):
    name = "tap"
    link_up = True
    takes_vnet_hdr = True

    def __init__(self, loop: IOLoop, ifname: str):
        super().__init__()
        if not ifname or len(ifname.encode()) >= IFNAMSIZ or "/" in ifname or " " in ifname:
            raise ValueError(f"tap: bad interface name {ifname!r} (1-{IFNAMSIZ - 1} characters)")
        self.loop = loop
        try:
            fd = os.open(TUN_PATH, os.O_RDWR | os.O_NONBLOCK | os.O_CLOEXEC)
        except OSError as err:
            raise OSError(
                f"tap: cannot open {TUN_PATH}: {err.strerror} (need root or CAP_NET_ADMIN)"
            ) from err
        try:
            flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR
            ifr = fcntl.ioctl(fd, TUNSETIFF, _IFREQ.pack(ifname.encode(), flags))
            fcntl.ioctl(fd, TUNSETVNETHDRSZ, struct.pack("i", VNET_HDR_LEN))
        except OSError as err:
            os.close(fd)
            hint = " (need root or CAP_NET_ADMIN)" if err.errno == errno.EPERM else ""
            raise OSError(f"tap: cannot attach to {ifname}: {err.strerror}{hint}") from err
        self.fd = fd
        # The kernel writes the real name back (it matters for patterns like "tap%d").
        self.ifname = _IFREQ.unpack(ifr)[0].rstrip(b"\0").decode()
        self._closed = False
        self._guest_offloads = 0  # TUN_F_* bits in force: none until the guest's driver says
        # One reader at a time, so frames reach the guest in the order the
        # TAP gave them: the I/O thread, or a transmit's busy poll (poll()).
        self._rx_lock = threading.Lock()
        self.error: str | None = None  # why reading stopped, if it did
        loop.register(fd, selectors.EVENT_READ, self._readable)

    def send(self, frame: bytes) -> None:
        """One write() is one frame; a full device queue drops it, as a busy NIC would."""
        self.send_vnet(PLAIN_HEADER, frame)

    def send_vnet(self, header: bytes, frame: bytes) -> None:
        """The frame behind the guest's own virtio-net header, in one write."""
        if self._closed:
            self.stats["tx_dropped"] += 1
            return
        try:
            os.writev(self.fd, (header, frame))
        except OSError:
            # EAGAIN: the tap's queue is full; EIO: the interface is down.
            # Neither is the guest's problem, and neither may block it.
            self.stats["tx_dropped"] += 1
            return
        self.stats["tx_frames"] += 1

    def set_guest_offloads(self, csum: bool, tso4: bool) -> None:
        """TUNSETOFFLOAD: the features of the TAP device Linux sees, so it
        sends us checksum-undone frames (csum) and 64 KiB segments (tso4)
        only when the guest's driver takes them."""
        bits = (TUN_F_CSUM if csum else 0) | (TUN_F_TSO4 if csum and tso4 else 0)
        if bits == self._guest_offloads or self._closed:
            return
        try:
            fcntl.ioctl(self.fd, TUNSETOFFLOAD, bits)
        except OSError as err:
            self.error = f"tap: TUNSETOFFLOAD on {self.ifname} failed: {err.strerror}"
            return
        self._guest_offloads = bits

    def _readable(self, _mask: int) -> None:
        """I/O thread: read frames until the device is empty (or we had our share)."""
        with self._rx_lock:
            self._read_frames()

    def poll(self) -> None:
        """After the guest transmits, read what Linux has already answered, on
        the transmitting thread: the host kernel handles a frame written to a
        TAP within the write() (an ICMP echo, a TCP ACK), so the answer is
        often waiting before write() returns.  Taking it now saves the I/O
        thread's wake-up and the kernel's sleep and wake-up between the frame
        and its answer (Linux's SO_BUSY_POLL does the same for sockets).  If
        the I/O thread is reading, it will deliver them."""
        if self._rx_lock.acquire(blocking=False):
            try:
                self._read_frames()
            finally:
                self._rx_lock.release()

    def _read_frames(self) -> None:
        for _ in range(READS_PER_WAKEUP):
            if self._closed:
                return
            try:
                data = os.read(self.fd, MAX_READ)
            except BlockingIOError:
                return
            except OSError as err:
                # EBADFD: the interface was deleted under us.  Stop listening
                # instead of spinning on an fd that is always "readable".
                self.stats["rx_dropped"] += 1
                self.loop.unregister(self.fd)
                self.error = f"tap: read from {self.ifname} failed: {err.strerror}"
                return
            if len(data) <= VNET_HDR_LEN:
                self.stats["rx_dropped"] += 1
                continue
            self.stats["rx_frames"] += 1
            # The header matters only once the guest takes offloads; before,
            # Linux finishes every frame and DATA_VALID is only a hint.
            if self._guest_offloads and (data[0] or data[1]):
                self.deliver(data[VNET_HDR_LEN:], data[:VNET_HDR_LEN])
            else:
                self.deliver(data[VNET_HDR_LEN:])

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        fd = self.fd
        self.loop.unregister(fd)
        # Closed on the I/O thread, after the unregister: the fd number must
        # not be reused by another open while the selector still watches it.
        self.loop.call_soon(lambda: os.close(fd))

    def describe(self) -> dict:
        offloads = [
            name for bit, name in ((TUN_F_CSUM, "csum"), (TUN_F_TSO4, "tso4")) if self._guest_offloads & bit
        ]
        return {**super().describe(), "ifname": self.ifname, "guest_offloads": offloads, "error": self.error}
