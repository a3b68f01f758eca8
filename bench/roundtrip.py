"""One command round trip on a booted machine: `echo hi` sent on the console to `hi` received.

Anchors in the same run: bash fork+exec of /bin/echo, and Node `new Worker`
to its first message. Floor: jsksh p50 <= 1 ms.
"""

from __future__ import annotations

import subprocess
import sys
import time

from common import Machine, have, pct

NODE_WORKER = r"""
const { Worker } = require('worker_threads');
const n = +process.argv[1]; const times = [];
(async () => {
  for (let i = 0; i < n; i++) {
    const t0 = process.hrtime.bigint();
    await new Promise((res) => { const w = new Worker('require("worker_threads").parentPort.postMessage(1)', { eval: true }); w.once('message', () => { times.push(Number(process.hrtime.bigint() - t0) / 1e6); w.terminate().then(res); }); });
  }
  times.sort((a, b) => a - b);
  console.log(times[Math.floor(times.length / 2)]);
})();
"""


def echo_samples(m: Machine, n: int) -> list[float]:
    """`echo hi` typed on a booted machine's console to `hi` back, n times after 20 to warm up."""
    for _ in range(20):  # warm: the per-program pool, V8's caches
        m.sock.sendall(b"echo hi\r")
        m.read_until(b"$ ")
    samples = []
    for _ in range(n):
        t0 = time.perf_counter()
        m.sock.sendall(b"echo hi\r")
        m.read_until(b"echo hi\r\nhi\r\n")
        samples.append(time.perf_counter() - t0)
        m.read_until(b"$ ")
    return samples


def jsksh_echo(n: int) -> list[float]:
    m = Machine()
    try:
        return echo_samples(m, n)
    finally:
        m.stop()


def bash_echo(n: int) -> float:
    script = f"s=$(date +%s%N); for i in $(seq {n}); do /bin/echo hi >/dev/null; done; e=$(date +%s%N); echo $(( (e - s) / {n} ))"
    return int(subprocess.check_output(["bash", "-c", script])) / 1e9


def node_worker(n: int) -> float | None:
    if not have("node"):
        return None
    return float(subprocess.check_output(["node", "-e", NODE_WORKER, str(n)])) / 1000


def main(n: int = 500) -> None:
    samples = jsksh_echo(n)
    bash = bash_echo(n)
    node = node_worker(30)
    p50, p99 = pct(samples, 50), pct(samples, 99)
    print(f"command round trip, `echo hi` on the raw console ({n} runs)")
    print(f"  jsksh p50                    {p50 * 1e3:8.3f} ms   (floor: <= 1 ms)")
    print(f"  jsksh p99                    {p99 * 1e3:8.3f} ms")
    print(f"  bash fork+exec /bin/echo     {bash * 1e3:8.3f} ms   ratio jsksh/bash {p50 / bash:.2f}")
    if node:
        print(f"  node new Worker (p50 of 30)  {node * 1e3:8.3f} ms   ratio jsksh/node {p50 / node:.3f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 500)
