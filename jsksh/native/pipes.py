"""Pipes: the one way bytes move between isolates (docs/abi.md §3).

Every byte stream in jsksh is a pipe held here, in the native core: an app's
stdout whether it goes to another app, the console, the structured port or a
file; a file an app opened; its stdin when that is a pipe or a file.  The
kernel decides who holds which end (it makes the pipes and attaches them to
processes at spawn); this module only carries the bytes, as the native core
already carries RPC messages: "the kernel grants, the native core carries".
A pipe between two apps therefore never wakes the kernel isolate.

A pipe is a bounded buffer (``CAPACITY`` bytes) with holders: each holder is
a pid (0 is the kernel) with a count of read and write references, like the
file descriptors that point to one pipe in Unix.  The rules are POSIX's
(pipe(7)):

* ``read`` takes what is buffered, up to the caller's room.  With nothing
  buffered it returns ``EOF`` (b"") once no writer is left, else ``EAGAIN``.
* ``write`` takes as much as fits.  A write of at most ``PIPE_BUF`` bytes is
  atomic (all or nothing), so lines from several writers never interleave.
  With no reader left it fails with ``EPIPE``.
* One flow-control rule, a window per pipe: a writer that could not put all
  its bytes in, or a reader that found nothing, is told once, by ``notify``,
  when that changes (room, data, end of file, or the other side gone).  It
  then tries again.  Nobody ever blocks a thread here, so a reader that never
  reads only stops its writers, and Ctrl-C or ``kill`` still reach them.
* A pipe is freed when its last holder lets go.

Callers hold the AppHost's lock; ``notify(holder, pipe_id)`` is called with
it held and must not block.
"""

from __future__ import annotations

import collections
from collections.abc import Callable

KERNEL = 0  # the kernel's holder id
READ_END, WRITE_END = 1, 2
CAPACITY = 256 << 10  # bytes buffered per pipe: the window
PIPE_BUF = 4096  # writes up to this size are atomic (POSIX)
MAX_PIPES = 65536  # pipes alive at once, machine-wide
MAX_HELD = 4096  # pipes one app may hold (its descriptors): EMFILE beyond
EOF = b""
EBADF, EAGAIN, EMFILE, EINVAL, EPIPE = -9, -11, -24, -22, -32


class Pipe:
    __slots__ = (
        "id",
        "chunks",
        "size",
        "readers",
        "writers",
        "want_read",
        "want_write",
        "bytes_in",
        "error",
        "read_error",
    )

    def __init__(self, pipe_id: int):
        self.id = pipe_id
        self.chunks: collections.deque[bytes] = collections.deque()
        self.size = 0  # bytes buffered
        self.readers: collections.Counter[int] = collections.Counter()  # holder -> read references
        self.writers: collections.Counter[int] = collections.Counter()  # holder -> write references
        self.want_read: set[int] = set()  # holders told when data or end of file arrives
        self.want_write: set[int] = set()  # holders told when there is room (or no reader)
        self.bytes_in = 0  # bytes ever written: for statistics
        self.error = EPIPE  # what a write gets once no reader is left (a file that filled up: ENOSPC)
        self.read_error = 0  # what a read gets at the end instead of end of file (a disk's EIO)


