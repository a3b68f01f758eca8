"""QEMU's `-netdev stream` over a Unix socket (--net stream:unix:PATH[,server]).

On the wire each frame is a 4-byte big-endian length, then the Ethernet frame
(QEMU net/stream.c, net_fill_rstate): passt, QEMU and another jsksh machine
all speak it.  A stream has no message boundaries, so FrameReader reassembles
frames from whatever pieces recv() returns.  As a server we take one peer at a
time; as a client we connect once (a lost peer leaves the cable unplugged).
"""

from __future__ import annotations

import logging
import os
import selectors
import socket
import stat
import threading
import time

from jsksh.machine.ioloop import IOLoop
from jsksh.machine.netdev.base import NetBackend

log = logging.getLogger(__name__)

# QEMU's receive buffer is NET_BUFSIZE = 4096 + 65536 bytes; a longer length
# is "oversized packet received, connection terminated".  Zero is no frame.
MAX_FRAME = 4096 + 65536
MAX_QUEUED = 1 << 20  # bytes waiting for a slow peer before we drop frames
RECV_SIZE = 256 * 1024


class FrameReader:
    """Length-prefixed frames out of a byte stream cut at arbitrary points.

    feed() returns the frames completed so far.  After a bad length the
    stream cannot be resynchronised (where would the next frame start?):
    `error` says why, and the caller must drop the connection.
    """

    def __init__(self):
        self._buf = bytearray()
        self.error: str | None = None

    def feed(self, data: bytes) -> list[bytes]:
        if self.error:
            return []
        buf = self._buf
        buf += data
        frames = []
        pos = 0
        while len(buf) - pos >= 4:
            n = int.from_bytes(buf[pos : pos + 4], "big")
            if n == 0 or n > MAX_FRAME:
                self.error = f"bad frame length {n} (valid: 1-{MAX_FRAME})"
                break
            if len(buf) - pos < 4 + n:
                break  # the rest of this frame is still on its way
            frames.append(bytes(buf[pos + 4 : pos + 4 + n]))
            pos += 4 + n
        del buf[:pos]  # once per feed, not once per frame
        return frames

    @property
    def buffered(self) -> int:
        return len(self._buf)


def encode(frame: bytes) -> bytes:
    """One frame as it goes on the wire."""
    return len(frame).to_bytes(4, "big") + frame


