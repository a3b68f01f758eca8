"""The host side of a serial port: a Unix socket that one client attaches to.

Like a QEMU ``-chardev socket,server=on,wait=off``: the machine runs whether or
not anyone is attached.  One client at a time; a second one is told, in one
line, that the port is busy, and is closed (the first is not disturbed).  The
last ``replay`` bytes of output are kept and sent to each new client, so
attaching shows recent output, as a serial console's scrollback would.
A client that vanishes mid-output only detaches; nothing in the guest notices
except a PORT_OPEN(0) on the control queue.

Output goes at the client's pace, as QEMU's virtio-serial throttles a port:
while more than ``THROTTLE`` bytes wait for the client, ``busy()`` is true and
the console device leaves the guest's transmit buffers in its queue; when
the client has read them, ``on_drain()`` tells the device to go on.  So a
slow client slows the guest's writers all the way back, and loses nothing.
With no client attached, output is not kept (only the replay is).
"""

from __future__ import annotations

import collections
import os
import selectors
import socket
import sys
import threading
from collections.abc import Callable

from jsksh.machine.ioloop import IOLoop

MAX_PENDING = 4 << 20  # bytes queued for a slow client before we stop queueing (a device that ignores busy())
THROTTLE = 1 << 20  # bytes waiting for the client above which the port is busy


