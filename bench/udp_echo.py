"""UDP echo through the JavaScript stack over TAP, against the Linux kernel echoing the same traffic.

One client (Python, in the benchmark's namespace) measures both echo servers
the same way, in one run:
- jsksh: `udpecho 7` on the guest; every datagram crosses the TAP device, the
  virtio-net queues, the kernel's JavaScript stack and an app isolate, and back;
- Linux: a Python UDP echo server in the same namespace, over loopback.
Throughput keeps a window of datagrams in flight; round trip sends one at a
time. Floors: 20,000 datagrams/s through jsksh, and at least 10% of Linux's rate.
"""

from __future__ import annotations

import json
import subprocess
import sys

from tapnet import GUEST_IP, TapNet, can_run

CLIENT = r"""
import json, socket, sys, time
host, port, seconds, window = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)
s.connect((host, port))
s.settimeout(2)
payload = b"x" * 32
s.send(payload); s.recv(2048)  # warm up: ARP, first touch
# Round trip: one datagram at a time.
rtts = []
for i in range(2000):
    t0 = time.perf_counter(); s.send(payload); s.recv(2048); rtts.append(time.perf_counter() - t0)
rtts.sort()
# Throughput: keep `window` in flight; a lost datagram is replaced after a timeout.
s.settimeout(0.2)
sent = received = 0
for _ in range(window):
    s.send(payload); sent += 1
t0 = time.perf_counter(); end = t0 + seconds
while time.perf_counter() < end:
    try:
        s.recv(2048); received += 1
    except socket.timeout:
        pass
    s.send(payload); sent += 1
elapsed = time.perf_counter() - t0
print(json.dumps({"pps": received / elapsed, "p50": rtts[len(rtts) // 2], "p99": rtts[int(len(rtts) * 0.99)],
                  "sent": sent, "received": received}))
"""

LINUX_ECHO = r"""
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 7007))
print("ready", flush=True)
while True:
    data, peer = s.recvfrom(2048)
    s.sendto(data, peer)
"""


def main(seconds: float = 3, window: int = 64) -> None:
    why = can_run()
    if why:
        print(f"udp echo over TAP: skipped ({why})")
        return
    net = TapNet()
    try:
        net.machine.sock.sendall(b"udpecho 7\r")
        net.machine.read_until(b"listening on UDP port 7")
        jsksh = json.loads(net.run_in_ns(CLIENT, GUEST_IP, "7", str(seconds), str(window)))
        echo = subprocess.Popen(
            ["ip", "netns", "exec", net.ns, sys.executable, "-c", LINUX_ECHO],
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            echo.stdout.readline()
            linux = json.loads(net.run_in_ns(CLIENT, "127.0.0.1", "7007", str(seconds), str(window)))
        finally:
            echo.kill()
            echo.wait()
    finally:
        net.close()
    print(f"UDP echo, 32-byte datagrams, window {window}, {seconds:g} s each")
    for name, r in (("jsksh udpecho (TAP)", jsksh), ("Linux echo (Python, lo)", linux)):
        print(
            f"  {name:26} {r['pps']:9,.0f} datagrams/s   rtt p50 {r['p50'] * 1e6:6.0f} µs"
            f"  p99 {r['p99'] * 1e6:6.0f} µs"
        )
    print(
        f"  ratio jsksh / Linux        {jsksh['pps'] / linux['pps']:9.2f}   (floors: >= 20,000/s and >= 0.10)"
    )


if __name__ == "__main__":
    main(*(float(a) for a in sys.argv[1:2]))
