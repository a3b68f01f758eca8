"""`jsksh run`: one command line over the structured port, then its status.

Speaks the JSON-lines protocol of docs/protocol.md on org.jsksh.shell.0:
send ``run``, copy ``stdout``/``stderr`` messages to our own stdout and
stderr as they arrive, return the ``exit`` status.
"""

from __future__ import annotations

import json
import os
import socket
import sys


class Channel:
    """JSON lines over a connected socket."""

    def __init__(self, sock: socket.socket):
        self.sock = sock
        self.buffer = b""

    def send(self, message: dict) -> None:
        self.sock.sendall(json.dumps(message).encode() + b"\n")

    def receive(self) -> dict | None:
        while b"\n" not in self.buffer:
            data = self.sock.recv(65536)
            if not data:
                return None
            self.buffer += data
        line, self.buffer = self.buffer.split(b"\n", 1)
        try:
            return json.loads(line)
        except ValueError:
            return {"t": "error", "message": f"unreadable message from the guest: {line[:80]!r}"}


def run_line(sock: socket.socket, line: str, out=None, err=None) -> int:
    out = out or sys.stdout.buffer
    err = err or sys.stderr.buffer
    chan = Channel(sock)
    chan.send({"t": "run", "id": 1, "line": line})
    while True:
        msg = chan.receive()
        if msg is None:
            err.write(b"jsksh: the machine closed the channel\n")
            err.flush()
            return 125
        kind = msg.get("t")
        if kind in ("stdout", "stderr") and msg.get("id") == 1:
            stream = out if kind == "stdout" else err
            stream.write(str(msg.get("data", "")).encode())
            stream.flush()
        elif kind == "exit" and msg.get("id") == 1:
            return int(msg.get("status", 1))
        elif kind == "error":
            err.write(f"jsksh: {msg.get('message')}\n".encode())
            err.flush()
            if msg.get("id") in (None, 1):
                return 125


def connect_unix(path: str) -> socket.socket:
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(os.path.expanduser(path))
    return s
