"""Ping round trip between the guest and Linux over TAP, both directions, in one run.

- guest -> Linux: the guest's `ping` app; the kernel's JavaScript stack sends
  the echo request and times the reply (kernel/net/icmp-echo.js);
- Linux -> guest: iputils `ping` in the namespace; the kernel's stack answers
  in JavaScript without any app;
- Linux -> Linux: iputils `ping` of the namespace's own address (the anchor).
Floor: guest -> Linux p50 at most 250 µs.
"""

from __future__ import annotations

import re
import shutil
import statistics
import subprocess
import sys

from tapnet import GUEST_IP, LINUX_IP, TapNet, can_run

COUNT = 300


def rtts(text: str) -> list[float]:
    return [float(x) * 1000 for x in re.findall(r"time=([\d.]+) ms", text)]


def linux_ping(ns: str, target: str) -> list[float]:
    out = subprocess.run(
        ["ip", "netns", "exec", ns, "ping", "-c", str(COUNT), "-i", "0.005", "-n", target],
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout
    return rtts(out)


def main() -> None:
    why = can_run() or (None if shutil.which("ping") else "needs iputils ping")
    if why:
        print(f"ping over TAP: skipped ({why})")
        return
    net = TapNet()
    try:
        net.machine.sock.sendall(f"ping -c {COUNT} -i 0.005 {LINUX_IP}\r".encode())
        guest = rtts(net.machine.read_until(b"rtt min/avg/max").decode(errors="replace"))
        net.machine.read_until(b"$ ")
        to_guest = linux_ping(net.ns, GUEST_IP)
        loop = linux_ping(net.ns, LINUX_IP)
    finally:
        net.close()
    print(f"ping round trip over TAP, {COUNT} echoes each, 5 ms apart (µs)")
    for name, s in (
        ("guest -> Linux (jsksh ping)", guest),
        ("Linux -> guest (iputils ping)", to_guest),
        ("Linux -> itself (anchor)", loop),
    ):
        s = sorted(s)
        print(f"  {name:30} p50 {statistics.median(s):7.0f}   p99 {s[int(len(s) * 0.99)]:7.0f}   n={len(s)}")
    print(
        f"  ratio guest->Linux / Linux->guest  {statistics.median(guest) / statistics.median(to_guest):5.2f}"
    )
    print("  floor: guest -> Linux p50 <= 250 µs")


if __name__ == "__main__":
    main(*sys.argv[1:])
