"""The machine's tracer: a bounded record of every crossing, made where the crossing happens.

A keystroke crosses about 14 hops, 3 threads and 3 JavaScript<->Python
boundaries before its echo comes back (docs/tracing.md).  The places that
do that work tell this recorder as they do it, when it is on:

- ``trap``   JS -> Python: the kernel's ``__trap`` (machine.py) and an app's
             ``__sys`` (jsksh/native/app_host.py), with the op, the bytes it
             carried and the time Python spent serving it;
- ``post``   Python -> JS: a queued call of a JS function on an isolate's
             thread (jsksh/native/v8.py: the kernel's ``__irq``, an app's
             ``__wake``), from being queued until it and its microtasks ended;
- ``kick``, ``avail``, ``used``, ``intr``: the device half of the virtqueues
             (virtio/mmio.py's QueueNotify and interrupt, virtio/queue.py's
             rings): the driver's notification, each chain taken from the
             available ring and returned to the used ring, each interrupt a
             device asserted;
- ``irq``    the machine delivering interrupts to the kernel (one post of
             ``__irq`` for many lines), or coalescing one into a post already
             waiting;
- ``msg``    a message between an app and the kernel or between two apps
             (RPC), through the mailbox (jsksh/native/app_mailbox.py).

It costs one attribute test per crossing when off.  When on, events go into
a ring of fixed size: once it is full, new events are counted as dropped
and not kept (as perf's ring does without overwrite), so a long trace keeps
its beginning and says how much it lost; memory never grows past the ring.

An event is a tuple ``(time, duration, kind, track, name, size, detail)``:
seconds since power-on, seconds, the kinds above, who it happened to
(``kernel``, ``pid 12 echo``, ``virtio-net.tx``), what (``MMIO_WRITE``,
``WRITE``), bytes carried, and a short text.  The guest's ``trace`` app
(apps/trace.js) and ``jsksh run|boot --trace FILE`` format them with
fs/lib/trace/ (a timeline, a summary, Perfetto's JSON).
"""

from __future__ import annotations

import itertools
import json
import threading
from collections.abc import Callable

DEFAULT_EVENTS = 65536  # the ring's default size
MAX_EVENTS = 1 << 22  # what a guest may ask for: about 1 GiB of tuples is too much


class Tracer:
    """One machine's recorder.  ``on`` is read without a lock on every crossing."""

    def __init__(self, clock: Callable[[], float]):
        self.clock = clock  # seconds since power-on
        self.on = False
        self.owner = ""  # who turned it on: "host" (--trace) or "guest" (the trace app)
        self.capacity = DEFAULT_EVENTS
        self.events: list[tuple] = []
        self._count = itertools.count()
        self.dropped = 0
        self.started = 0.0
        self.stopped = 0.0
        self._lock = threading.Lock()
        self._snapshot = b""

    def start(self, owner: str, capacity: int = DEFAULT_EVENTS) -> bool:
        """Empty the ring and record; False if someone is already recording."""
        with self._lock:
            if self.on:
                return False
            self.capacity = max(16, min(int(capacity), MAX_EVENTS))
            self.events = []
            self._count = itertools.count()
            self.dropped = 0
            self.owner = owner
            self.started = self.clock()
            self.stopped = 0.0
            self.on = True
            return True

    def stop(self) -> None:
        with self._lock:
            if self.on:
                self.on = False
                self.stopped = self.clock()

    def emit(
        self, kind: str, track: str, name: str, t: float, dur: float = 0.0, size: int = 0, detail: str = ""
    ) -> None:
        """Record one event (any thread).  ``t`` is from ``clock()``."""
        # next() on a count is atomic under the GIL: the slot is ours alone.
        if next(self._count) >= self.capacity:
            self.dropped += 1
            return
        self.events.append((t, dur, kind, track, name, size, detail))

    def now(self) -> float:
        return self.clock()

    def snapshot(self) -> dict:
        """What was recorded, sorted by time (threads append a little out of order)."""
        events = sorted(self.events, key=lambda e: e[0])
        return {
            "version": 1,
            "started": self.started,
            "stopped": self.stopped or self.clock(),
            "recording": self.on,
            "capacity": self.capacity,
            "dropped": self.dropped,
            "fields": ["time", "dur", "kind", "track", "name", "size", "detail"],
            "events": [[round(e[0], 9), round(e[1], 9), *e[2:]] for e in events],
        }

    def read(self, offset: int, room: int) -> tuple[int, bytes]:
        """The snapshot as JSON bytes, a slice at a time (offset 0 takes a new one): (total, slice)."""
        if offset == 0:
            self._snapshot = json.dumps(self.snapshot(), separators=(",", ":")).encode()
        return len(self._snapshot), self._snapshot[offset : offset + room]


def message_name(message: bytes) -> str:
    """A kernel message's type for the trace: its ``t`` (and a call's ``op``), read from its first bytes.

    Messages are JSON objects (docs/abi.md §2); only their beginning is looked
    at, and only while tracing."""
    head = message[:96]
    name = _field(head, b'"t":"')
    op = _field(head, b'"op":"')
    return f"{name} {op}" if op else name or "?"


def _field(head: bytes, key: bytes) -> str:
    at = head.find(key)
    if at < 0:
        return ""
    at += len(key)
    end = head.find(b'"', at)
    if end < 0 or end - at > 32:
        return ""
    return head[at:end].decode("ascii", "replace")
