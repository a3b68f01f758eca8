"""Shared helpers for the benchmarks: a booted machine, percentiles, a table."""

from __future__ import annotations

import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

JSKSH = [sys.executable, "-m", "jsksh.cli"]


def compile_bytecode() -> None:
    """Write jsksh's .pyc files, as ``pip install`` does for an installed
    package (and for the anchors' packages, mini-racer's among them).  An
    editable checkout run with PYTHONDONTWRITEBYTECODE=1 (this sandbox sets it)
    would otherwise compile every module from source at each start: 30 ms of
    a 150 ms boot that no installed copy pays."""
    import compileall

    import jsksh

    compileall.compile_dir(os.path.dirname(jsksh.__file__), quiet=1)


compile_bytecode()


def pct(samples: list[float], p: float) -> float:
    s = sorted(samples)
    return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))]


def median(samples: list[float]) -> float:
    return statistics.median(samples)


def spread(values: list[float], fmt: str = "{:,.0f}") -> str:
    """median [min-max], as docs/performance.md reports repeated runs."""
    if not values:
        return "-"
    return f"{fmt.format(median(values))} [{fmt.format(min(values))}-{fmt.format(max(values))}]"


def have(cmd: str) -> bool:
    return shutil.which(cmd) is not None


class Machine:
    """A `jsksh boot` process with its console and control sockets."""

    def __init__(self, *extra: str):
        self.dir = tempfile.mkdtemp(prefix="jsksh-bench-")
        self.console_path = os.path.join(self.dir, "console.sock")
        self.control_path = os.path.join(self.dir, "control.sock")
        self.proc = subprocess.Popen(
            # BENCH_MACHINE_ARGS adds options, e.g. "--cpus 0" for an unpinned machine.
            [
                *JSKSH,
                "boot",
                "--console",
                self.console_path,
                "--control",
                self.control_path,
                *extra,
                *os.environ.get("BENCH_MACHINE_ARGS", "").split(),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        while not os.path.exists(self.console_path):
            time.sleep(0.005)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(self.console_path)
        self.buf = b""
        self.read_until(b"$ ")

    def read_until(self, marker: bytes, timeout: float = 30) -> bytes:
        deadline = time.monotonic() + timeout
        while marker not in self.buf:
            self.sock.settimeout(max(0.001, deadline - time.monotonic()))
            data = self.sock.recv(65536)
            if not data:
                raise RuntimeError("console closed")
            self.buf += data
        head, _, self.buf = self.buf.partition(marker)
        return head

    def command(self, line: str, timeout: float = 300) -> str:
        """Type `line` at the console's shell; what it printed, up to the next prompt."""
        self.sock.sendall(line.encode() + b"\r")
        return self.read_until(b"$ ", timeout).decode(errors="replace")

    def rss(self) -> int:
        return rss_bytes(self.proc.pid)

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)


def rss_bytes(pid: int) -> int:
    """A process's resident memory, from /proc (0 once it has gone)."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def table(rows: list[tuple], headers: tuple) -> str:
    cells = [tuple(str(c) for c in r) for r in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) for i, h in enumerate(headers)]
    fmt = "  ".join(f"{{:<{w}}}" for w in widths)
    return "\n".join([fmt.format(*headers), *(fmt.format(*r) for r in cells)])
