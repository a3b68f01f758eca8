"""virtio-blk (virtio 1.2 §5.2): the machine's disk, a raw image file on the host.

One queue, "requestq" (§5.2.2).  Each request is a descriptor chain (§5.2.6):

    le32 type; le32 reserved; le64 sector;   16 bytes, device-readable
    u8 data[];                               readable for OUT, writable for IN and GET_ID
    u8 status;                               1 byte, device-writable, last

The device must not assume how the driver cut this into descriptors
(§2.6.4), so a request is read as "the readable bytes, then the writable
bytes", and the status is the last writable byte.

The write cache (§5.2.5, CONFIG_WCE, `writeback` in config): an OUT completes
once its bytes are in the host's page cache (pwrite), which plays the
device's volatile cache: a crash of the host or a power cut loses them,
a crash of this process alone does not.  Only FLUSH makes them durable: it
calls fdatasync on the image before it completes (§5.2.6.1: a write is
durable once a FLUSH issued after its completion has completed).  The
driver may turn the cache off (writeback = 0, write-through): then every
OUT is synced before it completes.  Every completed OUT and FLUSH is told
to the write recorder (jsksh/disk/recorder.py), in completion order, so a
crash simulator can rebuild the disk as a power cut at any point left it.

Threads (as QEMU's iothreads): the driver's QueueNotify trap, on the
kernel's thread, only takes the chains the driver made available and
copies their headers and write data out of the arena; an I/O thread of the
device's own (`jsksh-blk-io`) does the pread, pwrite and fdatasync and
then completes each request, used ring and interrupt, under the transport
lock.  A FLUSH's fdatasync can take milliseconds, or seconds on a busy
host disk; served in the trap it stopped the whole kernel, its network
stack and console included, for that long.  Requests are served and
completed in the order of the available ring, one at a time, unless
`completion="reversed"`: then each batch (the chains one notify found) is
served and completed last first, as §2.7 allows (used buffers need not
come back in the order they were made available), to test a driver's
handling of out-of-order completions.  The recorder, the counters and the
trace see requests as they complete.  A driver reset drops the
completions of requests still in flight (their writes may have reached
the image, as a reset disk's may); `close()` (power-off, reboot) first
finishes every request taken, then joins the thread, and `drain()` waits
for the requests taken so far (tests).

A malformed request (short header, data in the wrong direction, a length
that is not whole sectors, past the end of the disk) is answered
VIRTIO_BLK_S_IOERR and never raises into the machine; a type we do not
know, VIRTIO_BLK_S_UNSUPP (§5.2.6.1).  --disk-errors (jsksh/disk/faults.py)
makes chosen requests fail with IOERR.  Counters and a ring of the last
TRACE_LEN requests are the guest's `devices -v` and `blktrace` views.
"""

from __future__ import annotations

import struct
import threading
import time
from collections import deque
from contextlib import nullcontext

from jsksh.disk.image import SECTOR, DiskImage
from jsksh.disk.recorder import WriteRecorder
from jsksh.machine.virtio.device import VirtioDevice
from jsksh.machine.virtio.queue import Chain

# Feature bits (§5.2.3).  VERSION_1 is the transport's.
VIRTIO_BLK_F_SIZE_MAX = 1
VIRTIO_BLK_F_SEG_MAX = 2
VIRTIO_BLK_F_GEOMETRY = 4
VIRTIO_BLK_F_RO = 5
VIRTIO_BLK_F_BLK_SIZE = 6
VIRTIO_BLK_F_FLUSH = 9
VIRTIO_BLK_F_TOPOLOGY = 10
VIRTIO_BLK_F_CONFIG_WCE = 11
VIRTIO_BLK_F_DISCARD = 13
VIRTIO_BLK_F_WRITE_ZEROES = 14

# Request types (§5.2.6).
VIRTIO_BLK_T_IN = 0
VIRTIO_BLK_T_OUT = 1
VIRTIO_BLK_T_FLUSH = 4
VIRTIO_BLK_T_GET_ID = 8
TYPE_NAMES = {
    VIRTIO_BLK_T_IN: "in",
    VIRTIO_BLK_T_OUT: "out",
    VIRTIO_BLK_T_FLUSH: "flush",
    VIRTIO_BLK_T_GET_ID: "get_id",
}

# Status byte values (§5.2.6).
VIRTIO_BLK_S_OK = 0
VIRTIO_BLK_S_IOERR = 1
VIRTIO_BLK_S_UNSUPP = 2
STATUS_NAMES = {VIRTIO_BLK_S_OK: "ok", VIRTIO_BLK_S_IOERR: "ioerr", VIRTIO_BLK_S_UNSUPP: "unsupp"}

