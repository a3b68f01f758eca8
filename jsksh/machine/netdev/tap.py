"""A Linux TAP device as the NIC's cable: the host kernel is the peer (--net tap:IFNAME).

Opening /dev/net/tun and TUNSETIFF with IFF_TAP | IFF_NO_PI gives a file
descriptor on which each read() is one Ethernet frame and each write() sends
one (Documentation/networking/tuntap.rst).  Addresses and routes are not ours
to set: configure the interface with `ip`, as you would for QEMU's -netdev tap.
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
IFF_TAP = 0x0002
IFF_NO_PI = 0x1000  # no 4-byte packet-information prefix: the bytes are the frame
IFNAMSIZ = 16
_IFREQ = struct.Struct(f"{IFNAMSIZ}sH22x")  # struct ifreq: name, then ifr_flags in the union (40 bytes)

MAX_FRAME = 65536  # one read() returns one frame; a TAP frame is never longer
READS_PER_WAKEUP = 64  # then let the other sockets on the I/O thread have a turn


class TapBackend(NetBackend):
    name = "tap"
    link_up = True

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
            ifr = fcntl.ioctl(fd, TUNSETIFF, _IFREQ.pack(ifname.encode(), IFF_TAP | IFF_NO_PI))
        except OSError as err:
            os.close(fd)
            hint = " (need root or CAP_NET_ADMIN)" if err.errno == errno.EPERM else ""
            raise OSError(f"tap: cannot attach to {ifname}: {err.strerror}{hint}") from err
        self.fd = fd
        # The kernel writes the real name back (it matters for patterns like "tap%d").
        self.ifname = _IFREQ.unpack(ifr)[0].rstrip(b"\0").decode()
        self._closed = False
        # One reader at a time, so frames reach the guest in the order the
        # TAP gave them: the I/O thread, or a transmit's busy poll (poll()).
        self._rx_lock = threading.Lock()
        self.error: str | None = None  # why reading stopped, if it did
        loop.register(fd, selectors.EVENT_READ, self._readable)

    def send(self, frame: bytes) -> None:
        """One write() is one frame; a full device queue drops it, as a busy NIC would."""
        if self._closed:
            self.stats["tx_dropped"] += 1
            return
        try:
            os.write(self.fd, frame)
        except OSError:
            # EAGAIN: the tap's queue is full; EIO: the interface is down.
            # Neither is the guest's problem, and neither may block it.
            self.stats["tx_dropped"] += 1
            return
        self.stats["tx_frames"] += 1

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
                frame = os.read(self.fd, MAX_FRAME)
            except BlockingIOError:
                return
            except OSError as err:
                # EBADFD: the interface was deleted under us.  Stop listening
                # instead of spinning on an fd that is always "readable".
                self.stats["rx_dropped"] += 1
                self.loop.unregister(self.fd)
                self.error = f"tap: read from {self.ifname} failed: {err.strerror}"
                return
            self.stats["rx_frames"] += 1
            self.deliver(frame)

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
        return {**super().describe(), "ifname": self.ifname, "error": self.error}
