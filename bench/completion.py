"""Tab completion's round trip over the structured port (protocol version 2).

A tiny JSON-lines client on the machine's control socket sends `complete`
for a shell line (`ls /b`: file names), a command word (`ec`) and a
JavaScript line at the eval REPL's prompt (`eval Math.`), and times each until
its reply. Anchors in the same run: a `status` request on the same socket
(the protocol's own cost: the socket, the JSON and the kernel's dispatch,
with no completer), and Python's rlcompleter completing `math.` in process
(a completer with no machine in the way). Floor: p50 <= 20 ms.
"""

from __future__ import annotations

import json
import rlcompleter
import socket
import sys
import time

from common import Machine, pct

LINES = ["ls /b", "ec", "eval Math."]


class Port:
    """JSON lines on the control socket: send a request, read until its reply."""

    def __init__(self, path: str):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(path)
        self.sock.settimeout(10)
        self.buf = b""
        self.next_id = 0

    def request(self, message: dict) -> dict:
        self.next_id += 1
        self.sock.sendall(json.dumps({**message, "id": self.next_id}).encode() + b"\n")
        while True:
            reply = self.receive()
            # `hello` is answered without an id: its type is enough.
            same = reply.get("id") == self.next_id or message["t"] == "hello"
            if same and reply.get("t") in (message["t"], "error"):
                return reply

    def receive(self) -> dict:
        while b"\n" not in self.buf:
            data = self.sock.recv(65536)
            if not data:
                raise RuntimeError("the control port closed")
            self.buf += data
        line, self.buf = self.buf.split(b"\n", 1)
        return json.loads(line)

    def close(self) -> None:
        self.sock.close()


def timed(fn, n: int) -> list[float]:
    samples = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t0)
    return samples


def jsksh_rounds(n: int) -> tuple[dict[str, list[float]], list[float], dict[str, int]]:
    m = Machine("--net", "none")
    port = Port(m.control_path)
    try:
        hello = port.request({"t": "hello", "version": 2})
        if hello.get("version") != 2:
            raise RuntimeError(f"the machine speaks protocol {hello.get('version')}, not 2: {hello}")
        items = {}
        per_line = {}
        for line in LINES:
            reply = port.request({"t": "complete", "line": line, "cursor": len(line)})
            if reply.get("t") == "error":
                raise RuntimeError(f"complete {line!r}: {reply.get('message')}")
            items[line] = len(reply.get("items", []))

            def ask(line=line):
                port.request({"t": "complete", "line": line, "cursor": len(line)})

            per_line[line] = timed(ask, n)
        status = timed(lambda: port.request({"t": "status"}), n)
        return per_line, status, items
    finally:
        port.close()
        m.stop()


def rlcompleter_rounds(n: int) -> list[float]:
    import math

    completer = rlcompleter.Completer({"math": math})

    def complete_all():
        state = 0
        while completer.complete("math.", state) is not None:
            state += 1

    return timed(complete_all, n)


def main(n: int = 300) -> None:
    per_line, status, items = jsksh_rounds(n)
    local = rlcompleter_rounds(n)
    every = [s for samples in per_line.values() for s in samples]
    print(f"completion round trip over the structured port ({n} requests per line)")
    for line, samples in per_line.items():
        print(
            f"  {line!r:<14} {items[line]:3d} items   p50 {pct(samples, 50) * 1e3:7.3f} ms"
            f"   p99 {pct(samples, 99) * 1e3:7.3f} ms"
        )
    p50 = pct(every, 50)
    print(f"  jsksh complete, all lines    p50 {p50 * 1e3:7.3f} ms   (floor: <= 20 ms)")
    print(f"  jsksh complete, all lines    p99 {pct(every, 99) * 1e3:7.3f} ms")
    print(
        f"  status request (protocol)    p50 {pct(status, 50) * 1e3:7.3f} ms   ratio {p50 / pct(status, 50):.1f}"
    )
    print(
        f"  python rlcompleter 'math.'   p50 {pct(local, 50) * 1e3:7.3f} ms   ratio {p50 / pct(local, 50):.2f}"
    )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 300)
