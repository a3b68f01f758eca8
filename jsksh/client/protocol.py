"""The client's half of the structured port protocol (docs/protocol.md, version 2).

One `Connection` is one asyncio conversation over a connected socket: it
frames JSON lines, numbers requests, matches the replies to `complete`,
`is-complete` and `status` to the awaiting caller (with a timeout), and hands
every other message (stdout, stderr, rows, input, exit, log, session, ...)
to one callback. It never raises on what the guest sends: a line that is not
a JSON object becomes a local `error` message, and a closed connection ends
`serve()` with the reason. The REPL (repl.py) and batch mode (batch.py) sit
on top of it; `jsksh run` (runner.py) keeps its own synchronous loop.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import socket
from collections.abc import Callable

from jsksh.client.messages import VERSION, hello_message, id_key, int_field, parse

__all__ = ["VERSION", "Connection", "Refused", "hello_message", "id_key", "int_field", "local_error", "parse"]
LINE_LIMIT = 16 << 20  # the guest's messages carry at most 1 MiB of text, escaped
REPLIES = {"hello", "complete", "is-complete", "status"}


class Refused(Exception):
    """The machine would not talk to us: the port is busy, closed, or not the control port."""


def local_error(text: str) -> dict:
    """A problem found on our side, shaped like the guest's `error` message."""
    return {"t": "error", "message": text, "local": True}


class Connection:
    """JSON lines over one socket, with request ids and awaitable replies."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        self.reader = reader
        self.writer = writer
        self.on_message: Callable[[dict], None] = lambda msg: None
        self.closed: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        self.server: dict = {}  # the machine's hello
        self._pending: dict[object, asyncio.Future] = {}
        self._hello: asyncio.Future | None = None
        self._preamble: list[str] = []  # non-JSON lines before the hello (a "busy" notice)
        # Ids unique to this client, so they never collide with runs an
        # earlier client left going in the session.
        self._tag = os.urandom(2).hex()
        self._ids = itertools.count(1)
        self._task: asyncio.Task | None = None
        self._spare: socket.socket | None = None

    @classmethod
    async def open(cls, sock: socket.socket) -> Connection:
        sock.setblocking(False)
        # A second handle on the socket: a busy port writes its notice and
        # hangs up at once, and if our hello then fails with EPIPE, asyncio
        # drops the socket unread. Through this one the notice can still be read.
        spare = sock.dup()
        reader, writer = await asyncio.open_connection(sock=sock, limit=LINE_LIMIT)
        conn = cls(reader, writer)
        conn._spare = spare
        conn._task = asyncio.get_running_loop().create_task(conn._serve())
        return conn

    # ---- sending -----------------------------------------------------------------
    def new_id(self, kind: str = "r") -> str:
        return f"{kind}{next(self._ids)}.{self._tag}"

    def send(self, message: dict) -> None:
        """Queue one message (never blocks; a dead socket shows up as `closed`)."""
        if self.closed.done():
            return
        try:
            self.writer.write(json.dumps(message).encode() + b"\n")
        except (OSError, RuntimeError) as e:
            self._close(f"cannot send to the machine: {e}")

    async def request(self, message: dict, timeout: float) -> dict | None:
        """Send a request with a fresh id; its reply, or None if none came in time
        (or the guest answered with an `error`, or the connection closed)."""
        rid = message.setdefault("id", self.new_id(message["t"][0]))
        future = asyncio.get_running_loop().create_future()
        self._pending[id_key(rid)] = future
        self.send(message)
        try:
            return await asyncio.wait_for(asyncio.shield(future), timeout)
        except (asyncio.TimeoutError, ConnectionError):
            return None
        finally:
            self._pending.pop(id_key(rid), None)

    async def hello(
        self, rows: bool = True, terminal: bool = True, timeout: float = 30, modes: bool = False
    ) -> dict:
        """The version 2 handshake; the machine's hello. Raises Refused."""
        self._hello = asyncio.get_running_loop().create_future()
        self.send(hello_message(rows, terminal, modes=modes))
        done, _ = await asyncio.wait(
            {self._hello, self.closed}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED
        )
        if self._hello in done:
            self.server = self._hello.result()
            if self.server.get("version") != VERSION:
                raise Refused(
                    f"the machine speaks protocol version {self.server.get('version')}; "
                    f"this client needs version {VERSION} (try --raw)"
                )
            return self.server
        if not self._preamble and self.closed.done():
            self._preamble += self._unread()
        said = " ".join(line.strip() for line in self._preamble).strip()
        if said:
            raise Refused(said.removeprefix("jsksh: "))
        if self.closed.done():
            raise Refused(self.closed.result())
        raise Refused(f"no answer to hello within {timeout:g} s (is this the control socket? try --raw)")

    def _unread(self) -> list[str]:
        """Lines left in the socket when asyncio gave it up (see open)."""
        if self._spare is None:
            return []
        try:
            data = self._spare.recv(65536, socket.MSG_DONTWAIT)
        except OSError:
            return []
        return [
            line
            for line in data.decode(errors="replace").splitlines()
            if line.strip() and parse(line.encode()) is None
        ]

    async def close(self) -> None:
        self._close("closed by the client")
        if self._spare is not None:
            self._spare.close()
            self._spare = None
        try:
            self.writer.close()
            await self.writer.wait_closed()
        except (OSError, RuntimeError):
            pass
        if self._task is not None:
            self._task.cancel()

    # ---- receiving ---------------------------------------------------------------
    async def _serve(self) -> None:
        reason = "the machine closed the connection"
        try:
            while True:
                try:
                    line = await self.reader.readline()
                except ValueError:  # longer than LINE_LIMIT: asyncio dropped it
                    self.on_message(
                        local_error(f"dropped a message from the machine longer than {LINE_LIMIT} bytes")
                    )
                    continue
                if not line:
                    break
                if line.strip():
                    self._dispatch(line)
        except (ConnectionError, OSError) as e:
            reason = f"lost the connection to the machine: {e}"
        finally:
            self._close(reason)

    def _dispatch(self, line: bytes) -> None:
        msg = parse(line)
        if msg is None:
            text = line.decode(errors="replace").strip()
            if self._hello is not None and not self._hello.done():
                self._preamble.append(text)
            else:
                self.on_message(local_error(f"unreadable message from the machine: {text[:80]!r}"))
            return
        kind = msg["t"]
        if kind == "hello" and self._hello is not None and not self._hello.done():
            self._hello.set_result(msg)
            return
        future = self._pending.get(id_key(msg.get("id")))
        if future is not None and not future.done() and (kind in REPLIES or kind == "error"):
            future.set_result(msg if kind != "error" else None)
            if kind == "error":
                self.on_message(msg)
            return
        self.on_message(msg)

    def _close(self, reason: str) -> None:
        if not self.closed.done():
            self.closed.set_result(reason)
        for future in self._pending.values():
            if not future.done():
                future.set_exception(ConnectionError(reason))
                future.exception()  # retrieved: nobody need wait for it