REQUESTQ = 0
QUEUE_MAX = 256
HEADER = struct.Struct("<IIQ")  # type, reserved, sector
ID_BYTES = 20  # GET_ID answers 20 bytes, NUL-padded if shorter (§5.2.6)
TRACE_LEN = 256  # requests the trace ring keeps
CONFIG_WRITEBACK = 32  # offset of `u8 writeback` in virtio_blk_config (§5.2.4)

COUNTERS = (
    "requests_in",
    "requests_out",
    "requests_flush",
    "requests_get_id",
    "requests_unsupported",  # a type we do not know: answered UNSUPP
    "sectors_read",
    "sectors_written",
    "flushes",  # fdatasync calls, from FLUSH (or from write-through OUTs)
    "errors",  # every IOERR answered, whatever the cause
    "errors_injected",  # of which --disk-errors chose
    "errors_malformed",  # of which the request itself was wrong (framing, length, past the end)
)


class Request:
    """One request, as the notify took it: the chain, its readable bytes (header and
    write data, copied out of the arena) and how many bytes it can take back."""

    __slots__ = ("chain", "head", "writable", "kind", "sector", "length", "status", "reply", "recorded")

    def __init__(self, chain: Chain, head: bytes, writable: int):
        self.chain = chain
        self.head = head
        self.writable = writable
        self.kind: int | None = None  # None: malformed framing (short header, no status byte)
        self.sector = 0
        self.length = 0  # data bytes, for the trace
        self.status = VIRTIO_BLK_S_IOERR
        self.reply = b""  # bytes for the chain's writable data (IN, GET_ID)
        self.recorded = None  # what to tell the recorder once it completes

    @classmethod
    def parse(cls, chain: Chain) -> Request:
        r = cls(chain, chain.read_all(), chain.writable_len)
        if len(r.head) >= HEADER.size and r.writable >= 1:
            r.kind, _, r.sector = HEADER.unpack_from(r.head)
        return r


