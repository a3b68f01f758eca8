"""Isolates as the unit of everything: what each protection boundary costs.

Runs the guest's `bench` app (apps/bench.js) on a booted machine and, in the
same run, the anchors on this host:

* 200 isolates started at once, each evaluating a small function.  Anchors:
  Node, 200 `new Worker`s evaluating the same function, measured here; the
  V8-isolates FaaS article's 0.513 s (quoted, not measured).  Floor: 0.2 s.
* RPC round trip between two app isolates, p50.  Anchor: Node worker_threads
  postMessage round trip, p50, measured here.  Floors: p50 <= 100 us;
  pipelined >= 20,000 calls/s.
* The Jiny experiment: 100,000 writes to /dev/null through the kernel vs a
  function call in the same isolate.  Anchor: Linux, os.write() to
  /dev/null vs a Python function call, measured here.
"""

from __future__ import annotations

import os
import re
import subprocess
import time

from common import Machine, have, median

NODE_RTT = r"""
const { Worker } = require('worker_threads');
const w = new Worker('const { parentPort } = require("worker_threads"); parentPort.on("message", (m) => parentPort.postMessage(m));', { eval: true });
const n = 5000, times = []; let i = 0, t0;
const next = () => { t0 = process.hrtime.bigint(); w.postMessage(i); };
w.on('message', () => {
  if (i++ >= 200) times.push(Number(process.hrtime.bigint() - t0) / 1000);
  if (times.length === n) { times.sort((a, b) => a - b); console.log(times[n >> 1]); process.exit(0); }
  next();
});
next();
"""

NODE_SPAWN = r"""
const { Worker } = require('worker_threads');
const n = +process.argv[1], src = 'const fib = (k) => (k < 2 ? k : fib(k - 1) + fib(k - 2)); require("worker_threads").parentPort.postMessage(fib(15));';
const t0 = process.hrtime.bigint(); let done = 0;
for (let i = 0; i < n; i++) new Worker(src, { eval: true }).once('message', (v) => { if (v === 610 && ++done === n) { console.log(Number(process.hrtime.bigint() - t0) / 1e6); process.exit(0); } });
"""


def guest(m: Machine, line: str, timeout: float = 300) -> str:
    m.sock.sendall(line.encode() + b"\r")
    m.read_until(line.encode())  # the echo of the command line
    return m.read_until(b"$ ", timeout=timeout).decode().replace("\r", "")


def number(text: str, pattern: str) -> float:
    found = re.search(pattern, text)
    if not found:
        raise RuntimeError(f"no {pattern!r} in {text!r}")
    return float(found.group(1))


def linux_syscall() -> tuple[float, float]:
    """us per os.write() to /dev/null, and per Python function call."""
    fd = os.open("/dev/null", os.O_WRONLY)
    n = 100_000
    t = time.perf_counter()
    for _ in range(n):
        os.write(fd, b"x")
    sys_us = (time.perf_counter() - t) / n * 1e6
    os.close(fd)

    def write(b):
        return len(b)

    t = time.perf_counter()
    for _ in range(n):
        write(b"x")
    return sys_us, (time.perf_counter() - t) / n * 1e6


def main() -> None:
    m = Machine()
    try:
        # spawn last: the pool it grows refills, and the isolates it used
        # are closed, in the background afterwards.
        rpc = guest(m, "bench rpc")
        syscall = guest(m, "bench syscall")
        spawn = guest(m, "bench spawn 200")
    finally:
        m.stop()
    cold = number(spawn, r"cold pool\s+([\d.]+) ms")
    warm = number(spawn, r"warm pool\s+([\d.]+) ms")
    rtt = number(rpc, r"p50 ([\d.]+) us")
    rate = number(rpc, r"pipelined RPC\s+(\d+) calls/s")
    local_ns = number(rpc, r"isolate\s+([\d.]+) ns")
    write_us = number(syscall, r"kernel\s+([\d.]+) us")
    sys_us, py_call_us = linux_syscall()

    print("isolates: start-up, RPC and the price of a protection boundary")
    print("  200 isolates started at once, each evaluating a small function (floor: <= 200 ms)")
    print(f"    jsksh, warm pool (grown by a first burst)   {warm:8.1f} ms")
    print(f"    jsksh, cold pool (isolates made on demand)  {cold:8.1f} ms")
    if have("node"):
        node = median([float(subprocess.check_output(["node", "-e", NODE_SPAWN, "200"])) for _ in range(3)])
        print(
            f"    node, 200 Workers                           {node:8.1f} ms   ratio warm/node {warm / node:.2f}"
        )
    print(
        f"    the FaaS article (quoted)                      513.0 ms   ratio warm/article {warm / 513:.2f}"
    )
    print("  RPC round trip between two isolates, p50 (floor: <= 100 us; pipelined >= 20,000/s)")
    print(f"    jsksh services.connect proxy call           {rtt:8.1f} us")
    if have("node"):
        node_rtt = float(subprocess.check_output(["node", "-e", NODE_RTT]))
        print(
            f"    node worker_threads postMessage             {node_rtt:8.1f} us   ratio jsksh/node {rtt / node_rtt:.2f}"
        )
    print(f"    jsksh pipelined                             {rate:8.0f} calls/s")
    print("  the Jiny experiment: a boundary crossing vs a call in the same protection domain")
    print(
        f"    jsksh write to /dev/null via the kernel     {write_us:8.2f} us   {write_us * 1000 / local_ns:8.0f}x a local call"
    )
    print(
        f"    jsksh RPC round trip                        {rtt:8.2f} us   {rtt * 1000 / local_ns:8.0f}x a local call"
    )
    print(f"    jsksh local call (V8, JIT)                  {local_ns / 1000:8.4f} us")
    print(
        f"    linux os.write to /dev/null (Python)        {sys_us:8.2f} us   {sys_us / py_call_us:8.0f}x a Python call"
    )
    print(f"    python function call                        {py_call_us:8.4f} us")


if __name__ == "__main__":
    main()
