"""Idle memory per sleeping app isolate, with N of them running at once.

A booted machine's `eval` spawns N `sleep 60` apps; the machine process's RSS
is read before and after. Anchor in the same run: Node `new Worker` idle RSS
per worker (FACTS.md measured 8.2 MiB). Floor: at most 1 MiB per isolate.
"""

from __future__ import annotations

import subprocess
import sys
import time

from common import Machine, have

NODE = r"""
const { Worker } = require('worker_threads');
const n = +process.argv[1];
const before = process.memoryUsage().rss; const ws = []; let up = 0;
for (let i = 0; i < n; i++) { const w = new Worker('require("worker_threads").parentPort.postMessage(1); setInterval(()=>{}, 1e6)', { eval: true }); w.once('message', () => { if (++up === n) { console.log((process.memoryUsage().rss - before) / n); process.exit(0); } }); ws.push(w); }
"""


def main(n: int = 1000) -> None:
    m = Machine("--limit", f"isolates={n + 20}")
    try:
        time.sleep(1)
        before = m.rss()
        line = f'eval \'(async () => {{ for (let i = 0; i < {n}; i++) await sys.proc.spawn(["sleep", "60"], {{stdin: "null"}}); return "spawned"; }})()\'\r'
        m.sock.sendall(line.encode())
        m.read_until(b"'spawned'", timeout=300)
        m.read_until(b"$ ")
        m.sock.sendall(b"ps | wc -l\r")
        # Let the last isolates go idle, and the warm pool, which grew while
        # the spawns outran it, shrink back (after 30 quiet seconds).
        time.sleep(35)
        after = m.rss()
        per = (after - before) / n
    finally:
        m.stop()
    print(f"idle memory per sleeping app isolate, {n} at once")
    print(f"  jsksh                        {per / 2**20:8.3f} MiB   (floor: <= 1 MiB)")
    if have("node"):
        node = float(subprocess.check_output(["node", "-e", NODE, "50"]))
        print(f"  node Worker (50 idle)        {node / 2**20:8.3f} MiB   ratio jsksh/node {per / node:.3f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000)
