"""`jsksh run`: one command line over the structured port, then its status.

Speaks the JSON-lines protocol of docs/protocol.md on org.jsksh.shell.0,
synchronously: `hello` (version 2, tables as text), `run`, then copy the
run's `stdout`/`stderr` to our own as they arrive, answer `input` with
lines of our own stdin (end of input when it ends), and return the `exit`
status. Ctrl-C sends `interrupt`. A port that is busy with another client
(it says so in one line and closes) is a clear error, status 1.
"""

from __future__ import annotations

import json
import os
import socket
import sys

from jsksh.client.messages import REBOOT_LOG, hello_message, int_field, parse


class Channel:
    """JSON lines over a connected socket."""

    def __init__(self, sock: socket.socket):
        self.sock = sock
        self.buffer = b""

    def send(self, message: dict) -> None:
        self.sock.sendall(json.dumps(message).encode() + b"\n")

    def receive(self) -> dict | None:
        """The next message; None when the port closed. A line that is not a
        message comes back as an `error` with the line in `unreadable`."""
        while b"\n" not in self.buffer:
            try:
                data = self.sock.recv(65536)
            except (ConnectionResetError, BrokenPipeError):
                data = b""
            if not data:
                if self.buffer.strip():  # a last line without its newline
                    line, self.buffer = self.buffer, b""
                    return _unreadable(line)
                return None
            self.buffer += data
        line, self.buffer = self.buffer.split(b"\n", 1)
        msg = parse(line)
        if msg is None:
            return _unreadable(line)
        size = msg.get("size")
        if msg.get("t") in ("stdout", "stderr") and isinstance(size, int) and size >= 0:
            msg["bytes"] = self._exactly(size)  # raw bytes follow the line (a binary client)
        return msg

    def _exactly(self, n: int) -> bytes:
        while len(self.buffer) < n:
            try:
                data = self.sock.recv(max(65536, n - len(self.buffer)))
            except (ConnectionResetError, BrokenPipeError):
                data = b""
            if not data:
                break
            self.buffer += data
        data, self.buffer = self.buffer[:n], self.buffer[n:]
        return data


def _unreadable(line: bytes) -> dict:
    text = line.decode(errors="replace").strip()
    return {"t": "error", "message": f"unreadable message from the guest: {text[:80]!r}", "unreadable": text}


def run_line(
    sock: socket.socket, line: str, out=None, err=None, stdin=None, ended=None, starting=None
) -> int:
    """Run ``line``; its exit status. ``ended()``, if given, says whether the
    machine itself ended the session when the channel closes mid-run (a
    `poweroff` in the line, a panic): its status then, else None.
    ``starting()``, if given, is called just before the line is sent (the
    machine is up and its shell listening): `--trace` starts recording there."""
    out = out or sys.stdout.buffer
    err = err or sys.stderr.buffer
    stdin = stdin or sys.stdin
    chan = Channel(sock)

    def complain(text: str) -> None:
        err.write(f"jsksh: {text}\n".encode())
        err.flush()

    try:
        chan.send(hello_message(rows=False, terminal=False, binary=True))
    except OSError:
        pass  # a busy port may have closed already; what it said is still to be read
    said = []
    while True:
        msg = chan.receive()
        if msg is None:
            complain(" ".join(said).removeprefix("jsksh: ") or "the machine closed the channel")
            return 1
        if "unreadable" in msg:
            said.append(msg["unreadable"])
        elif msg.get("t") == "hello":
            break
    if starting is not None:
        starting()
    try:
        chan.send({"t": "run", "id": 1, "line": line})
    except OSError:
        complain("the machine closed the channel")
        return 125
    interrupted = False
    while True:
        try:
            msg = chan.receive()
        except KeyboardInterrupt:
            if interrupted:
                raise
            interrupted = True
            chan.send({"t": "interrupt", "id": 1})
            continue
        if msg is None:
            status = ended() if ended is not None else None
            if status is not None:
                return status  # it powered off as the line asked, or panicked (said by the caller)
            complain("the machine closed the channel")
            return 125
        kind = msg.get("t")
        if kind in ("stdout", "stderr") and msg.get("id") == 1:
            stream = out if kind == "stdout" else err
            try:
                stream.write(msg["bytes"] if "bytes" in msg else str(msg.get("data", "")).encode())
                stream.flush()
            except OSError as e:
                return _cannot_write(e, complain if stream is out else None)
        elif kind == "input" and msg.get("id") == 1:
            text = stdin.readline()
            chan.send({"t": "stdin", "id": 1, **({"data": text} if text else {"eof": True})})
        elif kind == "exit" and msg.get("id") == 1:
            return int_field(msg.get("status"), 1)
        elif kind == "log" and str(msg.get("text", "")).startswith(REBOOT_LOG):
            # The line rebooted the machine (`reboot`): the run went with the
            # old kernel and no exit will come; it did what was asked, as a
            # `poweroff` in the line does.
            return 0
        elif kind == "error":
            complain(str(msg.get("message")))
            if msg.get("id") in (None, 1) and "unreadable" not in msg:
                return 125


def _cannot_write(e: OSError, complain) -> int:
    """Our own output failed: the run's status is the one a Unix tool gives.
    A reader that went away (`jsksh run ... | head -1`) is SIGPIPE's 141,
    quietly, as a shell reports `yes | head -1`'s `yes`; anything else (a full
    disk, /dev/full) is said, status 1.  The machine is powered off by the
    caller, which stops the run."""
    if isinstance(e, BrokenPipeError):
        return 141
    if complain is not None:
        complain(f"cannot write the output: {e.strerror or e}")
    return 1


def connect_unix(path: str) -> socket.socket:
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        s.connect(os.path.expanduser(path))
    except OSError:
        s.close()
        raise
    return s
