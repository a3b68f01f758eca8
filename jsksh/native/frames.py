"""The one frame layout for messages between an isolate and the machine.

Every message that crosses the boundary as a message (a kernel call, a reply,
an RPC message between apps, the machine's notices) travels in frames of
this layout, whichever way it goes: app -> kernel and app -> app (the app's
POST trap), machine -> app (the app's RECV trap), app -> kernel (the
kernel's IPC_RECV trap).  kernel/lib/frame.js is the same layout in
JavaScript; docs/abi.md §2 draws it, and tests/native/test_abi_doc.py checks
the document against both.

    offset 0  u32  pid    the other end: sender (RECV, IPC_RECV) or receiver (POST); 0 is the kernel
    offset 4  u32  len    bytes of this piece, after the header
    offset 8  u32  flags  MORE | REPLY
    offset 12 len bytes

A message larger than the room left in a page goes in several frames, all
but the last flagged MORE.  Bulk bytes never travel in messages: they go
through pipes (jsksh/native/pipes.py), copied straight into the page.
"""

from __future__ import annotations

import struct

HEADER = struct.Struct("<III")
FRAME = HEADER.size  # 12
MORE = 1  # the message continues in the next frame from the same pid
REPLY = 2  # POST: this message answers a call the receiver made (never held back)
FLAGS = MORE | REPLY


def pack(page, at: int, pid: int, data: bytes | memoryview, flags: int = 0) -> int:
    """Write one frame at ``at``; returns the offset after it."""
    HEADER.pack_into(page, at, pid, len(data), flags)
    page[at + FRAME : at + FRAME + len(data)] = data
    return at + FRAME + len(data)


def unpack(page, at: int) -> tuple[int, int, int]:
    """(pid, len, flags) of the frame at ``at``."""
    return HEADER.unpack_from(page, at)
