"""--pcap FILE: every frame the NIC sees, in the classic libpcap format.

The format is the one tcpdump has written since 1990 (pcap-savefile(5), and
draft-ietf-opsawg-pcap): a 24-byte file header, then per frame a 16-byte record
header and the bytes.  Each record is flushed, so `tcpdump -r` or Wireshark can
read the file while the machine runs.  Like smoltcp's phy::PcapWriter, the
recorder wraps any backend and the device never knows it is there.
"""

from __future__ import annotations

import struct
import threading
import time

from jsksh.machine.netdev.base import Deliver, NetBackend

PCAP_MAGIC = 0xA1B2C3D4  # microsecond timestamps; readers detect our byte order from it
PCAP_VERSION = (2, 4)
SNAPLEN = 65535
LINKTYPE_ETHERNET = 1
# Little-endian, as written on every machine this runs on; readers swap as needed.
FILE_HEADER = struct.Struct("<IHHiIII")  # magic, major, minor, thiszone, sigfigs, snaplen, network
RECORD_HEADER = struct.Struct("<IIII")  # ts_sec, ts_usec, incl_len, orig_len


class PcapWriter:
    def __init__(self, path: str):
        self.path = path
        self._lock = threading.Lock()  # frames come from the kernel thread and the I/O thread
        self._file = open(path, "wb")  # kept open for the machine's life
        self._file.write(FILE_HEADER.pack(PCAP_MAGIC, *PCAP_VERSION, 0, 0, SNAPLEN, LINKTYPE_ETHERNET))
        self._file.flush()
        self.frames = 0

    def write(self, frame: bytes, timestamp: float | None = None) -> None:
        """Append one frame (cut to SNAPLEN; orig_len keeps the real length)."""
        ts = time.time() if timestamp is None else timestamp
        sec = int(ts)
        usec = min(int((ts - sec) * 1_000_000), 999_999)
        data = frame[:SNAPLEN]
        with self._lock:
            if self._file.closed:
                return
            self._file.write(RECORD_HEADER.pack(sec, usec, len(data), len(frame)) + data)
            self._file.flush()  # a reader tailing the file sees whole records
            self.frames += 1

    def close(self) -> None:
        with self._lock:
            self._file.close()


class PcapBackend(NetBackend):
    """Records frames in both directions, then passes them on unchanged."""

    def __init__(self, inner: NetBackend, writer: PcapWriter):
        super().__init__()
        self.inner = inner
        self.writer = writer
        self.name = f"{inner.name}+pcap"
        self.link_up = inner.link_up
        self.stats = inner.stats  # the counters are the inner backend's
        inner.attach(self._received)

    def attach(self, deliver: Deliver) -> None:
        self.deliver = deliver

    def _received(self, frame: bytes) -> None:
        self.writer.write(frame)
        self.deliver(frame)

    def send(self, frame: bytes) -> None:
        self.writer.write(frame)
        self.inner.send(frame)

    def poll(self) -> None:
        self.inner.poll()  # what it delivers comes back through _received, recorded

    def close(self) -> None:
        self.inner.close()
        self.writer.close()

    def describe(self) -> dict:
        return {**self.inner.describe(), "pcap": self.writer.path, "pcap_frames": self.writer.frames}