class BlkDevice(VirtioDevice):
    device_id = 2
    name = "virtio-blk"
    queue_max = QUEUE_MAX
    feature_names = {
        VIRTIO_BLK_F_SIZE_MAX: "SIZE_MAX",
        VIRTIO_BLK_F_SEG_MAX: "SEG_MAX",
        VIRTIO_BLK_F_GEOMETRY: "GEOMETRY",
        VIRTIO_BLK_F_RO: "RO",
        VIRTIO_BLK_F_BLK_SIZE: "BLK_SIZE",
        VIRTIO_BLK_F_FLUSH: "FLUSH",
        VIRTIO_BLK_F_TOPOLOGY: "TOPOLOGY",
        VIRTIO_BLK_F_CONFIG_WCE: "CONFIG_WCE",
        VIRTIO_BLK_F_DISCARD: "DISCARD",
        VIRTIO_BLK_F_WRITE_ZEROES: "WRITE_ZEROES",
    }

    def __init__(
        self,
        image: DiskImage,
        *,
        serial: str = "jsksh-vda",
        recorder: WriteRecorder | None = None,
        faults=None,  # a DiskFaults (--disk-errors), or None
        completion: str = "in-order",  # or "reversed": each batch completes last first
        clock=time.monotonic,  # seconds, for the trace; the machine passes time since power-on
    ):
        if completion not in ("in-order", "reversed"):
            raise ValueError(f"--disk-completion {completion!r}: expected in-order or reversed")
        offered = (VIRTIO_BLK_F_SEG_MAX, VIRTIO_BLK_F_BLK_SIZE, VIRTIO_BLK_F_FLUSH, VIRTIO_BLK_F_CONFIG_WCE)
        super().__init__(num_queues=1, features=sum(1 << bit for bit in offered))
        self.image = image
        self.serial = serial.encode()[:ID_BYTES]
        self.recorder = recorder or WriteRecorder()
        self.faults = faults
        self.completion = completion
        self.clock = clock
        self.writeback = 1  # the volatile cache is on until the driver turns it off (CONFIG_WCE)
        self.counters = dict.fromkeys(COUNTERS, 0)  # written by the I/O thread only
        self.trace: deque[tuple] = deque(maxlen=TRACE_LEN)  # appended under the transport lock
        # The I/O thread's work: batches (virtqueue, epoch, [Request]) the notify took.
        self._work: deque[tuple] = deque()
        self._work_cond = threading.Condition()
        self._busy = 0  # batches the I/O thread is serving
        self._thread: threading.Thread | None = None  # started by the first batch
        self._stopping = False
        self._closed = False  # close() was called: notify takes nothing more
        self._epoch = 0  # bumped by reset: completions of older batches are dropped

    # -- configuration space (§5.2.4) ---------------------------------------------

    @property
    def config(self) -> bytes:
        # le64 capacity; le32 size_max; le32 seg_max; geometry {le16 cylinders;
        # u8 heads; u8 sectors}; le32 blk_size; topology {u8 physical_block_exp;
        # u8 alignment_offset; le16 min_io_size; le32 opt_io_size}; u8 writeback;
        # u8 unused0; le16 num_queues.  Fields of features not offered read 0.
        seg_max = QUEUE_MAX - 2  # a chain holds the header and the status besides its data, as QEMU's
        return struct.pack(
            "<QIIHBBIBBHIBBH",
            self.image.sectors,
            0,
            seg_max,
            0,
            0,
            0,
            SECTOR,
            0,
            0,
            0,
            0,
            self.writeback,
            0,
            1,
        )

    def config_write(self, offset: int, data: bytes) -> None:
        # §5.2.5: with CONFIG_WCE the driver may switch the cache: writeback 1, write-through 0.
        if offset <= CONFIG_WRITEBACK < offset + len(data) and self.has(VIRTIO_BLK_F_CONFIG_WCE):
            self.writeback = 1 if data[CONFIG_WRITEBACK - offset] else 0

    def queue_name(self, index: int) -> str:
        return "requestq"

    def reset(self) -> None:
        super().reset()
        self._epoch += 1
        # §5.2.5: a driver that did not negotiate CONFIG_WCE gets a cache it
        # cannot turn off only if it can flush it; ours always offers FLUSH.
        self.writeback = 1

    # -- requests: taken on the kernel's thread ----------------------------------

    def notify(self, index: int) -> None:
        """QueueNotify (the kernel's thread, transport lock held): take the batch, hand it over."""
        queue = self.queue(index)
        if queue is None or self._closed:
            return  # after close() the machine is going down: the chains die with the arena
        batch = []
        try:
            while (chain := queue.pop()) is not None:
                batch.append(Request.parse(chain))
        finally:  # a broken ring (QueueError) still lets the chains before it be served
            if batch:
                if self.completion == "reversed":
                    batch.reverse()
                self._hand_over(queue, batch)

    def _hand_over(self, queue, batch: list[Request]) -> None:
        with self._work_cond:
            if self._thread is None:
                self._thread = threading.Thread(target=self._io_loop, name="jsksh-blk-io", daemon=True)
                self._thread.start()
            self._work.append((queue, self._epoch, batch))
            self._work_cond.notify()

    def drain(self) -> None:
        """Wait until every request taken so far has completed (never call it under the transport lock)."""
        with self._work_cond:
            self._work_cond.wait_for(lambda: not self._work and not self._busy)

    def close(self) -> None:
        """Power-off or reboot: take no more requests, finish those taken, join the I/O thread."""
        with self.transport.lock if self.transport else nullcontext():
            self._closed = True
        with self._work_cond:
            self._stopping = True
            self._work_cond.notify_all()
            thread = self._thread
        if thread is not None:
            thread.join()

    # -- the I/O thread ----------------------------------------------------------

    def _io_loop(self) -> None:
        cond = self._work_cond
        while True:
            with cond:
                cond.wait_for(lambda: self._work or self._stopping)
                if not self._work:
                    return  # stopping, and nothing left to finish
                queue, epoch, batch = self._work.popleft()
                self._busy += 1
            try:
                for request in batch:
                    try:
                        self._serve(request)  # the slow part, outside the transport lock
                    except Exception:  # noqa: BLE001 - a bug here must not stop the disk: IOERR, go on
                        request.status, request.reply, request.recorded = self._host_error(), b"", None
                    self._complete(queue, epoch, request)
            finally:
                with cond:
                    self._busy -= 1
                    cond.notify_all()

    def _complete(self, queue, epoch: int, r: Request) -> None:
        """Under the transport lock: tell the recorder, trace it, status and data into the chain, used ring."""
        with self.guarded():
            if r.recorded is not None:
                r.recorded()
            kind = "bad" if r.kind is None else TYPE_NAMES.get(r.kind, str(r.kind))
            self._trace(kind, r.sector, r.length, r.status)
            if epoch != self._epoch or not self.transport.live:
                return  # the driver reset the device meanwhile: these buffers are no longer ours
            chain = r.chain
            if r.writable < 1:
                queue.push(chain.head, 0)  # nowhere to put a status (§5.2.6): back with length 0
            else:
                written = chain.write(r.reply) if r.reply else 0
                chain.write_at(r.writable - 1, bytes([r.status]))
                queue.push(chain.head, written + 1)
            self.signal(queue)

    def _serve(self, r: Request) -> None:
        """Do one request's I/O; set its status, the bytes to write into the chain, what to record."""
        if r.kind is None:
            # No header, or no room for a status: nothing we could even answer in.
            r.status = self._malformed()
            return
        readable_data = len(r.head) - HEADER.size
        writable_data = r.writable - 1
        if r.kind == VIRTIO_BLK_T_IN:
            self.counters["requests_in"] += 1
            r.length = writable_data
            r.status = self._read(r, readable_data, writable_data)
        elif r.kind == VIRTIO_BLK_T_OUT:
            self.counters["requests_out"] += 1
            r.length = readable_data
            r.status = self._write(r, readable_data, writable_data)
        elif r.kind == VIRTIO_BLK_T_FLUSH:
            self.counters["requests_flush"] += 1
            r.status = self._flush(r, readable_data, writable_data)
        elif r.kind == VIRTIO_BLK_T_GET_ID:
            self.counters["requests_get_id"] += 1
            if readable_data or writable_data < ID_BYTES:
                r.status = self._malformed()
            else:
                r.status, r.reply = VIRTIO_BLK_S_OK, self.serial.ljust(ID_BYTES, b"\0")
        else:
            self.counters["requests_unsupported"] += 1
            r.status = VIRTIO_BLK_S_UNSUPP

    def _read(self, r: Request, readable_data: int, length: int) -> int:
        if readable_data or not self._whole_sectors_inside(r.sector, length):
            return self._malformed()
        if self._injected("in", r.sector, length):
            return VIRTIO_BLK_S_IOERR
        try:
            r.reply = self.image.read(r.sector * SECTOR, length)
        except OSError:
            return self._host_error()
        self.counters["sectors_read"] += length // SECTOR
        return VIRTIO_BLK_S_OK

    def _write(self, r: Request, length: int, writable_data: int) -> int:
        if writable_data or not self._whole_sectors_inside(r.sector, length):
            return self._malformed()
        if self._injected("out", r.sector, length):
            return VIRTIO_BLK_S_IOERR
        data = memoryview(r.head)[HEADER.size :]
        try:
            self.image.write(r.sector * SECTOR, data)
            if not self.writeback:  # write-through: durable before it completes
                self._sync()
        except OSError:
            return self._host_error()
        self.counters["sectors_written"] += length // SECTOR
        recorder, sector, through = self.recorder, r.sector, not self.writeback

        def recorded():
            recorder.write(sector, bytes(data))
            if through:
                recorder.flush()  # it was synced before it completed

        r.recorded = recorded
        return VIRTIO_BLK_S_OK

    def _flush(self, r: Request, readable_data: int, writable_data: int) -> int:
        if readable_data or writable_data:
            return self._malformed()
        if self._injected("flush", 0, 0):
            return VIRTIO_BLK_S_IOERR
        try:
            self._sync()
        except OSError:
            return self._host_error()
        r.recorded = self.recorder.flush
        return VIRTIO_BLK_S_OK

    # -- small helpers ------------------------------------------------------------

    def _whole_sectors_inside(self, sector: int, length: int) -> bool:
        """§5.2.6.1: data is a multiple of 512 bytes; and it must lie on the disk."""
        return length % SECTOR == 0 and sector + length // SECTOR <= self.image.sectors

    def _sync(self) -> None:
        self.image.sync()
        self.counters["flushes"] += 1

    def _injected(self, op: str, sector: int, length: int) -> bool:
        if self.faults is None or not self.faults.fails(op, sector, length // SECTOR):
            return False
        self.counters["errors"] += 1
        self.counters["errors_injected"] += 1
        return True

    def _malformed(self) -> int:
        self.counters["errors"] += 1
        self.counters["errors_malformed"] += 1
        return VIRTIO_BLK_S_IOERR

    def _host_error(self) -> int:
        self.counters["errors"] += 1  # the host's disk failed us (EIO, ENOSPC on a sparse image)
        return VIRTIO_BLK_S_IOERR

    def _trace(self, kind: str, sector: int, length: int, status: int) -> None:
        self.trace.append(
            (round(self.clock(), 6), kind, sector, length, STATUS_NAMES.get(status, str(status)))
        )

    # -- what the guest and the tests see ----------------------------------------

    def trace_records(self) -> list[dict]:
        """The last TRACE_LEN requests, oldest first: {time, type, sector, length, status}."""
        with self.transport.lock:
            return [
                dict(zip(("time", "type", "sector", "length", "status"), t, strict=True)) for t in self.trace
            ]

    def describe(self) -> dict:
        info = super().describe()
        with self.transport.lock:
            info["config"] = {
                "capacity": self.image.sectors,
                "blk_size": SECTOR,
                "writeback": self.writeback,
            }
            info["counters"] = dict(self.counters)
        info["backend"] = {
            "image": self.image.path,
            "bytes": self.image.size,
            "cache": "write-back" if self.writeback else "write-through",
            "completion": self.completion,
            "errors": str(self.faults) if self.faults else "none",
        }
        return info