class StreamBackend(NetBackend):
    name = "stream"
    link_up = True

    def __init__(
        self,
        loop: IOLoop,
        path: str | None,
        server: bool = False,
        *,
        sock: socket.socket | None = None,
        attempts: int = 5,
        retry_delay: float = 0.2,
    ):
        """Connect to (or, with server=True, listen on) the Unix socket `path`.

        `sock` attaches an already-connected socket instead (a socketpair in
        tests, or two machines cabled together inside one process).
        """
        super().__init__()
        self.loop = loop
        self.path = path
        self.server = server
        self.stats.update(connections=0, framing_errors=0)
        self.last_error: str | None = None
        self._lock = threading.Lock()  # guards _sock and _out; never held while delivering
        self._sock: socket.socket | None = None
        self._out = bytearray()  # bytes accepted from the guest, not yet taken by the peer
        self._reader = FrameReader()
        self._listener: socket.socket | None = None
        self._closed = False
        if sock is not None:
            self._attach(sock)
        elif server:
            self._listen()
        else:
            self._attach(self._connect(attempts, retry_delay))

    # -- setting up ------------------------------------------------------------

    def _connect(self, attempts: int, delay: float) -> socket.socket:
        """Connect, retrying a little: the peer (passt, another machine) may be starting too."""
        err: OSError | None = None
        for attempt in range(max(1, attempts)):
            if attempt:
                time.sleep(delay)
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                s.connect(self.path)
                return s
            except OSError as e:
                s.close()
                err = e
        raise OSError(f"stream: cannot connect to {self.path}: {err.strerror or err}") from err

    def _listen(self) -> None:
        # Replace a stale socket file from an earlier run, but nothing else.
        try:
            if stat.S_ISSOCK(os.lstat(self.path).st_mode):
                os.unlink(self.path)
        except FileNotFoundError:
            pass
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            s.bind(self.path)
            s.listen(1)
        except OSError as err:
            s.close()
            raise OSError(f"stream: cannot listen on {self.path}: {err.strerror or err}") from err
        s.setblocking(False)
        self._listener = s
        self.loop.register(s, selectors.EVENT_READ, self._accept)

    def _accept(self, _mask: int) -> None:
        if self._sock is not None or self._closed:
            return  # our unregister of the listener has not been processed yet
        try:
            conn, _ = self._listener.accept()
        except OSError:
            return
        self._attach(conn)

    def _attach(self, sock: socket.socket) -> None:
        sock.setblocking(False)
        with self._lock:
            self._sock = sock
            self._out = bytearray()
        self._reader = FrameReader()
        self.stats["connections"] += 1
        if self._listener is not None:
            # One peer at a time, as QEMU does: stop accepting until it leaves;
            # a second peer waits in the listen backlog.
            self.loop.unregister(self._listener)
        self.loop.register(sock, selectors.EVENT_READ, self._callback(sock))

    def _callback(self, sock: socket.socket):
        # Bound to one socket: an event still in flight for a dropped
        # connection must not act on its successor.
        return lambda mask: self._ready(sock, mask)

    @property
    def connected(self) -> bool:
        return self._sock is not None

    # -- guest -> peer ------------------------------------------------------------

    def send(self, frame: bytes) -> None:
        """Queue one frame for the peer.  Never blocks: a full queue drops the frame."""
        if not 0 < len(frame) <= MAX_FRAME:
            self.stats["tx_dropped"] += 1
            return
        record = encode(frame)
        with self._lock:
            sock = self._sock
            if sock is None or len(self._out) + len(record) > MAX_QUEUED:
                self.stats["tx_dropped"] += 1
                return
            if self._out:
                self._out += record  # keep order: behind what is already waiting
            else:
                try:
                    sent = sock.send(record)
                except BlockingIOError:
                    sent = 0
                except OSError as err:
                    self.stats["tx_dropped"] += 1
                    reason = f"send failed: {err.strerror or err}"
                    self.loop.call_soon(lambda: self._drop(sock, reason))
                    return
                if sent < len(record):
                    # Never drop the rest of a frame we started: the peer
                    # would read the next length from the middle of it.
                    self._out += record[sent:]
                    self.loop.register(
                        sock, selectors.EVENT_READ | selectors.EVENT_WRITE, self._callback(sock)
                    )
            self.stats["tx_frames"] += 1

    def _flush(self, sock: socket.socket) -> None:
        """I/O thread: the peer can take more."""
        with self._lock:
            if sock is not self._sock:
                return
            try:
                sent = sock.send(self._out)
            except BlockingIOError:
                return
            except OSError as err:
                reason = f"send failed: {err.strerror or err}"
                self.loop.call_soon(lambda: self._drop(sock, reason))
                return
            del self._out[:sent]
            if not self._out:
                self.loop.register(sock, selectors.EVENT_READ, self._callback(sock))

    # -- peer -> guest --------------------------------------------------------------

    def _ready(self, sock: socket.socket, mask: int) -> None:
        if sock is not self._sock:
            return
        if mask & selectors.EVENT_WRITE:
            self._flush(sock)
        if not mask & selectors.EVENT_READ:
            return
        try:
            data = sock.recv(RECV_SIZE)
        except BlockingIOError:
            return
        except OSError as err:
            self._drop(sock, f"receive failed: {err.strerror or err}")
            return
        if not data:
            self._drop(sock, "peer closed the connection")
            return
        for frame in self._reader.feed(data):
            self.stats["rx_frames"] += 1
            self.deliver(frame)
        if self._reader.error:
            self.stats["framing_errors"] += 1
            self._drop(sock, f"framing error: {self._reader.error}")

    def _drop(self, sock: socket.socket, reason: str) -> None:
        """Hang up on the peer; the machine keeps running with the cable unplugged."""
        with self._lock:
            if sock is not self._sock:
                return  # already dropped
            self._sock = None
            self._out = bytearray()
        self.last_error = reason
        if not self._closed:
            log.warning("stream %s: %s; connection dropped", self.path or "(socket)", reason)
        self.loop.unregister(sock)
        self.loop.call_soon(sock.close)  # after the unregister, so the fd is not reused while watched
        if self._listener is not None and not self._closed:
            self.loop.register(self._listener, selectors.EVENT_READ, self._accept)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        sock = self._sock
        if sock is not None:
            self._drop(sock, "closed")
        if self._listener is not None:
            listener, self._listener = self._listener, None
            self.loop.unregister(listener)
            self.loop.call_soon(listener.close)
            try:
                os.unlink(self.path)
            except OSError:
                pass

    def describe(self) -> dict:
        with self._lock:
            queued = len(self._out)
        return {
            **super().describe(),
            "path": self.path,
            "server": self.server,
            "connected": self.connected,
            "tx_queued_bytes": queued,
            "last_error": self.last_error,
        }
