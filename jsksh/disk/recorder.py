"""The write recorder: what reached the disk, in the order it completed.

The device (jsksh/machine/virtio/blk.py) tells its recorder of every write
it completed, `write(sector, data)`, and every flush, `flush()`, in
completion order, from the thread that serves the disk.  Writes between
two flushes sat in the volatile cache together: after a power cut any
subset of them may have reached the platter, in any order, while
everything before the last completed flush did.  WriteLog keeps the list,
and `disk_after` rebuilds an image from it; the crash test that replays a
real guest's writes (tests/e2e/test_disk_recorded_crash.py) picks the cut
points, the writes lost and the one torn.
"""

from __future__ import annotations

from jsksh.disk.image import SECTOR


class WriteRecorder:
    """What a recorder is told; this one forgets it."""

    def write(self, sector: int, data: bytes) -> None:
        pass

    def flush(self) -> None:
        pass


class WriteLog(WriteRecorder):
    """Every completed write and flush: events [('write', sector, data) | ('flush',)]."""

    def __init__(self):
        self.events: list[tuple] = []

    def write(self, sector: int, data: bytes) -> None:
        self.events.append(("write", sector, bytes(data)))

    def flush(self) -> None:
        self.events.append(("flush",))

    def disk_after(self, base: bytes, upto: int | None = None) -> bytearray:
        """`base` (the image before the first event) with events[:upto] applied, in order."""
        disk = bytearray(base)
        for event in self.events[:upto]:
            if event[0] == "write":
                _, sector, data = event
                disk[sector * SECTOR : sector * SECTOR + len(data)] = data
        return disk
