"""TCP connection latency over TAP: connect, a 1-byte request, a 1-byte answer, close.

Issue 13's last benchmark, two servers measured by one client in one run:
- jsksh: a small app on the guest (written to /tmp/one-byte.js and run there)
  that accepts connections, reads one byte, answers one byte and closes;
  every step crosses the TAP device, virtio-net, the kernel's JavaScript
  stack and the app's pipes;
- the anchor: the same server in Python on Linux, reached from a second
  namespace over a veth pair (Linux to Linux, as the TAP is for the guest).
The client (Python, in the benchmark's namespace) times each exchange from
connect() to the answer's byte, then closes; the table gives p50 and p99
and their ratio to the anchor's.

    python bench/tcp_latency.py [CONNECTIONS [RUNS]]
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys

from tapnet import GUEST_IP, TapNet, can_run
from tcp_throughput import Veth, guest

# The guest's server: one connection at a time, as the client makes them.
GUEST_SERVER = """module.exports = async function main(argv) {
  const l = await sys.net.tcp.listen(Number(argv[1]));
  sys.print('listening');
  for (;;) {
    const c = await l.accept();
    if (c === null) return 0;
    c.setNoDelay(true);
    const b = await c.read(1);
    if (b !== null) await c.write(b);
    await c.close();
  }
};
"""

# The anchor's server, on Linux in the benchmark's namespace.
LINUX_SERVER = r"""
import socket, sys
srv = socket.socket(); srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind((sys.argv[1], int(sys.argv[2]))); srv.listen(128)
print("listening", flush=True)
while True:
    c, _ = srv.accept()
    c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    b = c.recv(1)
    if b: c.sendall(b)
    c.close()
"""

CLIENT = r"""
import json, socket, sys, time
host, port, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
times = []
for i in range(count + 20):
    t0 = time.perf_counter()
    s = socket.create_connection((host, port), timeout=5)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    s.sendall(b"x")
    if s.recv(1) != b"x":
        raise SystemExit("no answer")
    t = time.perf_counter() - t0
    s.close()
    if i >= 20:  # the first ones warm up both sides (ARP, JIT)
        times.append(t)
times.sort()
print(json.dumps({"p50": times[len(times) // 2], "p99": times[int(len(times) * 0.99)]}))
"""


def client(ns: str, host: str, port: int, count: int) -> dict:
    r = subprocess.run(
        ["ip", "netns", "exec", ns, sys.executable, "-c", CLIENT, host, str(port), str(count)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    if r.returncode != 0:
        raise RuntimeError(f"client failed: {r.stderr.strip()}")
    return json.loads(r.stdout)


def main(count: int = 1000, runs: int = 3) -> None:
    why = can_run()
    if why:
        print(f"tcp latency over TAP: skipped ({why})")
        return
    net = TapNet()
    veth = None
    anchor = None
    results: dict[str, list[dict]] = {"jsksh": [], "linux": []}
    try:
        guest(net, f"cat > /tmp/one-byte.js <<'EOF'\n{GUEST_SERVER}EOF")
        net.machine.sock.sendall(b"/tmp/one-byte.js 7100 &\r")
        net.machine.read_until(b"listening", 30)
        veth = Veth(net.ns)
        anchor = subprocess.Popen(
            ["ip", "netns", "exec", net.ns, sys.executable, "-c", LINUX_SERVER, "10.10.0.1", "7100"],
            stdout=subprocess.PIPE,
            text=True,
        )
        anchor.stdout.readline()
        for _ in range(runs):  # interleaved, so a noisy minute touches both alike
            results["jsksh"].append(client(net.ns, GUEST_IP, 7100, count))
            results["linux"].append(client(veth.peer, "10.10.0.1", 7100, count))
    finally:
        if anchor:
            anchor.kill()
            anchor.wait()
        if veth:
            veth.close()
        net.close()

    def med(name: str, key: str) -> float:
        return statistics.median(r[key] for r in results[name])

    def spread(name: str, key: str) -> str:
        xs = [r[key] * 1e3 for r in results[name]]
        return f"{min(xs):.3f}-{max(xs):.3f}"

    print(
        f"TCP connect + 1-byte request + 1-byte answer, {count} connections x {runs} runs (median, min-max)"
    )
    for key in ("p50", "p99"):
        j, a = med("jsksh", key), med("linux", key)
        print(
            f"  {key}: jsksh {j * 1e3:7.3f} ms ({spread('jsksh', key)})   "
            f"Linux → Linux (veth) {a * 1e3:7.3f} ms ({spread('linux', key)})   ratio {j / a:.1f}"
        )


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:3]))