class Chardev:
    def __init__(self, loop: IOLoop, name: str, path: str | None = None, replay: int = 64 * 1024):
        self.loop = loop
        self.name = name
        self.path = path
        self.replay_limit = replay
        self._replay = collections.deque()
        self._replay_len = 0
        self._lock = threading.RLock()
        self.client: socket.socket | None = None
        self._pending = bytearray()
        # Until a device is plugged in (early boot, or during a reboot), input
        # waits here instead of being lost: a client may connect and type the
        # moment the socket exists.
        self._consumer: Callable[[bytes], None] | None = None
        self._early = bytearray()
        self.on_connect: Callable[[bool], None] = lambda up: None
        self.on_drain: Callable[[], None] = lambda: None  # the port stopped being busy (called unlocked)
        self.dropped = 0
        self._server = None
        if path:
            self._server = self._listen(path)
            self._server.setblocking(False)
            loop.register(self._server, selectors.EVENT_READ, self._accept)

    @staticmethod
    def _listen(path: str) -> socket.socket:
        """A listening socket at `path`, replacing a stale one.  It is bound and
        listening under a temporary name first and then renamed, so the path
        appears only once it accepts: a client that waits for the file and
        connects at once is never refused (bind() alone creates the file)."""
        server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        staging = f"{path}.tmp"
        for name in (staging, path):
            try:
                os.unlink(name)
            except FileNotFoundError:
                pass
        try:
            server.bind(staging)
        except OSError:  # the longer name does not fit in sun_path: bind in place
            staging = path
            server.bind(path)
        server.listen(4)
        if staging != path:
            os.rename(staging, path)
        return server

    def plug(self, consumer: Callable[[bytes], None] | None, on_connect=None) -> None:
        """Connect the port to a device (or unplug it with None). Thread-safe."""

        def swap():
            self._consumer = consumer
            self.on_connect = on_connect or (lambda up: None)
            if consumer is not None:
                if self.client is not None:
                    self.on_connect(True)
                if self._early:
                    data, self._early = bytes(self._early), bytearray()
                    consumer(data)

        self.loop.call_soon(swap)

    def on_input(self, data: bytes) -> None:
        """Input from the client (I/O thread)."""
        if self._consumer is not None:
            self._consumer(data)
        elif len(self._early) + len(data) <= MAX_PENDING:
            self._early += data
        else:
            self.dropped += len(data)

    @property
    def connected(self) -> bool:
        return self.client is not None

    def connect_local(self) -> socket.socket:
        """Attach an in-process client through a socketpair; returns its end."""
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        self.loop.call_soon(lambda: self._attach(ours))
        return theirs

    # ---- guest -> host ----------------------------------------------------------
    def write(self, data: bytes) -> None:
        """Output from the guest (any thread)."""
        with self._lock:
            if self.replay_limit:
                self._replay.append(bytes(data))
                self._replay_len += len(data)
                while self._replay_len > self.replay_limit and len(self._replay) > 1:
                    self._replay_len -= len(self._replay.popleft())
            if self.client is None:
                return
            if self._pending:
                self._queue(data)
                return
            try:
                sent = self.client.send(data)
            except BlockingIOError:
                sent = 0
            except OSError as e:
                why, conn = f"send failed: {e}", self.client  # `e` does not outlive the except block
                self.loop.call_soon(lambda: self._detach(why, conn))
                return
            if sent < len(data):
                self._queue(data[sent:])

    def busy(self) -> bool:
        """Too much waits for the client: the device should hold the guest's output."""
        return self.client is not None and len(self._pending) >= THROTTLE

    def _queue(self, data: bytes) -> None:
        if len(self._pending) + len(data) > MAX_PENDING:
            self.dropped += len(data)  # a client that stopped reading loses output, the guest does not stall
            return
        first = not self._pending
        self._pending += data
        if first and self.client is not None:
            self.loop.register(self.client, selectors.EVENT_READ | selectors.EVENT_WRITE, self._ready)

    # ---- I/O thread ------------------------------------------------------------
    def _accept(self, _mask) -> None:
        try:
            conn, _ = self._server.accept()
        except OSError:
            return
        if self.client is not None and self._client_gone():
            self._detach()
        if self.client is not None:
            try:
                conn.setblocking(True)
                conn.settimeout(0.5)
                conn.sendall(f"jsksh: {self.name} is busy: another client is attached\r\n".encode())
            except OSError:
                pass
            conn.close()
            return
        self._attach(conn)

    def _client_gone(self) -> bool:
        """Has the attached client hung up without our having noticed yet?"""
        try:
            while True:
                data = self.client.recv(65536, socket.MSG_PEEK | socket.MSG_DONTWAIT)
                if not data:
                    return True
                self._ready(selectors.EVENT_READ)  # consume its last input first
                if self.client is None:
                    return True
        except BlockingIOError:
            return False
        except OSError:
            return True

    def _attach(self, conn: socket.socket) -> None:
        conn.setblocking(False)
        with self._lock:
            self.client = conn
            self._pending = bytearray()
            backlog = b"".join(self._replay)
        self.loop.register(conn, selectors.EVENT_READ, self._ready)
        if backlog:
            with self._lock:
                self._queue(backlog)
        self.on_connect(True)

    def _detach(self, why: str = "", conn: socket.socket | None = None) -> None:
        """Drop the client; with ``conn``, only if that connection is still the client
        (a detach queued for an old client must not drop a newer one)."""
        if conn is not None and conn is not self.client:
            return
        if why and self.client is not None:
            print(f"jsksh: {self.name}: client detached ({why})", file=sys.stderr, flush=True)
        with self._lock:
            conn, self.client = self.client, None
            self._pending = bytearray()
        if conn is not None:
            self.loop.unregister(conn)
            conn.close()
            self.on_drain()  # nobody to wait for now: held output goes (and is not kept)
            self.on_connect(False)

    def _ready(self, mask: int) -> None:
        conn = self.client
        if conn is None:
            return
        if mask & selectors.EVENT_READ:
            try:
                data = conn.recv(65536)
            except BlockingIOError:
                data = None
            except OSError as e:
                self._detach(f"receive failed: {e}")
                return
            if data == b"":
                self._detach("end of file")
                return
            if data:
                self.on_input(data)
        if mask & selectors.EVENT_WRITE:
            was_busy = self.busy()
            with self._lock:
                try:
                    sent = conn.send(self._pending)
                except BlockingIOError:
                    sent = 0
                except OSError as e:
                    why = f"send failed: {e}"
                    self.loop.call_soon(lambda: self._detach(why, conn))
                    return
                del self._pending[:sent]
                if not self._pending:
                    self.loop.register(conn, selectors.EVENT_READ, self._ready)
            if was_busy and not self.busy():
                self.on_drain()

    def close(self) -> None:
        self._detach()
        if self._server is not None:
            self.loop.unregister(self._server)
            self._server.close()
            if self.path:
                try:
                    os.unlink(self.path)
                except OSError:
                    pass
