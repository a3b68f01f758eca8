"""The kernel's half of an app, played by a test: its messages, and its output pipes.

Apps write stdout and stderr into pipes (docs/abi.md §3); the kernel's pumps
read them.  ``with_output(host, pid, start)`` makes the two pipes and gives
the app its write ends, as kernel/proc/streams.js does at spawn;
``drain(host)`` reads them the way a pump would and records what arrived as
``{"t": "write", "fd": N, "data": TEXT}`` entries, in the order it came, so
tests can read output and messages in one list.
"""

from __future__ import annotations

import json

from jsksh.native import pipes as P

READ_PAGE = 1 << 20


class OutputPipes:
    def __init__(self):
        self.pipes: dict[int, tuple[int, int]] = {}  # pipe id -> (pid, fd)
        self.pending: dict[tuple[int, int], bytes] = {}  # (pid, fd) -> bytes of a character cut in two
        self.page = memoryview(bytearray(READ_PAGE))

    def with_output(self, host, pid: int, start: dict) -> dict:
        fds = [{"kind": "null", "pipe": 0}]
        for fd in (1, 2):
            pipe = host.kernel_pipe("open")
            assert pipe > 0
            assert host.kernel_pipe("attach", pipe, holder=pid, end=P.WRITE_END) == 0
            host.kernel_pipe("close", pipe, holder=0, end=P.WRITE_END)
            self.pipes[pipe] = (pid, fd)
            fds.append({"kind": "pipe", "pipe": pipe})
        return {**start, "fds": fds}

    def drain(self, host, messages: list, only: int | None = None) -> None:
        for pipe, (pid, fd) in list(self.pipes.items()):
            if only is not None and pid != only:
                continue
            while True:
                n = host.kernel_pipe("read", pipe, page=self.page, at=0, room=READ_PAGE)
                if n <= 0:
                    if n == 0:  # end of file: the app is gone
                        host.kernel_pipe("close", pipe, holder=0, end=P.READ_END)
                        del self.pipes[pipe]
                    break
                data = self.pending.pop((pid, fd), b"") + bytes(self.page[:n])
                text = data.decode("utf-8", "ignore")
                cut = len(text.encode())
                if cut < len(data):
                    self.pending[(pid, fd)] = data[cut:]
                messages.append((pid, {"t": "write", "fd": fd, "data": text}))


def start_message(pid: int, source: str, **extra) -> dict:
    msg = {
        "t": "start",
        "pid": pid,
        "path": "/bin/t.js",
        "name": "t",
        "argv": ["t"],
        "source": source,
        "modules": {},
    }
    msg["tty"] = {"stdout": False}
    msg.update(extra)
    return msg


def spawn_with_output(host, output: OutputPipes, pid: int, source: str, limits=None, **extra) -> None:
    header = json.dumps({"path": "/bin/t.js", "limits": limits or {}}).encode()
    start = output.with_output(host, pid, start_message(pid, source, **extra))
    assert host.spawn(pid, header, json.dumps(start).encode()) == 0
