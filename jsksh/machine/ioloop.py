"""The machine's I/O thread: one selector loop for every host-side socket.

Backends (serial ports, later network devices) register sockets here; their
callbacks run on this thread, never on the kernel's.  ``call_soon`` hands work
in from other threads through a self-pipe, the classic way to wake a select().
``call_later`` runs work after a delay: a heap of deadlines, the earliest of
which bounds the select()'s timeout (asyncio's BaseEventLoop keeps timers so).
"""

from __future__ import annotations

import heapq
import itertools
import os
import selectors
import threading
import time
from collections.abc import Callable


class IOLoop:
    def __init__(self):
        self._sel = selectors.DefaultSelector()
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_r, False)
        os.set_blocking(self._wake_w, False)
        self._sel.register(self._wake_r, selectors.EVENT_READ, None)
        self._calls: list[Callable[[], None]] = []
        # (when, sequence, fn): the sequence keeps timers due at the same moment in order.
        self._timers: list[tuple[float, int, Callable[[], None]]] = []
        self._timer_seq = itertools.count()
        self._lock = threading.Lock()
        self._stopped = False
        self._closed = False  # the wake pipe is closed: call_soon does nothing
        self._thread = threading.Thread(target=self._run, name="jsksh-io", daemon=True)
        self._thread.start()

    def call_soon(self, fn: Callable[[], None]) -> None:
        # Under the lock, so that the loop cannot close the wake pipe between
        # the check and the write (a write to a closed, or reused, fd).
        with self._lock:
            if self._closed:
                return  # the loop has ended with the machine: nothing runs on it any more
            self._calls.append(fn)
            try:
                os.write(self._wake_w, b"x")
            except BlockingIOError:
                pass  # the pipe is full: the loop is already awake

    def call_later(self, delay: float, fn: Callable[[], None]) -> None:
        """Run ``fn`` on the I/O thread ``delay`` seconds from now.  Thread-safe;
        no handle to cancel it (nothing needs one yet)."""
        when = time.monotonic() + max(0.0, delay)
        with self._lock:
            if self._closed:
                return
            earliest = not self._timers or when < self._timers[0][0]
            heapq.heappush(self._timers, (when, next(self._timer_seq), fn))
            if earliest and threading.current_thread() is not self._thread:
                # The loop may be asleep in select() with a later timeout.
                try:
                    os.write(self._wake_w, b"x")
                except BlockingIOError:
                    pass

    def _run_due_timers(self) -> float:
        """Run the timers that are due; returns how long select() may sleep."""
        now = time.monotonic()
        due = []
        with self._lock:
            while self._timers and self._timers[0][0] <= now:
                due.append(heapq.heappop(self._timers)[2])
            wait = self._timers[0][0] - now if self._timers else 0.5
        for fn in due:
            try:
                fn()
            except Exception as e:  # noqa: BLE001 - as for I/O callbacks
                import sys

                print(f"jsksh: I/O timer failed: {e!r}", file=sys.stderr)
        return 0.0 if due else min(0.5, wait)

    def register(self, fileobj, events: int, callback: Callable[[int], None]) -> None:
        """Watch ``fileobj``; ``callback(mask)`` runs on the I/O thread.  Thread-safe."""
        self.call_soon(lambda: self._set(fileobj, events, callback))

    def unregister(self, fileobj) -> None:
        self.call_soon(lambda: self._drop(fileobj))

    def _set(self, fileobj, events, callback):
        try:
            self._sel.modify(fileobj, events, callback)
        except KeyError:
            self._sel.register(fileobj, events, callback)
        except (ValueError, OSError):
            pass

    def _drop(self, fileobj):
        try:
            self._sel.unregister(fileobj)
        except (KeyError, ValueError, OSError):
            pass

    def stop(self) -> None:
        self._stopped = True
        self.call_soon(lambda: None)
        if threading.current_thread() is not self._thread:
            self._thread.join(2)

    def _run(self) -> None:
        # The I/O thread is the devices' side of the machine; it must not
        # preempt the CPU the kernel runs on each time a frame arrives.
        # SCHED_BATCH turns off the scheduler's wake-up preemption for this
        # thread only: frames wait in the TAP (or socket) until the kernel's
        # turn ends, then one wake-up reads them all, as NAPI polls a NIC
        # instead of taking an interrupt per packet.  UDP echo: 2.9 context
        # switches a datagram became 0.9, and 14,300 datagrams/s 19,800
        # (docs/performance.md, "Interrupt mitigation").  An idle machine
        # still answers at once: the policy only matters when the CPU is busy.
        try:
            os.sched_setscheduler(0, os.SCHED_BATCH, os.sched_param(0))
        except (AttributeError, OSError):
            pass  # not Linux: the default policy, a little slower under load
        while not self._stopped:
            timeout = self._run_due_timers()
            for key, mask in self._sel.select(timeout):
                if key.data is None:
                    try:
                        os.read(self._wake_r, 4096)
                    except BlockingIOError:
                        pass
                    with self._lock:
                        calls, self._calls = self._calls, []
                    for fn in calls:
                        fn()
                else:
                    try:
                        key.data(mask)
                    except Exception as e:  # noqa: BLE001 - one bad backend must not stop the machine
                        import sys

                        print(f"jsksh: I/O callback failed: {e!r}", file=sys.stderr)
        with self._lock:
            self._closed = True
            for fd in (self._wake_r, self._wake_w):
                os.close(fd)
        self._sel.close()
