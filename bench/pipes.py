"""Bulk bytes: a pipeline inside the guest, and output to the host, each beside its anchor in one run.

* Pipe throughput: `head -c 256M /dev/zero | cat | cat | wc -c` in the guest
  (timed on the structured port, from the run request to its exit) against
  the same pipeline in bash on the host. Floor: 100 MB/s and 5% of the host.
* Output to the host: `jsksh run`'s own path, the guest's
  `head -c 100000000 /dev/zero` arriving on the host as raw bytes (a binary
  client on the control port), against `cat` of a file of the same size to a
  pipe on the host. Floor: 100 MB/s.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import tempfile
import time

from common import Machine, median

PIPE_BYTES = 256 << 20
OUT_BYTES = 100_000_000
RUNS = 5


def run_timed(control_path: str, line: str) -> tuple[float, int]:
    """(seconds from the run request to its exit, stdout bytes) over the control port."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(control_path)
    f = s.makefile("rb")
    s.sendall(json.dumps({"t": "hello", "version": 2, "binary": True}).encode() + b"\n")
    while True:  # before the hello, skip what is not a message (docs/protocol.md, "Bytes")
        try:
            if json.loads(f.readline()).get("t") == "hello":
                break
        except ValueError:
            pass
    start = time.perf_counter()
    s.sendall(json.dumps({"t": "run", "id": 1, "line": line}).encode() + b"\n")
    got = 0
    while True:
        msg = json.loads(f.readline())
        if "size" in msg:
            n = msg["size"]
            while n:
                n -= len(f.read(min(n, 1 << 20)))
            if msg["t"] == "stdout":
                got += msg["size"]
        elif msg.get("t") == "exit" and msg.get("id") == 1:
            elapsed = time.perf_counter() - start
            s.close()
            return elapsed, got


def host_pipeline() -> float:
    start = time.perf_counter()
    subprocess.run(
        ["bash", "-c", f"head -c {PIPE_BYTES} /dev/zero | cat | cat | wc -c"], check=True, capture_output=True
    )
    return time.perf_counter() - start


def host_cat(path: str) -> float:
    start = time.perf_counter()
    subprocess.run(["bash", "-c", f"cat {path} | cat > /dev/null"], check=True)
    return time.perf_counter() - start


def main(runs: int = RUNS) -> None:
    m = Machine("--net", "none")
    try:
        run_timed(m.control_path, "true")  # the session shell is up
        guest_pipe, host_pipe, guest_out, host_out = [], [], [], []
        with tempfile.NamedTemporaryFile(delete=False) as tmp:
            tmp.write(bytes(OUT_BYTES))
        for _ in range(runs):
            t, _ = run_timed(m.control_path, f"head -c {PIPE_BYTES} /dev/zero | cat | cat | wc -c")
            guest_pipe.append(t)
            host_pipe.append(host_pipeline())
            t, n = run_timed(m.control_path, f"head -c {OUT_BYTES} /dev/zero")
            assert n == OUT_BYTES, n
            guest_out.append(t)
            host_out.append(host_cat(tmp.name))
        os.unlink(tmp.name)
    finally:
        m.stop()
    mbs = lambda nbytes, t: nbytes / t / 1e6  # noqa: E731
    print("Bulk bytes (MB/s; median of", runs, "runs, range in brackets; ratio = jsksh / anchor, same run)")
    for name, nbytes, guest, host in (
        ("head -c 256M /dev/zero | cat | cat | wc -c", PIPE_BYTES, guest_pipe, host_pipe),
        ("output to the host: head -c 100000000 /dev/zero", OUT_BYTES, guest_out, host_out),
    ):
        ratios = sorted(h / g for g, h in zip(guest, host, strict=True))
        print(
            f"  {name}\n    jsksh {mbs(nbytes, median(guest)):.0f} [{mbs(nbytes, max(guest)):.0f}-{mbs(nbytes, min(guest)):.0f}]"
            f"  anchor {mbs(nbytes, median(host)):.0f} [{mbs(nbytes, max(host)):.0f}-{mbs(nbytes, min(host)):.0f}]"
            f"  ratio {median(ratios):.3f} [{ratios[0]:.3f}-{ratios[-1]:.3f}]"
        )


if __name__ == "__main__":
    main()