class PipeTable:
    def __init__(self, notify: Callable[[int, int], None], capacity: int = CAPACITY):
        self.notify = notify
        self.capacity = capacity
        self.pipes: dict[int, Pipe] = {}
        self.held: dict[int, set[int]] = collections.defaultdict(set)  # holder -> pipe ids
        self.next_id = 1

    # ---- ends ----------------------------------------------------------------------
    def open(self, holder: int) -> int:
        """A new pipe; ``holder`` gets one read and one write reference."""
        if len(self.pipes) >= MAX_PIPES or len(self.held[holder]) >= MAX_HELD and holder != KERNEL:
            return EMFILE
        pipe_id = self.next_id
        self.next_id = self.next_id % 0x7FFFFFFF + 1
        while pipe_id in self.pipes:  # after 2^31 pipes the numbers come round
            pipe_id = self.next_id
            self.next_id = self.next_id % 0x7FFFFFFF + 1
        pipe = self.pipes[pipe_id] = Pipe(pipe_id)
        pipe.readers[holder] += 1
        pipe.writers[holder] += 1
        self.held[holder].add(pipe_id)
        return pipe_id

    def attach(self, pipe_id: int, holder: int, end: int) -> int:
        """Give ``holder`` one more reference to an end (``READ_END`` or ``WRITE_END``)."""
        pipe = self.pipes.get(pipe_id)
        if pipe is None or end not in (READ_END, WRITE_END):
            return EBADF if pipe is None else EINVAL
        if holder != KERNEL and pipe_id not in self.held[holder] and len(self.held[holder]) >= MAX_HELD:
            return EMFILE
        (pipe.readers if end == READ_END else pipe.writers)[holder] += 1
        self.held[holder].add(pipe_id)
        return 0

    def close(self, pipe_id: int, holder: int, end: int) -> int:
        """Drop one of ``holder``'s references to ``end`` (READ_END, WRITE_END, or both: 3).

        Bits 8-15 of ``end``, if set, are an errno: closing the read end
        with one, it is what writers get once no reader is left, instead of
        EPIPE (the kernel's file pump: ENOSPC); closing the write end, what
        readers get after the bytes before it, instead of end of file (a
        disk's fill pump: EIO)."""
        pipe = self.pipes.get(pipe_id)
        if pipe is None or pipe_id not in self.held.get(holder, ()):
            return EBADF
        if end >> 8:
            if end & READ_END:
                pipe.error = -(end >> 8)
            if end & WRITE_END:
                pipe.read_error = -(end >> 8)
            end &= READ_END | WRITE_END
        for which, counts in ((READ_END, pipe.readers), (WRITE_END, pipe.writers)):
            if end & which and counts[holder] > 0:
                counts[holder] -= 1
                if counts[holder] == 0:
                    del counts[holder]
        self._settle(pipe, holder)
        return 0

    def drop_all(self, holder: int) -> None:
        """``holder`` is gone (an app exited or was killed): every reference it had goes."""
        for pipe_id in list(self.held.pop(holder, ())):
            pipe = self.pipes.get(pipe_id)
            if pipe is None:
                continue
            pipe.readers.pop(holder, None)
            pipe.writers.pop(holder, None)
            pipe.want_read.discard(holder)
            pipe.want_write.discard(holder)
            self._settle(pipe, holder)

    def _settle(self, pipe: Pipe, holder: int) -> None:
        if holder not in pipe.readers and holder not in pipe.writers:
            self.held.get(holder, set()).discard(pipe.id)
        if not pipe.writers:  # end of file for whoever waits to read
            self._tell(pipe, pipe.want_read)
        if not pipe.readers:  # nobody will read what is buffered: writers get EPIPE
            pipe.chunks.clear()
            pipe.size = 0
            self._tell(pipe, pipe.want_write)
        if not pipe.readers and not pipe.writers:
            del self.pipes[pipe.id]

    def _tell(self, pipe: Pipe, waiting: set[int]) -> None:
        for holder in list(waiting):
            self.notify(holder, pipe.id)
        waiting.clear()

    # ---- bytes ---------------------------------------------------------------------
    def read_into(
        self, pipe_id: int, holder: int, dest: memoryview, at: int, room: int, arm: bool = False
    ) -> int:
        """Move up to ``room`` buffered bytes into ``dest[at:]``.

        Returns the count (> 0), 0 at end of file, or a negative error:
        EAGAIN (nothing yet: ``holder`` will be notified), EBADF.  With
        ``arm``, a read that empties the pipe also asks to be notified, as
        EAGAIN would: a reader that always wants more (the kernel's pumps)
        saves the trap that would have found the pipe empty."""
        pipe = self.pipes.get(pipe_id)
        if pipe is None or holder not in pipe.readers:
            return EBADF
        if pipe.size == 0:
            if not pipe.writers:
                return pipe.read_error  # 0: end of file
            pipe.want_read.add(holder)
            return EAGAIN
        n = 0
        chunks = pipe.chunks
        while chunks and n < room:
            chunk = chunks[0]
            take = min(len(chunk), room - n)
            dest[at + n : at + n + take] = chunk[:take] if take < len(chunk) else chunk
            if take < len(chunk):
                chunks[0] = chunk[take:]
            else:
                chunks.popleft()
            n += take
        pipe.size -= n
        if arm and pipe.size == 0:
            if pipe.writers:
                pipe.want_read.add(holder)
            else:
                self.notify(holder, pipe.id)  # what is left to read is the end of file: come and read it
        if pipe.want_write:
            self._tell(pipe, pipe.want_write)
        return n

    def write(self, pipe_id: int, holder: int, data: memoryview) -> int:
        """Append as much of ``data`` as fits; returns the count taken, or EPIPE/EBADF.

        Fewer bytes than given means the pipe is full: ``holder`` will be
        notified when there is room."""
        pipe = self.pipes.get(pipe_id)
        if pipe is None or holder not in pipe.writers:
            return EBADF
        if not pipe.readers:
            return pipe.error
        room = self.capacity - pipe.size
        n = len(data)
        take = n if n <= room else (0 if n <= PIPE_BUF else room)
        if take:
            pipe.chunks.append(bytes(data[:take]))
            pipe.size += take
            pipe.bytes_in += take
            if pipe.want_read:
                self._tell(pipe, pipe.want_read)
        if take < n:
            pipe.want_write.add(holder)
        return take

    # ---- what ps and the tests see -------------------------------------------------
    def stats(self) -> dict:
        return {
            "pipes": len(self.pipes),
            "buffered": sum(p.size for p in self.pipes.values()),
            "capacity": self.capacity,
        }
